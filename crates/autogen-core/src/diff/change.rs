//! The change vocabulary: verb-object edits, each carrying what it needs to be inverted.

use autogen_model::ir::{
    Acl, Column, Constraint, Conversion, Domain, Enum, Extension, Function, GrantTarget, Index,
    Namespace, Policy, Privileges, QName, RowSecurity, Sequence, Table, Trigger, View,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A column whose type is an enum or domain being rebuilt, with the default it must get back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeUsage {
    pub table: QName,
    pub column: String,
    pub array: bool,
    /// The column's default before the change, dropped before the conversion.
    pub default_before: Option<autogen_model::ir::Expr>,
    /// The default set once the column has the new type.
    pub default_after: Option<autogen_model::ir::Expr>,
}

impl TypeUsage {
    pub fn inverted(&self) -> TypeUsage {
        TypeUsage {
            default_before: self.default_after.clone(),
            default_after: self.default_before.clone(),
            ..self.clone()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EnumPosition {
    Before(String),
    After(String),
    End,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommentTarget {
    Schema(String),
    Table(QName),
    Column(QName, String),
    Enum(QName),
    Domain(QName),
    Sequence(QName),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    CreateSchema(Namespace),
    DropSchema(Namespace),
    CreateExtension(Extension),
    DropExtension(Extension),
    AlterExtensionSchema {
        before: Extension,
        after: Extension,
    },
    CreateEnum(Enum),
    DropEnum(Enum),
    RenameEnum {
        from: QName,
        to: QName,
    },
    /// One added value; `from_values`/`to_values` are the whole lists around the additions, so the
    /// group can be inverted (Postgres cannot drop a value: the inverse rebuilds the type).
    AddEnumValue {
        name: QName,
        value: String,
        position: EnumPosition,
        from_values: Vec<String>,
        to_values: Vec<String>,
        usages: Vec<TypeUsage>,
        comment: Option<String>,
        /// The enum's, for the rebuild that undoes the addition.
        #[serde(default, skip_serializing_if = "Acl::is_empty")]
        grants: Acl,
    },
    RenameEnumValue {
        name: QName,
        from: String,
        to: String,
    },
    /// Removed or reordered values: a new type, columns converted, the old type dropped.
    RebuildEnum {
        before: Enum,
        after: Enum,
        remap: BTreeMap<String, String>,
        usages: Vec<TypeUsage>,
    },
    CreateDomain(Domain),
    DropDomain(Domain),
    /// Default, NOT NULL or CHECKs differ; base type, collation and comment do not.
    AlterDomain {
        before: Domain,
        after: Domain,
    },
    /// A new base type or collation, which Postgres cannot change in place: a new domain,
    /// columns converted, the old one dropped.
    RebuildDomain {
        before: Domain,
        after: Domain,
        usages: Vec<TypeUsage>,
    },
    CreateSequence(Sequence),
    DropSequence(Sequence),
    AlterSequence {
        before: Sequence,
        after: Sequence,
    },
    CreateTable(Table),
    DropTable(Table),
    RenameTable {
        from: QName,
        to: QName,
    },
    AddColumn {
        table: QName,
        column: Column,
    },
    DropColumn {
        table: QName,
        column: Column,
    },
    RenameColumn {
        table: QName,
        from: String,
        to: String,
    },
    AlterColumn {
        table: QName,
        before: Column,
        after: Column,
        conversion: Conversion,
    },
    AddConstraint {
        table: QName,
        constraint: Constraint,
    },
    DropConstraint {
        table: QName,
        constraint: Constraint,
    },
    RenameConstraint {
        table: QName,
        from: String,
        to: String,
    },
    CreateIndex(Index),
    DropIndex(Index),
    RenameIndex {
        schema: String,
        from: String,
        to: String,
    },
    SetComment {
        target: CommentTarget,
        before: Option<String>,
        after: Option<String>,
    },
    /// A view or materialized view; its own module in each stage (`diff::views`,
    /// `render::view`) knows the rest.
    View(ViewChange),
    /// A function or procedure (`diff::functions`, `render::function`).
    Function(FunctionChange),
    /// A trigger on a table or view (`diff::triggers`, `render::trigger`).
    Trigger(TriggerChange),
    /// A table's row-level security or one of its policies (`diff::policies`,
    /// `render::policy`).
    Policy(PolicyChange),
    /// Privileges on one object (`diff::grants`, `render::grant`).
    Grant(GrantChange),
}

/// How the object of a [`GrantChange`] came to be in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GrantStep {
    /// It was there before and stays.
    Alter,
    /// The plan creates it.
    Created,
    /// The plan drops and creates it again (a view or function replaced, a type rebuilt):
    /// what it had is granted again.
    Recreated,
}

/// Grants and revokes on one object: for each role, its privileges when the step runs and
/// after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantChange {
    pub on: GrantTarget,
    pub step: GrantStep,
    /// Roles whose privileges are revoked wholesale first (`REVOKE ALL`): on an object just
    /// created, whatever default privileges gave them is not what the model says.
    pub reset: Vec<String>,
    /// Role -> (privileges when the step runs, privileges after it).
    pub roles: BTreeMap<String, (Privileges, Privileges)>,
    /// A table's column privileges, column -> role -> (before, after) as each column's ACL
    /// holds them: a revoke on the table takes the same privilege off its columns (Postgres
    /// does so), which the step grants again where the column keeps it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub columns: BTreeMap<String, BTreeMap<String, (Privileges, Privileges)>>,
    /// Likewise for the columns the plan adds (or adds again): their ACL starts empty, and
    /// the down plan drops them, grants and all.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub new_columns: BTreeMap<String, BTreeMap<String, (Privileges, Privileges)>>,
    /// For a recreated object: what each role had on the object it replaces, which the down
    /// plan grants again.
    pub replaced: BTreeMap<String, Privileges>,
}

type RolePrivileges = BTreeMap<String, (Privileges, Privileges)>;

fn swapped(roles: &RolePrivileges) -> RolePrivileges {
    roles
        .iter()
        .map(|(r, (b, a))| (r.clone(), (a.clone(), b.clone())))
        .collect()
}

impl GrantChange {
    /// The grants `acl` states, given again on an object an undo creates anew.
    pub fn regrant(on: GrantTarget, acl: &Acl) -> Option<GrantChange> {
        let default = on.kind().builtin_default();
        let roles: RolePrivileges = acl
            .roles()
            .map(|r| (r.clone(), (default.of(r), acl.of(r))))
            .filter(|(_, (b, a))| b != a)
            .collect();
        (!roles.is_empty()).then(|| GrantChange {
            on,
            step: GrantStep::Recreated,
            reset: Vec::new(),
            roles,
            columns: BTreeMap::new(),
            new_columns: BTreeMap::new(),
            replaced: BTreeMap::new(),
        })
    }

    /// Each object (the table's columns after the table) with each role's privileges before
    /// and after.
    pub fn each(&self) -> Vec<(GrantTarget, &String, &Privileges, &Privileges)> {
        let mut out: Vec<_> = self
            .roles
            .iter()
            .map(|(r, (b, a))| (self.on.clone(), r, b, a))
            .collect();
        if let GrantTarget::Table(q) = &self.on {
            for (c, roles) in self.columns.iter().chain(&self.new_columns) {
                for (r, (b, a)) in roles {
                    out.push((GrantTarget::Column(q.clone(), c.clone()), r, b, a));
                }
            }
        }
        out
    }

    pub fn invert(&self) -> Option<GrantChange> {
        match self.step {
            // The object goes: its grants go with it.
            GrantStep::Created => None,
            GrantStep::Alter => Some(GrantChange {
                roles: swapped(&self.roles),
                columns: self
                    .columns
                    .iter()
                    .map(|(c, roles)| (c.clone(), swapped(roles)))
                    .collect(),
                new_columns: BTreeMap::new(),
                ..self.clone()
            }),
            GrantStep::Recreated => {
                let mut roles = BTreeMap::new();
                for (r, (baseline, _)) in &self.roles {
                    roles.insert(
                        r.clone(),
                        (
                            baseline.clone(),
                            self.replaced.get(r).cloned().unwrap_or_default(),
                        ),
                    );
                }
                for (r, old) in &self.replaced {
                    roles
                        .entry(r.clone())
                        .or_insert_with(|| (Privileges::default(), old.clone()));
                }
                Some(GrantChange {
                    roles,
                    // A view, function or type: no columns of its own.
                    columns: BTreeMap::new(),
                    new_columns: BTreeMap::new(),
                    replaced: self
                        .roles
                        .iter()
                        .map(|(r, (_, a))| (r.clone(), a.clone()))
                        .collect(),
                    ..self.clone()
                })
            }
        }
    }
}

/// The changes to a table's row-level security and policies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyChange {
    /// `recreate`: it comes back after a change Postgres refuses under it (or that
    /// `ALTER POLICY` cannot make).
    Create {
        table: QName,
        policy: Policy,
        recreate: bool,
    },
    Drop {
        table: QName,
        policy: Policy,
        recreate: bool,
    },
    /// `ALTER POLICY` (roles, `USING`, `WITH CHECK`) and its comment.
    Alter {
        table: QName,
        before: Policy,
        after: Policy,
    },
    /// `ALTER TABLE ... ENABLE | DISABLE | FORCE | NO FORCE ROW LEVEL SECURITY`.
    RowSecurity {
        table: QName,
        before: RowSecurity,
        after: RowSecurity,
    },
}

impl PolicyChange {
    pub fn table(&self) -> &QName {
        match self {
            PolicyChange::Create { table, .. }
            | PolicyChange::Drop { table, .. }
            | PolicyChange::Alter { table, .. }
            | PolicyChange::RowSecurity { table, .. } => table,
        }
    }

    pub fn invert(&self) -> PolicyChange {
        match self.clone() {
            PolicyChange::Create {
                table,
                policy,
                recreate,
            } => PolicyChange::Drop {
                table,
                policy,
                recreate,
            },
            PolicyChange::Drop {
                table,
                policy,
                recreate,
            } => PolicyChange::Create {
                table,
                policy,
                recreate,
            },
            PolicyChange::Alter {
                table,
                before,
                after,
            } => PolicyChange::Alter {
                table,
                before: after,
                after: before,
            },
            PolicyChange::RowSecurity {
                table,
                before,
                after,
            } => PolicyChange::RowSecurity {
                table,
                before: after,
                after: before,
            },
        }
    }
}

/// The table or view a trigger is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerOn {
    pub relation: QName,
    pub view: bool,
}

/// The changes to a trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TriggerChange {
    /// `recreate`: it comes back after a change Postgres refuses under it (or that
    /// `CREATE OR REPLACE TRIGGER` cannot make).
    Create {
        on: TriggerOn,
        trigger: Trigger,
        recreate: bool,
    },
    Drop {
        on: TriggerOn,
        trigger: Trigger,
        recreate: bool,
    },
    /// `CREATE OR REPLACE TRIGGER`: neither is a constraint trigger.
    Replace {
        on: TriggerOn,
        before: Trigger,
        after: Trigger,
    },
    /// Only the enabled state or the comment differs.
    Alter {
        on: TriggerOn,
        before: Trigger,
        after: Trigger,
    },
}

