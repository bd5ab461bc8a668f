INSERT INTO app.t VALUES (1, '{1,2,3}');
