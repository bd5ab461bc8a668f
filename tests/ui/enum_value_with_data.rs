#[derive(autogen::PgEnum)]
enum Status {
    Draft,
    Published(u32),
}

fn main() {}