impl TriggerChange {
    pub fn on(&self) -> &TriggerOn {
        match self {
            TriggerChange::Create { on, .. }
            | TriggerChange::Drop { on, .. }
            | TriggerChange::Replace { on, .. }
            | TriggerChange::Alter { on, .. } => on,
        }
    }

    /// The trigger as it is once the change is made (as it was, for a drop).
    pub fn after(&self) -> &Trigger {
        match self {
            TriggerChange::Create { trigger, .. } | TriggerChange::Drop { trigger, .. } => trigger,
            TriggerChange::Replace { after, .. } | TriggerChange::Alter { after, .. } => after,
        }
    }

    pub fn invert(&self) -> TriggerChange {
        match self.clone() {
            TriggerChange::Create {
                on,
                trigger,
                recreate,
            } => TriggerChange::Drop {
                on,
                trigger,
                recreate,
            },
            TriggerChange::Drop {
                on,
                trigger,
                recreate,
            } => TriggerChange::Create {
                on,
                trigger,
                recreate,
            },
            TriggerChange::Replace { on, before, after } => TriggerChange::Replace {
                on,
                before: after,
                after: before,
            },
            TriggerChange::Alter { on, before, after } => TriggerChange::Alter {
                on,
                before: after,
                after: before,
            },
        }
    }
}

