#[derive(autogen_model::Table)]
#[autogen(shema = "journal")]
struct Entry {
    id: i64,
}

fn main() {}
