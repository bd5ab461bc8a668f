#[derive(autogen_model::PgEnum)]
#[autogen(rename_all = "Title Case")]
enum Status {
    Draft,
    #[autogen(renamed = "old")]
    Published,
}

fn main() {}
