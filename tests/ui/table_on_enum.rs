#[derive(autogen_model::Table)]
enum Entry {
    A,
}

fn main() {}
