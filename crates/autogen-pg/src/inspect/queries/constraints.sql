-- Column lists are resolved to names in key order; exclusion elements come from the index that
-- enforces the constraint, with their operators.
SELECT n.nspname::text AS schema, c.relname::text AS table_name,
       con.conname::text AS name, con.contype::text AS kind,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
             ORDER BY k.ord) AS columns,
       rn.nspname::text AS ref_schema, rc.relname::text AS ref_table,
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
             ORDER BY k.ord) AS ref_columns,
       con.confupdtype::text AS on_update, con.confdeltype::text AS on_delete,
       con.confmatchtype::text AS match_type,
       con.condeferrable AS deferrable, con.condeferred AS deferred,
       CASE WHEN con.contype = 'c' THEN pg_get_expr(con.conbin, con.conrelid, true) END AS check_expr,
       COALESCE(i.indnullsnotdistinct, false) AS nulls_not_distinct,
       am.amname::text AS method,
       CASE WHEN con.contype = 'x' THEN
         ARRAY(SELECT a.attname::text FROM generate_series(1, i.indnkeyatts) k
               LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k - 1]
               ORDER BY k)
       END AS exclusion_columns,
       CASE WHEN con.contype = 'x' THEN
         ARRAY(SELECT pg_get_indexdef(con.conindid, k, true) FROM generate_series(1, i.indnkeyatts) k ORDER BY k)
       END AS exclusion_keys,
       CASE WHEN con.contype = 'x' THEN
         ARRAY(SELECT o.oprname::text FROM unnest(con.conexclop) WITH ORDINALITY x(op, ord)
               JOIN pg_catalog.pg_operator o ON o.oid = x.op ORDER BY x.ord)
       END AS exclusion_ops,
       CASE WHEN con.contype = 'x' THEN pg_get_expr(i.indpred, i.indrelid, true) END AS exclusion_where
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = con.conindid AND con.contype IN ('u', 'x', 'p')
LEFT JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
LEFT JOIN pg_catalog.pg_am am ON am.oid = ic.relam
WHERE con.contype IN ('p', 'u', 'c', 'f', 'x')
  AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname::text = ANY($1::text[])
  AND con.conparentid = 0
