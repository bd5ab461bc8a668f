//! A cache of normalized objects, so a model is not created in a shadow database again for
//! tables it has already normalized.
//!
//! Input: a model and the shadow's major version. Output: for each table, domain, sequence,
//! view and function,
//! the object as Postgres stored it the last time that exact definition was normalized, or
//! nothing. The key of an object is a hash of everything its stored form depends on: its own
//! definition, the types and extensions it can use, the tables its foreign keys reference, the
//! server's major version and the project's shadow setup file. A hit therefore gives what the shadow would give; any change to those
//! inputs is a miss, and only misses go through the shadow.
//!
//! The file is `<dir>/normalized-pg<major>.json`; `dir` is `AUTOGEN_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/autogen`, else `~/.cache/autogen`. `AUTOGEN_CACHE_DIR=off` turns it off. A
//! file that cannot be read is ignored (and rewritten); one that cannot be written is skipped:
//! the cache only ever saves time, never changes a result.

use autogen_model::ir::{
    BaseType, Domain, Function, FunctionKey, QName, Schema, Sequence, Table, View,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Bump when the stored form of the IR changes, so old entries are never read as new ones.
const FORMAT: u32 = 2;

/// Entries beyond those used by the current run that a file keeps (oldest dropped first).
const KEEP: usize = 50_000;

/// An entry as JSON text: parsed only when it is used, so the cache costs its file's size in
/// memory, not three times that.
type Raw = Box<serde_json::value::RawValue>;

#[derive(Default, Serialize, Deserialize)]
struct File {
    format: u32,
    /// Insertion order is age order: entries used again move to the end.
    tables: indexmap::IndexMap<String, Raw>,
    domains: indexmap::IndexMap<String, Raw>,
    sequences: indexmap::IndexMap<String, Raw>,
    #[serde(default)]
    views: indexmap::IndexMap<String, Raw>,
    #[serde(default)]
    functions: indexmap::IndexMap<String, Raw>,
}

fn parse<T: serde::de::DeserializeOwned>(raw: Option<&Raw>) -> Option<T> {
    raw.and_then(|r| serde_json::from_str(r.get()).ok())
}

pub(crate) struct Cache {
    path: PathBuf,
    file: File,
    changed: bool,
}

/// Where cache files go, or `None` when caching is off or no directory can be named.
pub(crate) fn dir() -> Option<PathBuf> {
    crate::conn::env::get().cache_dir.clone()
}

/// The keys of one model's objects.
pub(crate) struct Keys {
    pub tables: BTreeMap<QName, String>,
    pub domains: BTreeMap<QName, String>,
    pub sequences: BTreeMap<QName, String>,
    pub views: BTreeMap<QName, String>,
    /// A model's functions not yet as Postgres stores them, by their model keys.
    pub functions: BTreeMap<FunctionKey, String>,
}

/// What a view's query may read among the model's objects: every table, view, enum and domain
/// whose name is a word of its query, and of those views' queries, and so on. More than it
/// reads, never less, so a change to anything it reads changes its key.
pub(crate) struct ViewReads<'a> {
    pub tables: BTreeSet<&'a QName>,
    pub views: BTreeSet<&'a QName>,
    pub types: BTreeSet<&'a QName>,
}

/// The model's tables, views, enums and domains by bare name, built once per model: a view's
/// words are looked up in it.
pub(crate) struct Names<'a>(BTreeMap<&'a str, Vec<&'a QName>>);

