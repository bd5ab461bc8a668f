//! Privileges: what each role may do with an object, as the object's ACL stores it
//! (`relacl`, `attacl`, `proacl`, `typacl`, `nspacl`).
//!
//! An [`Acl`] holds the grants to roles other than the object's owner (whose own privileges
//! are implied), with `public` for PUBLIC. A live object with no ACL of its own reads as
//! Postgres's default (`acldefault`): nothing for tables, sequences and schemas, EXECUTE for
//! PUBLIC on functions, USAGE for PUBLIC on types. Which roles' grants a comparison looks at is
//! the model's choice ([`super::Schema::managed_roles`]): grants to any other role are left as
//! they are.

use super::{FunctionKey, QName, Schema};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The object a grant is on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GrantTarget {
    Schema(String),
    Table(QName),
    /// A view or materialized view.
    View(QName),
    Column(QName, String),
    Sequence(QName),
    Function {
        key: FunctionKey,
        procedure: bool,
    },
    Enum(QName),
    Domain(QName),
}

impl GrantTarget {
    pub fn kind(&self) -> AclKind {
        match self {
            GrantTarget::Schema(_) => AclKind::Schema,
            GrantTarget::Table(_) | GrantTarget::View(_) => AclKind::Table,
            GrantTarget::Column(..) => AclKind::Column,
            GrantTarget::Sequence(_) => AclKind::Sequence,
            GrantTarget::Function { .. } => AclKind::Function,
            GrantTarget::Enum(_) | GrantTarget::Domain(_) => AclKind::Type,
        }
    }

    /// The object for messages: `table public.notes`, `column public.notes.body`,
    /// `function public.f(integer)`.
    pub fn describe(&self) -> String {
        match self {
            GrantTarget::Schema(s) => format!("schema {s}"),
            GrantTarget::Table(q) => format!("table {q}"),
            GrantTarget::View(q) => format!("view {q}"),
            GrantTarget::Column(q, c) => format!("column {q}.{c}"),
            GrantTarget::Sequence(q) => format!("sequence {q}"),
            GrantTarget::Function { key, procedure } => format!(
                "{} {}({})",
                if *procedure { "procedure" } else { "function" },
                key.0,
                key.1
            ),
            GrantTarget::Enum(q) => format!("type {q}"),
            GrantTarget::Domain(q) => format!("domain {q}"),
        }
    }

    /// The relation it is on or in (a column's table), if any.
    pub fn relation(&self) -> Option<&QName> {
        match self {
            GrantTarget::Table(q) | GrantTarget::View(q) | GrantTarget::Column(q, _) => Some(q),
            _ => None,
        }
    }
}

impl Schema {
    /// Every object's grants, empty ones too, in a fixed order (schemas, types, sequences,
    /// tables with their columns, views, functions).
    pub fn acls(&self) -> Vec<(GrantTarget, &Acl)> {
        let mut out = Vec::new();
        for (n, ns) in &self.schemas {
            out.push((GrantTarget::Schema(n.clone()), &ns.grants));
        }
        for (q, e) in &self.enums {
            out.push((GrantTarget::Enum(q.clone()), &e.grants));
        }
        for (q, d) in &self.domains {
            out.push((GrantTarget::Domain(q.clone()), &d.grants));
        }
        for (q, s) in &self.sequences {
            out.push((GrantTarget::Sequence(q.clone()), &s.grants));
        }
        for (q, t) in &self.tables {
            out.push((GrantTarget::Table(q.clone()), &t.grants));
            for (c, acl) in &t.column_grants {
                out.push((GrantTarget::Column(q.clone(), c.clone()), acl));
            }
        }
        for (q, v) in &self.views {
            out.push((GrantTarget::View(q.clone()), &v.grants));
        }
        for (k, f) in &self.functions {
            out.push((
                GrantTarget::Function {
                    key: k.clone(),
                    procedure: f.procedure,
                },
                &f.grants,
            ));
        }
        out
    }

