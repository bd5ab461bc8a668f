INSERT INTO app.people VALUES (1, 'ann', 'Oslo');
