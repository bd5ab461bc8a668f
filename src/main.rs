use std::process::ExitCode;

fn main() -> ExitCode {
    // Messages carry paths and SQL: wrapping them at 80 columns would split what users copy.
    let _ = miette::set_hook(Box::new(|_| {
        Box::new(miette::MietteHandlerOpts::new().wrap_lines(false).build())
    }));
    match autogen::cli::run(std::env::args_os()) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{:?}", miette::Report::new(autogen::cli::Shown(e)));
            ExitCode::from(2)
        }
    }
}
