INSERT INTO app.t VALUES (1, 'abc', ARRAY['de', 'fgh']::app.code[]);