    /// The grants on `target`, when the object exists (a column: when its table does).
    pub fn acl(&self, target: &GrantTarget) -> Option<&Acl> {
        static EMPTY: std::sync::OnceLock<Acl> = std::sync::OnceLock::new();
        match target {
            GrantTarget::Schema(n) => self.schemas.get(n).map(|s| &s.grants),
            GrantTarget::Table(q) => self.tables.get(q).map(|t| &t.grants),
            GrantTarget::View(q) => self.views.get(q).map(|v| &v.grants),
            GrantTarget::Column(q, c) => self.tables.get(q).and_then(|t| {
                t.columns.contains_key(c).then(|| {
                    t.column_grants
                        .get(c)
                        .unwrap_or_else(|| EMPTY.get_or_init(Acl::default))
                })
            }),
            GrantTarget::Sequence(q) => self.sequences.get(q).map(|s| &s.grants),
            GrantTarget::Function { key, .. } => self.functions.get(key).map(|f| &f.grants),
            GrantTarget::Enum(q) => self.enums.get(q).map(|e| &e.grants),
            GrantTarget::Domain(q) => self.domains.get(q).map(|d| &d.grants),
        }
    }

    /// The grants on `target`, for writing; `None` when the object does not exist.
    pub fn acl_mut(&mut self, target: &GrantTarget) -> Option<&mut Acl> {
        match target {
            GrantTarget::Schema(n) => self.schemas.get_mut(n).map(|s| &mut s.grants),
            GrantTarget::Table(q) => self.tables.get_mut(q).map(|t| &mut t.grants),
            GrantTarget::View(q) => self.views.get_mut(q).map(|v| &mut v.grants),
            GrantTarget::Column(q, c) => self.tables.get_mut(q).and_then(|t| {
                t.columns
                    .contains_key(c)
                    .then(|| t.column_grants.entry(c.clone()).or_default())
            }),
            GrantTarget::Sequence(q) => self.sequences.get_mut(q).map(|s| &mut s.grants),
            GrantTarget::Function { key, .. } => self.functions.get_mut(key).map(|f| &mut f.grants),
            GrantTarget::Enum(q) => self.enums.get_mut(q).map(|e| &mut e.grants),
            GrantTarget::Domain(q) => self.domains.get_mut(q).map(|d| &mut d.grants),
        }
    }

    /// Keeps, on every object, the grants to roles `keep` accepts.
    pub fn retain_grantees(&mut self, keep: impl Fn(&str) -> bool) {
        let targets: Vec<GrantTarget> = self.acls().into_iter().map(|(t, _)| t).collect();
        for t in targets {
            if let Some(a) = self.acl_mut(&t) {
                a.retain_roles(&keep);
            }
        }
        for t in self.tables.values_mut() {
            t.column_grants.retain(|_, a| !a.is_empty());
        }
        if let Some(m) = &mut self.managed_roles {
            m.retain(|r| keep(r));
        }
    }

    /// Whether any object carries a grant.
    pub fn has_grants(&self) -> bool {
        self.acls().iter().any(|(_, a)| !a.is_empty())
    }

    /// Takes every object's grants out, to be put back with [`Schema::put_grants`].
    pub fn take_grants(&mut self) -> Vec<(GrantTarget, Acl)> {
        let targets: Vec<GrantTarget> = self.acls().into_iter().map(|(t, _)| t).collect();
        let mut out = Vec::new();
        for t in targets {
            if let Some(a) = self.acl_mut(&t) {
                let acl = std::mem::take(a);
                if !acl.is_empty() {
                    out.push((t, acl));
                }
            }
        }
        for t in self.tables.values_mut() {
            t.column_grants.clear();
        }
        out
    }

    /// Puts grants on their objects; those whose object is not there are returned.
    pub fn put_grants(&mut self, grants: Vec<(GrantTarget, Acl)>) -> Vec<(GrantTarget, Acl)> {
        let mut left = Vec::new();
        for (t, acl) in grants {
            match self.acl_mut(&t) {
                Some(a) => *a = acl,
                None => left.push((t, acl)),
            }
        }
        left
    }
}

