struct Owner;

#[derive(autogen_model::Table)]
struct Entry {
    id: i64,
    count: u32,
    owner: Owner,
}

fn main() {}
