//! A seeded generator of realistic multi-service schemas, and a mutated variant of one.
//!
//! Input: a seed and a table count N. Output: YAML model files, one per service (about N/200
//! services, each its own Postgres schema). The same seed and N give byte-identical files, so
//! every run of the benchmark measures the same catalogs.

use std::fmt::Write;

/// splitmix64: tiny, fast and good enough to pick shapes; not for anything secret.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }
    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() - 1)]
    }
}

const WORDS: &[&str] = &[
    "account",
    "order",
    "invoice",
    "payment",
    "customer",
    "product",
    "shipment",
    "address",
    "session",
    "event",
    "audit",
    "ticket",
    "message",
    "channel",
    "member",
    "team",
    "project",
    "task",
    "comment",
    "tag",
    "file",
    "device",
    "token",
    "report",
    "metric",
    "plan",
    "price",
    "coupon",
    "refund",
    "review",
    "rating",
    "stock",
    "warehouse",
    "carrier",
    "route",
    "vendor",
];

const COLUMN_WORDS: &[&str] = &[
    "name",
    "title",
    "email",
    "note",
    "label",
    "code",
    "status_text",
    "city",
    "region",
    "slug",
    "summary",
    "ref",
    "source",
    "locale",
    "currency",
    "phone",
    "url",
    "kind",
    "color",
    "path",
];

#[derive(Clone)]
pub struct Column {
    pub name: String,
    pub ty: String,
    pub nullable: bool,
    pub default: Option<String>,
    pub comment: Option<String>,
}

#[derive(Clone)]
pub struct ForeignKey {
    pub name: String,
    pub column: String,
    pub target: String,
    pub on_delete: &'static str,
}

#[derive(Clone)]
pub struct Index {
    pub name: String,
    /// A YAML flow mapping body: `columns: [a, b]`, `expression: ...`, with options.
    pub body: String,
}

#[derive(Clone)]
pub struct Table {
    pub name: String,
    pub uuid_key: bool,
    pub columns: Vec<Column>,
    pub unique: Vec<Vec<String>>,
    pub checks: Vec<(String, String)>,
    pub foreign_keys: Vec<ForeignKey>,
    pub indexes: Vec<Index>,
    pub comment: Option<String>,
    /// Columns a view reads: left alone by drops, as a team would have to.
    pub viewed: Vec<String>,
    /// A `BEFORE UPDATE` row trigger calling the service's `touch()`, with its `WHEN`.
    pub trigger: Option<Option<String>>,
}

/// A function: its name, argument list, result, language and body.
#[derive(Clone)]
pub struct Function {
    pub name: String,
    pub arguments: String,
    pub returns: String,
    pub language: &'static str,
    pub body: String,
}

/// A view (or materialized view) over a table or another view, with a fully qualified query so
/// the bench can create it without a shadow.
#[derive(Clone)]
pub struct View {
    pub name: String,
    pub materialized: bool,
    pub query: String,
}

#[derive(Clone)]
pub struct Service {
    pub schema: String,
    pub enums: Vec<(String, Vec<String>)>,
    pub tables: Vec<Table>,
    pub views: Vec<View>,
    pub functions: Vec<Function>,
}

#[derive(Clone)]
pub struct Model {
    pub services: Vec<Service>,
}

/// Counts of what a model holds, for the results table.
#[derive(Default, Debug)]
pub struct Counts {
    pub tables: usize,
    pub columns: usize,
    pub indexes: usize,
    pub foreign_keys: usize,
    pub enums: usize,
    pub views: usize,
    pub materialized: usize,
    pub functions: usize,
    pub triggers: usize,
}

