#[derive(autogen_model::Table)]
#[autogen(name = 5)]
struct Entry {
    id: i64,
}

fn main() {}
