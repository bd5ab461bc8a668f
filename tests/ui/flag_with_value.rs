#[derive(autogen_model::Table)]
struct Entry {
    #[autogen(primary_key = "yes")]
    id: i64,
}

fn main() {}
