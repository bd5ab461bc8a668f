#[derive(autogen_model::PgEnum)]
enum Status {
    Draft,
    #[autogen(renamed = "old")]
    Published,
}

fn main() {}
