-- Views and materialized views, each with its query as Postgres stores it (read with the empty
-- search_path the inspector sets, so every name outside pg_catalog is qualified), its output
-- columns, reloptions, populated state, comment, and what it
-- reads, from pg_depend: the relations and columns its rewrite rule reads, the functions it
-- calls (with their signatures), and the user types
-- its query or its columns use (an array type stands for its element). Objects an extension created are skipped.
SELECT n.nspname::text AS schema, c.relname::text AS name, c.relkind = 'm' AS materialized,
       pg_catalog.pg_get_viewdef(c.oid) AS query,
       COALESCE(c.reloptions, '{}')::text[] AS options,
       c.relispopulated AS populated,
       pg_catalog.obj_description(c.oid, 'pg_class') AS comment,
       cols.names AS column_names, cols.types AS column_types,
       deps.kinds AS dep_kinds, deps.schemas AS dep_schemas, deps.names AS dep_names,
       deps.columns AS dep_columns
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL (
  SELECT COALESCE(array_agg(a.attname::text ORDER BY a.attnum), '{}') AS names,
         COALESCE(array_agg(pg_catalog.format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum), '{}') AS types
  FROM pg_catalog.pg_attribute a
  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
) cols
CROSS JOIN LATERAL (
  SELECT COALESCE(array_agg(x.kind ORDER BY x.kind, x.sch, x.nm, x.col), '{}') AS kinds,
         COALESCE(array_agg(x.sch ORDER BY x.kind, x.sch, x.nm, x.col), '{}') AS schemas,
         COALESCE(array_agg(x.nm ORDER BY x.kind, x.sch, x.nm, x.col), '{}') AS names,
         COALESCE(array_agg(x.col ORDER BY x.kind, x.sch, x.nm, x.col), '{}') AS columns
  FROM (
    SELECT DISTINCT CASE r.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized_view'
                                   ELSE 'table' END AS kind,
           rn.nspname::text AS sch, r.relname::text AS nm, COALESCE(a.attname::text, '') AS col
    FROM pg_catalog.pg_rewrite rw
    JOIN pg_catalog.pg_depend d
      ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = rw.oid
     AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> c.oid
    JOIN pg_catalog.pg_class r ON r.oid = d.refobjid
    JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
    LEFT JOIN pg_catalog.pg_attribute a
      ON a.attrelid = r.oid AND a.attnum = d.refobjsubid AND d.refobjsubid > 0
    WHERE rw.ev_class = c.oid
    UNION
    -- The functions it calls, by name and input argument types.
    SELECT DISTINCT 'function', pn.nspname::text, pr.proname::text,
           COALESCE((SELECT string_agg(pg_catalog.format_type(ft.oid, NULL), ', ' ORDER BY fa.ord)
                     FROM unnest(pr.proargtypes::oid[]) WITH ORDINALITY AS fa(typ, ord)
                     JOIN pg_catalog.pg_type ft ON ft.oid = fa.typ), '')
    FROM pg_catalog.pg_rewrite rw
    JOIN pg_catalog.pg_depend d
      ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = rw.oid
     AND d.refclassid = 'pg_catalog.pg_proc'::regclass
    JOIN pg_catalog.pg_proc pr ON pr.oid = d.refobjid
    JOIN pg_catalog.pg_namespace pn ON pn.oid = pr.pronamespace
    WHERE rw.ev_class = c.oid AND pn.nspname <> 'pg_catalog'
    UNION
    SELECT DISTINCT CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' ELSE 'type' END,
           tn.nspname::text, t.typname::text, ''
    FROM pg_catalog.pg_depend d
    JOIN pg_catalog.pg_type t0 ON t0.oid = d.refobjid
    JOIN pg_catalog.pg_type t
      ON t.oid = CASE WHEN t0.typcategory = 'A' AND t0.typelem <> 0 THEN t0.typelem ELSE t0.oid END
    JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
    CROSS JOIN LATERAL (
        -- Two index lookups, not one OR that would scan pg_depend once per view.
        SELECT 'pg_catalog.pg_class'::regclass AS cls, c.oid AS obj
        UNION ALL
        SELECT 'pg_catalog.pg_rewrite'::regclass, rw.oid
        FROM pg_catalog.pg_rewrite rw WHERE rw.ev_class = c.oid
    ) o
    WHERE d.classid = o.cls AND d.objid = o.obj
      AND d.refclassid = 'pg_catalog.pg_type'::regclass
      AND tn.nspname <> 'pg_catalog' AND t.typrelid = 0
  ) x
) deps
WHERE c.relkind IN ('v', 'm')
  AND n.nspname::text = ANY($1::text[])
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                  WHERE e.classid = 'pg_catalog.pg_class'::regclass AND e.objid = c.oid
                    AND e.deptype = 'e')
