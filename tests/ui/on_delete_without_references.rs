#[derive(autogen::Table)]
struct Entry {
    #[autogen(on_delete = "cascade")]
    user_id: i64,
}

fn main() {}
