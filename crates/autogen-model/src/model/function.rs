//! `functions:` of the model files (YAML, or `CREATE FUNCTION` in SQL files) -> `ir::Function`.
//! Runs after tables and views, so what a function's signature uses can be found among them.
//!
//! Argument lists, results and bodies are kept as written, to be read back through the shadow;
//! the signature is worked out from the argument list the way Postgres would spell it, which the
//! shadow's reading then replaces. Attributes are checked here, so a typo is a model error with
//! its line, not a failure at apply time. A snapshot's function (with its `signature`) is taken
//! as Postgres stores it.

use super::context::{Ctx, Origin, check_ident};
use super::doc::{FileDoc, FunctionDoc};
use crate::error::ModelError;
use crate::ir::{
    Function, FunctionKey, ObjectId, ObjectKind, Parallel, QName, Volatility, cost_text,
    identifiers, parse_arguments, rows_text, signature_of,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

pub(crate) fn convert_functions(
    ctx: &mut Ctx,
    docs: &[(PathBuf, FileDoc)],
) -> Result<(), ModelError> {
    let mut seen: BTreeMap<FunctionKey, Origin> = BTreeMap::new();
    for (path, doc) in docs {
        let schema = doc.schema.clone().unwrap_or_else(|| "public".into());
        for (label, spanned) in &doc.functions {
            let at = match doc.sql_lines.get(&format!("function {label}")) {
                Some(line) => Origin {
                    path: path.clone(),
                    line: *line,
                    column: 1,
                },
                None => Origin::of(path, spanned),
            };
            let d = &spanned.value;
            let name = d.name.clone().unwrap_or_else(|| label.clone());
            let f = convert(ctx, QName::new(schema.clone(), name), d, &at)?;
            if let Some(other) = seen.get(&f.key()) {
                return Err(at.error(
                    format!(
                        "{} `{}` is declared twice: also at {}",
                        f.kind_text(),
                        f.describe(),
                        other.describe()
                    ),
                    "declare each function once; an overload needs other argument types",
                ));
            }
            seen.insert(f.key(), at);
            ctx.function_keys
                .insert((path.clone(), label.clone()), f.key());
            ctx.schema.functions.insert(f.key(), f);
        }
    }
    Ok(())
}

/// `ty` with an unqualified name of the model's own (an enum, domain, table or view of the
/// function's schema) qualified, as a column's type is resolved: a migration runs with no
/// schema of the service on its search path.
fn qualify_type(ctx: &Ctx, schema: &str, ty: &str) -> String {
    let t = ty.trim();
    let mut base = t;
    let mut arrays = String::new();
    while let Some(b) = base.strip_suffix("[]") {
        base = b.trim_end();
        arrays.push_str("[]");
    }
    if crate::ir::ColumnType::parse(base).is_ok() {
        return t.to_string();
    }
    match crate::ir::split_qualified(base).as_deref() {
        Some([n]) => {
            let q = QName::new(schema, n.clone());
            let ours = ctx.types.contains_key(&q)
                || ctx.schema.tables.contains_key(&q)
                || ctx.schema.views.contains_key(&q);
            if ours {
                format!("{}{arrays}", crate::ir::quote::qname(&q))
            } else {
                t.to_string()
            }
        }
        _ => t.to_string(),
    }
}

fn qualify_arguments(ctx: &Ctx, schema: &str, args: &[crate::ir::Argument]) -> String {
    args.iter()
        .map(|a| {
            let mut out = String::new();
            if a.mode != "in" {
                out.push_str(&a.mode.to_uppercase());
                out.push(' ');
            }
            if let Some(n) = &a.name {
                out.push_str(&crate::ir::quote::ident(n));
                out.push(' ');
            }
            out.push_str(&qualify_type(ctx, schema, &a.ty));
            if let Some(d) = &a.default {
                out.push_str(" DEFAULT ");
                out.push_str(d);
            }
            out
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn qualify_result(ctx: &Ctx, schema: &str, r: &str) -> String {
    let lower = r.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("setof ") {
        let ty = &r[r.len() - rest.len()..];
        return format!("SETOF {}", qualify_type(ctx, schema, ty));
    }
    if lower.starts_with("table") && lower[5..].trim_start().starts_with('(') {
        let inner = r[5..].trim();
        if let Some(cols) = inner.strip_prefix('(').and_then(|i| i.strip_suffix(')')) {
            if let Ok(args) = parse_arguments(cols) {
                return format!("TABLE({})", qualify_arguments(ctx, schema, &args));
            }
        }
        return r.to_string();
    }
    qualify_type(ctx, schema, r)
}

fn convert(ctx: &Ctx, q: QName, d: &FunctionDoc, at: &Origin) -> Result<Function, ModelError> {
    let kind = if d.procedure { "procedure" } else { "function" };
    check_ident(&q.name, kind, at)?;
    let what = format!("{kind} `{q}`");
    let language = d.language.clone().unwrap_or_else(|| "sql".into());
    if language.is_empty()
        || !language
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(at.error(
            format!("{what}: `{language}` is not a language name"),
            "write `sql`, `plpgsql`, or the name of another installed language",
        ));
    }
    let language = language.to_lowercase();
    let returns = match (&d.returns, d.procedure) {
        (Some(_), true) => {
            return Err(at.error(
                format!("{what} has `returns`; a procedure returns nothing"),
                "remove `returns`, or make it a function (`procedure: false`) — OUT arguments give a procedure results",
            ));
        }
        (None, false) => {
            return Err(at.error(
                format!("{what} has no `returns`"),
                "write what it returns: `returns: integer`, `returns: SETOF app.users`, `returns: trigger`, `returns: void`",
            ));
        }
        (r, _) => r.as_ref().map(|r| r.trim().to_string()),
    };
    // Kept exactly: Postgres stores the body as given (`prosrc`), spaces and newlines included.
    let body = d.body.clone();
    if body.trim().is_empty() {
        return Err(at.error(format!("{what} has an empty body"), "write its body"));
    }
    let arguments = parse_arguments(&d.arguments).map_err(|why| {
        at.error(
            format!("{what}: {why}"),
            "write the arguments as in CREATE FUNCTION: `a integer, b text DEFAULT 'x'`",
        )
    })?;
    let volatility = match d.volatility.as_deref().map(str::to_lowercase).as_deref() {
        None | Some("volatile") => Volatility::Volatile,
        Some("stable") => Volatility::Stable,
        Some("immutable") => Volatility::Immutable,
        Some(other) => {
            return Err(at.error(
                format!("{what}: `volatility: {other}` is not a volatility"),
                "write `immutable`, `stable` or `volatile`",
            ));
        }
    };
    let parallel = match d.parallel.as_deref().map(str::to_lowercase).as_deref() {
        None | Some("unsafe") => Parallel::Unsafe,
        Some("safe") => Parallel::Safe,
        Some("restricted") => Parallel::Restricted,
        Some(other) => {
            return Err(at.error(
                format!("{what}: `parallel: {other}` is not a parallel mode"),
                "write `safe`, `restricted` or `unsafe`",
            ));
        }
    };
    if let Some(c) = d.cost.filter(|c| c.is_nan() || *c <= 0.0) {
        return Err(at.error(
            format!("{what}: `cost: {c}` is not positive"),
            "give a cost above 0",
        ));
    }
    let returns_set = returns.as_deref().is_some_and(|r| {
        let l = r.to_lowercase();
        l.starts_with("setof ") || l.starts_with("table")
    });
    if let Some(r) = d.rows {
        if !returns_set || r.is_nan() || r <= 0.0 {
            return Err(at.error(
                format!(
                    "{what}: `rows: {r}` is for a function returning a set, and must be positive"
                ),
                "remove `rows`, or return `SETOF ...` / `TABLE (...)`",
            ));
        }
    }
    let mut config = Vec::new();
    for (k, v) in &d.set {
        let ok = !k.is_empty()
            && k.split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        if !ok {
            return Err(at.error(
                format!("{what}: `{k}` under `set` is not a setting's name"),
                "name a configuration parameter, such as `search_path`",
            ));
        }
        config.push(format!("{}={v}", k.to_lowercase()));
    }
    let sql_body = language == "sql" && {
        let l = body.trim_start().to_lowercase();
        l.starts_with("begin atomic") || l.starts_with("return ") || l.starts_with("return(")
    };
    let normalized = d.signature.is_some();
    let signature = d
        .signature
        .clone()
        .unwrap_or_else(|| signature_of(&arguments, &q.schema, d.procedure));
    let mut depends_on = BTreeSet::new();
    for dep in &d.depends_on {
        depends_on.insert(ObjectId::parse(dep).ok_or_else(|| {
            at.error(
                format!("{what}: `{dep}` under `depends_on` is not an object autogen can read"),
                "snapshots are written by `autogen revision`; restore the file from version control",
            )
        })?);
    }
    if !normalized {
        // What its signature (and a SQL-standard body) may use among the model's relations,
        // found by their names: more than it uses, never fewer. It decides only the order.
        let mut text = format!("{} {}", d.arguments, returns.clone().unwrap_or_default());
        if sql_body {
            text.push(' ');
            text.push_str(&body);
        }
        let words: BTreeSet<String> = identifiers(&text).into_iter().collect();
        for t in ctx.schema.tables.keys().filter(|t| words.contains(&t.name)) {
            depends_on.insert(ObjectId::new(ObjectKind::Table, t.clone()));
        }
        for v in ctx
            .schema
            .views
            .values()
            .filter(|v| words.contains(&v.name.name))
        {
            depends_on.insert(v.id());
        }
    }
    // A snapshot's function reads as Postgres stores it, every type already qualified.
    let (arguments, returns) = if normalized {
        (d.arguments.trim().to_string(), returns)
    } else {
        (
            qualify_arguments(ctx, &q.schema, &arguments),
            returns.map(|r| qualify_result(ctx, &q.schema, &r)),
        )
    };
    Ok(Function {
        name: q,
        procedure: d.procedure,
        signature,
        arguments,
        returns,
        cost: d.cost.and_then(|c| cost_text(c, &language)),
        rows: d.rows.and_then(rows_text),
        language,
        body,
        sql_body,
        volatility,
        strict: d.strict,
        security_definer: d.security_definer,
        leakproof: d.leakproof,
        parallel,
        config,
        comment: d.comment.clone(),
        depends_on,
        normalized,
        grants: Default::default(),
    })
}
