-- Indexes that do not enforce a constraint. Per key: the column name (NULL for an expression),
-- the expression text (only for an expression), the operator class unless it is the type's
-- default, the collation unless it is the column's, and the DESC / NULLS FIRST flags from
-- indoption. All per-key arrays come from one lateral subquery: one pass over the keys of each
-- index instead of one per array.
SELECT n.nspname::text AS schema, c.relname::text AS table_name,
       ic.relname::text AS name, i.indisunique AS is_unique, am.amname::text AS method,
       keys.key_columns, keys.key_exprs, keys.opclasses, keys.collations, keys.options,
       ARRAY(SELECT a.attname::text FROM generate_series(i.indnkeyatts + 1, i.indnatts) k
             JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k - 1]
             ORDER BY k) AS include,
       pg_get_expr(i.indpred, i.indrelid, true) AS predicate,
       COALESCE(i.indnullsnotdistinct, false) AS nulls_not_distinct
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
CROSS JOIN LATERAL (
  SELECT array_agg(a.attname::text ORDER BY k) AS key_columns,
         array_agg(CASE WHEN i.indkey[k - 1] = 0 THEN pg_get_indexdef(i.indexrelid, k, true) END
                   ORDER BY k) AS key_exprs,
         array_agg(CASE WHEN oc.opcdefault THEN NULL
                        WHEN ocn.nspname = 'pg_catalog' THEN oc.opcname::text
                        ELSE quote_ident(ocn.nspname) || '.' || quote_ident(oc.opcname) END
                   ORDER BY k) AS opclasses,
         array_agg(CASE WHEN i.indcollation[k - 1] = 0
                          OR i.indcollation[k - 1] = COALESCE(a.attcollation, 0)
                          OR (a.attnum IS NULL AND i.indcollation[k - 1] = 100) THEN NULL
                        WHEN con.nspname = 'pg_catalog' THEN co.collname::text
                        ELSE quote_ident(con.nspname) || '.' || quote_ident(co.collname) END
                   ORDER BY k) AS collations,
         array_agg(i.indoption[k - 1]::int4 ORDER BY k) AS options
  FROM generate_series(1, i.indnkeyatts) k
  LEFT JOIN pg_catalog.pg_attribute a
         ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k - 1] AND i.indkey[k - 1] <> 0
  JOIN pg_catalog.pg_opclass oc ON oc.oid = i.indclass[k - 1]
  JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace
  LEFT JOIN pg_catalog.pg_collation co ON co.oid = i.indcollation[k - 1]
  LEFT JOIN pg_catalog.pg_namespace con ON con.oid = co.collnamespace
) keys
WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
  AND n.nspname::text = ANY($1::text[])
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid)