/// One privilege, as `GRANT` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Privilege {
    Select,
    Insert,
    Update,
    Delete,
    Truncate,
    References,
    Trigger,
    /// Postgres 17 and later, on tables.
    Maintain,
    Usage,
    Create,
    Execute,
}

/// The kinds of object a privilege is granted on: each takes its own set of privileges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AclKind {
    Schema,
    /// Tables, views, materialized views and foreign tables.
    Table,
    Column,
    Sequence,
    Function,
    /// Enums and domains.
    Type,
}

impl Privilege {
    pub const ALL: [Privilege; 11] = [
        Privilege::Select,
        Privilege::Insert,
        Privilege::Update,
        Privilege::Delete,
        Privilege::Truncate,
        Privilege::References,
        Privilege::Trigger,
        Privilege::Maintain,
        Privilege::Usage,
        Privilege::Create,
        Privilege::Execute,
    ];

    pub fn sql(self) -> &'static str {
        match self {
            Privilege::Select => "SELECT",
            Privilege::Insert => "INSERT",
            Privilege::Update => "UPDATE",
            Privilege::Delete => "DELETE",
            Privilege::Truncate => "TRUNCATE",
            Privilege::References => "REFERENCES",
            Privilege::Trigger => "TRIGGER",
            Privilege::Maintain => "MAINTAIN",
            Privilege::Usage => "USAGE",
            Privilege::Create => "CREATE",
            Privilege::Execute => "EXECUTE",
        }
    }

    /// A word as a model or `aclexplode` writes it, in any case.
    pub fn parse(word: &str) -> Option<Privilege> {
        Privilege::ALL
            .into_iter()
            .find(|p| p.sql().eq_ignore_ascii_case(word))
    }
}

impl AclKind {
    /// The privileges Postgres accepts on this kind of object (`ALL` means these); Postgres 17's
    /// MAINTAIN is left out of `ALL` so a model reads the same on every version.
    pub fn privileges(self) -> &'static [Privilege] {
        use Privilege::*;
        match self {
            AclKind::Schema => &[Usage, Create],
            AclKind::Table => &[
                Select, Insert, Update, Delete, Truncate, References, Trigger,
            ],
            AclKind::Column => &[Select, Insert, Update, References],
            AclKind::Sequence => &[Usage, Select, Update],
            AclKind::Function => &[Execute],
            AclKind::Type => &[Usage],
        }
    }

    pub fn accepts(self, p: Privilege) -> bool {
        self.privileges().contains(&p) || (self == AclKind::Table && p == Privilege::Maintain)
    }

    /// What a new object of this kind grants to roles other than its owner before any `GRANT`
    /// (Postgres's `acldefault`), ignoring default privileges.
    pub fn builtin_default(self) -> Acl {
        let mut acl = Acl::default();
        let p = match self {
            AclKind::Function => Privilege::Execute,
            AclKind::Type => Privilege::Usage,
            _ => return acl,
        };
        acl.grant(super::PUBLIC_ROLE, p, false);
        acl
    }

    pub fn word(self) -> &'static str {
        match self {
            AclKind::Schema => "schema",
            AclKind::Table => "table",
            AclKind::Column => "column",
            AclKind::Sequence => "sequence",
            AclKind::Function => "function",
            AclKind::Type => "type",
        }
    }
}

/// A role's privileges on one object: each privilege with whether it carries `WITH GRANT
/// OPTION`.
pub type Privileges = BTreeMap<Privilege, bool>;

/// Grants on one object, by grantee (`public` for PUBLIC), sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Acl(pub BTreeMap<String, Privileges>);

impl Acl {
    pub fn is_empty(&self) -> bool {
        self.0.values().all(|p| p.is_empty())
    }

    /// Adds a privilege; a grant option, once given, stays.
    pub fn grant(&mut self, role: &str, p: Privilege, grant_option: bool) {
        let e = self.0.entry(role.to_string()).or_default();
        let held = e.entry(p).or_insert(false);
        *held |= grant_option;
    }

    pub fn of(&self, role: &str) -> Privileges {
        self.0.get(role).cloned().unwrap_or_default()
    }

