#[derive(autogen::Table)]
#[autogen(name = 5)]
struct Entry {
    id: i64,
}

fn main() {}
