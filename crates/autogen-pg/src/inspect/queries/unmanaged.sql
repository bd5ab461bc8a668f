-- Objects of kinds autogen does not manage (aggregates, default privileges, ...), in every schema
-- but the system ones, plus the tables, sequences and types of every schema, so the caller can
-- tell a schema no service owns. Objects an extension created are skipped. The system schemas
-- are left out first: pg_catalog alone holds thousands of functions, whose identity arguments
-- would otherwise be formatted only to be thrown away.
WITH ns AS (
    SELECT oid, nspname FROM pg_catalog.pg_namespace
    WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'
), objects AS (
    SELECT c.relnamespace AS ns, c.oid, 'pg_catalog.pg_class'::regclass AS cls,
           CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'S' THEN 'sequence'
                          WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                          WHEN 'f' THEN 'foreign table' WHEN 'c' THEN 'composite type' END AS kind,
           c.relname::text AS name
    FROM pg_catalog.pg_class c JOIN ns ON ns.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'S', 'v', 'm', 'f', 'c') AND NOT c.relispartition
  UNION ALL
    SELECT p.pronamespace, p.oid, 'pg_catalog.pg_proc'::regclass,
           -- Languages internal and c have the fixed oids 12 and 13 (pg_language.dat); a body
           -- in them is a library symbol, which no model carries.
           CASE WHEN p.prokind = 'a' THEN 'aggregate'
                WHEN p.prokind = 'w' THEN 'window function'
                WHEN p.prolang IN (12, 13) THEN
                     CASE p.prokind WHEN 'p' THEN 'C procedure' ELSE 'C function' END
                WHEN p.prokind = 'p' THEN 'procedure' ELSE 'function' END,
           p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')'
    FROM pg_catalog.pg_proc p JOIN ns ON ns.oid = p.pronamespace
  UNION ALL
    -- A partition's clone of its parent's trigger comes with the parent's (tgparentid, read
    -- through jsonb as it is new in PostgreSQL 13).
    SELECT c.relnamespace, t.oid, 'pg_catalog.pg_trigger'::regclass,
           CASE WHEN c.relispartition THEN 'trigger on a partition'
                WHEN c.relkind IN ('r', 'p', 'v') THEN 'trigger'
                ELSE 'trigger on a foreign table' END,
           t.tgname || ' on ' || c.relname
    FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
    JOIN ns ON ns.oid = c.relnamespace
    WHERE NOT t.tgisinternal
      AND COALESCE((pg_catalog.to_jsonb(t) ->> 'tgparentid')::oid, 0) = 0
  UNION ALL
    SELECT c.relnamespace, p.oid, 'pg_catalog.pg_policy'::regclass,
           CASE WHEN c.relispartition THEN 'policy on a partition' ELSE 'policy' END,
           p.polname || ' on ' || c.relname
    FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
    JOIN ns ON ns.oid = c.relnamespace
  UNION ALL
    -- ALTER DEFAULT PRIVILEGES ... IN SCHEMA: what objects created later are given.
    SELECT d.defaclnamespace, d.oid, 'pg_catalog.pg_default_acl'::regclass, 'default privileges',
           'for new ' ||
           CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences'
                                WHEN 'f' THEN 'functions' WHEN 'T' THEN 'types'
                                ELSE 'schemas' END
           || ' by ' || pg_catalog.pg_get_userbyid(d.defaclrole)::text
    FROM pg_catalog.pg_default_acl d JOIN ns ON ns.oid = d.defaclnamespace
  UNION ALL
    SELECT t.typnamespace, t.oid, 'pg_catalog.pg_type'::regclass,
           CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' WHEN 'r' THEN 'range type'
                          ELSE 'base type' END,
           t.typname::text
    FROM pg_catalog.pg_type t JOIN ns ON ns.oid = t.typnamespace
    WHERE t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'b' AND t.typelem = 0 AND t.typrelid = 0
                                           AND t.typnamespace <> 'pg_catalog'::regnamespace)
)
SELECT n.nspname::text AS schema, o.kind, o.name
FROM objects o JOIN ns n ON n.oid = o.ns
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = o.cls AND d.objid = o.oid AND d.deptype = 'e')
ORDER BY 1, 2, 3
