use autogen_model::Table;

#[derive(Table)]
#[autogen(policy(name = "p", command = "upsert", using = "true"))]
struct Post {
    id: i64,
}

fn main() {}
