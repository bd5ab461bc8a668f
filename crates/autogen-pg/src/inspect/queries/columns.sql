-- Array columns report their element type; the typmod applies to the element. Comments come
-- from a join, not col_description(): that function runs a query of its own for every column.
SELECT n.nspname::text AS schema, c.relname::text AS table_name,
       a.attname::text AS name, a.attnum::int4 AS position,
       et_n.nspname::text AS type_schema, et.typname::text AS type_name,
       (t.typcategory = 'A' AND t.typelem <> 0) AS is_array,
       a.atttypmod AS typmod,
       NOT a.attnotnull AS nullable,
       CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid, true) END AS default_expr,
       CASE WHEN a.attgenerated = 's' THEN pg_get_expr(ad.adbin, ad.adrelid, true) END AS generated_expr,
       a.attidentity::text AS identity,
       CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0 THEN
            CASE WHEN co_n.nspname = 'pg_catalog' THEN co.collname::text
                 ELSE quote_ident(co_n.nspname) || '.' || quote_ident(co.collname) END
       END AS collation,
       d.description AS comment
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
JOIN pg_catalog.pg_type et ON et.oid = CASE WHEN t.typcategory = 'A' AND t.typelem <> 0 THEN t.typelem ELSE t.oid END
JOIN pg_catalog.pg_namespace et_n ON et_n.oid = et.typnamespace
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = a.attrelid AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
      AND d.objsubid = a.attnum
LEFT JOIN pg_catalog.pg_namespace co_n ON co_n.oid = co.collnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND a.attnum > 0 AND NOT a.attisdropped
  AND n.nspname::text = ANY($1::text[])
-- Each table's columns in their order; tables in any order (they are found by name), which
-- sorts integers instead of names.
ORDER BY a.attrelid, a.attnum
