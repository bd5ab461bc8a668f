//! Models declared in Rust: what `#[derive(Table)]` / `#[derive(PgEnum)]` produce, a builder that
//! collects them, and the export of a model in the interchange format the CLI reads.
//!
//! Input: [`TableDef`]s and [`EnumDef`]s (from the derives or written by hand) and, optionally,
//! YAML model texts. Output: the same model documents the YAML loader reads, so a Rust model goes
//! through the very validation and conversion a YAML model does and yields the same IR. Each
//! object keeps where it was declared (`file:line:column` of the Rust item), which the CLI uses
//! in its messages.

mod convert;
mod types;

pub use types::{ArrayElement, SqlType};

use super::doc::FileDoc;
use super::interchange;
use crate::error::Error;
use crate::ir::Schema;
use std::path::PathBuf;

/// A table declared in Rust; implemented by `#[derive(Table)]`.
pub trait Table {
    fn table() -> TableDef;
}

/// An enum type declared in Rust; implemented by `#[derive(PgEnum)]`.
pub trait PgEnum {
    fn enum_def() -> EnumDef;
}

/// `"schema"."name"` as a model type name, quoted so any name survives.
pub fn qualified_type(schema: &str, name: &str) -> String {
    format!(
        "{}.{}",
        crate::ir::quote::ident(schema),
        crate::ir::quote::ident(name)
    )
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableDef {
    pub schema: String,
    pub name: String,
    /// `file:line:column` of the declaration.
    pub origin: String,
    pub comment: Option<String>,
    pub renamed_from: Option<String>,
    pub columns: Vec<ColumnDef>,
    /// A primary key over several columns (one column: `ColumnDef::primary_key`).
    pub primary_key: Vec<String>,
    pub unique: Vec<KeyDef>,
    /// `(name, expression)`.
    pub checks: Vec<(String, String)>,
    pub foreign_keys: Vec<ForeignKeyDef>,
    pub indexes: Vec<IndexDef>,
    pub triggers: Vec<TriggerDef>,
    /// `ENABLE ROW LEVEL SECURITY`, and `FORCE` too.
    pub rls: bool,
    pub force_rls: bool,
    pub policies: Vec<PolicyDef>,
    pub grants: Vec<GrantDef>,
}

/// `policy(...)` on a table, as a YAML model's `policies:` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyDef {
    pub name: String,
    /// `all` (the default), `select`, `insert`, `update`, `delete`.
    pub command: Option<String>,
    pub restrictive: bool,
    /// Every role (PUBLIC) when empty.
    pub roles: Vec<String>,
    pub using: Option<String>,
    pub with_check: Option<String>,
    pub comment: Option<String>,
}

/// `grant(...)` on a table or a field: privileges for one role the model manages
/// ([`Model::roles`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GrantDef {
    pub role: String,
    /// `select`, `insert with grant option`, `all`, ...
    pub privileges: Vec<String>,
}

/// `trigger(...)` on a table: its function is declared in the service's YAML or SQL model
/// files (or is one Postgres ships), and named here.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TriggerDef {
    pub name: String,
    /// `before`, `after`.
    pub timing: String,
    pub events: Vec<String>,
    pub columns: Vec<String>,
    /// `row` or `statement`.
    pub for_each: Option<String>,
    pub when: Option<String>,
    pub old_table: Option<String>,
    pub new_table: Option<String>,
    pub function: String,
    pub arguments: Vec<String>,
    pub constraint: bool,
    pub deferrable: Option<String>,
    pub enabled: Option<String>,
    pub comment: Option<String>,
}

impl TableDef {
    pub fn new(
        schema: impl Into<String>,
        name: impl Into<String>,
        origin: impl Into<String>,
    ) -> TableDef {
        TableDef {
            schema: schema.into(),
            name: name.into(),
            origin: origin.into(),
            ..TableDef::default()
        }
    }

