//! The README's embedding example, as written there, against a real database: the library
//! crates used directly, without the CLI.

use crate::harness::TestDb;
use crate::support::TempDir;
use autogen_core::{
    diff::diff,
    plan::plan,
    render::{RenderOptions, script},
};
use autogen_model::model::{load_path, model_schemas};
use autogen_pg::{conn::connect, filter::SchemaFilter, inspect::inspect};

fn pending_sql(
    model_dir: &std::path::Path,
    url: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let model = load_path(model_dir)?; // YAML files -> ir::Schema
    let mut client = connect(url)?; // TLS, passwords, retries
    // Only the schemas the model declares: the rest of the database is not its business.
    let only = SchemaFilter {
        include: model_schemas(&model).into_iter().collect(),
        exclude: vec![],
    };
    let live = inspect(&mut client, &only)?;
    let steps = plan(diff(&live, &model)); // ordered, with typed hazards
    Ok(script(&steps, &RenderOptions::default())) // the up migration's SQL
}

#[test]
fn the_readme_embedding_example_gives_the_sql_that_brings_a_database_to_its_model() {
    let db = TestDb::new();
    let dir = TempDir::new("autogen-embed", "model");
    std::fs::write(
        dir.join("notes.yaml"),
        "schema: app\ntables:\n  notes:\n    columns:\n      id: { type: bigint }\n      body: { type: text }\n    primary_key: [id]\n",
    )
    .expect("model");
    // Another schema in the database, which the model does not declare, is left alone.
    db.client()
        .batch_execute("CREATE SCHEMA other; CREATE TABLE other.t (id int)")
        .expect("other schema");
    let sql = pending_sql(&dir, &db.url()).expect("pending SQL");
    assert!(!sql.contains("other"), "{sql}");
    assert!(sql.contains("CREATE SCHEMA app"), "{sql}");
    assert!(sql.contains("CREATE TABLE app.notes"), "{sql}");

    // Run it; the same call then has nothing left to do.
    db.client().batch_execute(&sql).expect("apply");
    let again = pending_sql(&dir, &db.url()).expect("pending SQL");
    assert_eq!(again, "", "nothing pending after applying it");
}
