#[derive(autogen_model::Table)]
#[autogen(schema = "journal")]
struct Entry {
    #[autogen(primary_ky)]
    id: i64,
}

fn main() {}
