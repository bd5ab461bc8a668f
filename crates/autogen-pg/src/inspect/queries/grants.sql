-- Privileges on the selected schemas' objects, one row per object, grantee and privilege, as
-- aclexplode reads their ACLs: schemas, tables, views, materialized views, sequences, their
-- columns, functions and procedures, enums and domains. An object without an ACL of its own
-- reads as acldefault (EXECUTE to PUBLIC on a function, USAGE on a type). The owner's own
-- privileges are implied and left out; grantee 0 is PUBLIC, read as `public`. A function is
-- named by its input argument types as functions.sql spells them.
WITH objects AS (
  SELECT 'schema' AS kind, n.nspname::text AS schema, ''::text AS name, ''::text AS sub,
         COALESCE(n.nspacl, pg_catalog.acldefault('n', n.nspowner)) AS acl, n.nspowner AS owner
  FROM pg_catalog.pg_namespace n
  WHERE n.nspname::text = ANY($1::text[]) AND n.nspacl IS NOT NULL
  UNION ALL
  SELECT CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view' WHEN 'm' THEN 'view'
              ELSE 'table' END,
         n.nspname::text, c.relname::text, '', c.relacl, c.relowner
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND c.relacl IS NOT NULL
    AND n.nspname::text = ANY($1::text[])
  UNION ALL
  SELECT 'column', n.nspname::text, c.relname::text, a.attname::text, a.attacl, c.relowner
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL
    AND n.nspname::text = ANY($1::text[])
  UNION ALL
  SELECT CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END,
         n.nspname::text, p.proname::text,
         COALESCE((SELECT string_agg(pg_catalog.format_type(t.oid, NULL), ', ' ORDER BY a.ord)
                   FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(typ, ord)
                   JOIN pg_catalog.pg_type t ON t.oid = a.typ), ''),
         COALESCE(p.proacl, pg_catalog.acldefault('f', p.proowner)), p.proowner
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  WHERE p.prokind IN ('f', 'p') AND n.nspname::text = ANY($1::text[])
  UNION ALL
  SELECT CASE t.typtype WHEN 'e' THEN 'enum' ELSE 'domain' END,
         n.nspname::text, t.typname::text, '',
         COALESCE(t.typacl, pg_catalog.acldefault('T', t.typowner)), t.typowner
  FROM pg_catalog.pg_type t
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
  WHERE t.typtype IN ('e', 'd') AND n.nspname::text = ANY($1::text[])
)
SELECT o.kind, o.schema, o.name, o.sub,
       CASE WHEN x.grantee = 0 THEN 'public' ELSE r.rolname::text END AS grantee,
       x.privilege_type::text AS privilege, x.is_grantable AS grantable
FROM objects o
CROSS JOIN LATERAL pg_catalog.aclexplode(o.acl) x
LEFT JOIN pg_catalog.pg_roles r ON r.oid = x.grantee
WHERE x.grantee <> o.owner AND (x.grantee = 0 OR r.rolname IS NOT NULL)
