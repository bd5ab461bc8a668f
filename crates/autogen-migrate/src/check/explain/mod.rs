//! Changes explained per object, for people: `journal.entries.status: enum value 'archived'
//! added after 'published'`. A change turns the *expected* schema into the *actual* one, so each
//! line says what the actual side has that the expected side does not.

use autogen_core::diff::{Change, CommentTarget, EnumPosition};
use autogen_model::ir::quote::column_type;
use autogen_model::ir::{Column, ColumnType, Constraint, Domain, Expr, Identity, Sequence};

mod function;
mod grant;
mod policy;
mod trigger;
mod view;
use function::{function_differences, function_drift};
use policy::{pair_policies, policy_drift};
use trigger::{pair_triggers, trigger_drift};
use view::{pair_views, view_drift};

/// One object and how it differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// Dotted path: `schema.table.column`, `schema.enum`, `schema.index`.
    pub object: String,
    pub what: String,
}

fn quoted(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

fn list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| quoted(v))
        .collect::<Vec<_>>()
        .join(", ")
}

fn expr(e: &Option<Expr>) -> String {
    e.as_ref().map_or_else(|| "none".into(), |e| e.to_string())
}

/// One line per difference, all of one object.
fn each(object: String, whats: Vec<String>) -> Vec<Drift> {
    whats
        .into_iter()
        .map(|what| Drift {
            object: object.clone(),
            what,
        })
        .collect()
}

/// `comment changed` or `comment removed`, when the comments differ.
fn comment_difference(before: &Option<String>, after: &Option<String>) -> Option<String> {
    (before != after).then(|| {
        if after.is_some() {
            "comment changed"
        } else {
            "comment removed"
        }
        .into()
    })
}

fn one(object: String, what: impl Into<String>) -> Vec<Drift> {
    vec![Drift {
        object,
        what: what.into(),
    }]
}

fn type_change(label: &str, b: &ColumnType, a: &ColumnType) -> Option<String> {
    (b != a).then(|| {
        format!(
            "{label} changed from {} to {}",
            column_type(b),
            column_type(a)
        )
    })
}

fn null_change(was_nullable: bool, nullable: bool) -> Option<String> {
    (was_nullable != nullable).then(|| {
        if nullable {
            "now nullable"
        } else {
            "now NOT NULL"
        }
        .to_string()
    })
}

fn default_change(b: &Option<Expr>, a: &Option<Expr>) -> Option<String> {
    (b != a).then(|| format!("default changed from {} to {}", expr(b), expr(a)))
}

/// What differs between two columns of the same name, in words.
fn column_differences(b: &Column, a: &Column) -> Vec<String> {
    let mut out = Vec::new();
    out.extend(type_change("type", &b.ty, &a.ty));
    out.extend(null_change(b.nullable, a.nullable));
    out.extend(default_change(&b.default, &a.default));
    if b.identity != a.identity {
        let id = |i: &Option<Identity>| match i {
            None => "none",
            Some(Identity::Always) => "ALWAYS",
            Some(Identity::ByDefault) => "BY DEFAULT",
        };
        out.push(format!(
            "identity changed from {} to {}",
            id(&b.identity),
            id(&a.identity)
        ));
    }
    if b.generated != a.generated {
        out.push(format!(
            "generated expression changed from {} to {}",
            expr(&b.generated),
            expr(&a.generated)
        ));
    }
    if b.collation != a.collation {
        out.push(format!(
            "collation changed from {} to {}",
            b.collation.as_deref().unwrap_or("default"),
            a.collation.as_deref().unwrap_or("default")
        ));
    }
    if b.comment != a.comment {
        out.push("comment changed".into());
    }
    if out.is_empty() {
        out.push("changed".into());
    }
    out
}

fn domain_differences(b: &Domain, a: &Domain) -> Vec<String> {
    let mut out = Vec::new();
    out.extend(type_change("base type", &b.base, &a.base));
    if b.collation != a.collation {
        out.push("collation changed".into());
    }
    out.extend(default_change(&b.default, &a.default));
    out.extend(null_change(!b.not_null, !a.not_null));
    for (name, e) in &a.checks {
        match b.checks.get(name) {
            None => out.push(format!("check {name} added: {e}")),
            Some(old) if old != e => out.push(format!("check {name} changed from {old} to {e}")),
            Some(_) => {}
        }
    }
    for name in b.checks.keys().filter(|n| !a.checks.contains_key(*n)) {
        out.push(format!("check {name} removed"));
    }
    out
}

