//! The YAML document shapes, as people write them. Unknown keys are errors, so a typo never
//! silently drops part of a model.

use indexmap::IndexMap;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use serde_saphyr::Spanned;
use std::fmt;

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<Flex<ExtensionDoc>>,
    /// The roles whose grants on this service's objects the model states: grants to them
    /// that the model does not list are revoked; other roles' grants are left alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Privileges on the file's schema (one the model creates, not `public`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Spanned<GrantsDoc>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub enums: IndexMap<String, Spanned<Flex<EnumDoc>>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub domains: IndexMap<String, Spanned<Flex<DomainDoc>>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub sequences: IndexMap<String, Spanned<SequenceDoc>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub tables: IndexMap<String, Spanned<TableDoc>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub views: IndexMap<String, Spanned<ViewDoc>>,
    /// Functions and procedures by name; an overload under a label of its own, with `name:`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub functions: IndexMap<String, Spanned<FunctionDoc>>,
    /// For a SQL model file: the line each view and index was declared on (a YAML file's come
    /// with their values).
    #[serde(skip)]
    pub sql_lines: std::collections::BTreeMap<String, u64>,
    /// For a SQL model file: its `CREATE TRIGGER`s, on tables or views of its schema that may
    /// be declared in another file of the service.
    #[serde(skip)]
    pub sql_triggers: Vec<SqlTrigger>,
    /// For a SQL model file: its `CREATE POLICY`s and row-level security switches, on tables
    /// of its schema that are declared in another file of the service.
    #[serde(skip)]
    pub sql_policies: Vec<SqlPolicy>,
    #[serde(skip)]
    pub sql_row_security: Vec<SqlRowSecurity>,
    /// For a SQL model file: its `GRANT`s, on objects of its schema declared in any file of
    /// the service.
    #[serde(skip)]
    pub sql_grants: Vec<SqlGrant>,
}

/// A `GRANT` read from a SQL model file.
#[derive(Debug)]
pub struct SqlGrant {
    /// `table` (also for views and sequences), `sequence`, `schema`, `function`,
    /// `procedure`, `type`, `domain`.
    pub kind: String,
    pub objects: Vec<GrantObject>,
    /// Each privilege word (`select`, `all`) with its column list, if any.
    pub privileges: Vec<(String, Vec<String>)>,
    pub roles: Vec<String>,
    pub grant_option: bool,
    pub line: u64,
}

#[derive(Debug)]
pub struct GrantObject {
    pub schema: Option<String>,
    pub name: String,
    /// A function's argument list as written, when given.
    pub arguments: Option<String>,
}

/// Privileges by role, each a privilege or a list of them (`select`, `insert with grant
/// option`, `all`).
pub type GrantsDoc = IndexMap<String, GrantWords>;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum GrantWords {
    One(String),
    Many(Vec<String>),
}

impl GrantWords {
    pub fn words(&self) -> Vec<String> {
        match self {
            GrantWords::One(w) => vec![w.clone()],
            GrantWords::Many(ws) => ws.clone(),
        }
    }
}

/// A policy read from a SQL model file.
#[derive(Debug)]
pub struct SqlPolicy {
    pub table: String,
    pub name: String,
    pub doc: PolicyDoc,
    pub line: u64,
}

/// `ALTER TABLE ... ENABLE | DISABLE | FORCE | NO FORCE ROW LEVEL SECURITY` of a SQL model
/// file: `enable` sets `rls`, `force` sets `force_rls`.
#[derive(Debug)]
pub struct SqlRowSecurity {
    pub table: String,
    pub force: bool,
    pub on: bool,
    pub line: u64,
}

/// A row-level security policy on a table, as `CREATE POLICY` declares it.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDoc {
    /// `all` (the default), `select`, `insert`, `update` or `delete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// `AS RESTRICTIVE`: rows must pass it as well as a permissive policy.
    #[serde(default, skip_serializing_if = "is_false")]
    pub restrictive: bool,
    /// The roles it applies to; every role (`public`) when none are given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// `USING`: which existing rows it lets through.
    #[serde(
        default,
        deserialize_with = "scalar_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub using: Option<String>,
    /// `WITH CHECK`: which new rows it lets be written.
    #[serde(
        default,
        deserialize_with = "scalar_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub with_check: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A trigger read from a SQL model file.
#[derive(Debug)]
pub struct SqlTrigger {
    /// The table or view it is on, in the file's schema.
    pub relation: String,
    pub name: String,
    pub doc: TriggerDoc,
    pub line: u64,
}

