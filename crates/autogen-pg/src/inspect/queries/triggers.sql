-- Triggers on tables and views (not the internal ones Postgres makes for foreign keys, nor the
-- clones a partitioned table's trigger gets on its partitions), each with its parts as the
-- catalog stores them: timing, events and level as tgtype's bits, the UPDATE OF columns, the
-- function (qualified), its arguments (tgargs, NUL-separated), a constraint trigger's
-- deferrable state and FROM table, the transition tables, the enabled state, the comment, and
-- pg_get_triggerdef, from which the WHEN condition is read as Postgres prints it. Read with an
-- empty search_path, so every name in it is qualified.
SELECT n.nspname::text AS schema, c.relname::text AS relation, t.tgname::text AS name,
       t.tgtype::int4 AS tgtype, t.tgenabled::text AS enabled,
       COALESCE((SELECT array_agg(a.attname::text ORDER BY k.ord)
                 FROM unnest(t.tgattr::int2[]) WITH ORDINALITY AS k(num, ord)
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = k.num),
                '{}') AS columns,
       t.tgnargs::int4 AS nargs, t.tgargs AS args,
       fn.nspname::text AS function_schema, p.proname::text AS function_name,
       t.tgconstraint <> 0 AS is_constraint, t.tgdeferrable AS deferrable,
       t.tginitdeferred AS initially_deferred,
       rn.nspname::text AS from_schema, r.relname::text AS from_name,
       t.tgoldtable::text AS old_table, t.tgnewtable::text AS new_table,
       pg_catalog.pg_get_triggerdef(t.oid) AS definition,
       d.description AS comment
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
JOIN pg_catalog.pg_namespace fn ON fn.oid = p.pronamespace
LEFT JOIN pg_catalog.pg_class r ON r.oid = t.tgconstrrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = t.oid AND d.classoid = 'pg_catalog.pg_trigger'::pg_catalog.regclass
WHERE NOT t.tgisinternal AND t.tgparentid = 0
  AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
  AND n.nspname::text = ANY($1::text[])
