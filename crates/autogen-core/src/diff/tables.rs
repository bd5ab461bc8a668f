//! Tables, columns, constraints, indexes and sequences, matched by name (renames are already
//! applied to `from`).

use super::change::{Change, CommentTarget};
use autogen_model::ir::Conversion;
use autogen_model::ir::{
    BaseType, Column, ColumnType, Constraint, Index, IndexKey, Schema, Sequence, Table,
};

pub(super) fn diff_sequences(from: &Schema, to: &Schema, out: &mut Vec<Change>) {
    for (name, s) in &to.sequences {
        match from.sequences.get(name) {
            None => {
                // Created without an owner: the owning table may not exist yet. The owner is set
                // by a separate step once the tables are in place.
                let bare = Sequence {
                    owned_by: None,
                    ..s.clone()
                };
                out.push(Change::CreateSequence(bare.clone()));
                if s.owned_by.is_some() {
                    out.push(Change::AlterSequence {
                        before: bare,
                        after: s.clone(),
                    });
                }
            }
            Some(old) => {
                // Grants are `diff::grants`'s.
                let same_attrs = Sequence {
                    owned_by: old.owned_by.clone(),
                    comment: old.comment.clone(),
                    grants: old.grants.clone(),
                    ..s.clone()
                };
                if &same_attrs != old {
                    out.push(Change::AlterSequence {
                        before: old.clone(),
                        after: same_attrs.clone(),
                    });
                }
                if old.owned_by != s.owned_by {
                    out.push(Change::AlterSequence {
                        before: same_attrs.clone(),
                        after: Sequence {
                            comment: old.comment.clone(),
                            grants: old.grants.clone(),
                            ..s.clone()
                        },
                    });
                }
                if old.comment != s.comment {
                    out.push(Change::SetComment {
                        target: CommentTarget::Sequence(name.clone()),
                        before: old.comment.clone(),
                        after: s.comment.clone(),
                    });
                }
            }
        }
    }
    for (name, s) in &from.sequences {
        if !to.sequences.contains_key(name) {
            // Dropping an owned sequence's column or table would drop the sequence with it;
            // detach it first so the drop below is the one that removes it.
            let bare = Sequence {
                owned_by: None,
                ..s.clone()
            };
            if s.owned_by.is_some() {
                out.push(Change::AlterSequence {
                    before: s.clone(),
                    after: bare.clone(),
                });
            }
            out.push(Change::DropSequence(bare));
        }
    }
}

/// `rebuilt` lists columns whose enum type is rebuilt: what depends on them is recreated too.
pub(super) fn diff_tables(
    from: &Schema,
    to: &Schema,
    rebuilt: &[(autogen_model::ir::QName, String)],
    out: &mut Vec<Change>,
) {
    for (name, t) in &to.tables {
        match from.tables.get(name) {
            // A new table or column carries its comments; only changes to existing ones are steps.
            None => out.push(Change::CreateTable(t.clone())),
            Some(old) => diff_table(old, t, (from, to), rebuilt, out),
        }
    }
    for (name, t) in &from.tables {
        if !to.tables.contains_key(name) {
            out.push(Change::DropTable(t.clone()));
        }
    }
}

fn push_comments(old: &Table, t: &Table, recreated: &[String], out: &mut Vec<Change>) {
    if old.comment != t.comment {
        out.push(Change::SetComment {
            target: CommentTarget::Table(t.name.clone()),
            before: old.comment.clone(),
            after: t.comment.clone(),
        });
    }
    for c in t.columns.values() {
        let Some(oc) = old.columns.get(&c.name) else {
            continue;
        };
        let before = oc.comment.clone();
        if before != c.comment && !recreated.contains(&c.name) {
            out.push(Change::SetComment {
                target: CommentTarget::Column(t.name.clone(), c.name.clone()),
                before,
                after: c.comment.clone(),
            });
        }
    }
}

/// The labels of `ty`'s base type in `schema`, when it is an enum there.
fn labels(schema: &Schema, ty: &ColumnType) -> Option<Vec<String>> {
    match &ty.base {
        BaseType::User(q) => schema.enums.get(q).map(|e| e.values.clone()),
        BaseType::Builtin(_) => None,
    }
}

fn conversion(schemas: (&Schema, &Schema), table: &Table, a: &Column, b: &Column) -> Conversion {
    if a.ty == b.ty {
        return Conversion::default();
    }
    Conversion {
        using: schemas
            .1
            .hints
            .conversions
            .get(&(table.name.clone(), b.name.clone()))
            .cloned(),
        labels_before: labels(schemas.0, &a.ty),
        labels_after: labels(schemas.1, &b.ty),
    }
}

