//! Applies and reverts migration files under a global advisory lock, with `lock_timeout` and
//! `statement_timeout` set, one transaction per unit (see `split`), the history row written in
//! the transaction of the last unit.

use super::files::Migration;
use super::history;
use super::split::{Statement, Unit, split};
use crate::error::Error;
use autogen_pg::conn::{connect, error_text};
use postgres::Client;
use postgres::error::SqlState;
use std::path::Path;
use std::time::{Duration, Instant};

/// `pg_advisory_lock` key: the bytes of "autogen". One lock for the whole database, so two
/// runs of any services never interleave.
pub const LOCK_KEY: i64 = 0x0061_7574_6f67_656e;

pub struct Settings {
    pub lock_timeout: String,
    pub statement_timeout: String,
    pub lock_wait: Duration,
    /// Session `TimeZone` for every migration: `text -> timestamptz` must read a wall-clock
    /// value the same way whatever the server's or the database's own zone.
    pub time_zone: String,
}

/// Connects, sets the timeouts and takes the migration lock, waiting at most `lock_wait`.
/// `on_wait` is called once if another run holds the lock.
pub fn connect_locked(
    url: &str,
    settings: &Settings,
    on_wait: &mut dyn FnMut(),
) -> Result<Client, Error> {
    let mut client = connect(url)?;
    for (name, value) in [
        ("lock_timeout", &settings.lock_timeout),
        ("statement_timeout", &settings.statement_timeout),
        ("TimeZone", &settings.time_zone),
    ] {
        client
            .query_one("SELECT set_config($1, $2, false)", &[&name, value])
            .map_err(|e| {
                Error::Config(format!(
                    "{name} `{value}` (`[migrations]` in autogen.toml, or its flag) is refused by the server: {}",
                    error_text(&e)
                ))
            })?;
    }
    // Without this a server notices a vanished client (killed, interrupted, network gone) only
    // when it next writes to it: a long statement would run on, holding its locks and the
    // migration lock. With it the server checks every second, rolls back and lets go (14+).
    client
        .batch_execute(
            "SELECT set_config('client_connection_check_interval', '1s', false) \
             WHERE current_setting('server_version_num')::int >= 140000",
        )
        .map_err(|e| Error::migration(error_text(&e), "check the connection"))?;
    let deadline = Instant::now() + settings.lock_wait;
    let mut warned = false;
    loop {
        let got: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY])
            .map_err(|e| Error::migration(error_text(&e), "check the connection"))?
            .get(0);
        if got {
            break;
        }
        if Instant::now() >= deadline {
            return Err(Error::migration(
                format!(
                    "another autogen run holds the migration lock (waited {:?})",
                    settings.lock_wait
                ),
                "wait for it to finish and run again, or raise `lock_wait` under [migrations] in autogen.toml",
            ));
        }
        if !warned {
            on_wait();
            warned = true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    history::ensure(&mut client)?;
    Ok(client)
}

/// The line of the file where Postgres's error points, from the statement's first line and the
/// error's character position within it.
fn error_line(s: &Statement, e: &postgres::Error) -> usize {
    let pos = match e.as_db_error().and_then(|d| d.position()) {
        Some(postgres::error::ErrorPosition::Original(p)) => *p as usize,
        _ => 0,
    };
    let before: String = s.sql.chars().take(pos.saturating_sub(1)).collect();
    s.line + before.matches('\n').count()
}

fn statement_error(path: &Path, s: &Statement, e: &postgres::Error, dirty: bool) -> Error {
    let code = e.code();
    let waited = code == Some(&SqlState::LOCK_NOT_AVAILABLE);
    let help = if waited || code == Some(&SqlState::QUERY_CANCELED) {
        let what = if waited {
            "the statement waited longer than `lock_timeout` for a lock another session holds \
             (often a long or idle-in-transaction session); `autogen health` lists who holds \
             locks on the project's tables. Retry when it lets go, or raise `--lock-timeout`"
        } else {
            "the statement ran longer than `statement_timeout` and was cancelled; raise \
             `--statement-timeout` (or `[migrations] statement_timeout`) for this migration"
        };
        let next = if dirty {
            "then `autogen upgrade --resume` goes on from the failed step"
        } else {
            "nothing of this migration was applied, so running the command again is safe"
        };
        format!("{what}; {next}")
    } else if dirty && s.sql.contains(" CONCURRENTLY ") {
        "the failed build left an INVALID index behind; fix what made it fail (duplicate values, \
         a timeout), then `autogen upgrade --resume` drops that index and builds it again"
            .to_string()
    } else if dirty {
        "fix what made the statement fail, then `autogen upgrade --resume` runs the migration again \
         from the failed step; or repair by hand and record the outcome with `autogen mark`"
            .to_string()
    } else {
        "fix the statement (or the data it trips over) and run the command again".to_string()
    };
    Error::Statement {
        file: path.to_path_buf(),
        line: error_line(s, e),
        statement: s.sql.clone(),
        message: error_text(e),
        dirty,
        help: Some(help),
    }
}

