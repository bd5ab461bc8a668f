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