fn sequence_differences(b: &Sequence, a: &Sequence) -> Vec<String> {
    let mut out = Vec::new();
    let mut num = |label: &str, x: i64, y: i64| {
        if x != y {
            out.push(format!("{label} changed from {x} to {y}"));
        }
    };
    num("start", b.start, a.start);
    num("increment", b.increment, a.increment);
    num("minvalue", b.min_value, a.min_value);
    num("maxvalue", b.max_value, a.max_value);
    num("cache", b.cache, a.cache);
    if b.data_type != a.data_type {
        out.push(format!(
            "type changed from {} to {}",
            b.data_type, a.data_type
        ));
    }
    if b.cycle != a.cycle {
        out.push(
            if a.cycle {
                "now cycles"
            } else {
                "no longer cycles"
            }
            .into(),
        );
    }
    if b.owned_by != a.owned_by {
        out.push("owner column changed".into());
    }
    if out.is_empty() {
        out.push("changed".into());
    }
    out
}

fn constraint_kind(c: &Constraint) -> &'static str {
    match c {
        Constraint::PrimaryKey(_) => "primary key",
        Constraint::Unique(_) => "unique constraint",
        Constraint::Check(_) => "check constraint",
        Constraint::Exclusion(_) => "exclusion constraint",
        Constraint::ForeignKey(_) => "foreign key",
    }
}

fn target_object(t: &CommentTarget) -> String {
    match t {
        CommentTarget::Schema(s) => s.clone(),
        CommentTarget::Table(q)
        | CommentTarget::Enum(q)
        | CommentTarget::Domain(q)
        | CommentTarget::Sequence(q) => q.to_string(),
        CommentTarget::Column(q, c) => format!("{q}.{c}"),
    }
}