fn diff_table(
    old: &Table,
    new: &Table,
    schemas: (&Schema, &Schema),
    rebuilt: &[(autogen_model::ir::QName, String)],
    out: &mut Vec<Change>,
) {
    let table = &new.name;
    let mut recreated = Vec::new();
    for c in new.columns.values() {
        match old.columns.get(&c.name) {
            None => out.push(Change::AddColumn {
                table: table.clone(),
                column: c.clone(),
            }),
            Some(oc) => {
                let a = Column {
                    comment: None,
                    ..oc.clone()
                };
                let mut b = Column {
                    comment: None,
                    ..c.clone()
                };
                // A default that differs only by the cast Postgres adds when storing it (one side
                // read from a database or its dump, the other written by hand) is the same.
                if let (Some(x), Some(y)) = (&a.default, &b.default) {
                    if x != y
                        && a.ty == b.ty
                        && x.without_cast_to(&a.ty) == y.without_cast_to(&b.ty)
                    {
                        b.default = a.default.clone();
                    }
                }
                if a == b {
                    continue;
                }
                // Postgres 15 cannot change a generation expression in place, nor turn a plain
                // column into a generated one: the column is recreated (its values are computed).
                if a.generated != b.generated && b.generated.is_some() {
                    out.push(Change::DropColumn {
                        table: table.clone(),
                        column: oc.clone(),
                    });
                    out.push(Change::AddColumn {
                        table: table.clone(),
                        column: c.clone(),
                    });
                    recreated.push(c.name.clone());
                } else {
                    out.push(Change::AlterColumn {
                        table: table.clone(),
                        conversion: conversion(schemas, new, &a, &b),
                        before: a,
                        after: b,
                    });
                }
            }
        }
    }
    for c in old.columns.values() {
        if !new.columns.contains_key(&c.name) {
            out.push(Change::DropColumn {
                table: table.clone(),
                column: c.clone(),
            });
        }
    }
    // An index predicate or CHECK that compares a rebuilt enum column with a literal keeps the
    // old type in its stored form and breaks the conversion, so those are recreated as well.
    let mut forced_cols = recreated.clone();
    forced_cols.extend(
        rebuilt
            .iter()
            .filter(|(t, _)| t == table)
            .map(|(_, c)| c.clone()),
    );
    // Constraints: same name and same definition is unchanged; a definition that only moved to
    // another name is a rename; anything else is dropped and added. Dropping a column drops what
    // depends on it, so those on a recreated column are recreated too.
    let olds = old.constraints();
    let news = new.constraints();
    let forced = |c: &Constraint| forced_cols.iter().any(|col| constraint_mentions(c, col));
    let mut dropped: Vec<Constraint> = olds
        .iter()
        .filter(|c| !news.contains(c) || forced(c))
        .cloned()
        .collect();
    let mut added: Vec<Constraint> = news
        .iter()
        .filter(|c| !olds.contains(c) || forced(c))
        .cloned()
        .collect();
    for a in added.clone() {
        if forced(&a) {
            continue;
        }
        if let Some(pos) = dropped.iter().position(|d| same_but_name(d, &a)) {
            let d = dropped.remove(pos);
            out.push(Change::RenameConstraint {
                table: table.clone(),
                from: d.name().to_string(),
                to: a.name().to_string(),
            });
            added.retain(|x| x != &a);
        }
    }
    for d in dropped {
        out.push(Change::DropConstraint {
            table: table.clone(),
            constraint: d,
        });
    }
    for a in added {
        out.push(Change::AddConstraint {
            table: table.clone(),
            constraint: a,
        });
    }
    let idx_forced = |i: &Index| forced_cols.iter().any(|col| index_mentions(i, col));
    let mut dropped_idx: Vec<&Index> = old
        .indexes
        .values()
        .filter(|i| new.indexes.get(&i.name) != Some(*i) || idx_forced(i))
        .collect();
    for i in new.indexes.values() {
        if old.indexes.get(&i.name) == Some(i) && !idx_forced(i) {
            continue;
        }
        if let Some(pos) = dropped_idx.iter().position(|d| {
            d.name != i.name
                && Index {
                    name: i.name.clone(),
                    ..(*d).clone()
                } == *i
        }) {
            let d = dropped_idx.remove(pos);
            out.push(Change::RenameIndex {
                schema: table.schema.clone(),
                from: d.name.clone(),
                to: i.name.clone(),
            });
            continue;
        }
        if let Some(pos) = dropped_idx.iter().position(|d| d.name == i.name) {
            out.push(Change::DropIndex(dropped_idx.remove(pos).clone()));
        }
        out.push(Change::CreateIndex(i.clone()));
    }
    for d in dropped_idx {
        out.push(Change::DropIndex(d.clone()));
    }
    push_comments(old, new, &recreated, out);
}

fn mentions_key(k: &IndexKey, col: &str) -> bool {
    match k {
        IndexKey::Column(c) => c == col,
        IndexKey::Expression(e) => e.as_str().contains(col),
    }
}

fn index_mentions(i: &Index, col: &str) -> bool {
    i.elements.iter().any(|e| mentions_key(&e.key, col))
        || i.include.iter().any(|c| c == col)
        || i.predicate
            .as_ref()
            .is_some_and(|p| p.as_str().contains(col))
}

/// Whether a constraint depends on the column (by name; expressions by their text, which may
/// say yes too often but never too rarely).
fn constraint_mentions(c: &Constraint, col: &str) -> bool {
    match c {
        Constraint::PrimaryKey(k) => k.columns.iter().any(|x| x == col),
        Constraint::Unique(k) => k.columns.iter().any(|x| x == col),
        Constraint::ForeignKey(k) => k.columns.iter().any(|x| x == col),
        Constraint::Check(k) => k.expr.as_str().contains(col),
        Constraint::Exclusion(x) => {
            x.elements.iter().any(|(e, _)| mentions_key(&e.key, col))
                || x.predicate
                    .as_ref()
                    .is_some_and(|p| p.as_str().contains(col))
        }
    }
}

fn same_but_name(a: &Constraint, b: &Constraint) -> bool {
    &a.renamed(b.name()) == b
}
