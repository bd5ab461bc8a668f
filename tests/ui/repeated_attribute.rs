#[derive(autogen::Table)]
#[autogen(name = "entries", name = "posts")]
struct Entry {
    id: i64,
}

fn main() {}
