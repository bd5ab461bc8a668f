//! TLS and password logins against a server of their own: a cluster that listens on TCP with a
//! certificate from a test authority, accepts only TLS over TCP (`hostssl` lines alone), asks one
//! role for a SCRAM password and another for a client certificate.

use crate::support::TempDir;
use autogen::shadow::Cluster;
use std::path::Path;
use std::process::Command;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl (the tests make their certificates with the openssl command)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A new EC key (quick to make) `name.key` with, for `subject`, a self-signed certificate
/// `name.crt` (an authority) or a signing request `name.csr`.
fn key_and(dir: &Path, name: &str, subject: &str, self_signed: bool) {
    let (key, out) = (
        format!("{name}.key"),
        format!("{name}.{}", if self_signed { "crt" } else { "csr" }),
    );
    let mut args = vec![
        "req",
        "-new",
        "-nodes",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-keyout",
        &key,
        "-out",
        &out,
        "-subj",
        subject,
    ];
    if self_signed {
        args.extend(["-x509", "-days", "2"]);
    }
    openssl(dir, &args);
}

/// A certificate authority `name`.
fn authority(dir: &Path, name: &str) {
    key_and(dir, name, &format!("/CN=autogen test {name}"), true);
}

/// A certificate for `cn`, signed by `ca`; `san` adds a subjectAltName.
fn signed(dir: &Path, ca: &str, name: &str, cn: &str, san: Option<&str>) {
    key_and(dir, name, &format!("/CN={cn}"), false);
    let mut args = vec![
        "x509".to_string(),
        "-req".into(),
        "-in".into(),
        format!("{name}.csr"),
        "-CA".into(),
        format!("{ca}.crt"),
        "-CAkey".into(),
        format!("{ca}.key"),
        "-CAcreateserial".into(),
        "-out".into(),
        format!("{name}.crt"),
        "-days".into(),
        "2".into(),
    ];
    if let Some(san) = san {
        std::fs::write(
            dir.join(format!("{name}.ext")),
            format!("subjectAltName={san}\n"),
        )
        .expect("ext");
        args.extend(["-extfile".into(), format!("{name}.ext")]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    openssl(dir, &args);
}

struct TlsServer {
    cluster: Cluster,
    port: u16,
    certs: TempDir,
}

impl TlsServer {
    fn start(name: &str) -> TlsServer {
        let certs = TempDir::new("autogen-tls", name);
        authority(&certs, "ca");
        authority(&certs, "other-ca");
        signed(&certs, "ca", "server", "localhost", Some("DNS:localhost"));
        signed(&certs, "ca", "client", "cert_user", None);
        // Only TLS over TCP; the Unix socket (for setting up) stays open.
        std::fs::write(
            certs.join("pg_hba.conf"),
            "local all all trust\n\
             hostssl all pw_user 127.0.0.1/32 scram-sha-256\n\
             hostssl all cert_user 127.0.0.1/32 cert\n\
             hostssl all all 127.0.0.1/32 trust\n",
        )
        .expect("hba");
        let running_as_root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
        if running_as_root {
            // The server runs as `postgres` and must read its key, which only its owner may read.
            let status = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(&*certs)
                .status()
                .expect("chown");
            assert!(status.success());
        }
        let status = Command::new("chmod")
            .arg("0600")
            .arg(certs.join("server.key"))
            .status()
            .expect("chmod");
        assert!(status.success());
        let port = free_port();
        let file = |f: &str| certs.join(f).display().to_string();
        let cluster = Cluster::start_with(
            20,
            &[
                ("listen_addresses", "127.0.0.1"),
                ("port", &port.to_string()),
                ("ssl", "on"),
                ("ssl_cert_file", &file("server.crt")),
                ("ssl_key_file", &file("server.key")),
                ("ssl_ca_file", &file("ca.crt")),
                ("hba_file", &file("pg_hba.conf")),
                ("password_encryption", "scram-sha-256"),
                ("log_connections", "on"),
            ],
        )
        .expect("start the TLS cluster");
        let mut admin = postgres::Client::connect(cluster.url(), postgres::NoTls).expect("admin");
        for sql in [
            "CREATE ROLE pw_user LOGIN PASSWORD 'right horse battery'",
            "CREATE ROLE cert_user LOGIN",
            "CREATE DATABASE app",
        ] {
            admin.batch_execute(sql).expect(sql);
        }
        TlsServer {
            cluster,
            port,
            certs,
        }
    }

    fn url(&self, user: &str, host: &str, query: &str) -> String {
        format!("postgres://{user}@{host}:{}/app{query}", self.port)
    }

    fn cert(&self, name: &str) -> String {
        self.certs.join(name).display().to_string()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.cluster.dir().join("log")).unwrap_or_default()
    }
}

/// Whether the session runs over TLS, by the server's own account.
fn encrypted(c: &mut postgres::Client) -> bool {
    c.query_one(
        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        &[],
    )
    .expect("pg_stat_ssl")
    .get(0)
}

fn refused(url: &str) -> String {
    match autogen::conn::connect(url) {
        Ok(_) => panic!("{url}: connected, but should have been refused"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn sslmode_is_honoured_and_a_certificate_that_fails_the_check_is_refused() {
    let s = TlsServer::start("modes");
    let ca = s.cert("ca.crt");
    let other = s.cert("other-ca.crt");

    // The server takes TCP only with TLS: `disable` is refused, with what to do.
    let e = refused(&s.url("postgres", "127.0.0.1", "?sslmode=disable"));
    assert!(
        e.contains("no encryption") && e.contains("accepts only TLS"),
        "{e}"
    );

    // The default (prefer), `allow` and `require` encrypt; with no root file, nothing is checked.
    for query in ["", "?sslmode=allow", "?sslmode=require"] {
        let url = s.url("postgres", "127.0.0.1", query);
        let mut c = autogen::conn::connect(&url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert!(encrypted(&mut c), "{url}");
    }

    // verify-full checks the chain and the name; verify-ca only the chain.
    let ok = [
        (
            "localhost",
            format!("?sslmode=verify-full&sslrootcert={ca}"),
        ),
        ("127.0.0.1", format!("?sslmode=verify-ca&sslrootcert={ca}")),
        // With a root file, require checks the chain too (as libpq does).
        ("127.0.0.1", format!("?sslmode=require&sslrootcert={ca}")),
    ];
    for (host, query) in &ok {
        let url = s.url("postgres", host, query);
        let mut c = autogen::conn::connect(&url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert!(encrypted(&mut c), "{url}");
    }
    // Each refused with the check that failed: the name, or the authority.
    let bad = [
        // The certificate names localhost, not 127.0.0.1.
        (
            "127.0.0.1",
            format!("?sslmode=verify-full&sslrootcert={ca}"),
            "not valid for name \"127.0.0.1\"",
        ),
        // Signed by another authority.
        (
            "localhost",
            format!("?sslmode=verify-full&sslrootcert={other}"),
            "UnknownIssuer",
        ),
        (
            "localhost",
            format!("?sslmode=verify-ca&sslrootcert={other}"),
            "UnknownIssuer",
        ),
        (
            "localhost",
            format!("?sslmode=require&sslrootcert={other}"),
            "UnknownIssuer",
        ),
    ];
    for (host, query, reason) in &bad {
        let e = refused(&s.url("postgres", host, query));
        assert!(
            e.contains("invalid peer certificate")
                && e.contains(reason)
                && e.contains("did not pass the check"),
            "{host}{query}: {e}"
        );
        assert_eq!(
            e.contains("host name"),
            query.contains("verify-full"),
            "the host name is mentioned where it is checked: {e}"
        );
        assert!(!e.contains("attempts"), "not tried again: {e}");
    }

    // A libpq key=value string takes the same keys.
    let kv = format!(
        "host=localhost port={} user=postgres dbname=app sslmode=verify-full sslrootcert='{ca}'",
        s.port
    );
    let mut c = autogen::conn::connect(&kv).unwrap_or_else(|e| panic!("{kv}: {e}"));
    assert!(encrypted(&mut c));

    // A client certificate logs in the role it names; without one, that role is refused.
    let with_cert = format!(
        "?sslmode=verify-full&sslrootcert={ca}&sslcert={}&sslkey={}",
        s.cert("client.crt"),
        s.cert("client.key")
    );
    let mut c = autogen::conn::connect(&s.url("cert_user", "localhost", &with_cert))
        .expect("client certificate login");
    let user: String = c
        .query_one("SELECT current_user::text", &[])
        .unwrap()
        .get(0);
    assert_eq!(user, "cert_user");
    // A key in the older SEC1 form (`BEGIN EC PRIVATE KEY`), as libpq also takes it.
    openssl(
        &s.certs,
        &["ec", "-in", "client.key", "-out", "client.sec1.key"],
    );
    let sec1 = std::fs::read_to_string(s.certs.join("client.sec1.key")).expect("sec1 key");
    assert!(sec1.contains("BEGIN EC PRIVATE KEY"), "{sec1}");
    let mut c = autogen::conn::connect(&s.url(
        "cert_user",
        "localhost",
        &format!(
            "?sslmode=verify-full&sslrootcert={ca}&sslcert={}&sslkey={}",
            s.cert("client.crt"),
            s.cert("client.sec1.key")
        ),
    ))
    .expect("client certificate login with a SEC1 key");
    let user: String = c
        .query_one("SELECT current_user::text", &[])
        .unwrap()
        .get(0);
    assert_eq!(user, "cert_user");
    let e = refused(&s.url(
        "cert_user",
        "localhost",
        &format!("?sslmode=verify-full&sslrootcert={ca}"),
    ));
    assert!(
        e.contains("requires a valid client certificate") && e.contains("give sslcert="),
        "{e}"
    );
}

/// A two-service project with its first migration written (no database needed for that), whose
/// commands go to `url`.
fn project_at(name: &str, url: String) -> crate::workflow::Project {
    let p = crate::workflow::Project {
        dir: std::rc::Rc::new(TempDir::new("autogen-wf", name)),
        url,
    };
    p.two_services();
    p.ok(&["revision", "-m", "first", "--version", "20260101000000"]);
    p
}

#[test]
fn verify_full_reads_the_default_root_file_and_upgrade_runs_over_tls() {
    let s = TlsServer::start("upgrade");
    let home = TempDir::new("autogen-tls", "upgrade-home");
    let over_tls = project_at(
        "tls-upgrade",
        s.url("postgres", "localhost", "?sslmode=verify-full"),
    );

    // No sslrootcert and no ~/.postgresql/root.crt: refused before any connection, with what to do.
    let (code, _, err) = over_tls
        .command(&["upgrade"])
        .env("HOME", &*home)
        .output()
        .map(|o| crate::workflow::decode(&o))
        .expect("run");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("sslmode=verify-full needs") && err.contains("sslrootcert="),
        "{err}"
    );

    std::fs::create_dir_all(home.join(".postgresql")).expect("dir");
    std::fs::copy(s.certs.join("ca.crt"), home.join(".postgresql/root.crt")).expect("root.crt");
    for args in [&["upgrade"][..], &["check"][..], &["health"][..]] {
        let out = over_tls
            .command(args)
            .env("HOME", &*home)
            .output()
            .expect("run");
        let (code, out, err) = crate::workflow::decode(&out);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
        if args == ["health"] {
            assert!(
                out.contains("role `postgres`, TLSv1."),
                "health names the TLS version: {out}"
            );
        }
    }
    // Without a URL, libpq's variables say the same, PGSSLMODE and PGSSLROOTCERT included.
    for (root, code) in [("ca.crt", 0), ("other-ca.crt", 2)] {
        let out = over_tls
            .command(&["health"])
            .env_remove("DATABASE_URL")
            .env("HOME", &*home)
            .env("PGHOST", "localhost")
            .env("PGPORT", s.port.to_string())
            .env("PGDATABASE", "app")
            .env("PGUSER", "postgres")
            .env("PGSSLMODE", "verify-full")
            .env("PGSSLROOTCERT", s.cert(root))
            .output()
            .expect("run");
        let (got, out, err) = crate::workflow::decode(&out);
        assert_eq!(got, code, "{root}: {out}{err}");
        if code == 0 {
            assert!(out.contains("TLSv1."), "{out}");
        } else {
            assert!(out.contains("UnknownIssuer"), "{out}{err}");
        }
    }
    let mut c = autogen::conn::connect(&s.url(
        "postgres",
        "localhost",
        &format!("?sslmode=verify-full&sslrootcert={}", s.cert("ca.crt")),
    ))
    .expect("connect");
    let tables: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname IN ('users', 'notes')",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(
        tables >= 2,
        "the migrations ran on the TLS server: {tables}"
    );
    let log = s.log();
    assert!(
        !log.contains("no encryption"),
        "no plain connection was tried: {log}"
    );
}

#[test]
fn a_wrong_password_is_tried_once_with_a_clear_message() {
    let s = TlsServer::start("password");
    let wrong = project_at(
        "tls-password",
        s.url("pw_user:wrong", "127.0.0.1", "?sslmode=require"),
    );
    let (code, _, err) = wrong
        .command(&["upgrade"])
        .env("AUTOGEN_CONNECT_WAIT", "10s")
        .output()
        .map(|o| crate::workflow::decode(&o))
        .expect("run");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("password authentication failed for user \"pw_user\""),
        "{err}"
    );
    assert!(
        !err.contains("trying again") && !err.contains("attempts"),
        "{err}"
    );
    assert!(
        !err.contains("wrong"),
        "the password stays out of messages: {err}"
    );
    let failures = s
        .log()
        .matches("password authentication failed for user \"pw_user\"")
        .count();
    assert_eq!(failures, 1, "one attempt reached the server:\n{}", s.log());

    // The right password, percent-encoded in the URL, logs in.
    let right = s.url(
        "pw_user:right%20horse%20battery",
        "127.0.0.1",
        "?sslmode=require",
    );
    let mut c = autogen::conn::connect(&right).expect("the right password");
    assert!(encrypted(&mut c));
}

#[test]
fn a_password_comes_from_pgpassword_or_a_private_password_file() {
    use std::os::unix::fs::PermissionsExt;
    let s = TlsServer::start("pgpass");
    let p = project_at(
        "tls-pgpass",
        s.url("pw_user", "127.0.0.1", "?sslmode=require"),
    );
    let home = TempDir::new("autogen-home", "pgpass");
    let run = |args: &[&str], vars: &[(&str, &str)]| {
        let mut c = p.command(args);
        c.env_remove("PGPASSWORD")
            .env_remove("PGPASSFILE")
            .env("HOME", &*home);
        for (k, v) in vars {
            c.env(k, v);
        }
        let (code, out, err) = crate::workflow::decode(&c.output().expect("run"));
        (code, format!("{out}{err}"))
    };
    let pgpass = home.join(".pgpass");

    // Nothing anywhere: the message says where it looked.
    let (code, err) = run(&["status"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("none was found")
            && err.contains(&format!("{} (not found)", pgpass.display())),
        "{err}"
    );

    // A file others may read is ignored, as libpq ignores it, and the message says why.
    let line = format!("127.0.0.1:{}:app:pw_user:right horse battery\n", s.port);
    std::fs::write(&pgpass, format!("# ours\n*:*:other:*:nope\n{line}")).expect("write");
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let (code, err) = run(&["status"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("0644") && err.contains("chmod 0600"), "{err}");

    // Private: its matching line logs in.
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let (code, out) = run(&["status"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("database: reachable"), "{out}");

    // PGPASSFILE names another file; one with no matching line says what it matched against.
    let other = home.join("elsewhere");
    std::fs::write(&other, "otherhost:*:*:*:x\n").expect("write");
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let other_text = other.display().to_string();
    let (code, err) = run(&["status"], &[("PGPASSFILE", &other_text)]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&other_text) && err.contains("no line matches host `127.0.0.1`"),
        "{err}"
    );

    // PGPASSWORD comes before any file.
    let (code, out) = run(
        &["status"],
        &[
            ("PGPASSFILE", &other_text),
            ("PGPASSWORD", "right horse battery"),
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("right horse"), "{out}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

#[test]
fn a_server_without_tls_is_refused_by_require_and_used_plainly_by_prefer() {
    let port = free_port();
    let cluster = Cluster::start_with(
        5,
        &[
            ("listen_addresses", "127.0.0.1"),
            ("port", &port.to_string()),
        ],
    )
    .expect("start a cluster without TLS");
    let url = |mode: &str| format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode={mode}");
    for mode in [
        "require",
        "verify-ca&sslrootcert=system",
        "verify-full&sslrootcert=system",
    ] {
        let e = refused(&url(mode));
        assert!(
            e.contains("server does not support TLS") && e.contains("never falls back"),
            "{mode}: {e}"
        );
        assert!(!e.contains("attempts"), "not tried again: {e}");
    }
    for mode in ["prefer", "allow", "disable"] {
        let mut c = autogen::conn::connect(&url(mode)).unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert!(!encrypted(&mut c), "{mode}");
    }
    // Over the Unix socket sslmode does not apply, as in libpq: no TLS is asked for.
    let socket = format!("{}?sslmode=require", cluster.url());
    let mut c = autogen::conn::connect(&socket).unwrap_or_else(|e| panic!("{socket}: {e}"));
    assert!(!encrypted(&mut c));
}
