#[derive(autogen_model::Table)]
struct Entry {
    #[autogen(on_delete = "cascade")]
    user_id: i64,
}

fn main() {}
