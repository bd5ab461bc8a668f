//! Services depend on each other through foreign keys and types. Run one service alone
//! (`--service S`) and the other side may be missing: checked before anything runs, so that
//! `upgrade` names the service to upgrade first instead of Postgres's `schema "users" does not
//! exist`, and `downgrade` never stops half-way on another service's foreign key.

use crate::config::Project;
use crate::error::Error;
use crate::migrate::files::Migration;
use crate::migrate::load_streams;
use crate::migrate::models::owned_schemas;
use crate::migrate::{head_schema, snapshot_at};
use autogen_model::ir::quote::qname;
use autogen_model::ir::{BaseType, QName, Schema};
use autogen_pg::conn::error_text;
use autogen_pg::inspect::existing;
use postgres::Client;
use std::collections::{BTreeMap, BTreeSet};

/// Each schema of the project with the service that owns it.
fn owners(project: &Project) -> Result<BTreeMap<String, String>, Error> {
    let mut out = BTreeMap::new();
    for st in load_streams(project, &project.services)? {
        let head = head_schema(project, &st)?;
        for s in owned_schemas(&st.service, &head, &head) {
            out.insert(s, st.service.name.clone());
        }
    }
    Ok(out)
}

/// What `schema` references in schemas other than `own`: tables (foreign keys) and types.
fn references(schema: &Schema, own: &BTreeSet<String>) -> (BTreeSet<QName>, BTreeSet<QName>) {
    let mut tables = BTreeSet::new();
    let mut types = BTreeSet::new();
    for t in schema.tables.values() {
        for fk in t.foreign_keys.values() {
            if !own.contains(&fk.ref_table.schema) {
                tables.insert(fk.ref_table.clone());
            }
        }
        for c in t.columns.values() {
            if let BaseType::User(q) = &c.ty.base {
                if !own.contains(&q.schema) {
                    types.insert(q.clone());
                }
            }
        }
    }
    (tables, types)
}

/// For `upgrade --service`: each pending migration of `todo` that references a table or type
/// another service of the project creates, which the database does not have yet.
pub fn unmet(
    project: &Project,
    todo: &[Migration],
    client: &mut Client,
) -> Result<Vec<String>, Error> {
    let owners = owners(project)?;
    // (migration, referenced object, its owner), asked of the database in one query.
    let mut needs = Vec::new();
    let (mut relations, mut types) = (Vec::new(), Vec::new());
    for m in todo {
        let snapshot = snapshot_at(project, &m.service, &m.version)?;
        let own: BTreeSet<String> = owners
            .iter()
            .filter(|(_, o)| **o == m.service)
            .map(|(s, _)| s.clone())
            .collect();
        let (tables, used_types) = references(&snapshot, &own);
        for (q, relation) in tables
            .iter()
            .map(|q| (q, true))
            .chain(used_types.iter().map(|q| (q, false)))
        {
            // The platform's (`auth.users`) or another tool's objects are not ours to order.
            if let Some(owner) = owners.get(&q.schema) {
                let list = if relation { &mut relations } else { &mut types };
                list.push(qname(q));
                needs.push((m, q.clone(), owner.clone()));
            }
        }
    }
    let present = existing(client, &relations, &types)?;
    Ok(needs
        .into_iter()
        .filter(|(_, q, _)| !present.contains(&qname(q)))
        .map(|(m, q, owner)| {
            format!(
                "{} {} needs `{q}`, which service `{owner}` creates and this database does not \
                 have yet: run `autogen upgrade --service {owner}` first (or `autogen upgrade` \
                 for every service)",
                m.service,
                m.name()
            )
        })
        .collect())
}

/// What reverting `todo` (newest first) removes: tables, types, and columns of tables that stay.
fn removed(
    project: &Project,
    todo: &[Migration],
) -> Result<Vec<(&'static str, String, String)>, Error> {
    let mut out = Vec::new();
    for m in todo {
        let now = snapshot_at(project, &m.service, &m.version)?;
        let parent = match &m.parent {
            Some(p) => snapshot_at(project, &m.service, p)?,
            None => Schema::default(),
        };
        for (q, t) in &now.tables {
            match parent.tables.get(q) {
                None => out.push(("r", qname(q), String::new())),
                Some(before) => {
                    for c in t
                        .columns
                        .keys()
                        .filter(|c| !before.columns.contains_key(*c))
                    {
                        out.push(("r", qname(q), c.clone()));
                    }
                    // A unique key another table's foreign key uses goes with its index.
                    let keys = t
                        .primary_key
                        .iter()
                        .map(|k| &k.name)
                        .chain(t.uniques.keys());
                    for k in keys {
                        let kept = before.primary_key.as_ref().is_some_and(|p| &p.name == k)
                            || before.uniques.contains_key(k);
                        if !kept {
                            out.push((
                                "r",
                                qname(&QName::new(q.schema.clone(), k.clone())),
                                String::new(),
                            ));
                        }
                    }
                }
            }
        }
        let types = now.enums.keys().filter(|q| !parent.enums.contains_key(*q));
        let domains = now
            .domains
            .keys()
            .filter(|q| !parent.domains.contains_key(*q));
        for q in types.chain(domains) {
            out.push(("t", qname(q), String::new()));
        }
    }
    Ok(out)
}