/// A trigger on a table or view, as `CREATE TRIGGER` declares it.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerDoc {
    /// `before`, `after` or `instead of`.
    pub timing: String,
    /// `insert`, `update`, `delete`, `truncate`.
    pub events: Vec<String>,
    /// `UPDATE OF` these columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// `row` or `statement` (the default, as in Postgres).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_each: Option<String>,
    /// The `WHEN` condition, over `OLD` and `NEW`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// `REFERENCING OLD TABLE AS` this name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_table: Option<String>,
    /// `REFERENCING NEW TABLE AS` this name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_table: Option<String>,
    /// The trigger function: `name` (of the table's schema) or `schema.name`.
    pub function: String,
    /// Its arguments (`TG_ARGV`), as strings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<String>,
    /// `CREATE CONSTRAINT TRIGGER`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub constraint: bool,
    /// A constraint trigger's `deferrable` or `initially_deferred`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferrable: Option<String>,
    /// A constraint trigger's `FROM` table: `name` or `schema.name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// `origin` (the default: `ENABLE`), `disabled`, `replica` or `always`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A view or (`materialized: true`) a materialized view. Its query may name its own schema's
/// objects unqualified; the shadow reads it back as Postgres stores it.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewDoc {
    #[serde(default, skip_serializing_if = "is_false")]
    pub materialized: bool,
    pub query: String,
    /// Names for the output columns, as in `CREATE VIEW v (a, b)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub security_invoker: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub security_barrier: bool,
    /// `local` or `cascaded`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_option: Option<String>,
    /// A materialized view's `WITH DATA` (the default) or `WITH NO DATA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_data: Option<bool>,
    /// A materialized view's storage parameters (`fillfactor`, `autovacuum_enabled`, ...).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub storage: IndexMap<String, String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub indexes: IndexMap<String, Spanned<IndexDoc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Privileges by role: `{ anon: [select], app: all }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Spanned<GrantsDoc>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub triggers: IndexMap<String, Spanned<TriggerDoc>>,
    /// Written in snapshots only: the output columns' types, as Postgres spells them, in the
    /// order of `columns`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub column_types: Vec<String>,
    /// Written in snapshots only: what the view reads (`table "app"."users"."id"`), from
    /// `pg_depend`, so a change under it can be planned from the snapshot alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

/// A function or (`procedure: true`) a procedure. Its argument list and result are written as
/// in `CREATE FUNCTION`; the shadow reads the whole back as Postgres stores it.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionDoc {
    /// The function's name, when the key is only a label (for an overload).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub procedure: bool,
    /// `a integer, b text DEFAULT 'x'`, as between the parentheses of `CREATE FUNCTION`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub arguments: String,
    /// `integer`, `SETOF app.users`, `TABLE (id integer)`, `trigger`; none for a procedure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returns: Option<String>,
    /// `sql` (the default), `plpgsql`, or another installed language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The body: what goes between `$$`, or a SQL-standard `BEGIN ATOMIC ... END` / `RETURN ...`.
    pub body: String,
    /// `immutable`, `stable` or `volatile` (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volatility: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub strict: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub security_definer: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub leakproof: bool,
    /// `safe`, `restricted` or `unsafe` (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<f64>,
    /// `SET` clauses: `search_path: "public, pg_temp"`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub set: IndexMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Privileges by role: `{ anon: [select], app: all }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Spanned<GrantsDoc>>,
    /// Written in snapshots only: the input argument types as Postgres spells them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// Written in snapshots only: the relations and types it uses, from `pg_depend`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

/// `pgcrypto` or `{ name: pgcrypto, schema: extensions }`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionDoc {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
}

