#[derive(autogen_model::Table)]
#[autogen(name = "entries", name = "posts")]
struct Entry {
    id: i64,
}

fn main() {}
