#[derive(autogen::PgEnum)]
enum Status {
    Draft,
    #[autogen(renamed = "old")]
    Published,
}

fn main() {}