/// For `downgrade`: objects in schemas of services that `todo` does not revert which depend on
/// what it removes (another service's foreign key, a column of its type, a view), each as
/// `what depends` and `on what`.
pub fn blocking(
    project: &Project,
    todo: &[Migration],
    client: &mut Client,
) -> Result<Vec<(String, String)>, Error> {
    let targets = removed(project, todo)?;
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let owners = owners(project)?;
    let reverted: BTreeSet<&str> = todo.iter().map(|m| m.service.as_str()).collect();
    let spared: Vec<String> = owners
        .iter()
        .filter(|(_, o)| reverted.contains(o.as_str()))
        .map(|(s, _)| s.clone())
        .collect();
    let kinds: Vec<&str> = targets.iter().map(|t| t.0).collect();
    let names: Vec<&str> = targets.iter().map(|t| t.1.as_str()).collect();
    let columns: Vec<&str> = targets.iter().map(|t| t.2.as_str()).collect();
    let rows = client
        .query(BLOCKING, &[&kinds, &names, &columns, &spared])
        .map_err(|e| Error::migration(error_text(&e), "check the connection"))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Normal dependencies (`pg_depend`) on the targets, from objects outside the spared schemas.
const BLOCKING: &str = "\
WITH target AS (
  SELECT t.name, t.col,
         CASE t.kind WHEN 'r' THEN 'pg_catalog.pg_class'::regclass ELSE 'pg_catalog.pg_type'::regclass END AS cls,
         CASE t.kind WHEN 'r' THEN to_regclass(t.name)::oid ELSE to_regtype(t.name)::oid END AS oid
  FROM unnest($1::text[], $2::text[], $3::text[]) AS t(kind, name, col)
), hit AS (
  SELECT DISTINCT d.classid, d.objid, d.objsubid, d.refclassid, d.refobjid,
         CASE WHEN t.col = '' THEN 0 ELSE d.refobjsubid END AS refsub
  FROM target t
  JOIN pg_catalog.pg_depend d ON d.refclassid = t.cls AND d.refobjid = t.oid
  WHERE d.deptype = 'n' AND t.oid IS NOT NULL
    AND (t.col = '' OR d.refobjsubid = (SELECT a.attnum FROM pg_catalog.pg_attribute a
                                        WHERE a.attrelid = t.oid AND a.attname = t.col))
)
SELECT pg_catalog.pg_describe_object(h.classid, h.objid, h.objsubid),
       pg_catalog.pg_describe_object(h.refclassid, h.refobjid, h.refsub)
FROM hit h
JOIN pg_catalog.pg_namespace n ON n.oid = CASE h.classid
  WHEN 'pg_catalog.pg_constraint'::regclass THEN (SELECT c.relnamespace FROM pg_catalog.pg_constraint k
       JOIN pg_catalog.pg_class c ON c.oid = k.conrelid WHERE k.oid = h.objid)
  WHEN 'pg_catalog.pg_rewrite'::regclass THEN (SELECT c.relnamespace FROM pg_catalog.pg_rewrite r
       JOIN pg_catalog.pg_class c ON c.oid = r.ev_class WHERE r.oid = h.objid)
  WHEN 'pg_catalog.pg_class'::regclass THEN (SELECT relnamespace FROM pg_catalog.pg_class WHERE oid = h.objid)
  WHEN 'pg_catalog.pg_type'::regclass THEN (SELECT typnamespace FROM pg_catalog.pg_type WHERE oid = h.objid)
  WHEN 'pg_catalog.pg_proc'::regclass THEN (SELECT pronamespace FROM pg_catalog.pg_proc WHERE oid = h.objid)
  WHEN 'pg_catalog.pg_attrdef'::regclass THEN (SELECT c.relnamespace FROM pg_catalog.pg_attrdef a
       JOIN pg_catalog.pg_class c ON c.oid = a.adrelid WHERE a.oid = h.objid)
END
WHERE n.nspname <> ALL($4::text[])
ORDER BY 1, 2";
