//! Migration files on disk: `migrations/<service>/<version>_<slug>.up.sql` and `.down.sql`, each
//! opening with a header the runner and `validate` read back.

use crate::error::Error;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// One migration of one service, as found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub service: String,
    /// The version the header declares.
    pub version: String,
    /// The version in the file name (`validate` reports when it differs from the header).
    pub file_version: String,
    pub parent: Option<String>,
    pub message: String,
    pub before: String,
    pub after: String,
    pub up_path: PathBuf,
    pub down_path: PathBuf,
    pub up: String,
    /// `None` when the down file is missing.
    pub down: Option<String>,
    /// Of the up file's bytes: what the history table records.
    pub checksum: String,
    /// The header says `-- allow-destructive: yes`: its data-loss steps were reviewed and
    /// accepted (written by `autogen revision --allow-destructive`, visible in review).
    pub allow_destructive: bool,
}

impl Migration {
    /// `<version>_<slug>`, the name recorded in the history table.
    pub fn name(&self) -> String {
        self.up_path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".up.sql"))
            .unwrap_or_default()
            .to_string()
    }

    /// `service version_slug`, as messages name a migration.
    pub fn label(&self) -> String {
        format!("{} {}", self.service, self.name())
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The header written at the top of both files of a migration.
pub struct Header<'a> {
    pub service: &'a str,
    pub version: &'a str,
    pub parent: Option<&'a str>,
    pub message: &'a str,
    pub before: &'a str,
    pub after: &'a str,
    /// Writes the `-- allow-destructive: yes` marker.
    pub destructive: bool,
}

impl Header<'_> {
    /// `losses`: the file's `-- loses-data:` lines (see `destructive`), written after the
    /// schema hashes.
    pub fn render(&self, direction: &str, losses: &str) -> String {
        // A message is one line in the header, whatever the user typed.
        let message = self
            .message
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let marker = if self.destructive && direction == "up" {
            "-- allow-destructive: yes (data-loss steps accepted with `autogen revision --allow-destructive`)\n"
        } else {
            ""
        };
        format!(
            "-- autogen migration ({direction})\n-- service: {}\n-- version: {}\n-- parent: {}\n\
             -- message: {message}\n-- schema-before: {}\n-- schema-after: {}\n{losses}{marker}\n",
            self.service,
            self.version,
            self.parent.unwrap_or("none"),
            self.before,
            self.after
        )
    }
}

/// `add bio to users!` -> `add_bio_to_users`.
pub fn slug(message: &str) -> String {
    let mut out = String::new();
    for c in message.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    let mut s = out.trim_end_matches('_').to_string();
    s.truncate(60);
    let s = s.trim_end_matches('_').to_string();
    if s.is_empty() { "migration".into() } else { s }
}

fn header_field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .take_while(|l| l.starts_with("--"))
        .find_map(|l| l.strip_prefix("-- ")?.strip_prefix(key)?.strip_prefix(':'))
        .map(str::trim)
}

/// Writes `text` to `path`, creating its directory first.
pub fn write_file(path: &Path, text: &str) -> Result<(), Error> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    std::fs::write(path, text).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Every migration of a service, sorted by file name. A missing directory is an empty stream.
pub fn list(dir: &Path, service: &str) -> Result<Vec<Migration>, Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::Io {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut ups = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let name = entry.file_name().to_string_lossy().to_string();
        if name.ends_with(".up.sql") {
            ups.push(entry.path());
        } else if name.ends_with(".sql") && !name.ends_with(".down.sql") {
            return Err(Error::migration(
                format!("`{}` is not named like a migration", entry.path().display()),
                "migration files are `<version>_<slug>.up.sql` and `.down.sql`; rename or move it",
            ));
        }
    }
    ups.sort();
    let mut out = Vec::new();
    for up_path in ups {
        out.push(parse(&up_path, service)?);
    }
    Ok(out)
}

fn parse(up_path: &Path, service: &str) -> Result<Migration, Error> {
    let up = read(up_path)?;
    let file_name = up_path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let stem = file_name.strip_suffix(".up.sql").unwrap_or(file_name);
    let file_version = stem.split('_').next().unwrap_or_default().to_string();
    let down_path = up_path.with_file_name(format!("{stem}.down.sql"));
    let down = match std::fs::read_to_string(&down_path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(Error::Io {
                path: down_path,
                source,
            });
        }
    };
    let missing = |key: &str| {
        Error::migration(
            format!(
                "`{}`: the header has no `-- {key}:` line",
                up_path.display()
            ),
            "migration files start with the header `autogen revision` writes; restore it \
             (service, version, parent, message, schema-before, schema-after)",
        )
    };
    let field = |key: &str| header_field(&up, key).ok_or_else(|| missing(key));
    let declared_service = field("service")?;
    if declared_service != service {
        return Err(Error::migration(
            format!(
                "`{}` declares service `{declared_service}` but lies in the directory of service `{service}`",
                up_path.display()
            ),
            "move the file to migrations/<its service>/ or correct its header",
        ));
    }
    let parent = field("parent")?;
    Ok(Migration {
        service: service.to_string(),
        version: field("version")?.to_string(),
        file_version,
        parent: (parent != "none").then(|| parent.to_string()),
        message: field("message")?.to_string(),
        before: field("schema-before")?.to_string(),
        after: field("schema-after")?.to_string(),
        checksum: sha256_hex(up.as_bytes()),
        allow_destructive: header_field(&up, "allow-destructive")
            .is_some_and(|v| v == "yes" || v.starts_with("yes ")),
        up_path: up_path.to_path_buf(),
        down_path,
        up,
        down,
    })
}

/// `YYYYMMDDHHMMSS` in UTC for seconds since the Unix epoch.
pub fn version_at(unix_seconds: u64) -> String {
    let days = (unix_seconds / 86_400) as i64;
    let secs = unix_seconds % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The version after `v`: one second later (versions are timestamps).
pub fn next_version(v: &str) -> Option<String> {
    let n: u64 = v.parse().ok()?;
    let (date, time) = (n / 1_000_000, n % 1_000_000);
    let (y, mo, d) = (date / 10_000, date / 100 % 100, date % 100);
    let (h, mi, s) = (time / 10_000, time / 100 % 100, time % 100);
    // Back to seconds since the epoch, then forward one.
    let (yy, mm) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = yy / 400;
    let yoe = yy - era * 400;
    let doy = (153 * mm + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(version_at(days * 86_400 + h * 3600 + mi * 60 + s + 1))
}

pub fn is_version(v: &str) -> bool {
    v.len() == 14 && v.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_utc_timestamps() {
        assert_eq!(version_at(0), "19700101000000");
        assert_eq!(version_at(1_795_305_599), "20261121235959");
        assert_eq!(
            next_version("20261121235959").as_deref(),
            Some("20261122000000")
        );
        assert_eq!(
            next_version("20241231235959").as_deref(),
            Some("20250101000000")
        );
        assert_eq!(
            next_version("20240228235959").as_deref(),
            Some("20240229000000")
        );
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Add bio to users!"), "add_bio_to_users");
        assert_eq!(slug("  ünïcode -- only "), "n_code_only");
        assert_eq!(slug("!!!"), "migration");
    }
}
