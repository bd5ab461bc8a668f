#[derive(autogen_model::Table)]
struct Entry {
    id: i64,
    #[autogen(name = "id")]
    other_id: i64,
}

fn main() {}
