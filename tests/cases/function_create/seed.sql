INSERT INTO app.users (id, name) VALUES (1, 'ada'), (2, 'bob');