impl Model {
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for s in &self.services {
            c.enums += s.enums.len();
            c.views += s.views.iter().filter(|v| !v.materialized).count();
            c.materialized += s.views.iter().filter(|v| v.materialized).count();
            c.functions += s.functions.len();
            c.triggers += s.tables.iter().filter(|t| t.trigger.is_some()).count();
            for t in &s.tables {
                c.tables += 1;
                c.columns += t.columns.len();
                c.indexes += t.indexes.len();
                c.foreign_keys += t.foreign_keys.len();
            }
        }
        c
    }

    /// One YAML file per service: `(file name, text)`.
    pub fn yaml_files(&self) -> Vec<(String, String)> {
        self.services
            .iter()
            .map(|s| (format!("{}.yaml", s.schema), s.yaml()))
            .collect()
    }
}

/// A model of `n` tables from `seed`.
pub fn generate(seed: u64, n: usize) -> Model {
    let mut rng = Rng::new(seed);
    let services = (n / 200).max(1);
    let enum_total = (n / 20).max(1);
    let mut model = Model {
        services: (0..services)
            .map(|i| Service {
                schema: format!("svc_{i:03}"),
                enums: Vec::new(),
                tables: Vec::new(),
                views: Vec::new(),
                functions: Vec::new(),
            })
            .collect(),
    };
    for e in 0..enum_total {
        let s = e % services;
        let count = rng.range(3, 8);
        let values = (0..count)
            .map(|v| format!("v{v}_{}", rng.pick(WORDS)))
            .collect();
        model.services[s]
            .enums
            .push((format!("e{e}_{}", rng.pick(WORDS)), values));
    }
    for i in 0..n {
        let s = i * services / n;
        let t = table(&mut rng, &model.services[s], i);
        model.services[s].tables.push(t);
    }
    // One view per five tables: over a table's live rows, every third one over the view before
    // it, every tenth one a materialized count.
    for svc in &mut model.services {
        let schema = svc.schema.clone();
        let mut previous: Option<String> = None;
        for k in 0..svc.tables.len() / 5 {
            let t = &mut svc.tables[k * 5];
            let view = match (k % 10, k % 3, &previous) {
                (9, _, _) => View {
                    name: format!("{}_count", t.name),
                    materialized: true,
                    query: format!("SELECT count(*) AS n FROM {schema}.{} t", t.name),
                },
                (_, 2, Some(p)) => View {
                    name: format!("{}_recent", t.name),
                    materialized: false,
                    query: format!(
                        "SELECT v.id, v.created_at FROM {schema}.{p} v WHERE v.created_at > '2020-01-01'"
                    ),
                },
                _ => {
                    t.viewed
                        .extend(["created_at".to_string(), "deleted_at".to_string()]);
                    View {
                        name: format!("{}_live", t.name),
                        materialized: false,
                        query: format!(
                            "SELECT t.id, t.created_at, t.deleted_at FROM {schema}.{} t WHERE t.deleted_at IS NULL",
                            t.name
                        ),
                    }
                }
            };
            if !view.materialized {
                previous = Some(view.name.clone());
            }
            svc.views.push(view);
        }
    }
    // One table in ten keeps a trigger calling its service's `touch()`, and has a SQL function
    // of its own: about one function and one trigger per ten tables.
    for svc in &mut model.services {
        svc.functions.push(Function {
            name: "touch".into(),
            arguments: String::new(),
            returns: "trigger".into(),
            language: "plpgsql",
            body: "BEGIN RETURN NEW; END".into(),
        });
        for (k, t) in svc.tables.iter_mut().enumerate() {
            if k % 10 == 3 {
                t.trigger = Some(None);
                svc.functions.push(Function {
                    name: format!("next_{}", t.name),
                    arguments: "x bigint".into(),
                    returns: "bigint".into(),
                    language: "sql",
                    body: format!("SELECT x + {k}"),
                });
            }
        }
    }
    // Cross-service references, as services do point at a shared users table and the like.
    for s in 1..services {
        if let Some(first) = model.services[0].tables.first().cloned() {
            let fk_type = if first.uuid_key { "uuid" } else { "bigint" };
            let target = format!("{}.{}(id)", model.services[0].schema, first.name);
            let t = &mut model.services[s].tables[0];
            t.columns.push(Column {
                name: "owner_id".into(),
                ty: fk_type.into(),
                nullable: true,
                default: None,
                comment: None,
            });
            t.foreign_keys.push(ForeignKey {
                name: format!("{}_owner_id_fkey", t.name),
                column: "owner_id".into(),
                target,
                on_delete: "set_null",
            });
        }
    }
    model
}

