INSERT INTO app.users VALUES (1, 'Ann', NULL); INSERT INTO app.notes VALUES (1, 1, 'a'), (2, 1, 'b');
REFRESH MATERIALIZED VIEW app.counts;
