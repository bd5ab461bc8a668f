-- Ordinary and partitioned tables; partitions themselves are not separate model objects.
-- relnatts counts dropped columns too: an upper bound of the columns to come.
SELECT n.nspname::text AS schema, c.relname::text AS name, c.relnatts::int4 AS column_slots,
       c.relrowsecurity AS rls, c.relforcerowsecurity AS force_rls,
       descr.description AS comment
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_description descr
       ON descr.objoid = c.oid AND descr.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
      AND descr.objsubid = 0
WHERE c.relkind IN ('r', 'p')
  AND NOT c.relispartition
  AND n.nspname::text = ANY($1::text[])
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::regclass
                    AND d.objid = c.oid AND d.deptype = 'e')
