//! The shadow (dev) database: where models are normalized and migrations replayed.
//!
//! Input: a server URL given by the user (`--dev-url`, `[shadow] url`), or nothing, in which case
//! an ephemeral local cluster is started the first time one is needed. Output: scratch databases
//! on that server, each dropped when its value goes out of scope. Never touches a database it did
//! not create.

mod cluster;
mod normalize;

pub use cluster::{Cluster, bin_dir};
pub use normalize::normalize;

use crate::error::Error;
use crate::inspect::{connect, error_text, redact};
use crate::render::quote::ident;
use postgres::{Client, NoTls};
use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A scratch database that is dropped when this value goes out of scope.
pub struct ScratchDb {
    admin_url: String,
    pub name: String,
    pub url: postgres::Config,
}

impl ScratchDb {
    pub fn create(admin_url: &str, prefix: &str) -> Result<ScratchDb, Error> {
        let mut admin = connect(admin_url)?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "{prefix}_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
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
        let mut url: postgres::Config = admin_url
            .parse()
            .map_err(|e| Error::Shadow(format!("cannot read the URL: {e}")))?;
        url.dbname(&name);
        Ok(ScratchDb {
            admin_url: admin_url.to_string(),
            name,
            url,
        })
    }

    pub fn connect(&self) -> Result<Client, Error> {
        self.url.connect(NoTls).map_err(|e| {
            Error::Shadow(format!(
                "cannot connect to `{}`: {}",
                self.name,
                error_text(&e)
            ))
        })
    }
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
}

impl Shadow {
    /// `url`: `--dev-url`, else `[shadow] url`; `None` starts a local cluster when first needed.
    pub fn new(url: Option<String>) -> Shadow {
        Shadow {
            configured: url,
            cluster: None,
        }
    }

    /// The URL of a database on the shadow server from which scratch databases can be created.
    pub fn url(&mut self) -> Result<&str, Error> {
        if let Some(u) = &self.configured {
            return Ok(u);
        }
        if self.cluster.is_none() {
            self.cluster = Some(Cluster::start(20)?);
        }
        Ok(self.cluster.as_ref().map(Cluster::url).unwrap_or_default())
    }

    /// Whether a shadow server is at hand without starting one.
    pub fn is_started(&self) -> bool {
        self.configured.is_some() || self.cluster.is_some()
    }

    /// What the shadow is, for messages.
    pub fn describe(&self) -> String {
        match (&self.configured, &self.cluster) {
            (Some(u), _) => redact(u),
            (None, Some(c)) => format!("an ephemeral cluster from {}", c.bin_dir().display()),
            (None, None) => "an ephemeral cluster (not started)".into(),
        }
    }

    /// Scratch databases are created in `PGDATABASE`-independent fashion, so a configured URL
    /// that cannot be reached fails here with the URL named.
    pub fn server_version(&mut self) -> Result<u32, Error> {
        let url = self.url()?.to_string();
        server_version(&mut connect(&url)?)
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