impl<'a> Names<'a> {
    pub(crate) fn of(model: &'a Schema) -> Names<'a> {
        let mut by_name: BTreeMap<&str, Vec<&'a QName>> = BTreeMap::new();
        for q in model
            .tables
            .keys()
            .chain(model.views.keys())
            .chain(model.enums.keys())
            .chain(model.domains.keys())
        {
            by_name.entry(q.name.as_str()).or_default().push(q);
        }
        Names(by_name)
    }
}

pub(crate) fn view_reads<'a>(model: &'a Schema, names: &Names<'a>, v: &View) -> ViewReads<'a> {
    text_reads(model, names, &v.query, Some(&v.name))
}

/// [`view_reads`] for any text that names the model's objects (a function's body); `own`: the
/// view the text is the query of.
pub(crate) fn text_reads<'a>(
    model: &'a Schema,
    names: &Names<'a>,
    text: &str,
    own: Option<&QName>,
) -> ViewReads<'a> {
    let by_name = &names.0;
    let mut reads = ViewReads {
        tables: BTreeSet::new(),
        views: BTreeSet::new(),
        types: BTreeSet::new(),
    };
    let mut queue = vec![text.to_string()];
    while let Some(query) = queue.pop() {
        for word in autogen_model::ir::identifiers(&query) {
            for q in by_name.get(word.as_str()).into_iter().flatten() {
                if model.tables.contains_key(*q) {
                    reads.tables.insert(*q);
                } else if let Some(other) = model.views.get(*q) {
                    if Some(*q) != own && reads.views.insert(*q) {
                        queue.push(other.query.clone());
                    }
                } else {
                    reads.types.insert(*q);
                }
            }
        }
    }
    // The types its tables' columns use shape its columns' types.
    for t in reads.tables.iter().filter_map(|q| model.tables.get(*q)) {
        for c in t.columns.values() {
            if let BaseType::User(q) = &c.ty.base {
                if let Some((k, _)) = model.domains.get_key_value(q) {
                    reads.types.insert(k);
                }
                if let Some((k, _)) = model.enums.get_key_value(q) {
                    reads.types.insert(k);
                }
            }
        }
    }
    reads
}

/// The text of a table's expressions (defaults, generated columns, CHECKs, index keys and
/// predicates, exclusions), its triggers' conditions and functions and its policies'
/// expressions: where it can call a function.
fn expressions(t: &Table) -> String {
    let triggers = t.triggers.values().flat_map(|g| {
        g.when
            .iter()
            .map(String::as_str)
            .chain([g.function.name.as_str()])
    });
    t.expressions()
        .iter()
        .map(|e| e.as_str())
        .chain(triggers)
        .chain(policy_texts(t))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A table's policies' `USING` and `WITH CHECK` texts.
pub(crate) fn policy_texts(t: &Table) -> impl Iterator<Item = &str> {
    t.policies
        .values()
        .flat_map(|p| p.using.iter().chain(&p.check).map(String::as_str))
}

/// The tables, views and types a table's policies may read (`EXISTS (SELECT ... FROM
/// members ...)`), which must exist where it is created and shape how its policies are stored.
pub(crate) fn policy_reads<'a>(model: &'a Schema, names: &Names<'a>, t: &Table) -> ViewReads<'a> {
    let text: Vec<&str> = policy_texts(t).collect();
    if text.is_empty() {
        return ViewReads {
            tables: BTreeSet::new(),
            views: BTreeSet::new(),
            types: BTreeSet::new(),
        };
    }
    let mut reads = text_reads(model, names, &text.join(" "), None);
    reads.tables.remove(&t.name);
    reads
}

fn hash(parts: &impl Serialize) -> String {
    // serde_json writes maps in their (sorted or declared) order: the same input, the same text.
    let text = serde_json::to_vec(parts).unwrap_or_default();
    let mut hex = String::with_capacity(64);
    for b in Sha256::digest(&text) {
        hex.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        hex.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0'));
    }
    hex
}

/// The user types a table's columns name, with their definitions.
fn types_used<'a>(
    model: &'a Schema,
    t: &Table,
) -> (Vec<&'a autogen_model::ir::Enum>, Vec<&'a Domain>) {
    let names: BTreeSet<&QName> = t
        .columns
        .values()
        .filter_map(|c| match &c.ty.base {
            BaseType::User(q) => Some(q),
            BaseType::Builtin(_) => None,
        })
        .collect();
    (
        names.iter().filter_map(|q| model.enums.get(*q)).collect(),
        names.iter().filter_map(|q| model.domains.get(*q)).collect(),
    )
}

