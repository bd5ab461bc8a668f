//! Normalization: a model is created in a scratch database and read back with the
//! inspector, so its defaults, CHECKs, predicates and generated expressions read exactly as
//! Postgres stores them (`amount*2` becomes `(amount * (2)::numeric)`).
//!
//! Input: a model schema and the URL of a server where autogen may create a database. Output:
//! the same schema, normalized by Postgres, with the model's rename hints kept. The scratch
//! database is dropped whether or not normalization succeeds.

use super::ScratchDb;
use super::platform::{Needs, Platform, prepare_platform, prepare_references};
use crate::apply::apply_scratch;
use crate::conn::error_text;
use crate::error::Error;
use crate::filter::SchemaFilter;
use crate::inspect::inspect;
use autogen_core::diff::{Change, FunctionChange, ViewChange, diff};
use autogen_core::plan::plan;
use autogen_core::render::RenderOptions;
use autogen_model::ir::Schema;
use autogen_model::ir::quote::ident;
use std::collections::BTreeSet;

/// Normalizes `model` through a scratch database on the server at `dev_url`, prepared for the
/// project's `platform` (its stand-ins for what the model references but does not own).
pub fn normalize(model: &Schema, dev_url: &str, platform: &Platform) -> Result<Schema, Error> {
    // Only grants, or roles a new object's grants would be reset for, need the model without
    // them; any other model goes as it is (a copy of 5,000 tables costs 50 MB).
    if model.has_grants() || model.managed_roles.as_ref().is_some_and(|r| !r.is_empty()) {
        let mut model = model.clone();
        let grants = model.take_grants();
        let roles = model.managed_roles.take();
        let mut out = normalize(&model, dev_url, platform)?;
        restore_grants(&mut out, grants, roles);
        return Ok(out);
    }
    // A copy (of a model that can hold thousands of tables) only when there is something to
    // take out of it.
    if !model.views.values().any(|v| v.is_normalized()) {
        return normalize_all(model, dev_url, platform);
    }
    let mut model = model.clone();
    let ready = super::set_aside_normalized_views(&mut model);
    let mut out = normalize_all(&model, dev_url, platform)?;
    out.views.extend(ready);
    Ok(out)
}

/// Puts a model's grants and roles back on its normalized objects. Grants need no normalizing
/// (privileges and role names are stored as written), so they stay out of the scratch database
/// (whose objects would read back with Postgres's default ACLs), its cache keys and its roles.
/// A function whose signature Postgres spelled otherwise (`int` as `integer`) is found by its
/// name when it has no overload.
pub(crate) fn restore_grants(
    s: &mut Schema,
    grants: Vec<(autogen_model::ir::GrantTarget, autogen_model::ir::Acl)>,
    roles: Option<BTreeSet<String>>,
) {
    // What the scratch database read back is its own defaults, not the model's.
    s.take_grants();
    s.managed_roles = roles;
    for (target, acl) in s.put_grants(grants) {
        if let autogen_model::ir::GrantTarget::Function { key, .. } = &target {
            let mut same_name = s.functions.values_mut().filter(|f| f.name == key.0);
            if let (Some(f), None) = (same_name.next(), same_name.next()) {
                f.grants = acl;
            }
        }
    }
}

fn normalize_all(model: &Schema, dev_url: &str, platform: &Platform) -> Result<Schema, Error> {
    let db = ScratchDb::create(dev_url, "autogen_shadow")?;
    let mut client = db.connect()?;
    let own: BTreeSet<String> = autogen_model::model::model_schemas(model);
    let needs = Needs::of([model], &own);
    prepare_platform(&mut client, platform, &needs)?;
    // Extensions first, so their types exist before the stand-ins are decided.
    let changes = diff(&Schema::default(), model);
    let (early, rest): (Vec<Change>, Vec<Change>) = changes
        .into_iter()
        .partition(|c| matches!(c, Change::CreateSchema(_) | Change::CreateExtension(_)));
    // Views, and the functions whose SQL bodies read views, the triggers on views and the
    // policies (whose expressions may read views), are created once the rest is.
    let (views, rest): (Vec<Change>, Vec<Change>) =
        rest.into_iter().partition(|c| matches!(c, Change::View(_)));
    let (late, rest): (Vec<Change>, Vec<Change>) = rest.into_iter().partition(|c| {
        matches!(c, Change::Function(FunctionChange::Create(_, u)) if u.reads_views)
            || matches!(c, Change::Trigger(t) if t.on().view)
            || matches!(c, Change::Policy(_))
    });
    let opts = RenderOptions::default();
    apply_scratch(&mut client, &plan(early), &opts)
        .map_err(|e| Error::Shadow(format!("the model cannot be created: {e}")))?;
    prepare_references(&mut client, &needs)?;
    apply_scratch(&mut client, &plan(rest), &opts)
        .map_err(|e| Error::Shadow(format!("the model cannot be created: {e}")))?;
    create_views(&mut client, &views, &opts)?;
    apply_scratch(&mut client, &plan(late), &opts)
        .map_err(|e| Error::Shadow(format!("the model cannot be created: {e}")))?;
    let filter = SchemaFilter {
        include: own.into_iter().collect(),
        exclude: Vec::new(),
    };
    let mut normalized = inspect(&mut client, &filter)?;
    normalized.extensions = model.extensions.clone();
    normalized.hints = model.hints.clone();
    // What the scratch database gives its objects is its own default ACLs, not the model's
    // grants (which never go through it).
    normalized.take_grants();
    normalized.managed_roles = model.managed_roles.clone();
    Ok(normalized)
}

/// Creates a model's views, in the order the diff gave (each after the views it names). A
/// model's query may name its own schema's objects unqualified, as its author would in `psql`:
/// each is created with its schema, then `public`, on the search path. Once read back, every
/// name in it is qualified, so the migration that creates it does not depend on a search path.
fn create_views(
    client: &mut postgres::Client,
    views: &[Change],
    opts: &RenderOptions,
) -> Result<(), Error> {
    for c in views {
        let Change::View(ViewChange::Create(v)) = c else {
            continue;
        };
        let mut sql = format!("SET search_path TO {}, public", ident(&v.name.schema));
        for s in autogen_core::render::statements(c, opts) {
            sql.push_str(";\n");
            sql.push_str(&s);
        }
        client.batch_execute(&sql).map_err(|e| {
            Error::Refused(format!(
                "the {} `{}` of the model cannot be created: {}; correct its query (it runs with `{}`, then `public`, on the search path)",
                v.kind_text(),
                v.name,
                error_text(&e),
                v.name.schema
            ))
        })?;
    }
    client
        .batch_execute("RESET search_path")
        .map_err(|e| Error::Shadow(format!("cannot reset the search path: {}", error_text(&e))))
}