fn table(rng: &mut Rng, service: &Service, i: usize) -> Table {
    let name = format!("{}_{i}", rng.pick(WORDS));
    let uuid_key = rng.chance(50);
    let mut columns = vec![Column {
        name: "id".into(),
        ty: if uuid_key { "uuid" } else { "bigint" }.into(),
        nullable: false,
        default: uuid_key.then(|| "gen_random_uuid()".into()),
        comment: None,
    }];
    let mut foreign_keys = Vec::new();
    // A reference to an earlier table of the same service, with the key type it needs.
    if !service.tables.is_empty() && rng.chance(60) {
        let target = rng.pick(&service.tables);
        let on_delete = *rng.pick(&["cascade", "set_null", "restrict", "no_action"]);
        let col = format!("{}_id", target.name);
        columns.push(Column {
            name: col.clone(),
            ty: if target.uuid_key { "uuid" } else { "bigint" }.into(),
            nullable: on_delete == "set_null" || rng.chance(30),
            default: None,
            comment: None,
        });
        foreign_keys.push(ForeignKey {
            name: format!("{name}_{col}_fkey"),
            column: col,
            target: format!("{}(id)", target.name),
            on_delete,
        });
    }
    let extra = rng.range(8, 15).saturating_sub(columns.len() + 2);
    for k in 0..extra {
        columns.push(random_column(rng, service, k));
    }
    columns.push(Column {
        name: "created_at".into(),
        ty: "timestamptz".into(),
        nullable: false,
        default: Some("now()".into()),
        comment: None,
    });
    columns.push(Column {
        name: "deleted_at".into(),
        ty: "timestamp".into(),
        nullable: true,
        default: None,
        comment: rng
            .chance(20)
            .then(|| "Set when the row is soft-deleted".into()),
    });
    let mut t = Table {
        viewed: Vec::new(),
        trigger: None,
        name,
        uuid_key,
        columns,
        unique: Vec::new(),
        checks: Vec::new(),
        foreign_keys,
        indexes: Vec::new(),
        comment: rng
            .chance(30)
            .then(|| format!("Rows of {} kept by {}", rng.pick(WORDS), service.schema)),
    };
    let texts: Vec<String> = t
        .columns
        .iter()
        .filter(|c| c.ty == "text" || c.ty.starts_with("varchar"))
        .map(|c| c.name.clone())
        .collect();
    if !texts.is_empty() && rng.chance(30) {
        t.unique.push(vec![rng.pick(&texts).clone()]);
    }
    if let Some(c) = t.columns.iter().find(|c| c.ty.starts_with("numeric")) {
        if rng.chance(60) {
            t.checks.push((
                format!("{}_{}_check", t.name, c.name),
                format!("{} >= 0", c.name),
            ));
        }
    }
    if !texts.is_empty() && rng.chance(25) {
        let c = rng.pick(&texts).clone();
        t.checks
            .push((format!("{}_{c}_len", t.name), format!("length({c}) <= 500")));
    }
    for k in 0..rng.range(1, 3) {
        let index = random_index(rng, &t, k);
        if !t.indexes.iter().any(|i| i.name == index.name) {
            t.indexes.push(index);
        }
    }
    t
}