impl Keys {
    /// `platform`'s setup file can change how an object is stored (a type it defines, a
    /// setting), so its text is part of every key.
    pub(crate) fn of(model: &Schema, major: u32, platform: &super::Platform) -> Keys {
        let setup = platform.setup.as_ref().map(|(_, sql)| sql.as_str());
        let major = (major, setup);
        let extensions: Vec<_> = model.extensions.values().collect();
        let sequences: Vec<&QName> = model.sequences.keys().collect();
        let domain_key = |d: &Domain| hash(&(FORMAT, major, "domain", d, &extensions));
        let names = Names::of(model);
        // The functions an object's text names (a CHECK, a default, an index expression, a
        // query) shape how Postgres stores it: their definitions are part of its key. Found
        // by name among the words of the object's stored form: more than it calls, never fewer.
        let called = |text: &dyn Fn() -> String| -> Vec<&autogen_model::ir::Function> {
            if model.functions.is_empty() {
                return Vec::new();
            }
            let words: BTreeSet<String> = autogen_model::ir::identifiers(&text())
                .into_iter()
                .collect();
            model
                .functions
                .values()
                .filter(|f| words.contains(&f.name.name))
                .collect()
        };
        Keys {
            tables: model
                .tables
                .iter()
                .map(|(q, t)| {
                    let (enums, domains) = types_used(model, t);
                    let referenced: Vec<(&QName, Option<&Table>)> = t
                        .foreign_keys
                        .values()
                        .map(|fk| (&fk.ref_table, model.tables.get(&fk.ref_table)))
                        .collect();
                    // What its policies read, without those tables' own policies: the
                    // columns' types are what shape the stored text.
                    let reads = policy_reads(model, &names, t);
                    let read_columns: Vec<_> = reads
                        .tables
                        .iter()
                        .filter_map(|r| model.tables.get(*r))
                        .map(|r| (&r.name, &r.columns))
                        .collect();
                    let read_views: Vec<_> =
                        reads.views.iter().map(|v| model.views.get(*v)).collect();
                    let key = hash(&(
                        FORMAT,
                        major,
                        "table",
                        t,
                        enums,
                        domains,
                        referenced,
                        &extensions,
                        &sequences,
                        called(&|| expressions(t)),
                        read_columns,
                        read_views,
                    ));
                    (q.clone(), key)
                })
                .collect(),
            domains: model
                .domains
                .iter()
                .map(|(q, d)| (q.clone(), domain_key(d)))
                .collect(),
            sequences: model
                .sequences
                .iter()
                .map(|(q, s)| {
                    let owner = s.owned_by.as_ref().and_then(|(t, _)| model.tables.get(t));
                    (q.clone(), hash(&(FORMAT, major, "sequence", s, owner)))
                })
                .collect(),
            views: model
                .views
                .iter()
                .map(|(q, v)| {
                    let r = view_reads(model, &names, v);
                    let tables: Vec<_> = r.tables.iter().map(|t| model.tables.get(*t)).collect();
                    let views: Vec<_> = r.views.iter().map(|t| model.views.get(*t)).collect();
                    let enums: Vec<_> = r.types.iter().map(|t| model.enums.get(*t)).collect();
                    let domains: Vec<_> = r.types.iter().map(|t| model.domains.get(*t)).collect();
                    let key = hash(&(
                        FORMAT,
                        major,
                        "view",
                        v,
                        tables,
                        views,
                        enums,
                        domains,
                        &extensions,
                        called(&|| {
                            let mut text = v.query.clone();
                            for t in v.triggers.values() {
                                text.push(' ');
                                text.push_str(&t.function.name);
                            }
                            text
                        }),
                    ));
                    (q.clone(), key)
                })
                .collect(),
            functions: model
                .functions
                .iter()
                .filter(|(_, f)| !f.normalized)
                .map(|(k, f)| {
                    let text = format!(
                        "{} {} {}",
                        f.arguments,
                        f.returns.as_deref().unwrap_or_default(),
                        f.body
                    );
                    let r = text_reads(model, &names, &text, None);
                    let tables: Vec<_> = r.tables.iter().map(|t| model.tables.get(*t)).collect();
                    let views: Vec<_> = r.views.iter().map(|t| model.views.get(*t)).collect();
                    let enums: Vec<_> = r.types.iter().map(|t| model.enums.get(*t)).collect();
                    let domains: Vec<_> = r.types.iter().map(|t| model.domains.get(*t)).collect();
                    let key = hash(&(
                        FORMAT,
                        major,
                        "function",
                        f,
                        tables,
                        views,
                        enums,
                        domains,
                        &extensions,
                    ));
                    (k.clone(), key)
                })
                .collect(),
        }
    }
}

