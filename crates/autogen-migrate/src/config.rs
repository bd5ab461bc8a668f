//! Project settings: `autogen.toml`, environment variables and flags, merged once.
//!
//! Input: the project directory and the flags that override the file. Output: a `Project` with
//! its services, the database to use (if any) and the runner's timeouts. Nothing here connects.

use crate::error::Error;
use autogen_pg::conn::env::parse_duration;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const CONFIG_FILE: &str = "autogen.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    database: DatabaseSection,
    #[serde(default)]
    migrations: MigrationsSection,
    #[serde(default)]
    services: Vec<ServiceSection>,
    #[serde(default)]
    shadow: ShadowSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShadowSection {
    /// A server where autogen may create and drop its scratch databases.
    url: Option<String>,
    /// SQL run in every scratch database before the project's migrations or models: what
    /// stand-ins cannot guess of the platform the project runs on.
    setup: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DatabaseSection {
    url: Option<String>,
    /// `supabase`: leave the platform's schemas alone.
    preset: Option<String>,
    /// The database may be wiped by `autogen reset` (a local or CI database, never production).
    #[serde(default)]
    disposable: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MigrationsSection {
    lock_timeout: Option<String>,
    statement_timeout: Option<String>,
    /// How long `upgrade` waits for another run's lock before giving up.
    lock_wait: Option<String>,
    time_zone: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceSection {
    name: String,
    schema: Option<String>,
    models: Option<ModelsField>,
}

/// `models = "glob"`, `models = { command = [...] }`, or a list mixing both.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ModelsField {
    One(ModelSourceField),
    Many(Vec<ModelSourceField>),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ModelSourceField {
    Glob(String),
    Command(CommandField),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommandField {
    command: Vec<String>,
}

/// Where part of a service's model comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// YAML files, relative to the project root.
    Glob(String),
    /// A program, run in the project root, that prints the model in the interchange format
    /// (`autogen_model::Model::export`); the CLI knows nothing else of it.
    Command(Vec<String>),
}

/// One service: its model files and its migration stream.
#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    /// The Postgres schema it owns; `None` for a lone service that owns what its model declares.
    pub schema: Option<String>,
    pub models: Vec<ModelSource>,
}

#[derive(Debug, Clone)]
pub struct Project {
    pub root: PathBuf,
    pub services: Vec<Service>,
    pub database_url: Option<String>,
    /// The environment variable that `[database] url` names and that is not set, when no other
    /// source gave a URL.
    pub url_unset: Option<String>,
    /// `--dev-url`, else `[shadow] url`; none means an ephemeral local cluster.
    pub shadow_url: Option<String>,
    /// `[shadow] setup`, relative to the project root.
    pub shadow_setup: Option<PathBuf>,
    pub preset: Option<String>,
    /// `[database] disposable = true`: `autogen reset` may wipe the project's schemas.
    pub disposable: bool,
    /// Postgres interval text, set as `lock_timeout` for every migration.
    pub lock_timeout: String,
    pub statement_timeout: String,
    pub lock_wait: Duration,
    pub time_zone: String,
}

/// Flags that override the file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub database_url: Option<String>,
    pub shadow_url: Option<String>,
    pub lock_timeout: Option<String>,
    pub statement_timeout: Option<String>,
    pub lock_wait: Option<String>,
}

impl Project {
    pub fn migrations_dir(&self, service: &str) -> PathBuf {
        self.root.join("migrations").join(service)
    }

    pub fn snapshots_dir(&self, service: &str) -> PathBuf {
        self.root.join("snapshots").join(service)
    }

    /// The services `--service` names (all when empty); an unknown name is an error.
    pub fn select(&self, names: &[String]) -> Result<Vec<Service>, Error> {
        if names.is_empty() {
            return Ok(self.services.clone());
        }
        let mut out = Vec::new();
        for n in names {
            match self.services.iter().find(|s| &s.name == n) {
                Some(s) => out.push(s.clone()),
                None => {
                    return Err(Error::Usage(format!(
                        "no service `{n}` in {}; the services are: {}",
                        CONFIG_FILE,
                        self.services
                            .iter()
                            .map(|s| format!("`{}`", s.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
        }
        Ok(out)
    }

    /// The database URL, or an error that says every way to give one.
    pub fn require_url(&self) -> Result<&str, Error> {
        if let (None, Some(var)) = (&self.database_url, &self.url_unset) {
            return Err(Error::Usage(format!(
                "`url` under [database] in {CONFIG_FILE} names the environment variable `{var}`, \
                 which is not set: set it, or pass --database-url"
            )));
        }
        self.database_url.as_deref().ok_or_else(|| {
            Error::Usage(
                "no database given: pass --database-url, set DATABASE_URL (or PGHOST/PGDATABASE/..., \
                 or DB_HOST/DB_NAME/...), or set `url` under [database] in autogen.toml"
                    .into(),
            )
        })
    }
}

/// Reads `<root>/autogen.toml` (a project without one has a single service over `schema/`).
pub fn load(root: &Path, over: &Overrides) -> Result<Project, Error> {
    let path = root.join(CONFIG_FILE);
    let file: FileConfig = match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let line = text[..s.start].matches('\n').count() + 1;
                    format!(":{line}")
                })
                .unwrap_or_default();
            let message = if e.message().contains("untagged enum") {
                "`models` must be a glob (\"schema/x/*.yaml\"), a command ({ command = [\"program\", \"arg\"] }), or a list of these".to_string()
            } else {
                e.message().to_string()
            };
            Error::Config(format!("{}{at}: {message}", path.display()))
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileConfig::default(),
        Err(source) => return Err(Error::Io { path, source }),
    };
    let mut services = Vec::new();
    for s in file.services {
        if services.iter().any(|o: &Service| o.name == s.name) {
            return Err(Error::Config(format!(
                "{}: service `{}` is declared twice; give each service its own name",
                path.display(),
                s.name
            )));
        }
        if s.name.is_empty()
            || !s
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(Error::Config(format!(
                "{}: service name `{}` must be letters, digits, `_` or `-` (it names directories)",
                path.display(),
                s.name
            )));
        }
        let models = match s.models {
            None => vec![ModelSource::Glob(format!("schema/{}/**/*.yaml", s.name))],
            Some(ModelsField::One(m)) => vec![model_source(m, &path, &s.name)?],
            Some(ModelsField::Many(ms)) => ms
                .into_iter()
                .map(|m| model_source(m, &path, &s.name))
                .collect::<Result<_, _>>()?,
        };
        services.push(Service {
            name: s.name,
            schema: s.schema,
            models,
        });
    }
    if services.is_empty() {
        services.push(Service {
            name: "app".into(),
            schema: None,
            models: vec![
                ModelSource::Glob("schema/**/*.yaml".into()),
                ModelSource::Glob("schema/**/*.yml".into()),
            ],
        });
    }
    let database_url = over
        .database_url
        .clone()
        .or_else(|| env_nonempty("DATABASE_URL"))
        .or_else(|| file.database.url.as_deref().and_then(expand_env))
        .or_else(url_from_parts);
    // `url = "${DATABASE_URL}"` with the variable unset is a CI job that lost its secret, not a
    // project without a database: commands that need one say which variable is missing.
    let url_unset = match (&database_url, file.database.url.as_deref()) {
        (None, Some(text)) => unset_variable(text),
        _ => None,
    };
    let m = file.migrations;
    let lock_wait_text = over
        .lock_wait
        .clone()
        .or(m.lock_wait)
        .unwrap_or_else(|| "60s".into());
    Ok(Project {
        // Paths in messages read `migrations/...`, not `./migrations/...`.
        root: if root == Path::new(".") {
            PathBuf::new()
        } else {
            root.to_path_buf()
        },
        services,
        database_url,
        url_unset,
        shadow_url: over
            .shadow_url
            .clone()
            .or_else(|| file.shadow.url.as_deref().and_then(expand_env)),
        shadow_setup: file.shadow.setup,
        preset: file.database.preset,
        disposable: file.database.disposable,
        lock_timeout: over
            .lock_timeout
            .clone()
            .or(m.lock_timeout)
            .unwrap_or_else(|| "5s".into()),
        statement_timeout: over
            .statement_timeout
            .clone()
            .or(m.statement_timeout)
            .unwrap_or_else(|| "15min".into()),
        lock_wait: parse_duration(&lock_wait_text).ok_or_else(|| {
            Error::Config(format!(
                "lock_wait `{lock_wait_text}` is not a duration; write e.g. `30s`, `2min` or `500ms`"
            ))
        })?,
        time_zone: m.time_zone.unwrap_or_else(|| "UTC".into()),
    })
}

fn model_source(m: ModelSourceField, path: &Path, service: &str) -> Result<ModelSource, Error> {
    match m {
        ModelSourceField::Glob(g) => Ok(ModelSource::Glob(g)),
        ModelSourceField::Command(c) if c.command.is_empty() || c.command[0].is_empty() => {
            Err(Error::Config(format!(
                "{}: service `{service}`: `models = {{ command = [...] }}` names no program; write e.g. command = [\"cargo\", \"run\", \"-q\", \"--example\", \"export\"]",
                path.display()
            )))
        }
        ModelSourceField::Command(c) => Ok(ModelSource::Command(c.command)),
    }
}

fn env_nonempty(name: &str) -> Option<String> {
    autogen_pg::conn::env::get().var(name).map(String::from)
}

/// `${VAR}` references replaced by the environment; `None` when one is unset (so the next
/// source of a URL is tried).
fn expand_env(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}')? + start;
        out.push_str(&env_nonempty(&rest[start + 2..end])?);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out).filter(|s| !s.is_empty())
}

/// The first `${VAR}` of `text` that is unset (or empty).
fn unset_variable(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let end = rest[start..].find('}')? + start;
        let name = &rest[start + 2..end];
        if env_nonempty(name).is_none() {
            return Some(name.to_string());
        }
        rest = &rest[end + 1..];
    }
    None
}

/// A libpq key=value string from DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASS or the PG* variables,
/// TLS settings (PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY) included.
fn url_from_parts() -> Option<String> {
    let pick = |a: &str, b: &str| env_nonempty(a).or_else(|| env_nonempty(b));
    let parts = [
        ("host", pick("DB_HOST", "PGHOST")),
        ("port", pick("DB_PORT", "PGPORT")),
        ("dbname", pick("DB_NAME", "PGDATABASE")),
        ("user", pick("DB_USER", "PGUSER")),
        ("password", pick("DB_PASS", "PGPASSWORD")),
        ("sslmode", env_nonempty("PGSSLMODE")),
        ("sslrootcert", env_nonempty("PGSSLROOTCERT")),
        ("sslcert", env_nonempty("PGSSLCERT")),
        ("sslkey", env_nonempty("PGSSLKEY")),
    ];
    if parts[0].1.is_none() && parts[2].1.is_none() {
        return None;
    }
    let quote = |v: &str| format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"));
    Some(
        parts
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", quote(v))))
            .collect::<Vec<_>>()
            .join(" "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2min"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_duration("soon"), None);
    }

    #[test]
    fn env_expansion_needs_every_variable() {
        assert_eq!(
            expand_env("postgres://x/db"),
            Some("postgres://x/db".into())
        );
        assert_eq!(expand_env("${AUTOGEN_SURELY_UNSET_VAR}"), None);
    }

    fn models_of(toml_text: &str) -> Result<Vec<ModelSource>, String> {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("autogen-config-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|e| e.to_string())?;
        std::fs::write(path.join(CONFIG_FILE), toml_text).map_err(|e| e.to_string())?;
        let r = load(&path, &Overrides::default());
        let _ = std::fs::remove_dir_all(&path);
        r.map(|p| p.services[0].models.clone())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn models_are_globs_commands_or_a_mix() {
        let svc = |m: &str| format!("[[services]]\nname = \"s\"\nmodels = {m}\n");
        assert_eq!(
            models_of(&svc(r#"["a/*.yaml"]"#)),
            Ok(vec![ModelSource::Glob("a/*.yaml".into())])
        );
        assert_eq!(
            models_of(&svc(r#"{ command = ["cargo", "run"] }"#)),
            Ok(vec![ModelSource::Command(vec![
                "cargo".into(),
                "run".into()
            ])])
        );
        assert_eq!(
            models_of(&svc(r#"[{ command = ["x"] }, "b/*.yaml"]"#)),
            Ok(vec![
                ModelSource::Command(vec!["x".into()]),
                ModelSource::Glob("b/*.yaml".into())
            ])
        );
        let e = models_of(&svc("5")).unwrap_err();
        assert!(e.contains("`models` must be a glob"), "{e}");
        assert!(e.contains(":3"), "the line: {e}");
        let e = models_of(&svc(r#"{ comand = ["x"] }"#)).unwrap_err();
        assert!(e.contains("`models` must be a glob"), "{e}");
        let e = models_of(&svc("{ command = [] }")).unwrap_err();
        assert!(e.contains("names no program"), "{e}");
    }
}
