#[derive(autogen::Table)]
enum Entry {
    A,
}

fn main() {}
