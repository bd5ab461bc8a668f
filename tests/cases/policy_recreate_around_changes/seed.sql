INSERT INTO app.members VALUES (1, 'alice');
INSERT INTO app.notes (id, team, owner) VALUES (1, 1, 'alice');
