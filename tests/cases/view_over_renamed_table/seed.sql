INSERT INTO app.people VALUES (1, 'ann'), (2, 'bo');
