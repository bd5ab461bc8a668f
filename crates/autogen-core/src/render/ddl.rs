//! DDL per change.

use super::RenderOptions;
use super::objects::{comment_sql, set_aside_name};
use crate::diff::{Change, CommentTarget, EnumPosition};
use autogen_model::ir::Conversion;
use autogen_model::ir::quote::{collation, column_type, ident, ident_list, literal, qname};
use autogen_model::ir::{
    BaseType, Column, Constraint, Deferrable, FkAction, Identity, Index, IndexElement, IndexKey,
    QName, Sequence, Table, truncate_identifier,
};

/// A one-line description of a change for the comment above its SQL.
pub fn describe(c: &Change) -> String {
    use Change::*;
    match c {
        CreateSchema(n) => format!("create schema `{}`", n.name),
        DropSchema(n) => format!("drop schema `{}`", n.name),
        CreateExtension(e) => format!("create extension `{}`", e.name),
        DropExtension(e) => format!("drop extension `{}`", e.name),
        AlterExtensionSchema { after, .. } => format!(
            "move extension `{}` to schema `{}`",
            after.name, after.schema
        ),
        CreateEnum(e) => format!("create enum `{}`", e.name),
        DropEnum(e) => format!("drop enum `{}`", e.name),
        RenameEnum { from, to } => format!("rename enum `{from}` to `{to}`"),
        AddEnumValue { name, value, .. } => format!("add value `{value}` to enum `{name}`"),
        RenameEnumValue { name, from, to } => {
            format!("rename value `{from}` of enum `{name}` to `{to}`")
        }
        RebuildEnum { before, after, .. } => {
            let removed = before.values_missing_from(after);
            if removed.is_empty() {
                format!("rebuild enum `{}` to reorder its values", after.name)
            } else {
                format!(
                    "rebuild enum `{}` without {}",
                    after.name,
                    removed
                        .iter()
                        .map(|v| format!("`{v}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        }
        CreateDomain(d) => format!("create domain `{}`", d.name),
        DropDomain(d) => format!("drop domain `{}`", d.name),
        AlterDomain { after, .. } => format!("alter domain `{}`", after.name),
        RebuildDomain { after, .. } => format!(
            "rebuild domain `{}` over `{}`",
            after.name,
            column_type(&after.base)
        ),
        CreateSequence(s) => format!("create sequence `{}`", s.name),
        DropSequence(s) => format!("drop sequence `{}`", s.name),
        AlterSequence { after, .. } => format!("alter sequence `{}`", after.name),
        CreateTable(t) => format!("create table `{}`", t.name),
        DropTable(t) => format!("drop table `{}`", t.name),
        RenameTable { from, to } => format!("rename table `{from}` to `{to}`"),
        AddColumn { table, column } => format!("add column `{}` to `{table}`", column.name),
        DropColumn { table, column } => format!("drop column `{}` from `{table}`", column.name),
        RenameColumn { table, from, to } => {
            format!("rename column `{from}` of `{table}` to `{to}`")
        }
        AlterColumn { table, after, .. } => format!("alter column `{}` of `{table}`", after.name),
        AddConstraint { table, constraint } => {
            format!("add constraint `{}` to `{table}`", constraint.name())
        }
        DropConstraint { table, constraint } => {
            format!("drop constraint `{}` from `{table}`", constraint.name())
        }
        RenameConstraint { table, from, to } => {
            format!("rename constraint `{from}` of `{table}` to `{to}`")
        }
        CreateIndex(i) => format!("create index `{}` on `{}`", i.name, i.table),
        DropIndex(i) => format!("drop index `{}` on `{}`", i.name, i.table),
        RenameIndex { schema, from, to } => format!("rename index `{schema}.{from}` to `{to}`"),
        SetComment { target, .. } => format!("set comment on {}", target_text(target)),
        View(v) => super::view::describe(v),
        Function(f) => super::function::describe(f),
        Trigger(t) => super::trigger::describe(t),
        Policy(p) => super::policy::describe(p),
        Grant(g) => super::grant::describe(g),
    }
}

fn target_text(t: &CommentTarget) -> String {
    match t {
        CommentTarget::Schema(s) => format!("schema `{s}`"),
        CommentTarget::Table(q) => format!("table `{q}`"),
        CommentTarget::Column(q, c) => format!("column `{q}.{c}`"),
        CommentTarget::Enum(q) => format!("enum `{q}`"),
        CommentTarget::Domain(q) => format!("domain `{q}`"),
        CommentTarget::Sequence(q) => format!("sequence `{q}`"),
    }
}

/// The statements of one change, without terminating semicolons.
pub fn statements(c: &Change, opts: &RenderOptions) -> Vec<String> {
    use Change::*;
    match c {
        CreateSchema(n) => {
            let mut v = vec![format!("CREATE SCHEMA {}", ident(&n.name))];
            if n.comment.is_some() {
                v.push(comment_sql(
                    &CommentTarget::Schema(n.name.clone()),
                    &n.comment,
                ));
            }
            v
        }
        DropSchema(n) => vec![format!("DROP SCHEMA {}", ident(&n.name))],
        CreateExtension(e) => vec![format!(
            "CREATE EXTENSION {} WITH SCHEMA {}",
            ident(&e.name),
            ident(&e.schema)
        )],
        DropExtension(e) => vec![format!("DROP EXTENSION {}", ident(&e.name))],
        AlterExtensionSchema { after, .. } => vec![format!(
            "ALTER EXTENSION {} SET SCHEMA {}",
            ident(&after.name),
            ident(&after.schema)
        )],
        CreateEnum(e) => {
            let values = e
                .values
                .iter()
                .map(|v| literal(v))
                .collect::<Vec<_>>()
                .join(", ");
            let mut v = vec![format!("CREATE TYPE {} AS ENUM ({values})", qname(&e.name))];
            if e.comment.is_some() {
                v.push(comment_sql(
                    &CommentTarget::Enum(e.name.clone()),
                    &e.comment,
                ));
            }
            v
        }
        DropEnum(e) => vec![format!("DROP TYPE {}", qname(&e.name))],
        RenameEnum { from, to } => move_and_rename("TYPE", from, to),
        AddEnumValue {
            name,
            value,
            position,
            ..
        } => {
            let pos = match position {
                EnumPosition::Before(v) => format!(" BEFORE {}", literal(v)),
                EnumPosition::After(v) => format!(" AFTER {}", literal(v)),
                EnumPosition::End => String::new(),
            };
            vec![format!(
                "ALTER TYPE {} ADD VALUE {}{pos}",
                qname(name),
                literal(value)
            )]
        }
        RenameEnumValue { name, from, to } => vec![format!(
            "ALTER TYPE {} RENAME VALUE {} TO {}",
            qname(name),
            literal(from),
            literal(to)
        )],
        RebuildEnum {
            before,
            after,
            remap,
            usages,
        } => {
            let old = set_aside_name(&after.name);
            let mut v = vec![format!(
                "ALTER TYPE {} RENAME TO {}",
                qname(&before.name),
                ident(&old.name)
            )];
            v.extend(statements(&CreateEnum(after.clone()), opts));
            for u in usages {
                let t = qname(&u.table);
                let c = ident(&u.column);
                if u.default_before.is_some() {
                    v.push(format!("ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT"));
                }
                for (removed, replacement) in remap {
                    if u.array {
                        v.push(format!(
                            "UPDATE {t} SET {c} = array_replace({c}, {}::{}, {}::{})",
                            literal(removed),
                            qname(&old),
                            literal(replacement),
                            qname(&old)
                        ));
                    } else {
                        v.push(format!(
                            "UPDATE {t} SET {c} = {} WHERE {c} = {}",
                            literal(replacement),
                            literal(removed)
                        ));
                    }
                }
                let (via, target) = if u.array {
                    ("text[]", format!("{}[]", qname(&after.name)))
                } else {
                    ("text", qname(&after.name))
                };
                v.push(format!(
                    "ALTER TABLE {t} ALTER COLUMN {c} TYPE {target} USING {c}::{via}::{target}"
                ));
                if let Some(d) = &u.default_after {
                    v.push(format!("ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {d}"));
                }
            }
            v.push(format!("DROP TYPE {}", qname(&old)));
            v
        }
        CreateDomain(d) => super::domain::create(d),
        DropDomain(d) => vec![format!("DROP DOMAIN {}", qname(&d.name))],
        AlterDomain { before, after } => super::domain::alter(before, after),
        RebuildDomain {
            before,
            after,
            usages,
        } => super::domain::rebuild(before, after, usages),
        CreateSequence(s) => {
            let mut v = vec![format!(
                "CREATE SEQUENCE {} {}",
                qname(&s.name),
                sequence_options(None, s)
            )];
            if let Some((t, c)) = &s.owned_by {
                v.push(format!(
                    "ALTER SEQUENCE {} OWNED BY {}.{}",
                    qname(&s.name),
                    qname(t),
                    ident(c)
                ));
            }
            if s.comment.is_some() {
                v.push(comment_sql(
                    &CommentTarget::Sequence(s.name.clone()),
                    &s.comment,
                ));
            }
            v
        }
        DropSequence(s) => vec![format!("DROP SEQUENCE {}", qname(&s.name))],
        AlterSequence { before, after } => {
            let mut v = Vec::new();
            let opts_text = sequence_options(Some(before), after);
            if !opts_text.is_empty() {
                v.push(format!("ALTER SEQUENCE {} {opts_text}", qname(&after.name)));
            }
            if before.owned_by != after.owned_by {
                let owner = match &after.owned_by {
                    Some((t, c)) => format!("{}.{}", qname(t), ident(c)),
                    None => "NONE".into(),
                };
                v.push(format!(
                    "ALTER SEQUENCE {} OWNED BY {owner}",
                    qname(&after.name)
                ));
            }
            v
        }
        CreateTable(t) => create_table(t),
        DropTable(t) => vec![format!("DROP TABLE {}", qname(&t.name))],
        RenameTable { from, to } => move_and_rename("TABLE", from, to),
        AddColumn { table, column } => {
            let mut v = vec![format!(
                "ALTER TABLE {} ADD COLUMN {}",
                qname(table),
                column_def(column)
            )];
            if column.comment.is_some() {
                v.push(comment_sql(
                    &CommentTarget::Column(table.clone(), column.name.clone()),
                    &column.comment,
                ));
            }
            v
        }
        DropColumn { table, column } => vec![format!(
            "ALTER TABLE {} DROP COLUMN {}",
            qname(table),
            ident(&column.name)
        )],
        RenameColumn { table, from, to } => vec![format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {}",
            qname(table),
            ident(from),
            ident(to)
        )],
        AlterColumn {
            table,
            before,
            after,
            conversion,
        } => alter_column(table, before, after, conversion, opts),
        AddConstraint { table, constraint } => vec![format!(
            "ALTER TABLE {} ADD {}",
            qname(table),
            constraint_def(constraint)
        )],
        DropConstraint { table, constraint } => vec![format!(
            "ALTER TABLE {} DROP CONSTRAINT {}",
            qname(table),
            ident(constraint.name())
        )],
        RenameConstraint { table, from, to } => vec![format!(
            "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
            qname(table),
            ident(from),
            ident(to)
        )],
        CreateIndex(i) => vec![create_index(i, false)],
        DropIndex(i) => vec![drop_index(i)],
        RenameIndex { schema, from, to } => vec![format!(
            "ALTER INDEX {} RENAME TO {}",
            qname(&QName::new(schema.clone(), from.clone())),
            ident(to)
        )],
        SetComment { target, after, .. } => vec![comment_sql(target, after)],
        View(v) => super::view::statements(v),
        Function(f) => super::function::statements(f),
        Trigger(t) => super::trigger::statements(t),
        Policy(p) => super::policy::statements(p),
        Grant(g) => super::grant::statements(g),
    }
}

/// The lock-friendly form of a step on a table that already exists (see `plan::Step::online`):
/// its statements in phases, each committed before the next starts so that a long scan never runs
/// while a strong lock from an earlier statement is still held.
pub fn online_phases(c: &Change, opts: &RenderOptions) -> Vec<Vec<String>> {
    match c {
        Change::CreateIndex(i) => vec![vec![create_index(i, true)]],
        Change::AddConstraint { table, constraint } => vec![
            vec![format!(
                "ALTER TABLE {} ADD {} NOT VALID",
                qname(table),
                constraint_def(constraint)
            )],
            vec![format!(
                "ALTER TABLE {} VALIDATE CONSTRAINT {}",
                qname(table),
                ident(constraint.name())
            )],
        ],
        Change::AlterColumn {
            table,
            before,
            after,
            conversion,
        } => {
            let t = qname(table);
            let helper = ident(&truncate_identifier(&format!(
                "autogen_not_null_{}",
                after.name
            )));
            let nullable = Column {
                nullable: true,
                ..after.clone()
            };
            let mut first = alter_column(table, before, &nullable, conversion, opts);
            first.push(format!(
                "ALTER TABLE {t} ADD CONSTRAINT {helper} CHECK ({} IS NOT NULL) NOT VALID",
                ident(&after.name)
            ));
            vec![
                first,
                vec![format!("ALTER TABLE {t} VALIDATE CONSTRAINT {helper}")],
                vec![
                    format!(
                        "ALTER TABLE {t} ALTER COLUMN {} SET NOT NULL",
                        ident(&after.name)
                    ),
                    format!("ALTER TABLE {t} DROP CONSTRAINT {helper}"),
                ],
            ]
        }
        other => vec![statements(other, opts)],
    }
}

fn move_and_rename(kind: &str, from: &QName, to: &QName) -> Vec<String> {
    let mut v = Vec::new();
    let mut cur = from.clone();
    if from.schema != to.schema {
        v.push(format!(
            "ALTER {kind} {} SET SCHEMA {}",
            qname(&cur),
            ident(&to.schema)
        ));
        cur.schema = to.schema.clone();
    }
    if cur.name != to.name {
        v.push(format!(
            "ALTER {kind} {} RENAME TO {}",
            qname(&cur),
            ident(&to.name)
        ));
    }
    v
}

fn sequence_options(before: Option<&Sequence>, s: &Sequence) -> String {
    let mut parts = Vec::new();
    let changed = |f: fn(&Sequence) -> i64| before.is_none_or(|b| f(b) != f(s));
    if before.is_none_or(|b| b.data_type != s.data_type) {
        parts.push(format!(
            "AS {}",
            column_type(&autogen_model::ir::ColumnType::builtin(&s.data_type))
        ));
    }
    if changed(|x| x.increment) {
        parts.push(format!("INCREMENT BY {}", s.increment));
    }
    if changed(|x| x.min_value) {
        parts.push(format!("MINVALUE {}", s.min_value));
    }
    if changed(|x| x.max_value) {
        parts.push(format!("MAXVALUE {}", s.max_value));
    }
    if changed(|x| x.start) {
        parts.push(format!("START WITH {}", s.start));
    }
    if changed(|x| x.cache) {
        parts.push(format!("CACHE {}", s.cache));
    }
    if before.is_none_or(|b| b.cycle != s.cycle) {
        parts.push(if s.cycle {
            "CYCLE".into()
        } else {
            "NO CYCLE".into()
        });
    }
    parts.join(" ")
}

fn column_def(c: &Column) -> String {
    let mut s = format!("{} {}", ident(&c.name), column_type(&c.ty));
    if let Some(coll) = &c.collation {
        s.push_str(&format!(" COLLATE {}", collation(coll)));
    }
    if let Some(g) = &c.generated {
        s.push_str(&format!(" GENERATED ALWAYS AS ({g}) STORED"));
    }
    match c.identity {
        Some(Identity::Always) => s.push_str(" GENERATED ALWAYS AS IDENTITY"),
        Some(Identity::ByDefault) => s.push_str(" GENERATED BY DEFAULT AS IDENTITY"),
        None => {}
    }
    if let Some(d) = &c.default {
        s.push_str(&format!(" DEFAULT {d}"));
    }
    if !c.nullable {
        s.push_str(" NOT NULL");
    }
    s
}

fn deferrable(d: Deferrable) -> &'static str {
    match d {
        Deferrable::No => "",
        Deferrable::InitiallyImmediate => " DEFERRABLE",
        Deferrable::InitiallyDeferred => " DEFERRABLE INITIALLY DEFERRED",
    }
}

fn action(a: FkAction) -> &'static str {
    match a {
        FkAction::NoAction => "NO ACTION",
        FkAction::Restrict => "RESTRICT",
        FkAction::Cascade => "CASCADE",
        FkAction::SetNull => "SET NULL",
        FkAction::SetDefault => "SET DEFAULT",
    }
}

fn element(e: &IndexElement) -> String {
    let mut s = match &e.key {
        IndexKey::Column(c) => ident(c),
        IndexKey::Expression(x) => format!("({x})"),
    };
    if let Some(c) = &e.collation {
        s.push_str(&format!(" COLLATE {}", collation(c)));
    }
    if let Some(o) = &e.opclass {
        // An operator class is an identifier, possibly schema-qualified.
        let q = QName::parse(o, "");
        s.push(' ');
        s.push_str(&match q {
            Some(q) if !q.schema.is_empty() => qname(&q),
            _ => ident(o),
        });
    }
    if e.descending {
        s.push_str(" DESC");
    }
    if e.nulls_first != e.descending {
        s.push_str(if e.nulls_first {
            " NULLS FIRST"
        } else {
            " NULLS LAST"
        });
    }
    s
}

fn constraint_def(c: &Constraint) -> String {
    let name = format!("CONSTRAINT {}", ident(c.name()));
    match c {
        Constraint::PrimaryKey(k) => format!("{name} PRIMARY KEY ({})", ident_list(&k.columns)),
        Constraint::Unique(u) => format!(
            "{name} UNIQUE{} ({}){}",
            if u.nulls_not_distinct {
                " NULLS NOT DISTINCT"
            } else {
                ""
            },
            ident_list(&u.columns),
            deferrable(u.deferrable)
        ),
        Constraint::Check(k) => format!("{name} CHECK ({})", k.expr),
        Constraint::Exclusion(x) => {
            let els = x
                .elements
                .iter()
                .map(|(e, op)| format!("{} WITH {op}", element(e)))
                .collect::<Vec<_>>()
                .join(", ");
            let pred = x
                .predicate
                .as_ref()
                .map(|p| format!(" WHERE ({p})"))
                .unwrap_or_default();
            format!("{name} EXCLUDE USING {} ({els}){pred}", ident(&x.method))
        }
        Constraint::ForeignKey(f) => {
            let mut s = format!(
                "{name} FOREIGN KEY ({}) REFERENCES {} ({})",
                ident_list(&f.columns),
                qname(&f.ref_table),
                ident_list(&f.ref_columns)
            );
            if f.match_full {
                s.push_str(" MATCH FULL");
            }
            if f.on_delete != FkAction::NoAction {
                s.push_str(&format!(" ON DELETE {}", action(f.on_delete)));
            }
            if f.on_update != FkAction::NoAction {
                s.push_str(&format!(" ON UPDATE {}", action(f.on_update)));
            }
            s.push_str(deferrable(f.deferrable));
            s
        }
    }
}

pub(super) fn drop_index(i: &Index) -> String {
    format!(
        "DROP INDEX {}",
        qname(&QName::new(i.table.schema.clone(), i.name.clone()))
    )
}

pub(super) fn create_index(i: &Index, concurrently: bool) -> String {
    let mut s = format!(
        "CREATE {}INDEX {}{} ON {}",
        if i.unique { "UNIQUE " } else { "" },
        if concurrently { "CONCURRENTLY " } else { "" },
        ident(&i.name),
        qname(&i.table)
    );
    if i.method != "btree" {
        s.push_str(&format!(" USING {}", ident(&i.method)));
    }
    s.push_str(&format!(
        " ({})",
        i.elements
            .iter()
            .map(element)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if !i.include.is_empty() {
        s.push_str(&format!(" INCLUDE ({})", ident_list(&i.include)));
    }
    if i.nulls_not_distinct {
        s.push_str(" NULLS NOT DISTINCT");
    }
    if let Some(p) = &i.predicate {
        s.push_str(&format!(" WHERE ({p})"));
    }
    s
}

fn create_table(t: &Table) -> Vec<String> {
    let mut lines: Vec<String> = t.columns.values().map(column_def).collect();
    lines.extend(t.constraints().iter().map(constraint_def));
    let mut v = vec![format!(
        "CREATE TABLE {} (\n    {}\n)",
        qname(&t.name),
        lines.join(",\n    ")
    )];
    v.extend(t.indexes.values().map(|i| create_index(i, false)));
    if t.comment.is_some() {
        v.push(comment_sql(
            &CommentTarget::Table(t.name.clone()),
            &t.comment,
        ));
    }
    for c in t.columns.values().filter(|c| c.comment.is_some()) {
        v.push(comment_sql(
            &CommentTarget::Column(t.name.clone(), c.name.clone()),
            &c.comment,
        ));
    }
    v
}

fn alter_column(
    table: &QName,
    b: &Column,
    a: &Column,
    conversion: &Conversion,
    opts: &RenderOptions,
) -> Vec<String> {
    let pre = format!(
        "ALTER TABLE {} ALTER COLUMN {}",
        qname(table),
        ident(&a.name)
    );
    let c = ident(&a.name);
    let mut v = Vec::new();
    if b.generated.is_some() && a.generated.is_none() {
        v.push(format!("{pre} DROP EXPRESSION"));
    }
    if b.identity.is_some() && a.identity.is_none() {
        v.push(format!("{pre} DROP IDENTITY"));
    }
    let retype = b.ty != a.ty || b.collation != a.collation;
    if retype && b.default.is_some() {
        // The old default may not cast to the new type; it is set again below.
        v.push(format!("{pre} DROP DEFAULT"));
    }
    if retype {
        let coll = a
            .collation
            .as_ref()
            .map(|x| format!(" COLLATE {}", collation(x)))
            .unwrap_or_default();
        let ty = column_type(&a.ty);
        let using = match (&conversion.using, &b.ty.base, &a.ty.base) {
            _ if b.ty == a.ty => String::new(),
            (Some(declared), ..) => format!(" USING {}", declared.as_str()),
            (None, BaseType::Builtin(x), BaseType::Builtin(y))
                if !b.ty.array
                    && !a.ty.array
                    && matches!(
                        (x.as_str(), y.as_str()),
                        ("timestamp", "timestamptz") | ("timestamptz", "timestamp")
                    ) =>
            {
                format!(" USING {c} AT TIME ZONE {}", literal(&opts.time_zone))
            }
            // Postgres has no cast between two user types (one enum to another): through their
            // text form, which every type has.
            (None, BaseType::User(_), BaseType::User(_)) if b.ty.array == a.ty.array => {
                let text = if a.ty.array { "text[]" } else { "text" };
                format!(" USING {c}::{text}::{ty}")
            }
            _ if !autogen_model::ir::convert::type_change_is_lossy(&b.ty, &a.ty) => String::new(),
            _ => format!(" USING {c}::{ty}"),
        };
        v.push(format!("{pre} TYPE {ty}{coll}{using}"));
    }
    if retype || b.default != a.default {
        match &a.default {
            Some(d) => v.push(format!("{pre} SET DEFAULT {d}")),
            None if !retype => v.push(format!("{pre} DROP DEFAULT")),
            None => {}
        }
    }
    if b.nullable != a.nullable {
        v.push(format!(
            "{pre} {} NOT NULL",
            if a.nullable { "DROP" } else { "SET" }
        ));
    }
    match (b.identity, a.identity) {
        (None, Some(Identity::Always)) => v.push(format!("{pre} ADD GENERATED ALWAYS AS IDENTITY")),
        (None, Some(Identity::ByDefault)) => {
            v.push(format!("{pre} ADD GENERATED BY DEFAULT AS IDENTITY"))
        }
        (Some(x), Some(y)) if x != y => v.push(format!(
            "{pre} SET GENERATED {}",
            if y == Identity::Always {
                "ALWAYS"
            } else {
                "BY DEFAULT"
            }
        )),
        _ => {}
    }
    v
}
