INSERT INTO app.notes VALUES (1, 'draft'), (2, 'done');
