INSERT INTO app.t VALUES (1, 'ab'), (2, 'xyz');
