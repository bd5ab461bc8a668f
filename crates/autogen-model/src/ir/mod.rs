//! The one schema representation every stage talks through.
//!
//! Input: built by `model` (YAML), `inspect` (live catalog) or a snapshot. Output: values that the
//! comparator compares with `==`. Nothing in here knows where a schema came from or touches a
//! connection. Two facts about the IR live here because every stage needs them: how a name, type
//! or literal is spelled in SQL (`quote`, the only way model text reaches SQL) and how a column
//! type converts to another (`convert`).

mod arguments;
pub mod convert;
mod expr;
mod function;
mod grant;
mod keywords;
mod names;
mod policy;
pub mod quote;
mod refs;
mod trigger;
mod types;
mod view;

pub use arguments::{Argument, parse_arguments, signature_of, spell_type, split_top_level};
pub use convert::Conversion;
pub use expr::{Expr, check_expression, identifiers};
pub use function::{
    Function, FunctionKey, Parallel, Volatility, adopt_normalized, cost_text, normalized_form,
    rows_text,
};
pub use grant::{Acl, AclKind, GrantTarget, Privilege, Privileges};
pub(crate) use keywords::needs_quotes;
pub(crate) use names::split_qualified;
pub use names::{MAX_IDENTIFIER_BYTES, QName, default_constraint_name, truncate_identifier};
pub use policy::{PUBLIC_ROLE, Policy, PolicyCommand, RowSecurity};
pub use refs::column_refs;
pub use trigger::{Trigger, TriggerEnabled, TriggerEvent, TriggerTiming};
pub use types::{BaseType, ColumnType, IntervalFields, TypeParseError, Typmod};
pub use view::{ObjectId, ObjectKind, VIEW_OPTIONS, View, ViewColumn};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A whole database (or the part of it a filter selected).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub schemas: BTreeMap<String, Namespace>,
    pub extensions: BTreeMap<String, Extension>,
    pub enums: BTreeMap<QName, Enum>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub domains: BTreeMap<QName, Domain>,
    pub sequences: BTreeMap<QName, Sequence>,
    pub tables: BTreeMap<QName, Table>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub views: BTreeMap<QName, View>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub functions: BTreeMap<FunctionKey, Function>,
    /// The roles whose grants the schema speaks for: a model's `roles:` (empty when it names
    /// none). `None`, as read from a database, speaks for every role. A comparison looks at the
    /// grants to the roles either side names, and leaves every other role's grants alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_roles: Option<std::collections::BTreeSet<String>>,
    /// Rename hints from a model; never part of equality between two schemas' objects.
    #[serde(default, skip_serializing_if = "Hints::is_empty")]
    pub hints: Hints,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Namespace {
    pub name: String,
    pub comment: Option<String>,
    /// Privileges granted to roles other than the owner; see [`Acl`].
    #[serde(default, skip_serializing_if = "Acl::is_empty")]
    pub grants: Acl,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub name: String,
    pub schema: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enum {
    pub name: QName,
    pub values: Vec<String>,
    pub comment: Option<String>,
    /// Privileges granted to roles other than the owner; see [`Acl`].
    #[serde(default, skip_serializing_if = "Acl::is_empty")]
    pub grants: Acl,
}

impl Enum {
    /// This enum's values that `other` does not have, in this enum's order.
    pub fn values_missing_from<'a>(&'a self, other: &Enum) -> Vec<&'a String> {
        self.values
            .iter()
            .filter(|v| !other.values.contains(v))
            .collect()
    }
}

/// `CREATE DOMAIN`: a base type with its own default, NOT NULL and CHECK constraints (whose
/// expressions speak of `VALUE`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    pub name: QName,
    pub base: ColumnType,
    pub collation: Option<String>,
    pub default: Option<Expr>,
    pub not_null: bool,
    pub checks: BTreeMap<String, Expr>,
    pub comment: Option<String>,
    /// Privileges granted to roles other than the owner; see [`Acl`].
    #[serde(default, skip_serializing_if = "Acl::is_empty")]
    pub grants: Acl,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequence {
    pub name: QName,
    /// `int2`, `int4` or `int8`.
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min_value: i64,
    pub max_value: i64,
    pub cache: i64,
    pub cycle: bool,
    pub owned_by: Option<(QName, String)>,
    pub comment: Option<String>,
    /// Privileges granted to roles other than the owner; see [`Acl`].
    #[serde(default, skip_serializing_if = "Acl::is_empty")]
    pub grants: Acl,
}

