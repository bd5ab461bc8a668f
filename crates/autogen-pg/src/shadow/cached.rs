//! Normalization through the cache: only what the cache does not hold is created in a
//! scratch database (see `cache.rs` for what a key covers).
//!
//! Input: a model. Output: the model as Postgres stores it, and how much of it came from the
//! cache; or the model back, untouched, when no shadow can be had.

use super::{Shadow, cache, normalize};
use crate::error::Error;
use autogen_model::ir::{BaseType, Function, FunctionKey, QName, Schema, normalized_form};
use std::collections::BTreeMap;

/// What [`Shadow::normalize_model`] did.
pub enum Normalized {
    /// The model as Postgres stores it; `cached` of its `objects` came from the cache.
    Done {
        schema: Schema,
        objects: usize,
        cached: usize,
    },
    /// No shadow could be had (no configured server, and no binaries to start one): the model
    /// comes back as it was given.
    NoShadow(Error, Schema),
}

/// Puts each keyed object in `out` when `cached` has it, else its model form in `missing`;
/// returns how many were cached.
fn split<T: Clone>(
    keys: &BTreeMap<QName, String>,
    cached: impl Fn(&str) -> Option<T>,
    model: &BTreeMap<QName, T>,
    out: &mut BTreeMap<QName, T>,
    missing: &mut BTreeMap<QName, T>,
) -> usize {
    let mut hits = 0;
    for (q, key) in keys {
        match cached(key) {
            Some(v) => {
                out.insert(q.clone(), v);
                hits += 1;
            }
            None => {
                if let Some(v) = model.get(q) {
                    missing.insert(q.clone(), v.clone());
                }
            }
        }
    }
    hits
}

impl Shadow {
    /// `model` with its views and functions as Postgres stores them (queries qualified, output
    /// columns typed, what each reads; functions' argument lists, results and bodies), the rest
    /// as written: what a snapshot records, so a migration never
    /// holds a query whose names depend on a search path. A model without views comes back
    /// untouched, and no shadow is started for it.
    pub fn normalize_views(&mut self, mut model: Schema) -> Result<Schema, Error> {
        if model.views.is_empty() && model.functions.values().all(|f| f.normalized) {
            return Ok(model);
        }
        match self.normalize_model(model.clone())? {
            Normalized::Done { schema, .. } => {
                model.views = schema.views;
                model.functions = schema.functions;
                Ok(model)
            }
            Normalized::NoShadow(e, _) => Err(Error::Shadow(format!(
                "the model's views and functions are read as Postgres stores them, through a shadow database,                  and none could be had: {e}; pass --dev-url (or set `[shadow] url`), or install                  the PostgreSQL server binaries (AUTOGEN_PG_BINDIR)"
            ))),
        }
    }

    /// Normalizes `model`: each table, domain and sequence comes from the cache when that exact
    /// definition was normalized before on this major version, and the rest from a scratch
    /// database on the shadow, which is started only if something is not in the cache.
    /// It takes the model by value so that, when the cache holds everything, the model is gone
    /// before its normalized copy is built: at 5,000 tables each is about 50 MB.
    pub fn normalize_model(&mut self, mut model: Schema) -> Result<Normalized, Error> {
        // Grants need no normalizing (privileges and role names are stored as written): they
        // stay out of the scratch database, its cache keys and its roles, and go back on the
        // objects as Postgres stores them.
        let grants = model.take_grants();
        let roles = model.managed_roles.take();
        let put_back = |s: &mut Schema| normalize::restore_grants(s, grants, roles);
        Ok(match self.normalize_model_objects(model)? {
            Normalized::Done {
                mut schema,
                objects,
                cached,
            } => {
                put_back(&mut schema);
                Normalized::Done {
                    schema,
                    objects,
                    cached,
                }
            }
            Normalized::NoShadow(e, mut model) => {
                put_back(&mut model);
                Normalized::NoShadow(e, model)
            }
        })
    }

    fn normalize_model_objects(&mut self, mut model: Schema) -> Result<Normalized, Error> {
        // Views already as Postgres stores them (a snapshot's) are not created again: they may
        // read another service's tables, which a scratch database holds only as stand-ins.
        let ready = super::set_aside_normalized_views(&mut model);
        // A snapshot's functions too; they stay in the model, so what calls them can be created.
        let ready_functions: BTreeMap<FunctionKey, Function> = model
            .functions
            .iter()
            .filter(|(_, f)| f.normalized)
            .map(|(k, f)| (k.clone(), f.clone()))
            .collect();
        Ok(match self.normalize_whole(model)? {
            Normalized::Done {
                mut schema,
                objects,
                cached,
            } => {
                schema.views.extend(ready);
                schema.functions.extend(ready_functions);
                Normalized::Done {
                    schema,
                    objects,
                    cached,
                }
            }
            Normalized::NoShadow(e, mut model) => {
                model.views.extend(ready);
                Normalized::NoShadow(e, model)
            }
        })
    }

