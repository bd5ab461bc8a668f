//! The catalog benchmark: `autogen diff` on generated multi-service schemas of N tables, next to
//! `pg_dump --schema-only` of the same database.
//!
//! `cargo bench --bench catalog` (options after `--`: `--sizes 100,1000`, `--runs 5`, `--seed 7`,
//! `--write BENCHMARKS.md`). It starts its own PostgreSQL cluster from the local binaries, with
//! `pg_stat_statements` loaded so the statements autogen sends are counted by the server itself,
//! loads a generated model and a mutated copy of it into two databases, and times:
//! - `autogen diff` database -> database, and YAML model -> database (the model side normalized
//!   on an ephemeral shadow, as a user runs it), as whole processes, median of `--runs`;
//! - inside them, each stage (`--timings`) and the peak memory;
//! - `pg_dump --schema-only` of one database, the reference every time is divided by.
//!
//! Everything is measured once on the freshly loaded catalogs and once more after `ANALYZE`.

mod generate;

use autogen::render::RenderOptions;
use autogen::shadow::Cluster;
use postgres::{Client, NoTls};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

struct Options {
    sizes: Vec<usize>,
    runs: usize,
    seed: u64,
    write: Option<PathBuf>,
}

fn options() -> Options {
    let mut o = Options {
        sizes: vec![100, 1000, 5000, 10000],
        runs: 5,
        seed: 42,
        write: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| fail(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--sizes" => {
                o.sizes = value()
                    .split(',')
                    .map(|s| {
                        s.trim()
                            .parse()
                            .unwrap_or_else(|_| fail("--sizes: numbers"))
                    })
                    .collect()
            }
            "--runs" => o.runs = value().parse().unwrap_or_else(|_| fail("--runs: a number")),
            "--seed" => o.seed = value().parse().unwrap_or_else(|_| fail("--seed: a number")),
            "--write" => o.write = Some(PathBuf::from(value())),
            // cargo bench passes --bench to every bench target.
            "--bench" => {}
            other => fail(&format!(
                "unknown argument `{other}` (use --sizes, --runs, --seed, --write)"
            )),
        }
    }
    o
}

fn fail(message: &str) -> ! {
    eprintln!("catalog bench: {message}");
    std::process::exit(2)
}

/// One measured command: wall time of the process, its `--timings` line, and statements by
/// database name.
struct Sample {
    wall: f64,
    timings: Value,
    statements: BTreeMap<String, i64>,
}

struct Bench {
    cluster: Cluster,
    admin: Client,
    autogen: PathBuf,
    work: PathBuf,
}

impl Bench {
    fn url(&self, db: &str) -> String {
        let url = self.cluster.url();
        format!("{}/{db}", &url[..url.rfind('/').unwrap_or(url.len())])
    }

    fn reset_statements(&mut self) {
        self.admin
            .batch_execute("SELECT pg_stat_statements_reset()")
            .expect("reset pg_stat_statements");
    }

