INSERT INTO app.a VALUES (1, 'high'); INSERT INTO app.b VALUES (1, NULL), (2, 'low');
