INSERT INTO app.old_items VALUES (1, 'kept');