/// Where a function sits among the other objects, as the schema it is created in (or dropped
/// from) uses it; it decides the order of its steps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionUse {
    /// A table's default, CHECK, generated column or index expression calls it: it is created
    /// before the tables (its SQL body checked only when called, as `pg_dump` does) and
    /// dropped after them.
    pub by_tables: bool,
    /// Its body reads a view: it is created after the views.
    pub reads_views: bool,
    /// Its SQL body names a table of the schema.
    pub reads_tables: bool,
    /// Dropped and created again in the same plan (a change `CREATE OR REPLACE` cannot make):
    /// the drop goes first, once the views over it are out of the way.
    pub recreate: bool,
}

/// The changes to a function or procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FunctionChange {
    Create(Function, FunctionUse),
    Drop(Function, FunctionUse),
    /// `CREATE OR REPLACE`: the same kind, result and argument names.
    Replace {
        before: Function,
        after: Function,
        uses: FunctionUse,
    },
    /// Only the comment differs.
    Comment {
        before: Function,
        after: Function,
    },
}

impl FunctionChange {
    /// The function as it is once the change is made (as it was, for a drop).
    pub fn after(&self) -> &Function {
        match self {
            FunctionChange::Create(f, _) | FunctionChange::Drop(f, _) => f,
            FunctionChange::Replace { after, .. } | FunctionChange::Comment { after, .. } => after,
        }
    }

