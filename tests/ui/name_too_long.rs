#[derive(autogen_model::Table)]
#[autogen(name = "a_table_name_that_is_much_longer_than_postgres_allows_for_identifiers")]
struct Entry {
    id: i64,
}

fn main() {}
