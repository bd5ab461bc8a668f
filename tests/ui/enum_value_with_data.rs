#[derive(autogen_model::PgEnum)]
enum Status {
    Draft,
    Published(u32),
}

fn main() {}
