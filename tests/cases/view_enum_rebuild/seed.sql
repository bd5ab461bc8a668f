INSERT INTO app.posts VALUES (1, 'archived', '{archived,published}'), (2, 'published', NULL);