    /// Statements executed since the last reset, by database, leaving out the bench's own.
    fn statements(&mut self) -> BTreeMap<String, i64> {
        self.admin
            .query(
                "SELECT d.datname, sum(s.calls)::bigint FROM pg_stat_statements s \
                 JOIN pg_database d ON d.oid = s.dbid WHERE d.datname <> 'postgres' GROUP BY 1",
                &[],
            )
            .expect("read pg_stat_statements")
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1)))
            .collect()
    }

    fn autogen(&mut self, args: &[&str]) -> Sample {
        self.reset_statements();
        let start = Instant::now();
        let out = Command::new(&self.autogen)
            .args(args)
            .arg("--timings")
            .env_remove("AUTOGEN_DEV_URL")
            .env("AUTOGEN_CACHE_DIR", self.work.join("cache"))
            .output()
            .expect("run autogen");
        let wall = start.elapsed().as_secs_f64();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            fail(&format!("autogen {args:?} failed:\n{stderr}"));
        }
        let timings = stderr
            .lines()
            .find_map(|l| l.strip_prefix("timings: "))
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_else(|| fail(&format!("no timings line in:\n{stderr}")));
        Sample {
            wall,
            timings,
            statements: self.statements(),
        }
    }

    fn pg_dump(&self, db: &str) -> f64 {
        let start = Instant::now();
        let out = Command::new(self.cluster.bin_dir().join("pg_dump"))
            .args(["--schema-only", "-f", "/dev/null", "-d"])
            .arg(self.url(db))
            .output()
            .expect("run pg_dump");
        if !out.status.success() {
            fail(&format!(
                "pg_dump failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        start.elapsed().as_secs_f64()
    }

    /// Creates `db` and fills it with the model in `dir`, through autogen's own SQL.
    fn load(&mut self, db: &str, dir: &Path) -> f64 {
        let start = Instant::now();
        for sql in [
            format!("DROP DATABASE IF EXISTS {db}"),
            format!("CREATE DATABASE {db}"),
        ] {
            self.admin.batch_execute(&sql).expect("create the database");
        }
        let model = autogen::model::load_path(dir).unwrap_or_else(|e| fail(&format!("{e}")));
        let changes = autogen::diff::diff(&autogen::ir::Schema::default(), &model);
        let sql = autogen::render::script(&autogen::plan::plan(changes), &RenderOptions::default());
        let mut client = Client::connect(&self.url(db), NoTls).expect("connect");
        client
            .batch_execute(&format!("BEGIN;\n{sql}\nCOMMIT;"))
            .unwrap_or_else(|e| fail(&format!("loading {db}: {e:?}")));
        start.elapsed().as_secs_f64()
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return f64::NAN;
    }
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// The median of a figure over samples, by JSON path (`["to", "inspect"]`).
fn median_of(samples: &[Sample], path: &[&str]) -> f64 {
    median(
        samples
            .iter()
            .filter_map(|s| {
                path.iter()
                    .try_fold(&s.timings, |v, k| v.get(*k))
                    .and_then(Value::as_f64)
            })
            .collect(),
    )
}

struct Row {
    n: usize,
    phase: &'static str,
    dump: f64,
    dbdb: Vec<Sample>,
    /// The first YAML -> database run, with an empty normalization cache.
    cold: Sample,
    /// The runs after it, which find every table in the cache.
    yamldb: Vec<Sample>,
}

fn main() {
    let o = options();
    let autogen = PathBuf::from(env!("CARGO_BIN_EXE_autogen"));
    let cluster = Cluster::start_with(
        40,
        &[
            ("shared_preload_libraries", "pg_stat_statements"),
            ("pg_stat_statements.track_utility", "on"),
            ("shared_buffers", "256MB"),
            ("max_locks_per_transaction", "8192"),
        ],
    )
    .unwrap_or_else(|e| fail(&format!("{e}")));
    let mut admin = Client::connect(cluster.url(), NoTls).expect("connect to the bench cluster");
    admin
        .batch_execute("CREATE EXTENSION pg_stat_statements")
        .expect("pg_stat_statements");
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("catalog-bench");
    let mut bench = Bench {
        cluster,
        admin,
        autogen,
        work,
    };
    let mut rows = Vec::new();
    let mut loads = Vec::new();
    for &n in &o.sizes {
        let base = generate::generate(o.seed, n);
        let mutated = generate::mutate(&base, o.seed);
        let dir = bench.work.join(format!("n{n}"));
        for (name, model) in [("base", &base), ("mutated", &mutated)] {
            let d = dir.join(name);
            let _ = std::fs::remove_dir_all(&d);
            std::fs::create_dir_all(&d).expect("bench directory");
            for (file, text) in model.yaml_files() {
                std::fs::write(d.join(file), text).expect("write model");
            }
        }
        let (a, b) = (format!("bench_{n}_a"), format!("bench_{n}_b"));
        let load_a = bench.load(&a, &dir.join("base"));
        let load_b = bench.load(&b, &dir.join("mutated"));
        let counts = base.counts();
        eprintln!(
            "N={n}: {} tables, {} columns, {} indexes, {} foreign keys, {} enums, {} views, {} materialized views, {} functions, {} triggers; loaded in {load_a:.1}s and {load_b:.1}s",
            counts.tables,
            counts.columns,
            counts.indexes,
            counts.foreign_keys,
            counts.enums,
            counts.views,
            counts.materialized,
            counts.functions,
            counts.triggers
        );
        loads.push((n, counts, load_a + load_b));
        let (url_a, url_b) = (bench.url(&a), bench.url(&b));
        let yaml = dir.join("mutated").display().to_string();
        for phase in ["never analyzed", "analyzed"] {
            if phase == "analyzed" {
                for db in [&a, &b] {
                    Client::connect(&bench.url(db), NoTls)
                        .and_then(|mut c| c.batch_execute("ANALYZE"))
                        .expect("analyze");
                }
            }
            // One untimed round warms the server's caches, as every later run finds them.
            bench.pg_dump(&a);
            let _ = std::fs::remove_dir_all(bench.work.join("cache"));
            let cold = bench.autogen(&["diff", "--from", &url_a, "--to", &yaml]);
            let mut row = Row {
                n,
                phase,
                dump: 0.0,
                dbdb: Vec::new(),
                cold,
                yamldb: Vec::new(),
            };
            let mut dumps = Vec::new();
            for _ in 0..o.runs {
                dumps.push(bench.pg_dump(&a));
                row.dbdb
                    .push(bench.autogen(&["diff", "--from", &url_a, "--to", &url_b]));
                row.yamldb
                    .push(bench.autogen(&["diff", "--from", &url_a, "--to", &yaml]));
            }
            row.dump = median(dumps);
            eprintln!(
                "N={n} ({phase}): pg_dump {:.3}s, db->db {:.3}s, yaml->db {:.3}s cold, {:.3}s cached",
                row.dump,
                median(row.dbdb.iter().map(|s| s.wall).collect()),
                row.cold.wall,
                median(row.yamldb.iter().map(|s| s.wall).collect())
            );
            rows.push(row);
        }
        for db in [&a, &b] {
            let _ = bench
                .admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {db}"));
        }
    }
    let report = report(&o, &rows, &loads, &bench);
    print!("{report}");
    if let Some(path) = &o.write {
        std::fs::write(path, &report).unwrap_or_else(|e| fail(&format!("{}: {e}", path.display())));
        eprintln!("wrote {}", path.display());
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    format!("{cores} cores ({cpu}), {mem_gib:.0} GiB")
}

fn report(
    o: &Options,
    rows: &[Row],
    loads: &[(usize, generate::Counts, f64)],
    b: &Bench,
) -> String {
    let version = Command::new(b.cluster.bin_dir().join("postgres"))
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let mut r = String::new();
    let _ = writeln!(
        r,
        "Machine: {}; {version}; seed {}, median of {} runs.\n",
        machine(),
        o.seed,
        o.runs
    );
    r.push_str("| N | tables | columns | indexes | FKs | enums | views | materialized | functions | triggers | load both (s) |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (n, c, secs) in loads {
        let _ = writeln!(
            r,
            "| {n} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {secs:.1} |",
            c.tables,
            c.columns,
            c.indexes,
            c.foreign_keys,
            c.enums,
            c.views,
            c.materialized,
            c.functions,
            c.triggers
        );
    }
    r.push_str(
        "\nTimes in seconds, and as a ratio to one `pg_dump --schema-only` of database a (×). \
         `db→db`: `autogen diff --from <db a> --to <db b>`. `yaml→db`: `autogen diff --from <db a> \
         --to <mutated YAML>`, the model normalized on an ephemeral shadow cluster: `cold` with an \
         empty normalization cache (every table created in the shadow), `cached` when the cache \
         holds every table (no shadow started). Whole process, start included. Stages are medians \
         from `--timings`; `statements` are counted by `pg_stat_statements`, per database, for one \
         db→db run.\n\n",
    );
    r.push_str(
        "| N | catalog | pg_dump | db→db | × | yaml→db cold | × | yaml→db cached | × | inspect a | inspect b | parse YAML | normalize cold | normalize cached | diff+plan+render | peak MB db→db | peak MB yaml→db cached | statements |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let dbdb = median(row.dbdb.iter().map(|s| s.wall).collect());
        let yamldb = median(row.yamldb.iter().map(|s| s.wall).collect());
        let stages = median_of(&row.dbdb, &["diff"])
            + median_of(&row.dbdb, &["plan"])
            + median_of(&row.dbdb, &["render"]);
        let peak = |s: &[Sample]| {
            median(
                s.iter()
                    .filter_map(|s| s.timings.get("peak_rss_kib").and_then(Value::as_f64))
                    .collect(),
            ) / 1024.0
        };
        // Every run sends the same statements; the last one stands for all.
        let statements = row
            .dbdb
            .last()
            .map(|s| {
                s.statements
                    .iter()
                    .map(|(db, n)| format!("{}: {n}", db.rsplit('_').next().unwrap_or(db)))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        let _ = writeln!(
            r,
            "| {} | {} | {:.3} | {dbdb:.3} | {:.2} | {:.3} | {:.2} | {yamldb:.3} | {:.2} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {stages:.3} | {:.0} | {:.0} | {statements} |",
            row.n,
            row.phase,
            row.dump,
            dbdb / row.dump,
            row.cold.wall,
            row.cold.wall / row.dump,
            yamldb / row.dump,
            median_of(&row.dbdb, &["from", "inspect"]),
            median_of(&row.dbdb, &["to", "inspect"]),
            median_of(&row.yamldb, &["to", "parse"]),
            median_of(std::slice::from_ref(&row.cold), &["to", "normalize"]),
            median_of(&row.yamldb, &["to", "normalize"]),
            peak(&row.dbdb),
            peak(&row.yamldb),
        );
    }
    // Memory per table: the slope between successive sizes, on the analyzed catalogs.
    let peaks: Vec<(usize, f64)> = rows
        .iter()
        .filter(|r| r.phase == "analyzed")
        .map(|r| {
            let kib: Vec<f64> = r
                .dbdb
                .iter()
                .filter_map(|s| s.timings.get("peak_rss_kib").and_then(Value::as_f64))
                .collect();
            (r.n, median(kib))
        })
        .collect();
    let slopes: Vec<String> = peaks
        .windows(2)
        .map(|w| {
            format!(
                "{}→{}: {:.1} KiB",
                w[0].0,
                w[1].0,
                (w[1].1 - w[0].1) / (w[1].0 - w[0].0) as f64
            )
        })
        .collect();
    if !slopes.is_empty() {
        let _ = writeln!(
            r,
            "\nPeak memory of db→db per added table (both catalogs held): {}.",
            slopes.join(", ")
        );
    }
    r
}
