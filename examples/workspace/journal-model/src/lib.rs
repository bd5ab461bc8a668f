//! The journal service's rows. The same structs the service reads and writes declare its schema;
//! `examples/export.rs` hands the model to the autogen CLI (see `../autogen.toml`).

use autogen_model::{Model, PgEnum, Table};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PgEnum)]
#[autogen(
    schema = "journal",
    name = "entry_status",
    comment = "Where an entry is in its life"
)]
pub enum EntryStatus {
    Draft,
    Published,
    Archived,
}

#[derive(Debug, Clone, Table)]
#[autogen(
    schema = "journal",
    name = "entries",
    comment = "One journal entry",
    index(columns = "user_id, created_at"),
    index(name = "entries_tags_idx", columns = "tags", method = "gin"),
    check(name = "entries_amount_not_negative", expr = "amount >= 0")
)]
pub struct Entry {
    #[autogen(primary_key, default = "gen_random_uuid()")]
    pub id: uuid::Uuid,
    /// The author, a user of the accounts service (declared there in YAML).
    #[autogen(references = "accounts.users(id)", on_delete = "cascade")]
    pub user_id: uuid::Uuid,
    #[autogen(default = "'draft'")]
    pub status: EntryStatus,
    #[autogen(sql_type = "varchar(200)", unique)]
    pub title: String,
    pub body: Option<String>,
    #[autogen(sql_type = "numeric(12,2)")]
    pub amount: Option<rust_decimal::Decimal>,
    pub tags: Vec<String>,
    #[autogen(default = "'{}'::jsonb")]
    pub meta: serde_json::Value,
    #[autogen(default = "now()")]
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Rendered on read; not stored.
    #[autogen(skip)]
    pub html: Option<String>,
}

#[derive(Debug, Clone, Table)]
#[autogen(
    schema = "journal",
    name = "entry_revisions",
    primary_key = "entry_id, revision",
    foreign_key(
        columns = "entry_id",
        references = "entries(id)",
        on_delete = "cascade"
    ),
    check(name = "entry_revisions_revision_positive", expr = "revision > 0")
)]
pub struct EntryRevision {
    pub entry_id: uuid::Uuid,
    pub revision: i32,
    pub body: String,
    #[autogen(default = "now()")]
    pub edited_at: time::OffsetDateTime,
    pub edited_on: chrono::NaiveDate,
    pub attachment: Option<Vec<u8>>,
    pub word_count: i64,
}

/// The journal service's model: everything above, in the order Postgres needs no help with.
pub fn model() -> Model {
    Model::new()
        .enum_type::<EntryStatus>()
        .table::<Entry>()
        .table::<EntryRevision>()
}
