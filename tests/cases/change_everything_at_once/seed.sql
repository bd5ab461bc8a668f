INSERT INTO app.tasks VALUES (1, 'write tests', 'new', '2024-01-01 09:00', 'x');
