//! Views and materialized views, and the identities of the objects they read (the first edges of
//! the object graph).
//!
//! A view's query is only comparable as Postgres stores it (`pg_get_viewdef`, read with an empty
//! `search_path` so every name outside `pg_catalog` is qualified): a model's query is normalized
//! through the shadow before it is compared, and what a view reads comes from `pg_depend`.

use super::names::split_qualified;
use super::{Index, QName};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The kinds of object an edge of the graph can point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ObjectKind {
    Table,
    View,
    MaterializedView,
    Enum,
    Domain,
    /// A type of another kind (composite, range, base): read, never managed yet.
    Type,
    /// A function or procedure; its id's `column` holds its signature (see
    /// [`super::Function::signature`]), which tells overloads apart.
    Function,
}

impl ObjectKind {
    fn word(self) -> &'static str {
        match self {
            ObjectKind::Table => "table",
            ObjectKind::View => "view",
            ObjectKind::MaterializedView => "materialized_view",
            ObjectKind::Enum => "enum",
            ObjectKind::Domain => "domain",
            ObjectKind::Type => "type",
            ObjectKind::Function => "function",
        }
    }

    fn from_word(w: &str) -> Option<ObjectKind> {
        [
            ObjectKind::Table,
            ObjectKind::View,
            ObjectKind::MaterializedView,
            ObjectKind::Enum,
            ObjectKind::Domain,
            ObjectKind::Type,
            ObjectKind::Function,
        ]
        .into_iter()
        .find(|k| k.word() == w)
    }

    pub fn is_relation(self) -> bool {
        matches!(
            self,
            ObjectKind::Table | ObjectKind::View | ObjectKind::MaterializedView
        )
    }
}

/// An object's identity: its kind and qualified name, and for a column (a sub-object of its
/// relation) the column's name, for a function its signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectId {
    pub kind: ObjectKind,
    pub name: QName,
    pub column: Option<String>,
}

impl ObjectId {
    pub fn new(kind: ObjectKind, name: QName) -> ObjectId {
        ObjectId {
            kind,
            name,
            column: None,
        }
    }

    pub fn column(kind: ObjectKind, relation: QName, column: &str) -> ObjectId {
        ObjectId {
            kind,
            name: relation,
            column: Some(column.to_string()),
        }
    }

    /// Reads the text [`fmt::Display`] writes: `table "app"."users"."id"`.
    pub fn parse(text: &str) -> Option<ObjectId> {
        let (word, rest) = text.split_once(' ')?;
        let kind = ObjectKind::from_word(word)?;
        let parts = split_qualified(rest)?;
        match parts.as_slice() {
            [s, n] => Some(ObjectId::new(kind, QName::new(s.clone(), n.clone()))),
            [s, n, c] if kind.is_relation() || kind == ObjectKind::Function => {
                Some(ObjectId::column(kind, QName::new(s.clone(), n.clone()), c))
            }
            _ => None,
        }
    }
}

/// Every part double-quoted, so any name (dots, quotes, spaces) reads back unchanged.
fn quoted(part: &str) -> String {
    format!("\"{}\"", part.replace('"', "\"\""))
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}.{}",
            self.kind.word(),
            quoted(&self.name.schema),
            quoted(&self.name.name)
        )?;
        if let Some(c) = &self.column {
            write!(f, ".{}", quoted(c))?;
        }
        Ok(())
    }
}

/// An output column of a view, with its type as `format_type` spells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewColumn {
    pub name: String,
    /// Empty for a model's view not yet normalized.
    pub ty: String,
}

/// `CREATE VIEW` or `CREATE MATERIALIZED VIEW`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    pub name: QName,
    pub materialized: bool,
    /// The query, as Postgres stores it once normalized: no trailing `;`, no outer whitespace.
    pub query: String,
    /// The output columns, from the catalog; a model's names given for `CREATE VIEW v (a, b)`
    /// until it is normalized (Postgres then spells them as aliases in the query).
    pub columns: Vec<ViewColumn>,
    /// Reloptions, normalized: `security_barrier`/`security_invoker` only when true (as
    /// `true`), `check_option` as `local` or `cascaded`, a materialized view's storage
    /// parameters as written.
    pub options: BTreeMap<String, String>,
    /// A materialized view holds rows (`WITH DATA`); always true for a view.
    pub with_data: bool,
    /// A materialized view's indexes.
    pub indexes: BTreeMap<String, Index>,
    pub comment: Option<String>,
    /// What it reads. Not part of what is compared ([`View::same`]): it follows from the query.
    pub depends_on: BTreeSet<ObjectId>,
    /// Compared and changed by `diff::grants`; a view dropped and created around a change
    /// gets them back.
    #[serde(default, skip_serializing_if = "super::Acl::is_empty")]
    pub grants: super::Acl,
    /// Its (`INSTEAD OF` and statement) triggers: compared and changed by `diff::triggers`, not
    /// by [`View::same`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub triggers: BTreeMap<String, super::Trigger>,
}