    fn normalize_whole(&mut self, model: Schema) -> Result<Normalized, Error> {
        let version = match self.server_version() {
            Ok(v) => v,
            Err(e) if self.configured.is_none() => {
                return Ok(Normalized::NoShadow(e, model));
            }
            Err(e) => return Err(e),
        };
        let keys = cache::Keys::of(&model, version / 10000, &self.platform);
        let mut cache = cache::Cache::open(self.cache_dir.as_deref(), version / 10000);
        // Built up from the cache and the shadow, never cloned whole from the model: at 5,000
        // tables one more copy of them is 50 MB.
        let mut out = Schema {
            schemas: model.schemas.clone(),
            extensions: model.extensions.clone(),
            enums: model.enums.clone(),
            domains: BTreeMap::new(),
            sequences: BTreeMap::new(),
            tables: BTreeMap::new(),
            views: BTreeMap::new(),
            functions: BTreeMap::new(),
            managed_roles: None,
            hints: model.hints.clone(),
        };
        let mut missing = Schema {
            tables: BTreeMap::new(),
            domains: BTreeMap::new(),
            sequences: BTreeMap::new(),
            ..out.clone()
        };
        let objects = keys.tables.len()
            + keys.domains.len()
            + keys.sequences.len()
            + keys.views.len()
            + keys.functions.len();
        if cache.as_ref().is_some_and(|c| c.holds(&keys)) {
            // Everything is there and nothing will be written back: the model can go, and the
            // entries are moved out of the cache, not copied.
            drop(model);
            if let Some(c) = cache.as_mut() {
                for (q, k) in &keys.tables {
                    out.tables.extend(c.take_table(k).map(|t| (q.clone(), t)));
                }
                // Domains and sequences are few: read, not taken.
                for (q, k) in &keys.domains {
                    out.domains.extend(c.domain(k).map(|d| (q.clone(), d)));
                }
                for (q, k) in &keys.sequences {
                    out.sequences.extend(c.sequence(k).map(|s| (q.clone(), s)));
                }
                for (q, k) in &keys.views {
                    out.views.extend(c.view(k).map(|v| (q.clone(), v)));
                }
                for k in keys.functions.values() {
                    out.functions.extend(c.function(k).map(|f| (f.key(), f)));
                }
            }
            return Ok(Normalized::Done {
                schema: out,
                objects,
                cached: objects,
            });
        }
        let mut cached = split(
            &keys.tables,
            |k| cache.as_ref().and_then(|c| c.table(k)),
            &model.tables,
            &mut out.tables,
            &mut missing.tables,
        );
        cached += split(
            &keys.domains,
            |k| cache.as_ref().and_then(|c| c.domain(k)),
            &model.domains,
            &mut out.domains,
            &mut missing.domains,
        );
        for (q, key) in &keys.sequences {
            match cache.as_ref().and_then(|c| c.sequence(key)) {
                Some(s) => {
                    out.sequences.insert(q.clone(), s);
                    cached += 1;
                }
                None => {
                    let s = &model.sequences[q];
                    // A sequence OWNED BY a column needs its table in the scratch database.
                    if let Some((t, _)) = &s.owned_by {
                        if let Some(table) = model.tables.get(t) {
                            missing.tables.insert(t.clone(), table.clone());
                        }
                    }
                    missing.sequences.insert(q.clone(), s.clone());
                }
            }
        }
        let names = cache::Names::of(&model);
        let mut normalized_functions: BTreeMap<FunctionKey, Function> = BTreeMap::new();
        for (k, key) in &keys.functions {
            if let Some(f) = cache.as_ref().and_then(|c| c.function(key)) {
                normalized_functions.insert(k.clone(), f);
                cached += 1;
            }
        }
        for (q, key) in &keys.views {
            match cache.as_ref().and_then(|c| c.view(key)) {
                Some(v) => {
                    out.views.insert(q.clone(), v);
                    cached += 1;
                }
                None => {
                    // What its query may read must exist in the scratch database too.
                    let v = &model.views[q];
                    let reads = cache::view_reads(&model, &names, v);
                    for t in reads.tables {
                        missing.tables.insert(t.clone(), model.tables[t].clone());
                    }
                    for r in reads.views {
                        missing.views.insert(r.clone(), model.views[r].clone());
                    }
                    for d in reads.types {
                        if let Some(dom) = model.domains.get(d) {
                            missing.domains.insert(d.clone(), dom.clone());
                        }
                    }
                    missing.views.insert(q.clone(), v.clone());
                }
            }
        }
        if cached < objects {
            // What is created may call any of the model's functions (a CHECK, a default, a
            // view), and a function may use a relation's row type.
            // A SQL body is checked when it is created: what it reads must be there too.
            missing.functions = model.functions.clone();
            for f in model.functions.values() {
                for d in f.depends_on.iter().filter(|d| d.kind.is_relation()) {
                    if let Some(t) = model.tables.get(&d.name) {
                        missing
                            .tables
                            .entry(d.name.clone())
                            .or_insert_with(|| t.clone());
                    }
                }
                if f.language != "sql" {
                    continue;
                }
                let reads = cache::text_reads(&model, &names, &f.body, None);
                for t in reads.tables {
                    missing
                        .tables
                        .entry(t.clone())
                        .or_insert_with(|| model.tables[t].clone());
                }
                for r in reads.views {
                    let v = &model.views[r];
                    for t in cache::view_reads(&model, &names, v).tables {
                        missing
                            .tables
                            .entry(t.clone())
                            .or_insert_with(|| model.tables[t].clone());
                    }
                    missing.views.entry(r.clone()).or_insert_with(|| v.clone());
                }
                for d in reads.types {
                    if let Some(dom) = model.domains.get(d) {
                        missing
                            .domains
                            .entry(d.clone())
                            .or_insert_with(|| dom.clone());
                    }
                }
            }
        }
        // What a missing table's policies read must exist in the scratch database too, and
        // what those tables' policies read, in turn.
        let mut queue: Vec<QName> = missing.tables.keys().cloned().collect();
        while let Some(q) = queue.pop() {
            let Some(t) = model.tables.get(&q) else {
                continue;
            };
            let reads = cache::policy_reads(&model, &names, t);
            for r in reads.tables {
                if !missing.tables.contains_key(r) {
                    missing.tables.insert(r.clone(), model.tables[r].clone());
                    queue.push(r.clone());
                }
            }
            for v in reads.views {
                let view = &model.views[v];
                for r in cache::view_reads(&model, &names, view).tables {
                    if !missing.tables.contains_key(r) {
                        missing.tables.insert(r.clone(), model.tables[r].clone());
                        queue.push(r.clone());
                    }
                }
                missing
                    .views
                    .entry(v.clone())
                    .or_insert_with(|| view.clone());
            }
            for d in reads.types {
                if let Some(dom) = model.domains.get(d) {
                    missing
                        .domains
                        .entry(d.clone())
                        .or_insert_with(|| dom.clone());
                }
            }
        }
        // A table created in the scratch database needs the sequences its columns own (a
        // serial's default calls `nextval` on it), even when the cache holds them.
        for (q, s) in &model.sequences {
            if s.owned_by
                .as_ref()
                .is_some_and(|(t, _)| missing.tables.contains_key(t))
            {
                missing
                    .sequences
                    .entry(q.clone())
                    .or_insert_with(|| s.clone());
            }
        }
        // Domains a missing table's columns use must exist in the scratch database too.
        for t in missing.tables.values() {
            for c in t.columns.values() {
                if let BaseType::User(q) = &c.ty.base {
                    if let Some(d) = model.domains.get(q) {
                        missing
                            .domains
                            .entry(q.clone())
                            .or_insert_with(|| d.clone());
                    }
                }
            }
        }
        if cached < objects {
            let configured = self.configured.is_some();
            let url = match self.url() {
                Ok(u) => u.to_string(),
                Err(e) if !configured => return Ok(Normalized::NoShadow(e, model)),
                Err(e) => return Err(e),
            };
            let normalized = normalize(&missing, &url, &self.platform)?;
            for (q, t) in &normalized.tables {
                if missing.tables.contains_key(q) {
                    out.tables.insert(q.clone(), t.clone());
                }
            }
            for (q, d) in &normalized.domains {
                if missing.domains.contains_key(q) {
                    out.domains.insert(q.clone(), d.clone());
                }
            }
            for (q, s) in &normalized.sequences {
                if missing.sequences.contains_key(q) {
                    out.sequences.insert(q.clone(), s.clone());
                }
            }
            for (q, v) in &normalized.views {
                if missing.views.contains_key(q) {
                    out.views.insert(q.clone(), v.clone());
                }
            }
            for (k, f) in model.functions.iter().filter(|(_, f)| !f.normalized) {
                if let Some(n) = normalized_form(f, &model.functions, &normalized.functions) {
                    normalized_functions.insert(k.clone(), n.clone());
                }
            }
        }
        // A function the shadow could not match keeps its model form (it then shows as a
        // change, never as silently equal).
        for (k, f) in model.functions.iter().filter(|(_, f)| !f.normalized) {
            let n = normalized_functions.get(k).unwrap_or(f);
            out.functions.insert(n.key(), n.clone());
        }
        if let Some(mut c) = cache {
            c.store(&keys, &out, &normalized_functions);
            c.save(objects);
        }
        Ok(Normalized::Done {
            schema: out,
            objects,
            cached,
        })
    }
}
