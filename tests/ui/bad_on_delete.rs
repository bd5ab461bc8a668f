#[derive(autogen_model::Table)]
struct Entry {
    #[autogen(references = "users(id)", on_delete = "delete")]
    user_id: i64,
}

fn main() {}