fn random_column(rng: &mut Rng, service: &Service, k: usize) -> Column {
    let base = rng.pick(COLUMN_WORDS);
    let mut default = None;
    let ty = match rng.range(0, 12) {
        0 | 1 => "text".to_string(),
        2 => format!("varchar({})", [40, 80, 200, 255][rng.range(0, 3)]),
        3 => {
            default = rng.chance(50).then(|| "0".to_string());
            "integer".into()
        }
        4 => "bigint".into(),
        5 => format!("numeric({},{})", rng.range(10, 18), rng.range(0, 4)),
        6 => "timestamp".into(),
        7 => "timestamptz".into(),
        8 => {
            default = Some(if rng.chance(50) { "false" } else { "true" }.into());
            "boolean".into()
        }
        9 => {
            default = rng.chance(50).then(|| "'{}'::jsonb".to_string());
            "jsonb".into()
        }
        10 => {
            default = rng.chance(50).then(|| "'{}'".to_string());
            "text[]".into()
        }
        11 => "uuid".into(),
        _ => match service.enums.first() {
            Some((name, values)) => {
                default = Some(format!("'{}'", values[0]));
                name.clone()
            }
            None => "text".into(),
        },
    };
    Column {
        name: format!("{base}_{k}"),
        nullable: default.is_none() && rng.chance(50),
        ty,
        default,
        comment: rng.chance(10).then(|| format!("The {base} as entered")),
    }
}

fn random_index(rng: &mut Rng, t: &Table, k: usize) -> Index {
    let by = |pred: &dyn Fn(&Column) -> bool| -> Vec<&Column> {
        t.columns.iter().filter(|c| pred(c)).collect()
    };
    let texts = by(&|c: &Column| c.ty == "text" || c.ty.starts_with("varchar"));
    let gin = by(&|c: &Column| c.ty == "jsonb" || c.ty.ends_with("[]"));
    let name = |suffix: &str| format!("{}_{suffix}_{k}_idx", t.name);
    match rng.range(0, 4) {
        0 if !texts.is_empty() => Index {
            name: name("lower"),
            body: format!("expression: \"lower({})\"", rng.pick(&texts).name),
        },
        1 if !gin.is_empty() => Index {
            name: name("gin"),
            body: format!("columns: [{}], method: gin", rng.pick(&gin).name),
        },
        2 => Index {
            name: name("live"),
            body: "columns: [created_at], where: \"deleted_at IS NULL\"".into(),
        },
        _ => {
            let first = &t.columns[rng.range(1, t.columns.len() - 1)];
            Index {
                name: name("by"),
                body: format!("columns: [{}, created_at DESC]", first.name),
            }
        }
    }
}

