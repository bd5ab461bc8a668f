INSERT INTO app.users VALUES (1, 'Ann', 'ann@gmail.com'), (2, 'Bo', 'bo@example.org'), (3, 'Cy', NULL);
INSERT INTO app.notes VALUES (1, 1, 'hello');
REFRESH MATERIALIZED VIEW app.by_domain;