    pub fn column(mut self, c: ColumnDef) -> TableDef {
        self.columns.push(c);
        self
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    /// Any type the YAML model accepts: `integer`, `varchar(200)`, `"journal"."entry_status"[]`.
    pub sql_type: String,
    /// From the Rust type (`Option<T>`).
    pub nullable: bool,
    /// `#[autogen(nullable)]`: NULL allowed although the Rust type is not an `Option`.
    pub force_nullable: bool,
    pub default: Option<String>,
    /// `always` or `by_default`.
    pub identity: Option<String>,
    pub generated: Option<String>,
    pub collation: Option<String>,
    pub check: Option<String>,
    /// `table(column)` or `schema.table(column)`.
    pub references: Option<String>,
    pub on_delete: Option<String>,
    pub comment: Option<String>,
    pub renamed_from: Option<String>,
    pub primary_key: bool,
    pub unique: bool,
    pub grants: Vec<GrantDef>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyDef {
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub nulls_not_distinct: bool,
    /// `deferrable` or `initially_deferred`.
    pub deferrable: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForeignKeyDef {
    /// Postgres's own name (`<table>_<columns>_fkey`) when `None`.
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub references: String,
    pub on_delete: Option<String>,
    pub on_update: Option<String>,
    pub match_type: Option<String>,
    pub deferrable: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct IndexDef {
    /// Postgres's own name (`<table>_<columns>_idx`) when `None`.
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub expression: Option<String>,
    pub unique: bool,
    pub method: Option<String>,
    pub include: Vec<String>,
    pub predicate: Option<String>,
    pub nulls_not_distinct: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnumDef {
    pub schema: String,
    pub name: String,
    pub origin: String,
    pub values: Vec<String>,
    pub comment: Option<String>,
    pub renamed_from: Option<String>,
    /// `(new value, the old value it replaces)`.
    pub renamed_values: Vec<(String, String)>,
}

impl EnumDef {
    pub fn new(
        schema: impl Into<String>,
        name: impl Into<String>,
        origin: impl Into<String>,
    ) -> EnumDef {
        EnumDef {
            schema: schema.into(),
            name: name.into(),
            origin: origin.into(),
            ..EnumDef::default()
        }
    }
}

/// A service's model assembled in Rust.
///
/// ```ignore
/// pub fn model() -> autogen_model::Model {
///     autogen_model::Model::new().enum_type::<EntryStatus>().table::<Entry>()
/// }
/// ```
#[derive(Debug, Default)]
pub struct Model {
    documents: Vec<(PathBuf, FileDoc)>,
    roles: Vec<String>,
}

impl Model {
    pub fn new() -> Model {
        Model::default()
    }

    pub fn table<T: Table>(self) -> Model {
        self.add_table(T::table())
    }

    pub fn enum_type<E: PgEnum>(self) -> Model {
        self.add_enum(E::enum_def())
    }

    /// The roles whose grants the model states (a YAML model's `roles:`): grants to them that
    /// the model does not list are revoked; other roles' grants are left alone.
    pub fn roles<S: Into<String>>(mut self, roles: impl IntoIterator<Item = S>) -> Model {
        let roles: Vec<String> = roles.into_iter().map(Into::into).collect();
        // Every document lists them (a service's roles are those any of its documents lists),
        // so they survive the interchange format whichever documents a service has.
        for (_, doc) in &mut self.documents {
            doc.roles.extend(roles.iter().cloned());
        }
        self.roles.extend(roles);
        self
    }

    fn push(&mut self, path: PathBuf, mut doc: FileDoc) {
        doc.roles.extend(self.roles.iter().cloned());
        self.documents.push((path, doc));
    }

    pub fn add_table(mut self, t: TableDef) -> Model {
        let origin = PathBuf::from(&t.origin);
        self.push(origin, convert::table_doc(t));
        self
    }

    pub fn add_enum(mut self, e: EnumDef) -> Model {
        let origin = PathBuf::from(&e.origin);
        self.push(origin, convert::enum_doc(e));
        self
    }

    /// Adds a model document written in YAML (for what has no attribute: domains, sequences,
    /// exclusion constraints, extensions, functions), or in SQL when `label` ends in `.sql` (a
    /// SQL model file's views, functions and triggers). `label` names it in messages.
    pub fn yaml(mut self, label: &str, text: &str) -> Result<Model, Error> {
        let path = PathBuf::from(label);
        let doc = super::parse_file(&path, text)?;
        self.push(path, doc);
        Ok(self)
    }

    /// Validates the model and converts it to the IR, exactly as the YAML loader does.
    pub fn build(&self) -> Result<Schema, Error> {
        Ok(super::build::build(&self.documents)?)
    }

    /// The model in the interchange format (see [`interchange`]).
    pub fn to_interchange(&self) -> String {
        interchange::write(&self.documents)
    }

    /// For a service's export command: prints the interchange text on standard output.
    pub fn export(&self) -> std::process::ExitCode {
        use std::io::Write;
        let text = self.to_interchange();
        let mut out = std::io::stdout().lock();
        match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: cannot write the model to standard output: {e}");
                std::process::ExitCode::from(2)
            }
        }
    }
}
