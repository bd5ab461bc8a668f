//! `validate`: whether the migration files add up, without comparing a live schema. The files
//! and their chain, the models, the history table when there is a database, a replay of every
//! migration on a shadow database when nothing else is wrong, and data-loss steps nobody
//! accepted.

use crate::config::{Project, Service};
use crate::error::Error;
use crate::migrate::{self, Problem};
use autogen_pg::shadow::Shadow;

/// What `validate` found, and what it looked at.
pub struct Validation {
    pub problems: Vec<Problem>,
    /// What was checked, in order (`files`, `history table`, `replay on a shadow database`).
    pub checked: Vec<&'static str>,
    pub migrations: usize,
    pub services: usize,
}

/// Validates the migrations of `services`. `offline`: files and models only. `shadow` is asked
/// for only when the replay runs.
pub fn validate(
    project: &Project,
    services: &[Service],
    offline: bool,
    shadow: impl FnOnce() -> Result<Shadow, Error>,
) -> Result<Validation, Error> {
    let streams = migrate::load_streams(project, services)?;
    let mut problems: Vec<Problem> = streams.iter().flat_map(|s| s.problems.clone()).collect();
    if let Err(e) = migrate::load_all_models(project) {
        problems.push(Problem {
            service: "models".into(),
            message: e.to_string(),
            fix: "correct the model files".into(),
        });
    }
    let mut checked = vec!["files"];
    if !offline {
        if let Some(url) = &project.database_url {
            let mut client = autogen_pg::conn::connect(url)?;
            let rows = migrate::history::read(&mut client)?;
            problems.extend(migrate::online_problems(&streams, &rows));
            checked.push("history table");
        }
    }
    if !offline && problems.is_empty() {
        let mut shadow = shadow()?;
        problems.extend(
            super::replay(project, &streams, &mut shadow)?
                .0
                .into_iter()
                .map(|f| Problem {
                    service: f.service,
                    message: match f.object {
                        Some(o) => format!(
                            "replayed migrations differ from the snapshot: {o}: {}",
                            f.message
                        ),
                        None => f.message,
                    },
                    fix: f.fix,
                }),
        );
        checked.push("replay on a shadow database");
    }
    // After the replay, which these do not stop: they are about review, not about the chain.
    problems.extend(crate::cases::destructive::unmarked(&streams));
    Ok(Validation {
        problems,
        checked,
        migrations: streams.iter().map(|s| s.chain.len()).sum(),
        services: streams.len(),
    })
}
