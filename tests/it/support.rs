//! Helpers shared by the integration tests.

use autogen::apply::apply_plan;
use autogen::diff::diff;
use autogen::filter::SchemaFilter;
use autogen::inspect::inspect;
use autogen::ir::Schema;
use autogen::plan::{Plan, plan};
use autogen::render::{RenderOptions, script};
use postgres::Client;
use std::collections::BTreeSet;

/// What a platform such as Supabase provides and models reference but never own.
pub const AUTH_STUB: &str = "CREATE SCHEMA auth; CREATE TABLE auth.users (id uuid PRIMARY KEY);";

pub fn filter_for(schemas: &BTreeSet<String>) -> SchemaFilter {
    SchemaFilter {
        include: schemas.iter().cloned().collect(),
        exclude: Vec::new(),
    }
}

pub fn read(client: &mut Client, schemas: &BTreeSet<String>) -> Schema {
    inspect(client, &filter_for(schemas)).expect("inspect")
}

pub fn run(client: &mut Client, p: &Plan, what: &str) {
    if let Err(e) = apply_plan(client, p, &RenderOptions::default()) {
        panic!(
            "{what} failed: {e}\n--- plan ---\n{}",
            script(p, &RenderOptions::default())
        );
    }
}

/// Creates `model` in an empty database.
pub fn create(client: &mut Client, model: &Schema) {
    run(
        client,
        &plan(diff(&Schema::default(), model)),
        "creating the model",
    );
}

/// Fails with the SQL that would still be needed when the two schemas differ.
pub fn assert_same(actual: &Schema, expected: &Schema, context: &str) {
    let changes = diff(actual, expected);
    if !changes.is_empty() {
        panic!(
            "{context}: the schemas still differ; the diff would run:\n{}",
            script(&plan(changes), &RenderOptions::default())
        );
    }
}

/// A directory under the system temp dir, removed with everything in it when dropped.
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    pub fn new(prefix: &str, name: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!("{prefix}-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("temp dir");
        TempDir(d)
    }
}

impl std::ops::Deref for TempDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