    pub fn roles(&self) -> impl Iterator<Item = &String> {
        self.0.iter().filter(|(_, p)| !p.is_empty()).map(|(r, _)| r)
    }

    /// Keeps the grants to roles `keep` accepts.
    pub fn retain_roles(&mut self, keep: impl Fn(&str) -> bool) {
        self.0.retain(|r, p| !p.is_empty() && keep(r));
    }

    /// The grants as a model writes them: per role, `all` when it holds every privilege of
    /// `kind` without grant option, else each privilege (`select`, `insert with grant
    /// option`).
    pub fn words(&self, kind: AclKind) -> BTreeMap<String, Vec<String>> {
        let mut out = BTreeMap::new();
        for (role, ps) in &self.0 {
            if ps.is_empty() {
                continue;
            }
            let every = kind.privileges();
            // `all` for one privilege (a function's EXECUTE) would hide which one it is.
            let words = if every.len() > 1
                && every.iter().all(|p| ps.get(p) == Some(&false))
                && ps.len() == every.len()
            {
                vec!["all".to_string()]
            } else {
                ps.iter()
                    .map(|(p, option)| {
                        let w = p.sql().to_lowercase();
                        if *option {
                            format!("{w} with grant option")
                        } else {
                            w
                        }
                    })
                    .collect()
            };
            out.insert(role.clone(), words);
        }
        out
    }

    /// Parses the words of [`Acl::words`] for one role; the error names the word.
    pub fn parse_words(
        &mut self,
        role: &str,
        words: &[String],
        kind: AclKind,
    ) -> Result<(), String> {
        self.0.entry(role.to_string()).or_default();
        for w in words {
            let lower = w.trim().to_lowercase();
            let (word, option) = match lower.strip_suffix("with grant option") {
                Some(head) => (head.trim_end().to_string(), true),
                None => (lower.clone(), false),
            };
            if word == "all" || word == "all privileges" {
                for p in kind.privileges() {
                    self.grant(role, *p, option);
                }
                continue;
            }
            match Privilege::parse(&word) {
                Some(p) if kind.accepts(p) => self.grant(role, p, option),
                Some(p) => {
                    return Err(format!(
                        "{} cannot be granted on a {}; it takes {}",
                        p.sql(),
                        kind.word(),
                        list(kind)
                    ));
                }
                None => {
                    return Err(format!(
                        "`{w}` is not a privilege; a {} takes {} or all, each optionally followed by `with grant option`",
                        kind.word(),
                        list(kind)
                    ));
                }
            }
        }
        Ok(())
    }
}

fn list(kind: AclKind) -> String {
    kind.privileges()
        .iter()
        .map(|p| p.sql().to_lowercase())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_all_is_only_the_full_plain_set() {
        let mut acl = Acl::default();
        acl.parse_words("anon", &["select".into()], AclKind::Table)
            .unwrap();
        acl.parse_words("app", &["ALL".into()], AclKind::Table)
            .unwrap();
        acl.parse_words(
            "admin",
            &["all".into(), "select with grant option".into()],
            AclKind::Table,
        )
        .unwrap();
        let words = acl.words(AclKind::Table);
        assert_eq!(words["anon"], vec!["select"]);
        assert_eq!(words["app"], vec!["all"]);
        assert_eq!(words["admin"].len(), 7);
        assert!(words["admin"].contains(&"select with grant option".to_string()));
        let mut back = Acl::default();
        for (r, w) in &words {
            back.parse_words(r, w, AclKind::Table).unwrap();
        }
        assert_eq!(back, acl);
    }

    #[test]
    fn a_privilege_the_kind_does_not_take_is_refused_with_the_ones_it_does() {
        let mut acl = Acl::default();
        let e = acl
            .parse_words("anon", &["execute".into()], AclKind::Table)
            .unwrap_err();
        assert!(e.contains("EXECUTE cannot be granted on a table"), "{e}");
        let e = acl
            .parse_words("anon", &["selct".into()], AclKind::Column)
            .unwrap_err();
        assert!(e.contains("select, insert, update, references"), "{e}");
    }
}
