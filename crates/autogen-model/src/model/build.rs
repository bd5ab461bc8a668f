//! Semantic validation and conversion of parsed model files into the IR.

use super::context::{Ctx, Origin, check_ident};
use super::doc::{FileDoc, Flex};
use super::table::convert_table;
use crate::error::ModelError;
use crate::ir::{self, Enum, Extension, Namespace, QName, Schema, Sequence};
use std::collections::BTreeMap;
use std::path::PathBuf;

pub(crate) fn build(docs: &[(PathBuf, FileDoc)]) -> Result<Schema, ModelError> {
    let mut ctx = Ctx {
        schema: Schema::default(),
        relations: BTreeMap::new(),
        types: BTreeMap::new(),
        declared_schemas: BTreeMap::new(),
        pending_sequences: Vec::new(),
        table_origins: BTreeMap::new(),
        function_keys: BTreeMap::new(),
    };
    // Pass 1: schemas, extensions, enums and sequences, so tables in any file can use them.
    for (path, doc) in docs {
        let schema = doc.schema.clone().unwrap_or_else(|| "public".into());
        let at = Origin::file(path);
        check_ident(&schema, "schema", &at)?;
        ctx.declared_schemas
            .entry(schema.clone())
            .or_insert_with(|| at.clone());
        // `public` exists in every database; it is never created or dropped, only filled.
        if schema != "public" {
            let ns = ctx
                .schema
                .schemas
                .entry(schema.clone())
                .or_insert(Namespace {
                    name: schema.clone(),
                    comment: None,
                    grants: Default::default(),
                });
            if doc.comment.is_some() {
                if ns.comment.is_some() && ns.comment != doc.comment {
                    return Err(at.error(
                        format!("schema `{schema}` has two different comments"),
                        "keep the comment in one file",
                    ));
                }
                ns.comment = doc.comment.clone();
            }
        }
        for Flex(ext) in &doc.extensions {
            check_ident(&ext.name, "extension", &at)?;
            let e = Extension {
                name: ext.name.clone(),
                schema: ext.schema.clone().unwrap_or_else(|| schema.clone()),
            };
            if let Some(prev) = ctx.schema.extensions.get(&ext.name) {
                if prev != &e {
                    return Err(at.error(
                        format!(
                            "extension `{}` is declared in schema `{}` and in schema `{}`",
                            e.name, prev.schema, e.schema
                        ),
                        "an extension lives in one schema: declare it once",
                    ));
                }
            }
            ctx.schema.extensions.insert(ext.name.clone(), e);
        }
        for (name, spanned) in &doc.enums {
            let at = Origin::of(path, spanned);
            let Flex(e) = &spanned.value;
            check_ident(name, "enum", &at)?;
            let q = QName::new(schema.clone(), name.clone());
            if let Some(prev) = ctx.types.get(&q) {
                return Err(at.error(
                    format!("enum `{q}` is also declared at {}", prev.describe()),
                    "declare each enum once",
                ));
            }
            let mut seen = BTreeMap::new();
            for v in &e.values {
                check_ident(v, &format!("value of enum `{q}`"), &at)?;
                if seen.insert(v.clone(), ()).is_some() {
                    return Err(at.error(
                        format!("enum `{q}` lists the value `{v}` twice"),
                        "list each value once",
                    ));
                }
            }
            if e.values.is_empty() {
                return Err(at.error(
                    format!("enum `{q}` has no values"),
                    "list at least one value",
                ));
            }
            for (new, old) in &e.renamed_values {
                if !e.values.contains(new) {
                    return Err(at.error(format!("enum `{q}`: `renamed_values` names `{new}`, which is not one of its values"), "the key is the new value's name, the value the old one"));
                }
                ctx.schema
                    .hints
                    .enum_values
                    .insert((q.clone(), new.clone()), old.clone());
            }
            for (removed, replacement) in &e.remap {
                if !e.values.contains(replacement) {
                    return Err(at.error(format!("enum `{q}`: `remap` sends `{removed}` to `{replacement}`, which is not one of its values"), "remap a removed value to a value the enum keeps"));
                }
                ctx.schema
                    .hints
                    .enum_remap
                    .insert((q.clone(), removed.clone()), replacement.clone());
            }
            if let Some(old) = &e.renamed_from {
                let old_q = QName::parse(old, &schema).ok_or_else(|| {
                    at.error(
                        format!("`renamed_from: {old}` is not a valid name"),
                        "write `name` or `schema.name`",
                    )
                })?;
                ctx.schema.hints.enums.insert(q.clone(), old_q);
            }
            ctx.types.insert(q.clone(), at);
            ctx.schema.enums.insert(
                q.clone(),
                Enum {
                    name: q,
                    values: e.values.clone(),
                    comment: e.comment.clone(),
                    grants: Default::default(),
                },
            );
        }
        for (name, spanned) in &doc.sequences {
            let at = Origin::of(path, spanned);
            check_ident(name, "sequence", &at)?;
            let q = QName::new(schema.clone(), name.clone());
            ctx.claim_relation(q.clone(), "sequence", &at)?;
            let s = &spanned.value;
            let ty = match s.ty.as_deref().map(ir::ColumnType::parse) {
                None => "int8".to_string(),
                Some(Ok((
                    ir::ColumnType {
                        base: ir::BaseType::Builtin(n),
                        array: false,
                        ..
                    },
                    false,
                ))) if ["int2", "int4", "int8"].contains(&n.as_str()) => n,
                Some(_) => {
                    return Err(at.error(
                        format!(
                            "sequence `{q}` has type `{}`",
                            s.ty.as_deref().unwrap_or("")
                        ),
                        "a sequence's type is smallint, integer or bigint",
                    ));
                }
            };
            let mut seq = Sequence::with_defaults(q.clone(), &ty);
            seq.increment = s.increment.unwrap_or(1);
            if seq.increment == 0 {
                return Err(at.error(
                    format!("sequence `{q}` has increment 0"),
                    "use a non-zero increment",
                ));
            }
            if seq.increment < 0 {
                // Descending sequences count down from -1 by default, as in Postgres.
                seq.min_value = match ty.as_str() {
                    "int2" => i16::MIN as i64,
                    "int4" => i32::MIN as i64,
                    _ => i64::MIN,
                };
                seq.max_value = -1;
            }
            seq.min_value = s.min_value.unwrap_or(seq.min_value);
            seq.max_value = s.max_value.unwrap_or(seq.max_value);
            seq.start = s.start.unwrap_or(if seq.increment > 0 {
                seq.min_value
            } else {
                seq.max_value
            });
            seq.cache = s.cache.unwrap_or(1);
            seq.cycle = s.cycle;
            seq.comment = s.comment.clone();
            if seq.min_value >= seq.max_value
                || seq.start < seq.min_value
                || seq.start > seq.max_value
                || seq.cache < 1
            {
                return Err(at.error(format!("sequence `{q}` has inconsistent bounds (min {}, max {}, start {}, cache {})", seq.min_value, seq.max_value, seq.start, seq.cache), "make min < max, start within them, and cache at least 1"));
            }
            if let Some(owner) = &s.owned_by {
                ctx.pending_sequences.push((q.clone(), owner.clone(), at));
            }
            ctx.schema.sequences.insert(q, seq);
        }
    }
    // Pass 1b: domains, once every enum and domain name is known (a domain may be over either).
    super::domain::convert_domains(&mut ctx, docs)?;
    // Pass 2: tables.
    for (path, doc) in docs {
        let schema = doc.schema.clone().unwrap_or_else(|| "public".into());
        for (name, spanned) in &doc.tables {
            convert_table(&mut ctx, path, &schema, name, spanned)?;
        }
    }
    // Pass 2b: views, whose names share the relations' namespace.
    super::view::convert_views(&mut ctx, docs)?;
    // Pass 2c: functions, whose signatures may use the relations' row types.
    super::function::convert_functions(&mut ctx, docs)?;
    // Pass 2d: triggers, on the tables and views of any file, calling the functions.
    super::trigger::convert_triggers(&mut ctx, docs)?;
    // Pass 2e: row-level security and policies, on the tables of any file.
    super::policy::convert_policies(&mut ctx, docs)?;
    // Pass 2f: grants, on every object of the service, to the roles it manages.
    super::grant::convert_grants(&mut ctx, docs)?;
    // A foreign key that names no columns references its target's primary key.
    let pks: BTreeMap<QName, Vec<String>> = ctx
        .schema
        .tables
        .iter()
        .filter_map(|(q, t)| {
            t.primary_key
                .as_ref()
                .map(|p| (q.clone(), p.columns.clone()))
        })
        .collect();
    for t in ctx.schema.tables.values_mut() {
        for fk in t.foreign_keys.values_mut() {
            if fk.ref_columns.is_empty() {
                if let Some(cols) = pks.get(&fk.ref_table) {
                    fk.ref_columns = cols.clone();
                }
            }
        }
    }
    // Pass 3: references between objects.
    super::table::check_references(&ctx)?;
    for (seq, owner, at) in std::mem::take(&mut ctx.pending_sequences) {
        let Some((table, column)) = owner.rsplit_once('.') else {
            return Err(at.error(
                format!("sequence `{seq}`: `owned_by: {owner}` must be `table.column`"),
                "name the owning column as `table.column`",
            ));
        };
        let tq = QName::new(seq.schema.clone(), table);
        let ok = ctx
            .schema
            .tables
            .get(&tq)
            .is_some_and(|t| t.columns.contains_key(column));
        if !ok {
            return Err(at.error(
                format!(
                    "sequence `{seq}` is owned by `{owner}`, which is not a column of this model"
                ),
                "name an existing `table.column` in the same schema",
            ));
        }
        if let Some(s) = ctx.schema.sequences.get_mut(&seq) {
            s.owned_by = Some((tq, column.to_string()));
        }
    }
    Ok(ctx.schema)
}