/// The reloptions a (non-materialized) view accepts.
pub const VIEW_OPTIONS: [&str; 3] = ["check_option", "security_barrier", "security_invoker"];

impl View {
    /// The same view: the same query, column names and options. Not compared: what it reads
    /// and its columns' types, which follow from the query and the types of what it reads. A
    /// change to those is another object's change, which drops and re-creates the view where
    /// Postgres requires it; comparing them here would make every view over another service's
    /// column a change of that other service too.
    pub fn same(&self, other: &View) -> bool {
        self.name == other.name
            && self.materialized == other.materialized
            && self.query == other.query
            && self.same_column_names(other)
            && self.options == other.options
            && self.with_data == other.with_data
            && self.indexes == other.indexes
            && self.comment == other.comment
    }

    /// The view as a model would declare it: what the catalog adds (its columns' types, what
    /// it reads) forgotten, so the shadow reads it again against the tables of now.
    pub fn as_declared(&self) -> View {
        View {
            columns: self
                .columns
                .iter()
                .map(|c| ViewColumn {
                    name: c.name.clone(),
                    ty: String::new(),
                })
                .collect(),
            depends_on: BTreeSet::new(),
            ..self.clone()
        }
    }

    pub fn same_column_names(&self, other: &View) -> bool {
        self.columns.len() == other.columns.len()
            && self
                .columns
                .iter()
                .zip(&other.columns)
                .all(|(a, b)| a.name == b.name)
    }

    /// Whether it reads as Postgres stores it (read from a catalog, a shadow or a snapshot): its
    /// output columns are typed. A model's view is not until the shadow has read it back.
    pub fn is_normalized(&self) -> bool {
        !self.columns.is_empty() && self.columns.iter().all(|c| !c.ty.is_empty())
    }

    pub fn kind(&self) -> ObjectKind {
        if self.materialized {
            ObjectKind::MaterializedView
        } else {
            ObjectKind::View
        }
    }

    /// `view` or `materialized view`, for messages.
    pub fn kind_text(&self) -> &'static str {
        if self.materialized {
            "materialized view"
        } else {
            "view"
        }
    }

    pub fn id(&self) -> ObjectId {
        ObjectId::new(self.kind(), self.name.clone())
    }

    /// Whether it reads the relation `r` (any of its columns, or the whole).
    pub fn reads_relation(&self, r: &QName) -> bool {
        self.depends_on
            .iter()
            .any(|d| d.kind.is_relation() && &d.name == r)
    }

    /// The relations among `names` it reads. From its recorded dependencies when it has any;
    /// otherwise (a model not normalized) from the words of its query, which may name more than
    /// it reads but never fewer.
    pub fn reads_among<'a>(&self, names: impl Iterator<Item = &'a QName>) -> Vec<&'a QName> {
        if self.depends_on.is_empty() {
            let words: BTreeSet<String> = super::identifiers(&self.query).into_iter().collect();
            names
                .filter(|n| *n != &self.name && words.contains(&n.name))
                .collect()
        } else {
            names
                .filter(|n| *n != &self.name && self.reads_relation(n))
                .collect()
        }
    }

    /// Normalizes option values the way Postgres means them: boolean options off are left out
    /// (their default), on is `true`; `check_option` lower case.
    pub fn normalize_options(
        options: impl IntoIterator<Item = (String, String)>,
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (k, v) in options {
            let k = k.to_lowercase();
            let v = match k.as_str() {
                "security_barrier" | "security_invoker" => match v.to_lowercase().as_str() {
                    "on" | "true" | "yes" | "1" | "t" | "y" => "true".to_string(),
                    _ => continue,
                },
                "check_option" => v.to_lowercase(),
                _ => v,
            };
            out.insert(k, v);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_read_back_whatever_the_names() {
        for id in [
            ObjectId::column(
                ObjectKind::Table,
                QName::new("My \"App\"", "a.b"),
                "Full Name",
            ),
            ObjectId::new(ObjectKind::Enum, QName::new("app", "mood")),
            ObjectId::new(ObjectKind::MaterializedView, QName::new("ü", "v")),
        ] {
            assert_eq!(ObjectId::parse(&id.to_string()), Some(id.clone()), "{id}");
        }
        assert_eq!(ObjectId::parse("enum \"a\".\"b\".\"c\""), None);
        assert_eq!(ObjectId::parse("nonsense \"a\".\"b\""), None);
    }

    #[test]
    fn boolean_options_off_are_their_default() {
        let o = View::normalize_options([
            ("security_barrier".into(), "on".into()),
            ("security_invoker".into(), "false".into()),
            ("check_option".into(), "LOCAL".into()),
        ]);
        assert_eq!(o.get("security_barrier").map(String::as_str), Some("true"));
        assert!(!o.contains_key("security_invoker"));
        assert_eq!(o.get("check_option").map(String::as_str), Some("local"));
    }
}
