//! Normalization: a model is created in a scratch database and read back with the
//! inspector, so its defaults, CHECKs, predicates and generated expressions read exactly as
//! Postgres stores them (`amount*2` becomes `(amount * (2)::numeric)`).
//!
//! Input: a model schema and the URL of a server where autogen may create a database. Output:
//! the same schema, normalized by Postgres, with the model's rename hints kept. The scratch
//! database is dropped whether or not normalization succeeds.

use super::ScratchDb;
use crate::apply::apply_scratch;
use crate::diff::{Change, diff};
use crate::error::Error;
use crate::filter::SchemaFilter;
use crate::inspect::{error_text, inspect};
use crate::ir::{BaseType, QName, Schema};
use crate::plan::plan;
use crate::render::RenderOptions;
use crate::render::quote::{column_type, ident, ident_list, qname};
use std::collections::{BTreeMap, BTreeSet};

/// Referenced column names and the SQL types of the columns that reference them.
type KeyColumns = (Vec<String>, Vec<String>);

/// Normalizes `model` through a scratch database on the server at `dev_url`.
pub fn normalize(model: &Schema, dev_url: &str) -> Result<Schema, Error> {
    let db = ScratchDb::create(dev_url, "autogen_shadow")?;
    let mut client = db.connect()?;
    let own: BTreeSet<String> = crate::model::model_schemas(model);
    let mut stub = String::new();
    // Schemas the model points into but does not own (`auth` for `auth.users`): created bare.
    let mut external: BTreeSet<String> = model
        .extensions
        .values()
        .map(|e| e.schema.clone())
        .collect();
    let mut targets: BTreeMap<QName, Vec<KeyColumns>> = BTreeMap::new();
    for t in model.tables.values() {
        for fk in t.foreign_keys.values() {
            if !model.tables.contains_key(&fk.ref_table) {
                external.insert(fk.ref_table.schema.clone());
                let types = fk
                    .columns
                    .iter()
                    .map(|c| {
                        t.columns
                            .get(c)
                            .map(|c| column_type(&c.ty))
                            .unwrap_or_else(|| "text".into())
                    })
                    .collect();
                targets
                    .entry(fk.ref_table.clone())
                    .or_default()
                    .push((fk.ref_columns.clone(), types));
            }
        }
    }
    for s in external.iter().filter(|s| !own.contains(*s)) {
        stub.push_str(&format!("CREATE SCHEMA IF NOT EXISTS {};\n", ident(s)));
    }
    client
        .batch_execute(&stub)
        .map_err(|e| Error::Shadow(format!("cannot prepare stub schemas: {}", error_text(&e))))?;
    // Extensions first, so their types exist before the stubs are decided.
    let changes = diff(&Schema::default(), model);
    let (early, rest): (Vec<Change>, Vec<Change>) = changes
        .into_iter()
        .partition(|c| matches!(c, Change::CreateSchema(_) | Change::CreateExtension(_)));
    let opts = RenderOptions::default();
    apply_scratch(&mut client, &plan(early), &opts)
        .map_err(|e| Error::Shadow(format!("the model cannot be created: {e}")))?;
    let mut stub = String::new();
    let mut seen_types = BTreeSet::new();
    let used = model
        .tables
        .values()
        .flat_map(|t| t.columns.values().map(|c| &c.ty.base))
        .chain(model.domains.values().map(|d| &d.base.base));
    for base in used {
        {
            if let BaseType::User(q) = base {
                if !model.enums.contains_key(q)
                    && !model.domains.contains_key(q)
                    && seen_types.insert(q.clone())
                {
                    let exists: bool = client
                        .query_one("SELECT to_regtype($1) IS NOT NULL", &[&qname(q)])
                        .map(|r| r.get(0))
                        .map_err(|e| Error::Shadow(error_text(&e)))?;
                    if !exists {
                        // A type managed elsewhere: a domain stands in, so the table can exist.
                        stub.push_str(&format!(
                            "CREATE SCHEMA IF NOT EXISTS {};\nCREATE DOMAIN {} AS text;\n",
                            ident(&q.schema),
                            qname(q)
                        ));
                    }
                }
            }
        }
    }
    for (table, keys) in &targets {
        let mut cols: Vec<String> = Vec::new();
        let mut defs = Vec::new();
        for (names, types) in keys {
            for (n, t) in names.iter().zip(types) {
                if !cols.contains(n) {
                    cols.push(n.clone());
                    defs.push(format!("{} {t}", ident(n)));
                }
            }
        }
        for (names, _) in keys {
            defs.push(format!("UNIQUE ({})", ident_list(names)));
        }
        stub.push_str(&format!(
            "CREATE TABLE IF NOT EXISTS {} ({});\n",
            qname(table),
            defs.join(", ")
        ));
    }
    client.batch_execute(&stub).map_err(|e| {
        Error::Shadow(format!(
            "cannot create stand-ins for objects the model references: {}",
            error_text(&e)
        ))
    })?;
    apply_scratch(&mut client, &plan(rest), &opts)
        .map_err(|e| Error::Shadow(format!("the model cannot be created: {e}")))?;
    let filter = SchemaFilter {
        include: own.into_iter().collect(),
        exclude: Vec::new(),
    };
    let mut normalized = inspect(&mut client, &filter)?;
    normalized.extensions = model.extensions.clone();
    normalized.hints = model.hints.clone();
    Ok(normalized)
}