/// The same model with about 5% of its objects changed, in every way the comparator knows.
pub fn mutate(model: &Model, seed: u64) -> Model {
    let mut rng = Rng::new(seed ^ 0x5EED);
    let mut m = model.clone();
    let total: usize = m.services.iter().map(|s| s.tables.len()).sum();
    // About 5% of tables get one change each; 1% more are new.
    let changes = (total / 20).max(1);
    for c in 0..changes {
        let s = rng.range(0, m.services.len() - 1);
        let svc = &mut m.services[s];
        let ti = rng.range(0, svc.tables.len() - 1);
        let enums = svc.enums.clone();
        let t = &mut svc.tables[ti];
        match c % 10 {
            0 => t.columns.push(Column {
                name: format!("added_{c}"),
                ty: "text".into(),
                nullable: true,
                default: None,
                comment: Some("Added by the mutation".into()),
            }),
            1 => {
                // Drop a plain column nothing else uses.
                let used: Vec<String> = used_columns(t);
                if let Some(p) = t.columns.iter().rposition(|c| {
                    c.name != "id" && !used.iter().any(|u| u == &c.name) && c.name.contains('_')
                }) {
                    t.columns.remove(p);
                }
            }
            2 => {
                if let Some(col) = t.columns.iter_mut().find(|c| c.ty == "timestamp") {
                    col.ty = "timestamptz".into();
                }
            }
            3 => {
                if let Some(col) = t.columns.iter_mut().find(|c| c.ty.starts_with("numeric")) {
                    col.ty = "numeric(20,4)".into();
                } else if let Some(col) = t.columns.iter_mut().find(|c| c.ty == "integer") {
                    col.ty = "bigint".into();
                }
            }
            4 => {
                if let Some(col) = t.columns.iter_mut().find(|c| c.ty.starts_with("varchar")) {
                    col.ty = "varchar(1000)".into();
                } else if let Some(col) = t.columns.iter_mut().find(|c| c.ty == "integer") {
                    col.ty = "bigint".into();
                }
            }
            5 => {
                let used = used_columns(t);
                if let Some(col) = t
                    .columns
                    .iter_mut()
                    .find(|c| c.name != "id" && !used.contains(&c.name) && c.default.is_none())
                {
                    col.nullable = !col.nullable;
                }
            }
            6 => {
                if t.indexes.len() > 1 && rng.chance(50) {
                    t.indexes.pop();
                } else {
                    t.indexes.push(Index {
                        name: format!("{}_mut_{c}_idx", t.name),
                        body: "columns: [id, created_at]".into(),
                    });
                }
            }
            7 => {
                if t.foreign_keys.pop().is_none() {
                    t.columns.push(Column {
                        name: format!("self_ref_{c}"),
                        ty: if t.uuid_key { "uuid" } else { "bigint" }.into(),
                        nullable: true,
                        default: None,
                        comment: None,
                    });
                    let name = t.name.clone();
                    t.foreign_keys.push(ForeignKey {
                        name: format!("{name}_self_{c}_fkey"),
                        column: format!("self_ref_{c}"),
                        target: format!("{name}(id)"),
                        on_delete: "cascade",
                    });
                }
            }
            8 => {
                if t.checks.pop().is_none() {
                    t.checks
                        .push((format!("{}_mut_{c}_check", t.name), "id IS NOT NULL".into()));
                }
            }
            _ => {
                if let Some((name, values)) = enums.get(c % enums.len().max(1)) {
                    let at = rng.range(1, values.len() - 1);
                    let e = svc.enums.iter_mut().find(|(n, _)| n == name).expect("enum");
                    if !e.1.iter().any(|v| v.starts_with("inserted")) {
                        e.1.insert(at, format!("inserted_{c}"));
                    }
                }
            }
        }
    }
    // One trigger in four gains a condition, one function in five a new body: replaced in place.
    for svc in &mut m.services {
        for (k, t) in svc
            .tables
            .iter_mut()
            .filter(|t| t.trigger.is_some())
            .enumerate()
        {
            if k % 4 == 0 {
                t.trigger = Some(Some("old.* IS DISTINCT FROM new.*".into()));
            }
        }
        for (k, f) in svc.functions.iter_mut().enumerate() {
            if k % 5 == 1 && f.language == "sql" {
                f.body = f.body.replace("x +", "x * 2 +");
            }
        }
    }
    // One view in twenty reads other rows: replaced in place.
    for svc in &mut m.services {
        for (k, v) in svc.views.iter_mut().enumerate() {
            if k % 20 == 0 && !v.materialized {
                v.query = v.query.replace("IS NULL", "IS NOT NULL");
            }
        }
    }
    for k in 0..(total / 100).max(1) {
        let s = k % m.services.len();
        let svc = m.services[s].clone();
        let mut t = table(&mut rng, &svc, total + k);
        t.name = format!("new_{}", t.name);
        for fk in &mut t.foreign_keys {
            fk.name = format!("new_{}", fk.name);
        }
        for i in &mut t.indexes {
            i.name = format!("new_{}", i.name);
        }
        for c in &mut t.checks {
            c.0 = format!("new_{}", c.0);
        }
        m.services[s].tables.push(t);
    }
    m
}