impl Sequence {
    /// A sequence with Postgres's defaults for `CREATE SEQUENCE name AS data_type`.
    pub fn with_defaults(name: QName, data_type: &str) -> Sequence {
        let max = match data_type {
            "int2" => i16::MAX as i64,
            "int4" => i32::MAX as i64,
            _ => i64::MAX,
        };
        Sequence {
            name,
            data_type: data_type.to_string(),
            start: 1,
            increment: 1,
            min_value: 1,
            max_value: max,
            cache: 1,
            cycle: false,
            owned_by: None,
            comment: None,
            grants: Acl::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub name: QName,
    pub columns: IndexMap<String, Column>,
    pub primary_key: Option<PrimaryKey>,
    pub uniques: BTreeMap<String, Unique>,
    pub checks: BTreeMap<String, Check>,
    pub foreign_keys: BTreeMap<String, ForeignKey>,
    pub exclusions: BTreeMap<String, Exclusion>,
    pub indexes: BTreeMap<String, Index>,
    pub comment: Option<String>,
    /// Compared and changed by `diff::triggers`, never with the table's own parts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub triggers: BTreeMap<String, Trigger>,
    /// Compared and changed by `diff::policies`, with the policies.
    #[serde(default, skip_serializing_if = "RowSecurity::is_off")]
    pub row_security: RowSecurity,
    /// Compared and changed by `diff::policies`, never with the table's own parts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub policies: BTreeMap<String, Policy>,
    /// Compared and changed by `diff::grants`, like every object's grants.
    #[serde(default, skip_serializing_if = "Acl::is_empty")]
    pub grants: Acl,
    /// Column privileges (`attacl`), by column; columns without any are left out.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub column_grants: BTreeMap<String, Acl>,
}

impl Table {
    pub fn new(name: QName) -> Table {
        Table {
            name,
            columns: IndexMap::new(),
            primary_key: None,
            uniques: BTreeMap::new(),
            checks: BTreeMap::new(),
            foreign_keys: BTreeMap::new(),
            exclusions: BTreeMap::new(),
            indexes: BTreeMap::new(),
            comment: None,
            triggers: BTreeMap::new(),
            row_security: RowSecurity::default(),
            policies: BTreeMap::new(),
            grants: Acl::default(),
            column_grants: BTreeMap::new(),
        }
    }

    /// Every expression of the table (defaults, generated columns, CHECKs, index and exclusion
    /// keys and predicates): where it can call a function.
    pub fn expressions(&self) -> Vec<&Expr> {
        let mut out = Vec::new();
        for c in self.columns.values() {
            out.extend(c.default.iter().chain(&c.generated));
        }
        out.extend(self.checks.values().map(|c| &c.expr));
        fn key(e: &IndexElement) -> Option<&Expr> {
            match &e.key {
                IndexKey::Expression(x) => Some(x),
                IndexKey::Column(_) => None,
            }
        }
        for i in self.indexes.values() {
            out.extend(i.elements.iter().filter_map(key));
            out.extend(&i.predicate);
        }
        for x in self.exclusions.values() {
            out.extend(x.elements.iter().filter_map(|(e, _)| key(e)));
            out.extend(&x.predicate);
        }
        out
    }

    /// Every constraint of the table, in a fixed order (kind, then name).
    pub fn constraints(&self) -> Vec<Constraint> {
        let mut out = Vec::new();
        if let Some(pk) = &self.primary_key {
            out.push(Constraint::PrimaryKey(pk.clone()));
        }
        out.extend(self.uniques.values().cloned().map(Constraint::Unique));
        out.extend(self.checks.values().cloned().map(Constraint::Check));
        out.extend(self.exclusions.values().cloned().map(Constraint::Exclusion));
        out.extend(
            self.foreign_keys
                .values()
                .cloned()
                .map(Constraint::ForeignKey),
        );
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
    pub nullable: bool,
    pub default: Option<Expr>,
    pub identity: Option<Identity>,
    /// A stored generated column's expression.
    pub generated: Option<Expr>,
    /// A collation other than the type's default, as `schema.name` or a bare name in `pg_catalog`.
    pub collation: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Identity {
    Always,
    ByDefault,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrimaryKey {
    pub name: String,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unique {
    pub name: String,
    pub columns: Vec<String>,
    pub nulls_not_distinct: bool,
    pub deferrable: Deferrable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub expr: Expr,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Deferrable {
    #[default]
    No,
    InitiallyImmediate,
    InitiallyDeferred,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FkAction {
    #[default]
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub ref_table: QName,
    pub ref_columns: Vec<String>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
    pub match_full: bool,
    pub deferrable: Deferrable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exclusion {
    pub name: String,
    pub method: String,
    /// Each element with the operator it is compared by (`room WITH =`).
    pub elements: Vec<(IndexElement, String)>,
    pub predicate: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    pub table: QName,
    pub unique: bool,
    pub method: String,
    pub elements: Vec<IndexElement>,
    pub include: Vec<String>,
    pub predicate: Option<Expr>,
    pub nulls_not_distinct: bool,
}

impl Index {
    /// The columns its keys name, in order; expression keys are left out.
    pub fn key_columns(&self) -> Vec<String> {
        self.elements
            .iter()
            .filter_map(|e| match &e.key {
                IndexKey::Column(c) => Some(c.clone()),
                IndexKey::Expression(_) => None,
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexKey {
    Column(String),
    Expression(Expr),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexElement {
    pub key: IndexKey,
    pub collation: Option<String>,
    /// A non-default operator class.
    pub opclass: Option<String>,
    pub descending: bool,
    /// Stored explicitly: Postgres's default is NULLS LAST for ASC and NULLS FIRST for DESC.
    pub nulls_first: bool,
}

impl IndexElement {
    pub fn column(name: &str) -> IndexElement {
        IndexElement {
            key: IndexKey::Column(name.to_string()),
            collation: None,
            opclass: None,
            descending: false,
            nulls_first: false,
        }
    }
}

/// A table constraint of any kind, for changes that add or drop one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Constraint {
    PrimaryKey(PrimaryKey),
    Unique(Unique),
    Check(Check),
    Exclusion(Exclusion),
    ForeignKey(ForeignKey),
}

impl Constraint {
    /// The same constraint under another name.
    pub fn renamed(&self, name: &str) -> Constraint {
        let mut c = self.clone();
        let slot = match &mut c {
            Constraint::PrimaryKey(x) => &mut x.name,
            Constraint::Unique(x) => &mut x.name,
            Constraint::Check(x) => &mut x.name,
            Constraint::Exclusion(x) => &mut x.name,
            Constraint::ForeignKey(x) => &mut x.name,
        };
        *slot = name.to_string();
        c
    }

    pub fn name(&self) -> &str {
        match self {
            Constraint::PrimaryKey(c) => &c.name,
            Constraint::Unique(c) => &c.name,
            Constraint::Check(c) => &c.name,
            Constraint::Exclusion(c) => &c.name,
            Constraint::ForeignKey(c) => &c.name,
        }
    }
}

/// Rename and remap hints from a model, keyed by the new name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hints {
    pub tables: BTreeMap<QName, QName>,
    pub columns: BTreeMap<(QName, String), String>,
    pub enums: BTreeMap<QName, QName>,
    pub enum_values: BTreeMap<(QName, String), String>,
    /// For an enum value that is removed: the value its rows take instead.
    pub enum_remap: BTreeMap<(QName, String), String>,
    /// A column's declared conversion (`using:`), used only when its type changes.
    #[serde(default)]
    pub conversions: BTreeMap<(QName, String), Expr>,
}

impl Hints {
    pub fn is_empty(&self) -> bool {
        self == &Hints::default()
    }
}

impl Schema {
    /// Adds `other`'s objects (another service's schemas); on a name both hold, `other`'s wins.
    pub fn merge(&mut self, other: Schema) {
        self.schemas.extend(other.schemas);
        self.extensions.extend(other.extensions);
        self.enums.extend(other.enums);
        self.domains.extend(other.domains);
        self.sequences.extend(other.sequences);
        self.tables.extend(other.tables);
        self.views.extend(other.views);
        self.functions.extend(other.functions);
        // Models merged (several services) speak for the roles any of them names.
        if let Some(r) = other.managed_roles {
            self.managed_roles
                .get_or_insert_with(Default::default)
                .extend(r);
        }
    }

    /// Keeps only the objects in schemas that `keep` accepts.
    pub fn retain_schemas(&mut self, keep: impl Fn(&str) -> bool) {
        self.schemas.retain(|n, _| keep(n));
        self.extensions.retain(|_, e| keep(&e.schema));
        self.enums.retain(|n, _| keep(&n.schema));
        self.domains.retain(|n, _| keep(&n.schema));
        self.sequences.retain(|n, _| keep(&n.schema));
        self.tables.retain(|n, _| keep(&n.schema));
        self.views.retain(|n, _| keep(&n.schema));
        self.functions.retain(|(n, _), _| keep(&n.schema));
    }

    /// Whether a table or view `relation` of this schema has the trigger `name`.
    pub fn has_trigger(&self, relation: &QName, name: &str) -> bool {
        self.tables
            .get(relation)
            .map(|t| &t.triggers)
            .or_else(|| self.views.get(relation).map(|v| &v.triggers))
            .is_some_and(|t| t.contains_key(name))
    }

    /// Every trigger, on tables and on views, with the relation it is on.
    pub fn triggers(&self) -> impl Iterator<Item = (&QName, &Trigger)> {
        let tables = self.tables.values().map(|t| (&t.name, &t.triggers));
        let views = self.views.values().map(|v| (&v.name, &v.triggers));
        tables
            .chain(views)
            .flat_map(|(q, ts)| ts.values().map(move |t| (q, t)))
    }

    /// Keeps the triggers (on tables and views) that `keep` accepts, given their relation and
    /// name; returns the others as `(relation, name)`.
    pub fn retain_triggers(&mut self, keep: impl Fn(&QName, &str) -> bool) -> Vec<(QName, String)> {
        let mut out = Vec::new();
        let lists = self
            .tables
            .values_mut()
            .map(|t| (&t.name, &mut t.triggers))
            .chain(self.views.values_mut().map(|v| (&v.name, &mut v.triggers)));
        for (q, triggers) in lists {
            triggers.retain(|n, _| {
                let k = keep(q, n);
                if !k {
                    out.push((q.clone(), n.clone()));
                }
                k
            });
        }
        out
    }

    /// Whether the table `table` of this schema has the policy `name`.
    pub fn has_policy(&self, table: &QName, name: &str) -> bool {
        self.tables
            .get(table)
            .is_some_and(|t| t.policies.contains_key(name))
    }

    /// Every policy, with the table it is on.
    pub fn policies(&self) -> impl Iterator<Item = (&QName, &Policy)> {
        self.tables
            .values()
            .flat_map(|t| t.policies.values().map(move |p| (&t.name, p)))
    }

    /// Keeps the policies that `keep` accepts, given their table and name; returns the others
    /// as `(table, name)`.
    pub fn retain_policies(&mut self, keep: impl Fn(&QName, &str) -> bool) -> Vec<(QName, String)> {
        let mut out = Vec::new();
        for t in self.tables.values_mut() {
            let q = &t.name;
            t.policies.retain(|n, _| {
                let k = keep(q, n);
                if !k {
                    out.push((q.clone(), n.clone()));
                }
                k
            });
        }
        out
    }

    /// Columns whose type is the enum or domain `name` (directly or as an array).
    pub fn type_users(&self, name: &QName) -> Vec<(&Table, &Column)> {
        let mut out = Vec::new();
        for t in self.tables.values() {
            for c in t.columns.values() {
                if c.ty.base == BaseType::User(name.clone()) {
                    out.push((t, c));
                }
            }
        }
        out
    }
}
