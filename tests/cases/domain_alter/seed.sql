INSERT INTO app.t VALUES (1, 2), (2, 4);
