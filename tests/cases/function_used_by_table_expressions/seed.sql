INSERT INTO app.accounts VALUES (1), (2);
