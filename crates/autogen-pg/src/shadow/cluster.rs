//! An ephemeral PostgreSQL cluster: a shadow database that needs no setup.
//!
//! Input: the local server binaries (`pg_config --bindir`, `PATH`, `/usr/lib/postgresql/*/bin`).
//! Output: a running server reachable only through a Unix socket in a fresh temporary directory,
//! and its URL. It must not outlive this process: a watcher shell, in its own process group so a
//! terminal's Ctrl-C reaches only us, stops the server and removes the directory as soon as this
//! process is gone (normal exit, error, Ctrl-C, even SIGKILL) or `Drop` asks it to.

use crate::error::Error;
use postgres::{Client, NoTls};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A running throw-away server.
pub struct Cluster {
    dir: PathBuf,
    watcher: Option<Child>,
    url: String,
    bin: PathBuf,
}

/// The directory holding `initdb` and `postgres`: `AUTOGEN_PG_BINDIR` if set (and only it), else
/// `pg_config --bindir`, then `PATH`, then the highest version under `/usr/lib/postgresql`.
pub fn bin_dir() -> Result<PathBuf, Error> {
    let has_server = |p: &Path| p.join("initdb").is_file() && p.join("postgres").is_file();
    let env = crate::conn::env::get();
    if let Some(dir) = &env.pg_bindir {
        let p = dir.clone();
        if has_server(&p) {
            return Ok(p);
        }
        return Err(Error::Shadow(format!(
            "AUTOGEN_PG_BINDIR is `{}`, which holds no `initdb` and `postgres`: point it at the \
             bin directory of a PostgreSQL server installation",
            p.display()
        )));
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_server(&p) {
            return Ok(p);
        }
    }
    if let Some(path) = &env.path {
        if let Some(p) = std::env::split_paths(path).find(|p| has_server(p)) {
            return Ok(p);
        }
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let e = e.ok()?;
            let major = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((major, e.path().join("bin")))
        })
        .filter(|(_, p)| has_server(p))
        .collect();
    found.sort();
    found.pop().map(|(_, p)| p).ok_or_else(|| {
        Error::Shadow(
            "no PostgreSQL server binaries found (`initdb` and `postgres` via pg_config, PATH or \
             /usr/lib/postgresql/*/bin) to start a shadow database: install the PostgreSQL server \
             package, or pass --dev-url (or `[shadow] url` in autogen.toml), a server where autogen \
             may create scratch databases"
                .into(),
        )
    })
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// `program`, run as `postgres` when we are root: `initdb` and `postgres` refuse root.
fn command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// Where clusters go: `TMPDIR` if set; else `/dev/shm` when it is a roomy RAM disk (initdb there
/// takes a third of the time it takes on a virtual machine's disk); else `/tmp`.
fn base_dir() -> PathBuf {
    // Short: a Unix socket path may not exceed about 100 bytes.
    let usable = |p: &Path| p.as_os_str().len() <= 60;
    if let Some(t) = &crate::conn::env::get().tmp_dir {
        let t = t.clone();
        return if usable(&t) { t } else { PathBuf::from("/tmp") };
    }
    let shm = Path::new("/dev/shm");
    let roomy = std::fs::read_to_string("/proc/mounts").is_ok_and(|m| {
        m.lines().any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // A size= option below 1 GiB (Docker's 64 MB) is too small for a cluster's WAL.
            f.len() > 3
                && f[1] == "/dev/shm"
                && f[2] == "tmpfs"
                && f[3].split(',').all(|o| {
                    o.strip_prefix("size=")
                        .and_then(|v| v.strip_suffix('k'))
                        .and_then(|v| v.parse::<u64>().ok())
                        .is_none_or(|kb| kb >= 1 << 20)
                })
        })
    });
    let writable = std::fs::metadata(shm).is_ok_and(|m| m.is_dir() && m.mode() & 0o1777 == 0o1777);
    if roomy && writable {
        shm.to_path_buf()
    } else {
        PathBuf::from("/tmp")
    }
}

