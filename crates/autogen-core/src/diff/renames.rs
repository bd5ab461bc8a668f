//! Rename hints: emits the renames and returns `from` as it reads once they are done, so the
//! rest of the comparison matches objects by name. `from` is copied only when a rename applies:
//! a copy of a catalog of thousands of tables costs as much memory as reading it.

use super::change::Change;
use autogen_model::ir::{BaseType, IndexKey, ObjectId, QName, Schema};
use std::borrow::Cow;

pub(super) fn apply<'a>(from: &'a Schema, to: &Schema, out: &mut Vec<Change>) -> Cow<'a, Schema> {
    let mut s = Cow::Borrowed(from);
    for (new, old) in &to.hints.enums {
        if new == old
            || !s.enums.contains_key(old)
            || s.enums.contains_key(new)
            || !to.enums.contains_key(new)
        {
            continue;
        }
        out.push(Change::RenameEnum {
            from: old.clone(),
            to: new.clone(),
        });
        let s = s.to_mut();
        if let Some(mut e) = s.enums.remove(old) {
            e.name = new.clone();
            s.enums.insert(new.clone(), e);
        }
        for t in s.tables.values_mut() {
            for c in t.columns.values_mut() {
                if c.ty.base == BaseType::User(old.clone()) {
                    c.ty.base = BaseType::User(new.clone());
                }
            }
        }
        rename_reads(s, |d| {
            if !d.kind.is_relation() && &d.name == old {
                d.name = new.clone();
            }
        });
    }
    for (new, old) in &to.hints.tables {
        if new == old
            || !s.tables.contains_key(old)
            || s.tables.contains_key(new)
            || !to.tables.contains_key(new)
        {
            continue;
        }
        out.push(Change::RenameTable {
            from: old.clone(),
            to: new.clone(),
        });
        rename_table(s.to_mut(), old, new);
    }
    for ((table, new), old) in &to.hints.columns {
        let Some(t) = s.tables.get(table) else {
            continue;
        };
        if new == old || !t.columns.contains_key(old) || t.columns.contains_key(new) {
            continue;
        }
        out.push(Change::RenameColumn {
            table: table.clone(),
            from: old.clone(),
            to: new.clone(),
        });
        rename_column(s.to_mut(), table, old, new);
    }
    s
}

fn rename_table(s: &mut Schema, old: &QName, new: &QName) {
    if let Some(mut t) = s.tables.remove(old) {
        t.name = new.clone();
        for i in t.indexes.values_mut() {
            i.table = new.clone();
        }
        s.tables.insert(new.clone(), t);
    }
    for t in s.tables.values_mut() {
        for fk in t.foreign_keys.values_mut() {
            if &fk.ref_table == old {
                fk.ref_table = new.clone();
            }
        }
    }
    for seq in s.sequences.values_mut() {
        if let Some((t, _)) = &mut seq.owned_by {
            if t == old {
                *t = new.clone();
            }
        }
    }
    // A view follows its table by identity: what it reads is the table of its new name.
    rename_reads(s, |d| {
        if d.kind.is_relation() && &d.name == old {
            d.name = new.clone();
        }
    });
}

/// Applies `f` to what every view reads (a set: rebuilt after the change).
fn rename_reads(s: &mut Schema, f: impl Fn(&mut ObjectId)) {
    for v in s.views.values_mut() {
        v.depends_on = std::mem::take(&mut v.depends_on)
            .into_iter()
            .map(|mut d| {
                f(&mut d);
                d
            })
            .collect();
    }
}

fn rename_column(s: &mut Schema, table: &QName, old: &str, new: &str) {
    let swap = |c: &mut String| {
        if c == old {
            *c = new.to_string();
        }
    };
    if let Some(t) = s.tables.get_mut(table) {
        // Column privileges stay with the column.
        if let Some(acl) = t.column_grants.remove(old) {
            t.column_grants.insert(new.to_string(), acl);
        }
        // Keep the column's position: Postgres renames in place.
        let columns = std::mem::take(&mut t.columns);
        for (name, mut c) in columns {
            if name == old {
                c.name = new.to_string();
                t.columns.insert(new.to_string(), c);
            } else {
                t.columns.insert(name, c);
            }
        }
        if let Some(pk) = &mut t.primary_key {
            pk.columns.iter_mut().for_each(swap);
        }
        for u in t.uniques.values_mut() {
            u.columns.iter_mut().for_each(swap);
        }
        for fk in t.foreign_keys.values_mut() {
            fk.columns.iter_mut().for_each(swap);
        }
        for i in t.indexes.values_mut() {
            for e in &mut i.elements {
                if let IndexKey::Column(c) = &mut e.key {
                    swap(c);
                }
            }
            i.include.iter_mut().for_each(swap);
        }
        for x in t.exclusions.values_mut() {
            for (e, _) in &mut x.elements {
                if let IndexKey::Column(c) = &mut e.key {
                    swap(c);
                }
            }
        }
        // Postgres keeps a trigger's `UPDATE OF` columns by number: they follow the rename.
        for g in t.triggers.values_mut() {
            g.columns.iter_mut().for_each(swap);
        }
    }
    for t in s.tables.values_mut() {
        for fk in t.foreign_keys.values_mut() {
            if &fk.ref_table == table {
                fk.ref_columns.iter_mut().for_each(swap);
            }
        }
    }
    for seq in s.sequences.values_mut() {
        if let Some((t, c)) = &mut seq.owned_by {
            if t == table && c == old {
                *c = new.to_string();
            }
        }
    }
    rename_reads(s, |d| {
        if &d.name == table && d.column.as_deref() == Some(old) {
            d.column = Some(new.to_string());
        }
    });
}
