-- Views and materialized views that read the given columns, tables or types: Postgres refuses
-- to change a column's type, drop a column or table, or drop a type under them. $1..$3 name
-- columns (schema, table, column; an empty column means any column of the table), $4..$5
-- types (schema, name). One row per view and what it reads, the view's definition with it.
WITH cols AS (
    SELECT c.oid AS rel, a.attnum, x.sch, x.tab, x.col
    FROM unnest($1::text[], $2::text[], $3::text[]) AS x(sch, tab, col)
    JOIN pg_catalog.pg_namespace n ON n.nspname = x.sch
    JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = x.tab
    LEFT JOIN pg_catalog.pg_attribute a
      ON a.attrelid = c.oid AND a.attname = x.col AND NOT a.attisdropped
    WHERE x.col = '' OR a.attnum IS NOT NULL
), typs AS (
    SELECT t.oid AS typ, x.sch, x.name
    FROM unnest($4::text[], $5::text[]) AS x(sch, name)
    JOIN pg_catalog.pg_namespace n ON n.nspname = x.sch
    JOIN pg_catalog.pg_type t ON t.typnamespace = n.oid AND t.typname = x.name
), uses AS (
    SELECT DISTINCT r.ev_class AS view, cols.sch, cols.tab, cols.col AS what
    FROM cols
    JOIN pg_catalog.pg_depend d
      ON d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid = cols.rel
     AND (cols.col = '' OR d.refobjsubid = cols.attnum)
     AND d.classid = 'pg_catalog.pg_rewrite'::regclass
    JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid
    WHERE r.ev_class <> cols.rel
  UNION
    SELECT DISTINCT r.ev_class, typs.sch, typs.name, '#type'
    FROM typs
    JOIN pg_catalog.pg_depend d
      ON d.refclassid = 'pg_catalog.pg_type'::regclass AND d.refobjid = typs.typ
     AND d.classid = 'pg_catalog.pg_rewrite'::regclass
    JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid
)
SELECT vn.nspname::text, v.relname::text, v.relkind = 'm',
       uses.sch, uses.tab, uses.what,
       pg_catalog.pg_get_viewdef(v.oid, true)
FROM uses
JOIN pg_catalog.pg_class v ON v.oid = uses.view
JOIN pg_catalog.pg_namespace vn ON vn.oid = v.relnamespace
ORDER BY 1, 2, 4, 5, 6
