INSERT INTO app.people (id, email) VALUES (1, 'a@example.com'), (2, ' B@Example.com ');
