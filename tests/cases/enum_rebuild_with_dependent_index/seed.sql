INSERT INTO app.t VALUES (1, 'archived'), (2, 'published');
