use autogen_model::Table;

#[derive(Table)]
#[autogen(trigger(name = "t", timing = "before", events = "insert, upsert", function = "f"))]
struct Post {
    id: i64,
}

fn main() {}
