-- plpgsql is installed in every database and is not the model's business.
SELECT e.extname::text AS name, n.nspname::text AS schema
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname <> 'plpgsql'
  AND n.nspname::text = ANY($1::text[])
ORDER BY 1