/// `[a, b]` or `{ values: [a, b], comment, renamed_from, renamed_values, remap }`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumDoc {
    pub values: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Privileges by role: `{ anon: [select], app: all }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Spanned<GrantsDoc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// New value name -> the old name it replaces.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub renamed_values: IndexMap<String, String>,
    /// Removed value -> the value its rows take instead.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub remap: IndexMap<String, String>,
}

/// `text` or `{ type, not_null, default, collation, check, checks, comment }`. Unlike a column, a
/// domain accepts NULL unless it says `not_null: true`, as in Postgres.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainDoc {
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_null: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    /// One CHECK named as Postgres names it (`<domain>_check`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub checks: IndexMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Privileges by role: `{ anon: [select], app: all }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Spanned<GrantsDoc>>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SequenceDoc {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub ty: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub increment: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_value: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_value: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<i64>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub cycle: bool,
    /// `table.column` in the same schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Privileges by role: `{ anon: [select], app: all }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Spanned<GrantsDoc>>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Privileges by role: `{ anon: [select], app: all }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Spanned<GrantsDoc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    pub columns: IndexMap<String, Spanned<ColumnDoc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_key: Option<Flex<KeyDoc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unique: Vec<Flex<KeyDoc>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub checks: IndexMap<String, String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub foreign_keys: IndexMap<String, Spanned<ForeignKeyDoc>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub exclusions: IndexMap<String, Spanned<ExclusionDoc>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub indexes: IndexMap<String, Spanned<IndexDoc>>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub triggers: IndexMap<String, Spanned<TriggerDoc>>,
    /// `ENABLE ROW LEVEL SECURITY`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub rls: bool,
    /// `FORCE ROW LEVEL SECURITY`: the owner is held to the policies too.
    #[serde(default, skip_serializing_if = "is_false")]
    pub force_rls: bool,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub policies: IndexMap<String, Spanned<PolicyDoc>>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnDoc {
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub nullable: bool,
    #[serde(
        default,
        deserialize_with = "scalar_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<IdentityDoc>,
    /// A stored generated column: `generated: "price * qty"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Privileges by role: `{ anon: [select], app: all }`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Spanned<GrantsDoc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// How existing values convert when the type changes (`USING`); ignored otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub using: Option<String>,
    /// Shorthand for a one-column primary key.
    #[serde(default, skip_serializing_if = "is_false")]
    pub primary_key: bool,
    /// Shorthand for a one-column unique constraint named as Postgres would.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    /// Shorthand for a one-column CHECK named `<table>_<column>_check`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    /// Shorthand for a one-column foreign key: `auth.users(id)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_delete: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityDoc {
    Always,
    ByDefault,
}

/// `[a, b]` or `{ name, columns, nulls_not_distinct, deferrable }`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub columns: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub nulls_not_distinct: bool,
    /// `deferrable` or `initially_deferred`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferrable: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForeignKeyDoc {
    pub columns: Vec<String>,
    /// `schema.table(col, ...)`, `table(col)`, or `table` for its primary key.
    pub references: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_delete: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_update: Option<String>,
    /// `full` or `simple` (the default).
    #[serde(default, rename = "match", skip_serializing_if = "Option::is_none")]
    pub match_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferrable: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexDoc {
    /// Each `column [opclass] [ASC|DESC] [NULLS FIRST|LAST]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// Expression keys, each `(expression) [opclass] [ASC|DESC] [NULLS FIRST|LAST]` or a bare
    /// expression; combined with `columns` in the order columns first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opclass: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub nulls_not_distinct: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExclusionDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Each `[column_or_expression, operator]`.
    pub elements: Vec<(String, String)>,
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Accepts any YAML scalar as SQL text, so `default: 0` and `default: true` work unquoted.
fn scalar_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an SQL expression (a string, number or boolean)")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(V)
        }
    }
    d.deserialize_option(V)
}

/// A value that may also be written in a short form: a scalar (`pgcrypto`) or a list
/// (`[draft, published]`) instead of the full mapping.
#[derive(Debug)]
pub struct Flex<T>(pub T);

pub enum Short {
    Scalar(String),
    List(Vec<String>),
}

pub trait FromShort: Sized {
    /// `None` when this type has no short form of that shape.
    fn from_short(short: Short) -> Option<Self>;
}

impl FromShort for ExtensionDoc {
    fn from_short(short: Short) -> Option<Self> {
        match short {
            Short::Scalar(name) => Some(ExtensionDoc { name, schema: None }),
            Short::List(_) => None,
        }
    }
}

impl FromShort for EnumDoc {
    fn from_short(short: Short) -> Option<Self> {
        match short {
            Short::List(values) => Some(EnumDoc {
                values,
                ..EnumDoc::default()
            }),
            Short::Scalar(_) => None,
        }
    }
}

impl FromShort for DomainDoc {
    fn from_short(short: Short) -> Option<Self> {
        match short {
            Short::Scalar(ty) => Some(DomainDoc {
                ty,
                ..DomainDoc::default()
            }),
            Short::List(_) => None,
        }
    }
}

impl FromShort for KeyDoc {
    fn from_short(short: Short) -> Option<Self> {
        match short {
            Short::List(columns) => Some(KeyDoc {
                columns,
                ..KeyDoc::default()
            }),
            Short::Scalar(column) => Some(KeyDoc {
                columns: vec![column],
                ..KeyDoc::default()
            }),
        }
    }
}

impl<'de, T: Deserialize<'de> + FromShort> Deserialize<'de> for Flex<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de> + FromShort> Visitor<'de> for V<T> {
            type Value = Flex<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a name, a list, or a mapping")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Flex<T>, E> {
                T::from_short(Short::Scalar(v.to_string()))
                    .map(Flex)
                    .ok_or_else(|| {
                        E::custom("expected a list or a mapping here, not a single name")
                    })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, s: A) -> Result<Flex<T>, A::Error> {
                let items = Vec::<String>::deserialize(de::value::SeqAccessDeserializer::new(s))?;
                T::from_short(Short::List(items)).map(Flex).ok_or_else(|| {
                    de::Error::custom("expected a name or a mapping here, not a list")
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Flex<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(m)).map(Flex)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<T: Serialize> Serialize for Flex<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}
