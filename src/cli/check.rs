//! `autogen check`: the drift check for CI. Never prompts; exit 0 in sync, 1 drift, 2 error.

use super::{ProjectArgs, ShadowArgs};
use crate::check::{self, CheckOptions, report};
use crate::error::Error;
use clap::{Args, ValueEnum};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A report for people.
    Text,
    /// A versioned JSON document (see the README).
    Json,
    /// GitHub Actions workflow commands: annotations on the pull request.
    Github,
}

#[derive(Args)]
pub struct CheckArgs {
    #[command(flatten)]
    project: ProjectArgs,
    #[command(flatten)]
    shadow: ShadowArgs,
    /// Fail on objects autogen does not manage (views, functions, ...) instead of warning.
    #[arg(long)]
    strict: bool,
    /// Leave the database out even if one is configured: models, files and replay only.
    #[arg(long)]
    offline: bool,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub fn check(a: CheckArgs) -> Result<u8, Error> {
    let format = a.format;
    match run(a) {
        Err(e) if format == Format::Json => {
            crate::cli::emit(format_args!("{}", report::json_error(&e)));
            Err(e)
        }
        Err(e) if format == Format::Github => {
            crate::cli::emit(format_args!("{}", report::github_error(&e)));
            Err(e)
        }
        other => other,
    }
}

fn run(a: CheckArgs) -> Result<u8, Error> {
    let project = a.project.load()?;
    let services = project.select(&a.project.service)?;
    let mut shadow = a.shadow.shadow(&project)?;
    let database_url = if a.offline {
        None
    } else if let (None, Some(var)) = (&project.database_url, &project.url_unset) {
        // Skipping the database here would turn a CI job that lost its secret green.
        return Err(Error::Usage(format!(
            "`url` under [database] in {} names the environment variable `{var}`, which is not \
             set, so the database cannot be checked: set `{var}`, or run `autogen check \
             --offline` to check only the models, files and replay",
            crate::config::CONFIG_FILE
        )));
    } else {
        project.database_url.as_deref()
    };
    let mut r = check::check(
        &project,
        &services,
        &mut shadow,
        &CheckOptions {
            strict: a.strict,
            database_url,
            all_services: a.project.service.is_empty(),
        },
    )?;
    if database_url.is_none() && !a.offline {
        r.notes.push(
            "no database is configured (--database-url, DATABASE_URL, PG* or `[database] url`): \
             the history table, the database against the migrations and unmanaged objects were \
             not checked"
                .into(),
        );
    }
    let text = match a.format {
        Format::Text => report::text(&r),
        Format::Json => report::json(&r),
        Format::Github => report::github(&r),
    };
    crate::cli::emit(format_args!("{text}"));
    Ok(r.exit_code())
}