    pub fn invert(&self) -> Vec<FunctionChange> {
        match self.clone() {
            FunctionChange::Create(f, u) => vec![FunctionChange::Drop(f, u)],
            FunctionChange::Drop(f, u) => vec![FunctionChange::Create(f, u)],
            // Adding a default is a replacement; taking it away again is not.
            FunctionChange::Replace {
                before,
                after,
                uses,
            } if !after.replaceable_by(&before) => vec![
                FunctionChange::Drop(after, uses),
                FunctionChange::Create(before, uses),
            ],
            FunctionChange::Replace {
                before,
                after,
                uses,
            } => vec![FunctionChange::Replace {
                before: after,
                after: before,
                uses,
            }],
            FunctionChange::Comment { before, after } => vec![FunctionChange::Comment {
                before: after,
                after: before,
            }],
        }
    }
}

/// The changes to a view or materialized view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ViewChange {
    Create(View),
    Drop(View),
    /// `CREATE OR REPLACE VIEW`: the same leading columns, new query or options.
    Replace {
        before: View,
        after: View,
    },
    /// The same query and columns: a comment, or a materialized view's storage options,
    /// indexes or populated state.
    Alter {
        before: View,
        after: View,
    },
}

impl ViewChange {
    /// The view as it is once the change is made (as it was, for a drop).
    pub fn after(&self) -> &View {
        match self {
            ViewChange::Create(v) | ViewChange::Drop(v) => v,
            ViewChange::Replace { after, .. } | ViewChange::Alter { after, .. } => after,
        }
    }

    pub fn invert(&self) -> Vec<ViewChange> {
        match self.clone() {
            ViewChange::Create(v) => vec![ViewChange::Drop(v)],
            ViewChange::Drop(v) => vec![ViewChange::Create(v)],
            // Postgres cannot take columns away from a view in place: the undo of added columns
            // is a drop and a create (the diff has put the view's readers out of the way).
            ViewChange::Replace { before, after } if after.columns.len() > before.columns.len() => {
                vec![ViewChange::Drop(after), ViewChange::Create(before)]
            }
            ViewChange::Replace { before, after } => vec![ViewChange::Replace {
                before: after,
                after: before,
            }],
            ViewChange::Alter { before, after } => vec![ViewChange::Alter {
                before: after,
                after: before,
            }],
        }
    }
}

