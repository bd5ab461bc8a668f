-- Policies of tables, each as pg_policy stores it: the command, whether it is permissive, the
-- roles it applies to (0 is PUBLIC, read as `public`), sorted, and its USING and WITH CHECK
-- expressions printed by pg_get_expr. Read with an empty search_path, so every name in them is
-- qualified.
SELECT n.nspname::text AS schema, c.relname::text AS table_name, p.polname::text AS name,
       p.polcmd::text AS command, p.polpermissive AS permissive,
       ARRAY(SELECT name FROM (
                 SELECT CASE WHEN r.oid = 0 THEN 'public' ELSE a.rolname::text END AS name
                 FROM unnest(p.polroles) AS r(oid)
                 LEFT JOIN pg_catalog.pg_roles a ON a.oid = r.oid) AS n
             ORDER BY name COLLATE "C") AS roles,
       pg_catalog.pg_get_expr(p.polqual, p.polrelid) AS using_expr,
       pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr,
       d.description AS comment
FROM pg_catalog.pg_policy p
JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = p.oid AND d.classoid = 'pg_catalog.pg_policy'::pg_catalog.regclass
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname::text = ANY($1::text[])