impl Cache {
    /// Opens the cache in `dir` for a shadow of this major version; `None` when caching is off.
    pub(crate) fn open(dir: Option<&std::path::Path>, major: u32) -> Option<Cache> {
        let path = dir?.join(format!("normalized-pg{major}.json"));
        let file = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<File>(&b).ok())
            .filter(|f| f.format == FORMAT)
            .unwrap_or(File {
                format: FORMAT,
                ..File::default()
            });
        Some(Cache {
            path,
            file,
            changed: false,
        })
    }

    /// Whether every key is in the cache.
    pub(crate) fn holds(&self, keys: &Keys) -> bool {
        let f = &self.file;
        keys.tables.values().all(|k| f.tables.contains_key(k))
            && keys.domains.values().all(|k| f.domains.contains_key(k))
            && keys.sequences.values().all(|k| f.sequences.contains_key(k))
            && keys.views.values().all(|k| f.views.contains_key(k))
            && keys.functions.values().all(|k| f.functions.contains_key(k))
    }

    pub(crate) fn function(&self, key: &str) -> Option<Function> {
        parse(self.file.functions.get(key))
    }

    pub(crate) fn view(&self, key: &str) -> Option<View> {
        parse(self.file.views.get(key))
    }

    pub(crate) fn table(&self, key: &str) -> Option<Table> {
        parse(self.file.tables.get(key))
    }

    pub(crate) fn domain(&self, key: &str) -> Option<Domain> {
        parse(self.file.domains.get(key))
    }

    pub(crate) fn sequence(&self, key: &str) -> Option<Sequence> {
        parse(self.file.sequences.get(key))
    }

    /// Takes an entry out, for a run that will not write the file back.
    pub(crate) fn take_table(&mut self, key: &str) -> Option<Table> {
        parse(self.file.tables.swap_remove(key).as_ref())
    }

    /// Records what the shadow gave for the keys the cache did not have. Entries of this run
    /// move to the end, the young end; nothing is rewritten when every key was a hit.
    /// `functions`: the normalized form of each model function, by its model key.
    pub(crate) fn store(
        &mut self,
        keys: &Keys,
        normalized: &Schema,
        functions: &BTreeMap<FunctionKey, Function>,
    ) {
        fn refresh<K: Ord, T: Serialize>(
            map: &mut indexmap::IndexMap<String, Raw>,
            keys: &BTreeMap<K, String>,
            found: &BTreeMap<K, T>,
        ) {
            let used: BTreeSet<&String> = keys.values().collect();
            let old = std::mem::take(map);
            let mut current = indexmap::IndexMap::new();
            for (key, value) in old {
                if used.contains(&key) {
                    current.insert(key, value);
                } else {
                    map.insert(key, value);
                }
            }
            for (q, key) in keys {
                let value = current.swap_remove(key).or_else(|| {
                    found
                        .get(q)
                        .and_then(|v| serde_json::value::to_raw_value(v).ok())
                });
                if let Some(v) = value {
                    map.insert(key.clone(), v);
                }
            }
        }
        let f = &self.file;
        let new = keys.tables.values().any(|k| !f.tables.contains_key(k))
            || keys.domains.values().any(|k| !f.domains.contains_key(k))
            || keys
                .sequences
                .values()
                .any(|k| !f.sequences.contains_key(k))
            || keys.views.values().any(|k| !f.views.contains_key(k))
            || keys
                .functions
                .values()
                .any(|k| !f.functions.contains_key(k));
        if !new {
            return;
        }
        self.changed = true;
        let f = &mut self.file;
        refresh(&mut f.tables, &keys.tables, &normalized.tables);
        refresh(&mut f.domains, &keys.domains, &normalized.domains);
        refresh(&mut f.sequences, &keys.sequences, &normalized.sequences);
        refresh(&mut f.views, &keys.views, &normalized.views);
        refresh(&mut f.functions, &keys.functions, functions);
    }

    /// Writes the file when something new was learnt: to a temporary file renamed into place,
    /// so a concurrent reader sees the old file or the new one, never half of one.
    pub(crate) fn save(mut self, keep_at_least: usize) {
        if !self.changed {
            return;
        }
        let limit = KEEP.max(keep_at_least);
        let len = self.file.tables.len();
        if len > limit {
            self.file.tables.drain(..len - limit);
        }
        let len = self.file.views.len();
        if len > limit {
            self.file.views.drain(..len - limit);
        }
        let len = self.file.functions.len();
        if len > limit {
            self.file.functions.drain(..len - limit);
        }
        let Some(parent) = self.path.parent() else {
            return;
        };
        if std::fs::create_dir_all(parent).is_err() {
            return;
        }
        let tmp = self
            .path
            .with_extension(format!("json.{}.tmp", std::process::id()));
        let Ok(bytes) = serde_json::to_vec(&self.file) else {
            return;
        };
        if std::fs::write(&tmp, bytes).is_err() || std::fs::rename(&tmp, &self.path).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}
