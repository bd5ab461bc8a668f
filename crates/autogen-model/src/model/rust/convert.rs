//! Rust-declared objects -> the model documents the YAML loader reads.

use super::{EnumDef, TableDef};
use crate::ir::default_constraint_name;
use crate::model::doc::{
    ColumnDoc, EnumDoc, FileDoc, Flex, ForeignKeyDoc, GrantWords, GrantsDoc, IdentityDoc, IndexDoc,
    KeyDoc, PolicyDoc, TableDoc, TriggerDoc,
};
use crate::model::dump::sp;

/// `grant(...)`s as a YAML `grants:` map; a role granted twice gets both lists.
fn grants_doc(grants: Vec<super::GrantDef>) -> Option<serde_saphyr::Spanned<GrantsDoc>> {
    let mut doc = GrantsDoc::new();
    for g in grants {
        let words = doc
            .entry(g.role)
            .or_insert_with(|| GrantWords::Many(Vec::new()));
        if let GrantWords::Many(w) = words {
            w.extend(g.privileges);
        }
    }
    (!doc.is_empty()).then(|| sp(doc))
}

pub(super) fn table_doc(t: TableDef) -> FileDoc {
    let mut doc = TableDoc {
        comment: t.comment,
        renamed_from: t.renamed_from,
        rls: t.rls,
        force_rls: t.force_rls,
        grants: grants_doc(t.grants),
        ..TableDoc::default()
    };
    for p in t.policies {
        doc.policies.insert(
            p.name,
            sp(PolicyDoc {
                command: p.command,
                restrictive: p.restrictive,
                roles: p.roles,
                using: p.using,
                with_check: p.with_check,
                comment: p.comment,
            }),
        );
    }
    for c in t.columns {
        let identity = c.identity.as_deref().map(|i| match i {
            "always" => IdentityDoc::Always,
            _ => IdentityDoc::ByDefault,
        });
        doc.columns.insert(
            c.name,
            sp(ColumnDoc {
                ty: c.sql_type,
                nullable: c.nullable || c.force_nullable,
                default: c.default,
                identity,
                generated: c.generated,
                collation: c.collation,
                comment: c.comment,
                grants: grants_doc(c.grants),
                renamed_from: c.renamed_from,
                using: None,
                primary_key: c.primary_key,
                unique: c.unique,
                check: c.check,
                references: c.references,
                on_delete: c.on_delete,
            }),
        );
    }
    if !t.primary_key.is_empty() {
        doc.primary_key = Some(Flex(KeyDoc {
            columns: t.primary_key,
            ..KeyDoc::default()
        }));
    }
    for k in t.unique {
        doc.unique.push(Flex(KeyDoc {
            name: k.name,
            columns: k.columns,
            nulls_not_distinct: k.nulls_not_distinct,
            deferrable: k.deferrable,
        }));
    }
    for (name, expr) in t.checks {
        doc.checks.insert(name, expr);
    }
    for f in t.foreign_keys {
        let cols: Vec<&str> = f.columns.iter().map(String::as_str).collect();
        let name = f
            .name
            .unwrap_or_else(|| default_constraint_name(&t.name, &cols, "fkey"));
        doc.foreign_keys.insert(
            name,
            sp(ForeignKeyDoc {
                columns: f.columns,
                references: f.references,
                on_delete: f.on_delete,
                on_update: f.on_update,
                match_type: f.match_type,
                deferrable: f.deferrable,
            }),
        );
    }
    for i in t.indexes {
        let name = match i.name {
            Some(n) => n,
            None => unused_index_name(&doc, &t.name, &i.columns, i.expression.is_some()),
        };
        doc.indexes.insert(
            name,
            sp(IndexDoc {
                columns: i.columns,
                expression: i.expression,
                opclass: None,
                unique: i.unique,
                method: i.method,
                include: i.include,
                predicate: i.predicate,
                nulls_not_distinct: i.nulls_not_distinct,
            }),
        );
    }
    for g in t.triggers {
        doc.triggers.insert(
            g.name,
            sp(TriggerDoc {
                timing: g.timing,
                events: g.events,
                columns: g.columns,
                for_each: g.for_each,
                when: g.when,
                old_table: g.old_table,
                new_table: g.new_table,
                function: g.function,
                arguments: g.arguments,
                constraint: g.constraint,
                deferrable: g.deferrable,
                from: None,
                enabled: g.enabled,
                comment: g.comment,
            }),
        );
    }
    let mut file = FileDoc {
        schema: Some(t.schema),
        ..FileDoc::default()
    };
    file.tables.insert(t.name, sp(doc));
    file
}

/// The name Postgres gives an unnamed index: `<table>_<columns>_idx` (`expr` for expression
/// keys), with a number appended when this table already has an index of that name.
fn unused_index_name(doc: &TableDoc, table: &str, columns: &[String], expr: bool) -> String {
    let mut keys: Vec<&str> = columns
        .iter()
        .map(|c| c.split_whitespace().next().unwrap_or_default())
        .collect();
    if expr {
        keys.push("expr");
    }
    let base = default_constraint_name(table, &keys, "idx");
    let mut name = base.clone();
    let mut n = 0;
    while doc.indexes.contains_key(&name) {
        n += 1;
        name = format!("{base}{n}");
    }
    name
}

pub(super) fn enum_doc(e: EnumDef) -> FileDoc {
    let mut file = FileDoc {
        schema: Some(e.schema),
        ..FileDoc::default()
    };
    file.enums.insert(
        e.name,
        sp(Flex(EnumDoc {
            values: e.values,
            comment: e.comment,
            grants: None,
            renamed_from: e.renamed_from,
            renamed_values: e.renamed_values.into_iter().collect(),
            remap: Default::default(),
        })),
    );
    file
}