/// The objects a change touches and how, as lines a reviewer reads.
pub fn explain(c: &Change) -> Vec<Drift> {
    use Change::*;
    match c {
        CreateSchema(n) => one(n.name.clone(), "schema added"),
        DropSchema(n) => one(n.name.clone(), "schema removed"),
        CreateExtension(e) => one(e.name.clone(), format!("extension added in {}", e.schema)),
        DropExtension(e) => one(e.name.clone(), "extension removed"),
        AlterExtensionSchema { before, after } => one(
            after.name.clone(),
            format!(
                "extension moved from schema {} to {}",
                before.schema, after.schema
            ),
        ),
        CreateEnum(e) => one(
            e.name.to_string(),
            format!("enum added with values {}", list(&e.values)),
        ),
        DropEnum(e) => one(e.name.to_string(), "enum removed"),
        RenameEnum { from, to } => one(from.to_string(), format!("enum renamed to {to}")),
        AddEnumValue {
            name,
            value,
            position,
            ..
        } => {
            let at = match position {
                EnumPosition::Before(v) => format!(" before {}", quoted(v)),
                EnumPosition::After(v) => format!(" after {}", quoted(v)),
                EnumPosition::End => String::new(),
            };
            one(
                name.to_string(),
                format!("enum value {} added{at}", quoted(value)),
            )
        }
        RenameEnumValue { name, from, to } => one(
            name.to_string(),
            format!("enum value {} renamed to {}", quoted(from), quoted(to)),
        ),
        RebuildEnum { before, after, .. } => {
            let removed: Vec<String> = before
                .values_missing_from(after)
                .into_iter()
                .cloned()
                .collect();
            let added: Vec<String> = after
                .values_missing_from(before)
                .into_iter()
                .cloned()
                .collect();
            let mut out = Vec::new();
            let name = after.name.to_string();
            if !removed.is_empty() {
                out.extend(one(
                    name.clone(),
                    format!("enum value(s) {} removed", list(&removed)),
                ));
            }
            if !added.is_empty() {
                out.extend(one(
                    name.clone(),
                    format!("enum value(s) {} added", list(&added)),
                ));
            }
            if removed.is_empty() && added.is_empty() {
                out.extend(one(
                    name,
                    format!(
                        "enum values reordered from ({}) to ({})",
                        list(&before.values),
                        list(&after.values)
                    ),
                ));
            }
            out
        }
        CreateDomain(d) => one(
            d.name.to_string(),
            format!("domain added over {}", column_type(&d.base)),
        ),
        DropDomain(d) => one(d.name.to_string(), "domain removed"),
        AlterDomain { before, after } | RebuildDomain { before, after, .. } => {
            each(after.name.to_string(), domain_differences(before, after))
        }
        CreateSequence(s) => one(s.name.to_string(), "sequence added"),
        DropSequence(s) => one(s.name.to_string(), "sequence removed"),
        AlterSequence { before, after } => {
            each(after.name.to_string(), sequence_differences(before, after))
        }
        CreateTable(t) => one(
            t.name.to_string(),
            format!("table added ({} columns)", t.columns.len()),
        ),
        DropTable(t) => one(t.name.to_string(), "table removed"),
        RenameTable { from, to } => one(from.to_string(), format!("table renamed to {to}")),
        AddColumn { table, column } => one(
            format!("{table}.{}", column.name),
            format!(
                "column added ({}{})",
                column_type(&column.ty),
                if column.nullable { "" } else { " NOT NULL" }
            ),
        ),
        DropColumn { table, column } => one(format!("{table}.{}", column.name), "column removed"),
        RenameColumn { table, from, to } => {
            one(format!("{table}.{from}"), format!("column renamed to {to}"))
        }
        AlterColumn {
            table,
            before,
            after,
            ..
        } => each(
            format!("{table}.{}", after.name),
            column_differences(before, after),
        ),
        AddConstraint { table, constraint } => one(
            format!("{table}.{}", constraint.name()),
            format!("{} added", constraint_kind(constraint)),
        ),
        DropConstraint { table, constraint } => one(
            format!("{table}.{}", constraint.name()),
            format!("{} removed", constraint_kind(constraint)),
        ),
        RenameConstraint { table, from, to } => one(
            format!("{table}.{from}"),
            format!("constraint renamed to {to}"),
        ),
        CreateIndex(i) => one(
            format!("{}.{}", i.table.schema, i.name),
            format!("index added on {}", i.table),
        ),
        DropIndex(i) => one(
            format!("{}.{}", i.table.schema, i.name),
            format!("index removed from {}", i.table),
        ),
        RenameIndex { schema, from, to } => {
            one(format!("{schema}.{from}"), format!("index renamed to {to}"))
        }
        SetComment { target, after, .. } => one(
            target_object(target),
            if after.is_some() {
                "comment changed"
            } else {
                "comment removed"
            },
        ),
        View(v) => view_drift(v),
        Function(f) => function_drift(f),
        Trigger(t) => trigger_drift(t),
        Policy(p) => policy_drift(p),
        Grant(g) => grant::grant_drift(g),
    }
}

/// Every change explained, sorted by object so a report reads the same on every run.
pub fn explain_all(changes: &[Change]) -> Vec<Drift> {
    use autogen_core::diff::FunctionChange;
    // A function dropped and created again (a change `CREATE OR REPLACE` cannot make) is one
    // function that differs.
    let dropped: std::collections::BTreeMap<_, _> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Function(FunctionChange::Drop(f, _)) => Some((f.key(), f)),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    let mut paired = std::collections::BTreeSet::new();
    for c in changes {
        if let Change::Function(FunctionChange::Create(f, _)) = c {
            if let Some(before) = dropped.get(&f.key()) {
                out.extend(each(f.describe(), function_differences(before, f)));
                paired.insert(f.key());
            }
        }
    }
    let rest: Vec<Change> = changes
        .iter()
        .filter(|c| {
            !matches!(c, Change::Function(FunctionChange::Drop(f, _) | FunctionChange::Create(f, _)) if paired.contains(&f.key()))
        })
        .cloned()
        .collect();
    let (triggers, rest) = pair_triggers(rest);
    out.extend(triggers);
    let (policies, rest) = pair_policies(rest);
    out.extend(policies);
    out.extend(pair_views(&rest));
    out.sort_by(|a, b| (&a.object, &a.what).cmp(&(&b.object, &b.what)));
    out.dedup();
    out
}
