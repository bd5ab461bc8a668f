-- A domain over an array reports its element type. Defaults and CHECKs are printed from their
-- parsed trees (typdefault is text frozen with the search_path of its creation).
SELECT n.nspname::text AS schema, t.typname::text AS name,
       et_n.nspname::text AS type_schema, et.typname::text AS type_name,
       (bt.typcategory = 'A' AND bt.typelem <> 0) AS is_array,
       t.typtypmod AS typmod,
       t.typnotnull AS not_null,
       pg_get_expr(t.typdefaultbin, 0, true) AS default_expr,
       CASE WHEN t.typcollation <> bt.typcollation AND t.typcollation <> 0 THEN
            CASE WHEN co_n.nspname = 'pg_catalog' THEN co.collname::text
                 ELSE quote_ident(co_n.nspname) || '.' || quote_ident(co.collname) END
       END AS collation,
       ARRAY(SELECT c.conname::text FROM pg_catalog.pg_constraint c
             WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname) AS check_names,
       ARRAY(SELECT pg_get_expr(c.conbin, 0, true) FROM pg_catalog.pg_constraint c
             WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname) AS check_exprs,
       obj_description(t.oid, 'pg_type') AS comment
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
JOIN pg_catalog.pg_type et ON et.oid = CASE WHEN bt.typcategory = 'A' AND bt.typelem <> 0 THEN bt.typelem ELSE bt.oid END
JOIN pg_catalog.pg_namespace et_n ON et_n.oid = et.typnamespace
LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation
LEFT JOIN pg_catalog.pg_namespace co_n ON co_n.oid = co.collnamespace
WHERE t.typtype = 'd'
  AND n.nspname::text = ANY($1::text[])
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_type'::regclass
                    AND d.objid = t.oid AND d.deptype = 'e')
ORDER BY 1, 2