impl Cluster {
    /// Initializes and starts a server; returns once it accepts connections (about half a second).
    pub fn start(max_connections: u32) -> Result<Cluster, Error> {
        Cluster::start_with(max_connections, &[])
    }

    /// [`Cluster::start`] with more server settings (`name`, `value`), as `postgres -c` takes them.
    pub fn start_with(max_connections: u32, settings: &[(&str, &str)]) -> Result<Cluster, Error> {
        let bin = bin_dir()?;
        let base = base_dir();
        let dir = base.join(format!(
            "autogen-shadow-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let data = dir.join("data");
        // initdb creates the directory itself, so when we are root it belongs to `postgres`.
        let out = command(bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"])
            // 1 MB WAL segments instead of 16: less to write for a throw-away server.
            .args(["--locale=C", "--no-instructions", "--wal-segsize=1"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| {
                Error::Shadow(format!(
                    "cannot run `{}`: {e}",
                    bin.join("initdb").display()
                ))
            })?;
        if !out.status.success() {
            let _ = std::fs::remove_dir_all(&dir);
            let hint = if is_root() {
                " (running as root, initdb runs as the `postgres` user, which must exist and may \
                 write to the temporary directory)"
            } else {
                ""
            };
            return Err(Error::Shadow(format!(
                "initdb failed{hint}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        // The extra settings arrive as arguments, so no value is ever parsed by the shell.
        let script = format!(
            "P=\"$1\"; D=\"$2\"; W=\"$3\"; shift 3; \
             \"$P\" -D \"$D/data\" -k \"$D\" -c listen_addresses= -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c autovacuum=off -c max_wal_size=64MB \
             -c max_connections={max_connections} \"$@\" >\"$D/log\" 2>&1 & PG=$!; \
             while [ -d /proc/$W ] && [ ! -e \"$D/stop\" ] && kill -0 $PG 2>/dev/null; do sleep 0.1; done; \
             kill -QUIT $PG 2>/dev/null; wait $PG; rm -rf \"$D\""
        );
        let mut watcher = command("sh");
        watcher
            .arg("-c")
            .arg(script)
            .arg("autogen-shadow")
            .arg(bin.join("postgres"))
            .arg(&dir)
            .arg(std::process::id().to_string())
            .args(
                settings
                    .iter()
                    .flat_map(|(k, v)| ["-c".to_string(), format!("{k}={v}")]),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        let watcher = watcher.spawn().map_err(|e| {
            let _ = std::fs::remove_dir_all(&dir);
            Error::Shadow(format!("cannot start postgres: {e}"))
        })?;
        // The socket's name carries the port, so a `port` setting must reach the URL too.
        let port = settings
            .iter()
            .rev()
            .find(|(k, _)| *k == "port")
            .map(|(_, v)| format!(":{v}"))
            .unwrap_or_default();
        let url = format!(
            "postgres://postgres@{}{port}/postgres",
            dir.display().to_string().replace('/', "%2F")
        );
        let mut cluster = Cluster {
            dir,
            watcher: Some(watcher),
            url,
            bin,
        };
        cluster.wait_ready()?;
        Ok(cluster)
    }

    fn wait_ready(&mut self) -> Result<(), Error> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if Client::connect(&self.url, NoTls).is_ok() {
                return Ok(());
            }
            let exited = self
                .watcher
                .as_mut()
                .is_some_and(|w| w.try_wait().ok().flatten().is_some());
            if exited || Instant::now() > deadline {
                let log = std::fs::read_to_string(self.dir.join("log")).unwrap_or_default();
                return Err(Error::Shadow(format!(
                    "the shadow PostgreSQL server did not start{}:\n{}",
                    if exited { "" } else { " within 30s" },
                    log.trim()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A URL for the server's `postgres` database (a role that may create databases).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Where the server keeps its data and socket; gone once the cluster is stopped.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The directory of the binaries it was started from.
    pub fn bin_dir(&self) -> &Path {
        &self.bin
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // The watcher stops the server and removes the directory; waiting for it means both are
        // gone when this returns.
        let _ = std::fs::write(self.dir.join("stop"), "");
        if let Some(mut w) = self.watcher.take() {
            let _ = w.wait();
        }
    }
}
