#[derive(autogen_model::Table)]
#[autogen(index(columns = "user_id, created"))]
struct Entry {
    user_id: i64,
    created_at: std::time::SystemTime,
}

fn main() {}
