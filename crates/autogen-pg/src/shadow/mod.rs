//! The shadow (dev) database: where models are normalized and migrations replayed.
//!
//! Input: a server URL given by the user (`--dev-url`, `[shadow] url`), or nothing, in which case
//! an ephemeral local cluster is started the first time one is needed. Output: scratch databases
//! on that server, each dropped when its value goes out of scope. Never touches a database it did
//! not create.

mod cache;
mod cached;
mod cluster;
mod normalize;
mod platform;

pub use cached::Normalized;
pub use cluster::{Cluster, bin_dir};
pub use normalize::normalize;
pub use platform::{Needs, Platform, SUPABASE_ROLES, prepare_platform, prepare_references};

use crate::conn::{connect, connect_to, error_text, parse_target, redact};
use crate::error::Error;
use autogen_model::ir::quote::ident;
use postgres::Client;
use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Takes out of `model` the views that already read as Postgres stores them (see
/// [`autogen_model::ir::View::is_normalized`]), which normalizing would only create again.
fn set_aside_normalized_views(
    model: &mut autogen_model::ir::Schema,
) -> std::collections::BTreeMap<autogen_model::ir::QName, autogen_model::ir::View> {
    let (ready, raw) = std::mem::take(&mut model.views)
        .into_iter()
        .partition(|(_, v)| v.is_normalized());
    model.views = raw;
    ready
}

/// A scratch database that is dropped when this value goes out of scope.
pub struct ScratchDb {
    admin_url: String,
    pub name: String,
    pub url: postgres::Config,
    /// TLS as the admin URL asked for it.
    tls: crate::conn::tls::Connector,
}

impl ScratchDb {
    pub fn create(admin_url: &str, prefix: &str) -> Result<ScratchDb, Error> {
        let target = parse_target(admin_url)?;
        let mut admin = connect_to(&target, admin_url)?;
        let local = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let nanos = local.subsec_nanos();
        // The creation time leads, so a later run can tell a forgotten database from a busy one;
        // it is the server's clock, which every machine sharing the server reads alike.
        let now = sweep(&mut admin).unwrap_or(local.as_secs());
        let name = format!(
            "{prefix}_t{now}_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
        );
        admin
            .batch_execute(&format!("CREATE DATABASE {}", ident(&name)))
            .map_err(|e| {
                Error::Shadow(format!(
                    "cannot create the scratch database `{name}` on {}: {} (the role needs CREATEDB)",
                    redact(admin_url),
                    error_text(&e)
                ))
            })?;
        // Made (and its files read) by `connect_to` above, so this takes it from the cache.
        let tls = target.connector().map_err(Error::Shadow)?;
        let mut url = target.config;
        url.dbname(&name);
        Ok(ScratchDb {
            admin_url: admin_url.to_string(),
            name,
            url,
            tls,
        })
    }

    pub fn connect(&self) -> Result<Client, Error> {
        self.tls.connect(&self.url).map_err(|e| {
            Error::Shadow(format!(
                "cannot connect to `{}`: {}",
                self.name,
                error_text(&e)
            ))
        })
    }
}

/// Scratch databases a killed autogen left behind: an hour old by the time in their names, and
/// no session in them. Dropped without FORCE, so one in use is never touched; failures (another
/// role's database, a race with another sweep) are ignored: this is tidying, not the job.
const SWEPT_PREFIXES: [&str; 2] = ["autogen_shadow_t", "autogen_replay_t"];
const STALE_AFTER_SECS: u64 = 3600;

/// Drops the stale scratch databases; returns the server's time (Unix seconds) if it could be
/// read.
fn sweep(admin: &mut Client) -> Option<u64> {
    let Ok(row) = admin.query_one(
        "SELECT extract(epoch FROM now())::int8, ARRAY(SELECT d.datname::text \
           FROM pg_catalog.pg_database d \
           WHERE d.datname LIKE 'autogen\\_%' AND pg_catalog.pg_get_userbyid(d.datdba) = current_user \
             AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a WHERE a.datid = d.oid))",
        &[],
    ) else {
        return None;
    };
    let now = row.get::<_, i64>(0).max(0) as u64;
    // Which of autogen's databases are scratch databases, and how old, `stale` decides.
    for name in row.get::<_, Vec<String>>(1) {
        if stale(&name, now) {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {}", ident(&name)));
        }
    }
    Some(now)
}

/// Whether `name` is a scratch database's, made more than an hour before `now`.
fn stale(name: &str, now: u64) -> bool {
    SWEPT_PREFIXES.iter().any(|p| {
        name.strip_prefix(p)
            .and_then(|rest| rest.split('_').next())
            .and_then(|t| t.parse::<u64>().ok())
            .is_some_and(|made| now.saturating_sub(made) > STALE_AFTER_SECS)
    })
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = connect(&self.admin_url) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                ident(&self.name)
            ));
        }
    }
}

/// Where scratch databases go: a configured server, or an ephemeral cluster started on first use.
pub struct Shadow {
    configured: Option<String>,
    cluster: Option<Cluster>,
    /// `server_version_num`, once known.
    version: Option<u32>,
    /// Seconds spent starting the ephemeral cluster, once it is started.
    started_in: Option<f64>,
    /// Where the normalization cache lives; `None` turns it off.
    cache_dir: Option<std::path::PathBuf>,
    /// What every scratch database is prepared with before the project's objects go in.
    platform: Platform,
}

