INSERT INTO app.notes (id, title) VALUES (1, 'first'), (2, 'second');