/// Columns a key, check, reference or index names: left alone by drops and nullability flips.
fn used_columns(t: &Table) -> Vec<String> {
    let mut used: Vec<String> = t.unique.iter().flatten().cloned().collect();
    used.extend(t.viewed.iter().cloned());
    used.extend(t.foreign_keys.iter().map(|f| f.column.clone()));
    for text in t
        .checks
        .iter()
        .map(|c| &c.1)
        .chain(t.indexes.iter().map(|i| &i.body))
    {
        for c in &t.columns {
            if text.contains(c.name.as_str()) {
                used.push(c.name.clone());
            }
        }
    }
    used
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

impl Service {
    fn yaml(&self) -> String {
        let mut y = String::new();
        let _ = writeln!(y, "schema: {}", self.schema);
        if !self.enums.is_empty() {
            y.push_str("enums:\n");
            for (name, values) in &self.enums {
                let _ = writeln!(y, "  {name}: [{}]", values.join(", "));
            }
        }
        y.push_str("tables:\n");
        for t in &self.tables {
            let _ = writeln!(y, "  {}:", t.name);
            if let Some(c) = &t.comment {
                let _ = writeln!(y, "    comment: {}", quoted(c));
            }
            y.push_str("    columns:\n");
            for c in &t.columns {
                let mut attrs = vec![format!("type: {}", quoted(&c.ty))];
                if c.nullable {
                    attrs.push("nullable: true".into());
                }
                if let Some(d) = &c.default {
                    attrs.push(format!("default: {}", quoted(d)));
                }
                if let Some(d) = &c.comment {
                    attrs.push(format!("comment: {}", quoted(d)));
                }
                if c.name == "id" && !t.uuid_key {
                    attrs.push("identity: by_default".into());
                }
                let _ = writeln!(y, "      {}: {{ {} }}", c.name, attrs.join(", "));
            }
            y.push_str("    primary_key: [id]\n");
            if !t.unique.is_empty() {
                y.push_str("    unique:\n");
                for u in &t.unique {
                    let _ = writeln!(y, "      - [{}]", u.join(", "));
                }
            }
            if !t.checks.is_empty() {
                y.push_str("    checks:\n");
                for (n, e) in &t.checks {
                    let _ = writeln!(y, "      {n}: {}", quoted(e));
                }
            }
            if !t.foreign_keys.is_empty() {
                y.push_str("    foreign_keys:\n");
                for f in &t.foreign_keys {
                    let _ = writeln!(
                        y,
                        "      {}: {{ columns: [{}], references: {}, on_delete: {} }}",
                        f.name, f.column, f.target, f.on_delete
                    );
                }
            }
            if !t.indexes.is_empty() {
                y.push_str("    indexes:\n");
                for i in &t.indexes {
                    let _ = writeln!(y, "      {}: {{ {} }}", i.name, i.body);
                }
            }
            if let Some(when) = &t.trigger {
                let when = when
                    .as_ref()
                    .map(|w| format!(", when: {}", quoted(w)))
                    .unwrap_or_default();
                let _ = writeln!(
                    y,
                    "    triggers:\n      stamp: {{ timing: before, events: [update], for_each: row{when}, function: touch }}"
                );
            }
        }
        if !self.functions.is_empty() {
            y.push_str("functions:\n");
            for f in &self.functions {
                let _ = writeln!(
                    y,
                    "  {}: {{ arguments: {}, returns: {}, language: {}, body: {} }}",
                    f.name,
                    quoted(&f.arguments),
                    f.returns,
                    f.language,
                    quoted(&f.body)
                );
            }
        }
        if !self.views.is_empty() {
            y.push_str("views:\n");
            for v in &self.views {
                let _ = writeln!(y, "  {}:", v.name);
                if v.materialized {
                    y.push_str("    materialized: true\n");
                }
                let _ = writeln!(y, "    query: {}", quoted(&v.query));
            }
        }
        y
    }
}
