INSERT INTO app.orders VALUES (1, 1250), (2, 99);
