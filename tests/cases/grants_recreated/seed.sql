INSERT INTO app.orders (id, cents, state) VALUES (1, 100, 'draft'), (2, 250, 'gone');
