//! Prints the journal model for the autogen CLI: `models = { command = [...] }` in autogen.toml.

fn main() -> std::process::ExitCode {
    journal_model::model().export()
}
