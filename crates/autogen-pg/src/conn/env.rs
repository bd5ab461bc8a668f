//! The process environment, read in one place and once: every variable autogen's library looks
//! at is a field here (and `vars` holds the rest, for the project file's `${VAR}` and the
//! connection variables `config` reads), so no module deeper down calls `std::env`. The CLI reads
//! it at start and installs it with [`set`]; a program that embeds autogen may install its own,
//! or gets the process's, read on first use.
//!
//! Also the one way library code tells the user something while it works (a retry, a slow
//! lock): [`notice`] goes to the notifier the program installed, standard error by default in
//! the CLI, nowhere for an embedder that installs none.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// `AUTOGEN_CONNECT_WAIT` (default 10 s): how long a server that does not answer yet is
    /// tried again.
    pub connect_wait: Duration,
    /// Where the shadow keeps its normalization cache: `AUTOGEN_CACHE_DIR` (`off` for none),
    /// else `$XDG_CACHE_HOME/autogen`, else `~/.cache/autogen`.
    pub cache_dir: Option<PathBuf>,
    /// `AUTOGEN_PG_BINDIR`: the only place the ephemeral shadow looks for `initdb` when set.
    pub pg_bindir: Option<PathBuf>,
    /// `PATH`, searched for `initdb` after `pg_config --bindir`.
    pub path: Option<OsString>,
    /// `TMPDIR`: where ephemeral clusters go.
    pub tmp_dir: Option<PathBuf>,
    /// `HOME`: for `~/.pgpass` and `~/.postgresql/root.crt`.
    pub home: Option<PathBuf>,
    /// `PGPASSWORD`, as libpq reads it.
    pub pg_password: Option<OsString>,
    /// `PGPASSFILE`, as libpq reads it.
    pub pg_pass_file: Option<PathBuf>,
    /// `USER`, else `LOGNAME`: the role libpq assumes when a connection string names none.
    pub user: Option<String>,
    /// Every variable with a non-empty UTF-8 value, by name.
    pub vars: BTreeMap<String, String>,
}

impl Environment {
    /// Reads every variable from the process environment; empty values count as unset.
    pub fn from_process() -> Environment {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let home = var("HOME").map(PathBuf::from);
        let cache_dir = match var("AUTOGEN_CACHE_DIR") {
            Some(d) if d == "off" => None,
            Some(d) => Some(PathBuf::from(d)),
            None => var("XDG_CACHE_HOME")
                .map(|d| PathBuf::from(d).join("autogen"))
                .or_else(|| home.as_ref().map(|h| h.join(".cache/autogen"))),
        };
        Environment {
            connect_wait: var("AUTOGEN_CONNECT_WAIT")
                .and_then(|w| parse_duration(&w.to_string_lossy()))
                .unwrap_or(Duration::from_secs(10)),
            cache_dir,
            pg_bindir: var("AUTOGEN_PG_BINDIR").map(PathBuf::from),
            path: var("PATH"),
            tmp_dir: var("TMPDIR").map(PathBuf::from),
            home,
            pg_password: var("PGPASSWORD"),
            pg_pass_file: var("PGPASSFILE").map(PathBuf::from),
            user: ["USER", "LOGNAME"]
                .iter()
                .find_map(|n| var(n).and_then(|v| v.into_string().ok())),
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .filter(|(_, v)| !v.is_empty())
                .collect(),
        }
    }

    /// A variable's value, when it is set and not empty.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }
}

static ENVIRONMENT: OnceLock<Environment> = OnceLock::new();
static NOTIFIER: OnceLock<fn(&str)> = OnceLock::new();

/// The environment in force: the one [`set`] installed, else the process's, read on first use.
pub fn get() -> &'static Environment {
    ENVIRONMENT.get_or_init(Environment::from_process)
}

/// Installs the environment the library uses instead of the process's; false when one is
/// already in force (it is read once and never changes under running code).
pub fn set(env: Environment) -> bool {
    ENVIRONMENT.set(env).is_ok()
}

/// Installs where [`notice`]s go; the first call wins.
pub fn set_notifier(f: fn(&str)) {
    let _ = NOTIFIER.set(f);
}

/// Tells the user something while work goes on, through the installed notifier.
pub fn notice(message: &str) {
    if let Some(f) = NOTIFIER.get() {
        f(message);
    }
}

/// `500ms`, `30s`, `2min`, `1h`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: u64 = t[..split].parse().ok()?;
    match t[split..].trim() {
        "ms" => Some(Duration::from_millis(n)),
        "" | "s" => Some(Duration::from_secs(n)),
        "min" | "m" => Some(Duration::from_secs(n * 60)),
        "h" => Some(Duration::from_secs(n * 3600)),
        _ => None,
    }
}