impl Change {
    /// The change that undoes this one. Enum value additions and rebuilds invert to the changes
    /// that turn the `after` enum back into `before` (see `diff::enums`).
    pub fn invert(&self) -> Vec<Change> {
        use Change::*;
        let one = |c| vec![c];
        match self.clone() {
            CreateSchema(n) => one(DropSchema(n)),
            DropSchema(n) => one(CreateSchema(n)),
            CreateExtension(e) => one(DropExtension(e)),
            DropExtension(e) => one(CreateExtension(e)),
            AlterExtensionSchema { before, after } => one(AlterExtensionSchema {
                before: after,
                after: before,
            }),
            CreateEnum(e) => one(DropEnum(e)),
            DropEnum(e) => one(CreateEnum(e)),
            RenameEnum { from, to } => one(RenameEnum { from: to, to: from }),
            RenameEnumValue { name, from, to } => one(RenameEnumValue {
                name,
                from: to,
                to: from,
            }),
            // Handled as a group by `invert_all`, which knows the whole enum.
            AddEnumValue { .. } | RebuildEnum { .. } => Vec::new(),
            CreateDomain(d) => one(DropDomain(d)),
            DropDomain(d) => one(CreateDomain(d)),
            AlterDomain { before, after } => one(AlterDomain {
                before: after,
                after: before,
            }),
            RebuildDomain {
                before,
                after,
                usages,
            } => one(RebuildDomain {
                before: after,
                after: before,
                usages: usages.iter().map(TypeUsage::inverted).collect(),
            }),
            CreateSequence(s) => one(DropSequence(s)),
            DropSequence(s) => one(CreateSequence(s)),
            AlterSequence { before, after } => one(AlterSequence {
                before: after,
                after: before,
            }),
            CreateTable(t) => one(DropTable(t)),
            DropTable(t) => one(CreateTable(t)),
            RenameTable { from, to } => one(RenameTable { from: to, to: from }),
            AddColumn { table, column } => one(DropColumn { table, column }),
            DropColumn { table, column } => one(AddColumn { table, column }),
            RenameColumn { table, from, to } => one(RenameColumn {
                table,
                from: to,
                to: from,
            }),
            // Postgres cannot make a column generated in place: it is recreated.
            AlterColumn {
                table,
                before,
                after,
                ..
            } if before.generated.is_some() && before.generated != after.generated => vec![
                DropColumn {
                    table: table.clone(),
                    column: after,
                },
                AddColumn {
                    table,
                    column: before,
                },
            ],
            AlterColumn {
                table,
                before,
                after,
                conversion,
            } => one(AlterColumn {
                table,
                before: after,
                after: before,
                conversion: conversion.inverted(),
            }),
            AddConstraint { table, constraint } => one(DropConstraint { table, constraint }),
            DropConstraint { table, constraint } => one(AddConstraint { table, constraint }),
            RenameConstraint { table, from, to } => one(RenameConstraint {
                table,
                from: to,
                to: from,
            }),
            RenameIndex { schema, from, to } => one(RenameIndex {
                schema,
                from: to,
                to: from,
            }),
            View(v) => {
                let undo: Vec<ViewChange> = v.invert();
                // Dropped and created again: its grants come back.
                let regrant = match (&v, undo.as_slice()) {
                    (ViewChange::Replace { before, .. }, [ViewChange::Drop(_), _]) => {
                        GrantChange::regrant(GrantTarget::View(before.name.clone()), &before.grants)
                    }
                    _ => None,
                };
                undo.into_iter()
                    .map(View)
                    .chain(regrant.map(Grant))
                    .collect()
            }
            Function(f) => f.invert().into_iter().map(Function).collect(),
            Trigger(t) => one(Trigger(t.invert())),
            Policy(p) => one(Policy(p.invert())),
            Grant(g) => g.invert().map(Grant).into_iter().collect(),
            CreateIndex(i) => one(DropIndex(i)),
            DropIndex(i) => one(CreateIndex(i)),
            SetComment {
                target,
                before,
                after,
            } => one(SetComment {
                target,
                before: after,
                after: before,
            }),
        }
    }

    /// Whether this change discards stored data that its inverse cannot bring back.
    pub fn loses_data(&self) -> bool {
        match self {
            Change::DropTable(_) | Change::DropColumn { .. } => true,
            Change::RebuildEnum { before, after, .. } => {
                !before.values_missing_from(after).is_empty()
            }
            Change::AlterColumn {
                before,
                after,
                conversion,
                ..
            } => autogen_model::ir::convert::changes_values(&before.ty, &after.ty, conversion),
            _ => false,
        }
    }
}
