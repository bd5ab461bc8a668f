#[derive(autogen::Table)]
struct Entry {
    #[autogen(primary_key = "yes")]
    id: i64,
}

fn main() {}
