-- Functions and procedures (not aggregates, window functions, or functions in C or internal,
-- whose body is a symbol in a shared library no model can carry: the unmanaged listing names
-- them), each with its argument list and result as Postgres prints
-- them (read with the empty search_path the inspector sets, so every type outside pg_catalog is
-- qualified), its input argument types (its identity with the name), body, attributes,
-- comment, and the relations and user types its signature and a SQL-standard body use, from
-- pg_depend (an array type stands for its element, a relation's row type for the relation).
-- Objects an extension created are skipped.
SELECT n.nspname::text AS schema, p.proname::text AS name, p.prokind = 'p' AS procedure,
       pg_catalog.pg_get_function_arguments(p.oid) AS arguments,
       COALESCE((SELECT string_agg(pg_catalog.format_type(t.oid, NULL), ', ' ORDER BY a.ord)
                 FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(typ, ord)
                 JOIN pg_catalog.pg_type t ON t.oid = a.typ), '') AS signature,
       CASE WHEN p.prokind <> 'p' THEN pg_catalog.pg_get_function_result(p.oid) END AS returns,
       l.lanname::text AS language,
       CASE WHEN p.prosqlbody IS NOT NULL THEN pg_catalog.pg_get_function_sqlbody(p.oid)
            ELSE p.prosrc END AS body,
       p.prosqlbody IS NOT NULL AS sql_body,
       p.provolatile::text AS volatility, p.proisstrict AS strict, p.prosecdef AS security_definer,
       p.proleakproof AS leakproof, p.proparallel::text AS parallel,
       p.procost::text AS cost, p.prorows::text AS rows,
       COALESCE(p.proconfig, '{}')::text[] AS config,
       d.description AS comment,
       deps.kinds AS dep_kinds, deps.schemas AS dep_schemas, deps.names AS dep_names
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = p.oid AND d.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objsubid = 0
CROSS JOIN LATERAL (
  SELECT COALESCE(array_agg(x.kind ORDER BY x.kind, x.sch, x.nm), '{}') AS kinds,
         COALESCE(array_agg(x.sch ORDER BY x.kind, x.sch, x.nm), '{}') AS schemas,
         COALESCE(array_agg(x.nm ORDER BY x.kind, x.sch, x.nm), '{}') AS names
  FROM (
    SELECT DISTINCT
           CASE WHEN r.oid IS NOT NULL THEN
                     CASE r.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized_view' ELSE 'table' END
                WHEN t.typtype = 'e' THEN 'enum' WHEN t.typtype = 'd' THEN 'domain' ELSE 'type' END AS kind,
           tn.nspname::text AS sch, COALESCE(r.relname, t.typname)::text AS nm
    FROM pg_catalog.pg_depend dp
    JOIN pg_catalog.pg_type t0 ON t0.oid = dp.refobjid
    JOIN pg_catalog.pg_type t
      ON t.oid = CASE WHEN t0.typcategory = 'A' AND t0.typelem <> 0 THEN t0.typelem ELSE t0.oid END
    JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
    LEFT JOIN pg_catalog.pg_class r ON r.oid = t.typrelid AND t.typrelid <> 0
    WHERE dp.classid = 'pg_catalog.pg_proc'::regclass AND dp.objid = p.oid
      AND dp.refclassid = 'pg_catalog.pg_type'::regclass AND tn.nspname <> 'pg_catalog'
    UNION
    SELECT CASE r.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized_view' ELSE 'table' END,
           rn.nspname::text, r.relname::text
    FROM pg_catalog.pg_depend dp
    JOIN pg_catalog.pg_class r ON r.oid = dp.refobjid
    JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
    WHERE dp.classid = 'pg_catalog.pg_proc'::regclass AND dp.objid = p.oid
      AND dp.refclassid = 'pg_catalog.pg_class'::regclass
  ) x
) deps
WHERE p.prokind IN ('f', 'p') AND l.lanname NOT IN ('c', 'internal')
  AND n.nspname::text = ANY($1::text[])
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                  WHERE e.classid = 'pg_catalog.pg_proc'::regclass AND e.objid = p.oid
                    AND e.deptype = 'e')