/// What to do in the transaction of the last unit.
enum Finish<'a> {
    Record(&'a Migration, Instant),
    Remove(&'a Migration),
}

fn finish(client: &mut impl postgres::GenericClient, f: &Finish) -> Result<(), Error> {
    match f {
        Finish::Record(m, started) => {
            history::record(client, m, started.elapsed().as_millis() as i64, None)
        }
        Finish::Remove(m) => history::remove(client, &m.service, &m.version),
    }
}

/// Records that the migration is under way and unit `resume_at` is where to go on, in the
/// transaction of the unit before it (or, before a unit that runs outside a transaction, on its
/// own): if the process or its connection dies, the history already says where it stopped.
fn progress(
    client: &mut impl postgres::GenericClient,
    f: &Finish,
    resume_at: usize,
    total: usize,
) -> Result<(), Error> {
    let note = format!(
        "stopped part-way: {} of {total} step(s) committed; the run ended during step {} \
         (interrupted, or its connection was lost)",
        resume_at,
        resume_at + 1
    );
    match f {
        Finish::Record(m, started) => history::record(
            client,
            m,
            started.elapsed().as_millis() as i64,
            Some((resume_at as i32, &note)),
        ),
        Finish::Remove(m) => history::record(
            client,
            m,
            0,
            Some((resume_at as i32, &format!("downgrade {note}"))),
        ),
    }
}

/// Runs `units[from..]`; on failure returns the index of the failed unit and the error.
fn run_units(
    client: &mut Client,
    path: &Path,
    units: &[Unit],
    from: usize,
    done: &Finish,
) -> Result<(), (usize, Error)> {
    let last = units.len().saturating_sub(1);
    if units.len() <= from {
        // Nothing to execute (an empty migration): only the history changes.
        return finish(client, done).map_err(|e| (from, e));
    }
    for (k, unit) in units.iter().enumerate().skip(from) {
        let dirty = k > from || from > 0 || !unit.transactional;
        if unit.transactional {
            let mut tx = client
                .transaction()
                .map_err(|e| (k, Error::migration(error_text(&e), "check the connection")))?;
            for s in &unit.statements {
                tx.batch_execute(&s.sql)
                    .map_err(|e| (k, statement_error(path, s, &e, dirty)))?;
            }
            if k == last {
                finish(&mut tx, done).map_err(|e| (k, e))?;
            } else {
                progress(&mut tx, done, k + 1, units.len()).map_err(|e| (k, e))?;
            }
            tx.commit()
                .map_err(|e| (k, Error::migration(error_text(&e), "check the connection")))?;
        } else {
            // Outside a transaction the statement's work can outlive a crash: the history says
            // so before it starts.
            progress(client, done, k, units.len()).map_err(|e| (k, e))?;
            for s in &unit.statements {
                client
                    .batch_execute(&s.sql)
                    .map_err(|e| (k, statement_error(path, s, &e, dirty)))?;
            }
            if k == last {
                finish(client, done).map_err(|e| (k, e))?;
            } else {
                progress(client, done, k + 1, units.len()).map_err(|e| (k, e))?;
            }
        }
    }
    Ok(())
}

/// Applies `m`, starting at unit `resume_at` (0 for a fresh run). A failure after a unit was
/// committed records the migration as dirty, with the unit to resume at.
pub fn apply(client: &mut Client, m: &Migration, resume_at: usize) -> Result<Duration, Error> {
    let started = Instant::now();
    let units = split(&m.up);
    if let Some(unit) = units.get(resume_at).filter(|u| !u.transactional) {
        clear_failed_build(client, unit)?;
    }
    match run_units(
        client,
        &m.up_path,
        &units,
        resume_at,
        &Finish::Record(m, started),
    ) {
        Ok(()) => Ok(started.elapsed()),
        Err((k, e)) => {
            if matches!(e, Error::Statement { dirty: true, .. }) {
                let msg = e.to_string();
                let ms = started.elapsed().as_millis() as i64;
                // On a lost connection this cannot be written; the progress row written with
                // the last committed step already says where to resume.
                let _ = history::record(client, m, ms, Some((k as i32, &msg)));
            }
            Err(e)
        }
    }
}

/// Drops the invalid index that the failed CONCURRENTLY build of `unit` left behind, so that
/// running the unit again builds it afresh instead of failing on the name.
fn clear_failed_build(client: &mut Client, unit: &Unit) -> Result<(), Error> {
    let found = super::leftovers::find(client, None)?;
    for s in &unit.statements {
        if let Some(l) = super::leftovers::rebuilt_by(&found, &s.sql) {
            autogen_pg::conn::env::notice(&format!(
                "dropping the invalid index `{}.{}` its failed build left",
                l.schema, l.name
            ));
            client
                .batch_execute(&super::leftovers::drop_sql(l))
                .map_err(|e| {
                    Error::migration(
                        format!("could not drop the invalid index `{}.{}`: {}", l.schema, l.name, error_text(&e)),
                        "drop it by hand (DROP INDEX CONCURRENTLY), then run `autogen upgrade --resume` again",
                    )
                })?;
        }
    }
    Ok(())
}

/// Reverts `m` with its down file and removes its history row in the last transaction.
pub fn revert(client: &mut Client, m: &Migration) -> Result<Duration, Error> {
    let started = Instant::now();
    let Some(down) = &m.down else {
        return Err(Error::migration(
            format!(
                "migration {} of service `{}` has no down file",
                m.version, m.service
            ),
            format!("restore `{}` from version control", m.down_path.display()),
        ));
    };
    let units = split(down);
    match run_units(client, &m.down_path, &units, 0, &Finish::Remove(m)) {
        Ok(()) => Ok(started.elapsed()),
        Err((k, e)) => {
            if matches!(e, Error::Statement { dirty: true, .. }) {
                let msg = format!("downgrade stopped part-way: {e}");
                history::record(client, m, 0, Some((k as i32, &msg)))?;
            }
            Err(e)
        }
    }
}