impl Shadow {
    /// `url`: `--dev-url`, else `[shadow] url`; `None` starts a local cluster when first needed.
    pub fn new(url: Option<String>) -> Shadow {
        Shadow {
            configured: url,
            cluster: None,
            version: None,
            started_in: None,
            cache_dir: cache::dir(),
            platform: Platform::default(),
        }
    }

    /// The same shadow, preparing its scratch databases for `platform`.
    pub fn with_platform(mut self, platform: Platform) -> Shadow {
        self.platform = platform;
        self
    }

    pub fn platform(&self) -> &Platform {
        &self.platform
    }

    /// The URL of a database on the shadow server from which scratch databases can be created.
    pub fn url(&mut self) -> Result<&str, Error> {
        if let Some(u) = &self.configured {
            return Ok(u);
        }
        if self.cluster.is_none() {
            let start = std::time::Instant::now();
            self.cluster = Some(Cluster::start(20)?);
            self.started_in = Some(start.elapsed().as_secs_f64());
        }
        Ok(self.cluster.as_ref().map(Cluster::url).unwrap_or_default())
    }

    /// What the shadow is, for messages.
    pub fn describe(&self) -> String {
        match (&self.configured, &self.cluster) {
            (Some(u), _) => redact(u),
            (None, Some(c)) => format!("an ephemeral cluster from {}", c.bin_dir().display()),
            (None, None) => "an ephemeral cluster (not started)".into(),
        }
    }

    /// The same shadow with its normalization cache in `dir` (`None`: no cache) instead of the
    /// default (`AUTOGEN_CACHE_DIR`, `$XDG_CACHE_HOME/autogen`, `~/.cache/autogen`).
    pub fn with_cache_dir(mut self, dir: Option<std::path::PathBuf>) -> Shadow {
        self.cache_dir = dir;
        self
    }

    /// Seconds it took to start the ephemeral cluster, if one was started.
    pub fn started_in(&self) -> Option<f64> {
        self.started_in
    }

    /// The shadow's `server_version_num`. A cluster not yet started is not started for this:
    /// its binaries say which version they are. A configured URL that cannot be reached fails
    /// here with the URL named.
    pub fn server_version(&mut self) -> Result<u32, Error> {
        if let Some(v) = self.version {
            return Ok(v);
        }
        let v = match (&self.configured, &self.cluster) {
            (None, None) => binaries_version(&bin_dir()?)?,
            _ => {
                let url = self.url()?.to_string();
                server_version(&mut connect(&url)?)?
            }
        };
        self.version = Some(v);
        Ok(v)
    }

    /// A warning when the shadow's major version is not the target's: expressions can read
    /// differently from one major version to the next.
    pub fn version_note(&mut self, target: &mut Client) -> Result<Option<String>, Error> {
        let target = server_version(target)?;
        self.version_note_for(target)
    }

    /// [`Shadow::version_note`] for a target whose version (`server_version_num`) is known.
    pub fn version_note_for(&mut self, target: u32) -> Result<Option<String>, Error> {
        let shadow = self.server_version()?;
        Ok(version_mismatch(&self.describe(), shadow, target))
    }
}

/// The note for a shadow whose major version is not the target's (`server_version_num` values).
fn version_mismatch(shadow_is: &str, shadow: u32, target: u32) -> Option<String> {
    let (shadow, target) = (shadow / 10000, target / 10000);
    (target != shadow).then(|| {
        format!(
            "the shadow database ({shadow_is}) runs PostgreSQL {shadow} but the target runs PostgreSQL {target}: \
             defaults and CHECKs may read differently; point --dev-url (or `[shadow] url`) at a \
             PostgreSQL {target} server, or install its binaries (AUTOGEN_PG_BINDIR)"
        )
    })
}

/// `server_version_num` (150004 for 15.4).
/// `server_version_num` of the binaries in `bin`, from `postgres --version`
/// (`postgres (PostgreSQL) 15.20 (Debian ...)`).
fn binaries_version(bin: &std::path::Path) -> Result<u32, Error> {
    let postgres = bin.join("postgres");
    let out = std::process::Command::new(&postgres)
        .arg("--version")
        .output()
        .map_err(|e| Error::Shadow(format!("cannot run `{}`: {e}", postgres.display())))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let number = text
        .split_whitespace()
        .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or_default();
    let mut parts = number.split(|c: char| !c.is_ascii_digit());
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    if major < 10 {
        return Err(Error::Shadow(format!(
            "`{} --version` printed `{}`: not a PostgreSQL 10 or later",
            postgres.display(),
            text.trim()
        )));
    }
    Ok(major * 10000 + minor)
}

pub fn server_version(client: &mut Client) -> Result<u32, Error> {
    let row = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .map_err(|e| {
            Error::Shadow(format!(
                "cannot read the server version: {}",
                error_text(&e)
            ))
        })?;
    Ok(row.get::<_, i32>(0).max(0) as u32)
}

#[cfg(test)]
mod tests {
    use super::version_mismatch;

    #[test]
    fn only_a_different_major_version_is_worth_a_note() {
        assert_eq!(version_mismatch("x", 150004, 150010), None);
        let note = version_mismatch("an ephemeral cluster", 150004, 160002).unwrap_or_default();
        assert!(
            note.contains("runs PostgreSQL 15 but the target runs PostgreSQL 16"),
            "{note}"
        );
    }
}
