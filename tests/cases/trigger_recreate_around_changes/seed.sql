INSERT INTO app.notes (id, score, state, legacy, title)
VALUES (1, 10, 'draft', NULL, 'a'), (2, 20, 'archived', 'x', 'b'), (3, 30, 'published', NULL, 'c');
