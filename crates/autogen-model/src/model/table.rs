//! One table of a model file -> `ir::Table`, and the cross-object reference checks.

use super::context::{Ctx, Origin, check_ident};
use super::doc::{ColumnDoc, Flex, IdentityDoc, IndexDoc, KeyDoc, TableDoc};
use crate::error::ModelError;
use crate::ir::quote;
use crate::ir::{
    BaseType, Check, Column, ColumnType, Deferrable, Exclusion, Expr, FkAction, ForeignKey,
    Identity, Index, IndexElement, IndexKey, PrimaryKey, QName, Sequence, Table, TypeParseError,
    Unique, check_expression, default_constraint_name, truncate_identifier,
};
use serde_saphyr::Spanned;
use std::path::Path;

pub(crate) fn expr(text: &str, what: &str, at: &Origin) -> Result<Expr, ModelError> {
    check_expression(text)
        .map_err(|e| at.error(format!("{what}: {e}"), "write one SQL expression"))?;
    Ok(Expr::new(text))
}

pub(crate) fn convert_table(
    ctx: &mut Ctx,
    path: &Path,
    schema: &str,
    name: &str,
    spanned: &Spanned<TableDoc>,
) -> Result<(), ModelError> {
    let at = Origin::of(path, spanned);
    let doc = &spanned.value;
    check_ident(name, "table", &at)?;
    let q = QName::new(schema, name);
    if let Some(prev) = ctx.table_origins.get(&q) {
        return Err(at.error(
            format!("table `{q}` is also declared at {}", prev.describe()),
            "declare each table once",
        ));
    }
    ctx.claim_relation(q.clone(), "table", &at)?;
    ctx.table_origins.insert(q.clone(), at.clone());
    let mut t = Table::new(q.clone());
    t.comment = doc.comment.clone();
    t.row_security = crate::ir::RowSecurity {
        enabled: doc.rls,
        forced: doc.force_rls,
    };
    if let Some(old) = &doc.renamed_from {
        let old_q = QName::parse(old, schema).ok_or_else(|| {
            at.error(
                format!("`renamed_from: {old}` is not a valid name"),
                "write `name` or `schema.name`",
            )
        })?;
        ctx.schema.hints.tables.insert(q.clone(), old_q);
    }
    if doc.columns.is_empty() {
        return Err(at.error(
            format!("table `{q}` has no columns"),
            "declare at least one column under `columns:`",
        ));
    }
    let mut pk_from_columns = Vec::new();
    // Constraint names are unique per table; a default name cut to 63 bytes can meet another.
    let mut names = ConstraintNames::default();
    for (cname, cspanned) in &doc.columns {
        let cat = Origin::of(path, cspanned);
        check_ident(cname, &format!("column of `{q}`"), &cat)?;
        let c = &cspanned.value;
        let column = convert_column(ctx, &q, cname, c, &cat)?;
        if c.primary_key {
            pk_from_columns.push(cname.clone());
        }
        if c.unique {
            let uname = default_constraint_name(name, &[cname], "key");
            names.claim(&uname, format!("the unique key on `{cname}`"), &q, &cat)?;
            t.uniques.insert(
                uname.clone(),
                Unique {
                    name: uname,
                    columns: vec![cname.clone()],
                    nulls_not_distinct: false,
                    deferrable: Deferrable::No,
                },
            );
        }
        if let Some(check) = &c.check {
            let cn = default_constraint_name(name, &[cname], "check");
            names.claim(&cn, format!("the check on `{cname}`"), &q, &cat)?;
            t.checks.insert(
                cn.clone(),
                Check {
                    name: cn,
                    expr: expr(check, &format!("check of `{q}.{cname}`"), &cat)?,
                },
            );
        }
        if let Some(r) = &c.references {
            let fname = default_constraint_name(name, &[cname], "fkey");
            names.claim(&fname, format!("the foreign key on `{cname}`"), &q, &cat)?;
            let mut fk = parse_reference(r, schema, &cat)?;
            fk.name = fname.clone();
            fk.columns = vec![cname.clone()];
            fk.on_delete = action(c.on_delete.as_deref(), &cat)?;
            t.foreign_keys.insert(fname, fk);
        } else if c.on_delete.is_some() {
            return Err(cat.error(
                format!("column `{q}.{cname}` has `on_delete` but no `references`"),
                "add `references: table(column)` or remove `on_delete`",
            ));
        }
        t.columns.insert(cname.clone(), column);
    }
    check_generated(path, &q, doc)?;
    let pk = match (&doc.primary_key, pk_from_columns.is_empty()) {
        (Some(_), false) => {
            return Err(at.error(
                format!(
                    "table `{q}` declares its primary key both on columns and in `primary_key`"
                ),
                "keep one of the two",
            ));
        }
        (Some(Flex(k)), true) => Some(key(k, name, "pkey", &at)?),
        (None, false) => Some((default_constraint_name(name, &[], "pkey"), pk_from_columns)),
        (None, true) => None,
    };
    if let Some((pname, columns)) = pk {
        names.claim(&pname, "the primary key".into(), &q, &at)?;
        ctx.claim_relation(QName::new(schema, pname.clone()), "primary key", &at)?;
        t.primary_key = Some(PrimaryKey {
            name: pname,
            columns,
        });
    }
    for Flex(k) in &doc.unique {
        let (uname, columns) = key(k, name, "key", &at)?;
        let deferrable = deferrable(k.deferrable.as_deref(), &at)?;
        names.claim(
            &uname,
            format!("the unique key on ({})", columns.join(", ")),
            &q,
            &at,
        )?;
        t.uniques.insert(
            uname.clone(),
            Unique {
                name: uname,
                columns,
                nulls_not_distinct: k.nulls_not_distinct,
                deferrable,
            },
        );
    }
    for u in t.uniques.keys() {
        ctx.claim_relation(QName::new(schema, u.clone()), "unique constraint", &at)?;
    }
    for (cn, text) in &doc.checks {
        check_ident(cn, "check constraint", &at)?;
        names.claim(cn, format!("the check `{cn}`"), &q, &at)?;
        t.checks.insert(
            cn.clone(),
            Check {
                name: cn.clone(),
                expr: expr(text, &format!("check `{cn}` of `{q}`"), &at)?,
            },
        );
    }
    for (fname, fs) in &doc.foreign_keys {
        let fat = Origin::of(path, fs);
        check_ident(fname, "foreign key", &fat)?;
        names.claim(fname, format!("the foreign key `{fname}`"), &q, &fat)?;
        let f = &fs.value;
        let mut fk = parse_reference(&f.references, schema, &fat)?;
        fk.name = fname.clone();
        fk.columns = f.columns.clone();
        fk.on_delete = action(f.on_delete.as_deref(), &fat)?;
        fk.on_update = action(f.on_update.as_deref(), &fat)?;
        fk.match_full = match f.match_type.as_deref() {
            None | Some("simple") => false,
            Some("full") => true,
            Some(other) => {
                return Err(fat.error(
                    format!("foreign key `{fname}`: unknown match type `{other}`"),
                    "use `full` or `simple`",
                ));
            }
        };
        fk.deferrable = deferrable(f.deferrable.as_deref(), &fat)?;
        t.foreign_keys.insert(fname.clone(), fk);
    }
    for (xname, xs) in &doc.exclusions {
        let xat = Origin::of(path, xs);
        check_ident(xname, "exclusion constraint", &xat)?;
        names.claim(xname, format!("the exclusion `{xname}`"), &q, &xat)?;
        ctx.claim_relation(
            QName::new(schema, xname.clone()),
            "exclusion constraint",
            &xat,
        )?;
        let x = &xs.value;
        let mut elements = Vec::new();
        for (key_text, op) in &x.elements {
            let key = if t.columns.contains_key(key_text) {
                IndexKey::Column(key_text.clone())
            } else {
                IndexKey::Expression(expr(key_text, "exclusion element", &xat)?)
            };
            elements.push((
                IndexElement {
                    key,
                    collation: None,
                    opclass: None,
                    descending: false,
                    nulls_first: false,
                },
                op.clone(),
            ));
        }
        let predicate = x
            .predicate
            .as_deref()
            .map(|p| expr(p, "exclusion `where`", &xat))
            .transpose()?;
        t.exclusions.insert(
            xname.clone(),
            Exclusion {
                name: xname.clone(),
                method: x.method.clone().unwrap_or_else(|| "gist".into()),
                elements,
                predicate,
            },
        );
    }
    for (iname, is) in &doc.indexes {
        let iat = Origin::of(path, is);
        check_ident(iname, "index", &iat)?;
        ctx.claim_relation(QName::new(schema, iname.clone()), "index", &iat)?;
        t.indexes
            .insert(iname.clone(), convert_index(&q, iname, &is.value, &iat)?);
    }
    super::columns::check(path, &t, doc, &at)?;
    ctx.schema.tables.insert(q, t);
    Ok(())
}

/// The constraint names of one table so far, each with what carries it.
#[derive(Default)]
struct ConstraintNames(std::collections::BTreeMap<String, String>);

impl ConstraintNames {
    fn claim(
        &mut self,
        name: &str,
        what: String,
        q: &QName,
        at: &Origin,
    ) -> Result<(), ModelError> {
        if let Some(prev) = self.0.get(name) {
            return Err(at.error(
                format!(
                    "table `{q}` has two constraints named `{name}`: {prev} and {what} \
                     (a default name is cut to 63 bytes, so long column names can meet)"
                ),
                "give one of them a name of its own (under `unique:`, `checks:` or `foreign_keys:`)",
            ));
        }
        self.0.insert(name.to_string(), what);
        Ok(())
    }
}

/// Postgres refuses a generated column whose expression uses another generated column (two that
/// use each other would be a cycle); said here with the model's line instead of at apply time.
fn check_generated(path: &Path, q: &QName, doc: &TableDoc) -> Result<(), ModelError> {
    let generated: Vec<&String> = doc
        .columns
        .iter()
        .filter(|(_, c)| c.value.generated.is_some())
        .map(|(n, _)| n)
        .collect();
    for (cname, cs) in &doc.columns {
        let Some(g) = &cs.value.generated else {
            continue;
        };
        let used = crate::ir::identifiers(g);
        if let Some(other) = generated.iter().find(|o| used.contains(o)) {
            let cycle = doc
                .columns
                .get(*other)
                .and_then(|o| o.value.generated.as_ref())
                .is_some_and(|og| crate::ir::identifiers(og).contains(cname));
            return Err(Origin::of(path, cs).error(
                format!(
                    "generated column `{q}.{cname}` uses the generated column `{other}`{}; Postgres allows a generated column to use plain columns only",
                    if cycle && *other != cname { format!(", which uses `{cname}` in turn (a cycle)") } else { String::new() }
                ),
                "compute it from the plain columns `{other}` is computed from",
            ));
        }
    }
    Ok(())
}

/// A model's type text -> the IR type (and whether it was `serial`), resolving enums and domains
/// declared anywhere in the model.
pub(crate) fn resolve_type(
    ctx: &Ctx,
    text: &str,
    schema: &str,
    what: &str,
    at: &Origin,
) -> Result<(ColumnType, bool), ModelError> {
    match ColumnType::parse(text) {
        Ok(v) => Ok(v),
        Err(TypeParseError::NotBuiltin(q)) => {
            let resolved = ctx.resolve_user_type(&q, schema, at)?;
            Ok((
                ColumnType {
                    base: BaseType::User(resolved),
                    typmod: crate::ir::Typmod::None,
                    array: text.trim_end().ends_with("[]"),
                },
                false,
            ))
        }
        Err(TypeParseError::Malformed(t)) => Err(at.error(
            format!("{what}: cannot read the type `{t}`"),
            "write a type as Postgres spells it, e.g. `varchar(200)` or `numeric(12,2)`",
        )),
        Err(TypeParseError::BadModifier(m)) => {
            Err(at.error(format!("{what}: {m}"), "correct the type's modifiers"))
        }
    }
}

fn convert_column(
    ctx: &mut Ctx,
    table: &QName,
    name: &str,
    c: &ColumnDoc,
    at: &Origin,
) -> Result<Column, ModelError> {
    let (ty, serial) = resolve_type(
        ctx,
        &c.ty,
        &table.schema,
        &format!("column `{table}.{name}`"),
        at,
    )?;
    let mut default = c
        .default
        .as_deref()
        .map(|d| expr(d, &format!("default of `{table}.{name}`"), at))
        .transpose()?;
    let identity = c.identity.map(|i| match i {
        IdentityDoc::Always => Identity::Always,
        IdentityDoc::ByDefault => Identity::ByDefault,
    });
    if identity.is_some() && !["int2", "int4", "int8"].iter().any(|n| ty.is_builtin(n)) {
        return Err(at.error(
            format!("identity column `{table}.{name}` has type `{}`", c.ty),
            "an identity column is smallint, integer or bigint",
        ));
    }
    if (serial || identity.is_some()) && (c.nullable || default.is_some()) {
        return Err(at.error(format!("column `{table}.{name}` is generated by a sequence and cannot have `nullable` or `default`"), "remove `nullable`/`default`, or use a plain integer type"));
    }
    let generated = c
        .generated
        .as_deref()
        .map(|g| expr(g, &format!("generated expression of `{table}.{name}`"), at))
        .transpose()?;
    if generated.is_some() && (default.is_some() || identity.is_some()) {
        return Err(at.error(
            format!("generated column `{table}.{name}` cannot have a default or identity"),
            "remove one of them",
        ));
    }
    if serial {
        // `ColumnType::parse` only reports `serial` for its built-in integer types.
        let int = match &ty.base {
            BaseType::Builtin(n) => n.clone(),
            BaseType::User(_) => "int4".to_string(),
        };
        let seq_name = QName::new(
            table.schema.clone(),
            truncate_identifier(&default_constraint_name(&table.name, &[name], "seq")),
        );
        ctx.claim_relation(seq_name.clone(), "sequence of a serial column", at)?;
        let mut seq = Sequence::with_defaults(seq_name.clone(), &int);
        seq.owned_by = Some((table.clone(), name.to_string()));
        // What pg_get_expr prints for the default a serial column gets, with an empty search_path.
        default = Some(Expr::new(&format!(
            "nextval({}::regclass)",
            quote::literal(&quote::qname(&seq_name))
        )));
        ctx.schema.sequences.insert(seq_name, seq);
    }
    if let Some(old) = &c.renamed_from {
        ctx.schema
            .hints
            .columns
            .insert((table.clone(), name.to_string()), old.clone());
    }
    if let Some(using) = &c.using {
        let e = expr(using, &format!("`using` of `{table}.{name}`"), at)?;
        ctx.schema
            .hints
            .conversions
            .insert((table.clone(), name.to_string()), e);
    }
    Ok(Column {
        name: name.to_string(),
        ty,
        nullable: c.nullable,
        default,
        identity,
        generated,
        collation: c.collation.clone(),
        comment: c.comment.clone(),
    })
}

fn key(
    k: &KeyDoc,
    table: &str,
    label: &str,
    at: &Origin,
) -> Result<(String, Vec<String>), ModelError> {
    if k.columns.is_empty() {
        return Err(at.error(
            format!("a key of table `{table}` lists no columns"),
            "list the key's columns",
        ));
    }
    let cols: Vec<&str> = k.columns.iter().map(String::as_str).collect();
    let name = match &k.name {
        Some(n) => n.clone(),
        None if label == "pkey" => default_constraint_name(table, &[], label),
        None => default_constraint_name(table, &cols, label),
    };
    check_ident(&name, "constraint", at)?;
    Ok((name, k.columns.clone()))
}

fn action(a: Option<&str>, at: &Origin) -> Result<FkAction, ModelError> {
    Ok(
        match a.map(|s| s.to_lowercase().replace('_', " ")).as_deref() {
            None | Some("no action") => FkAction::NoAction,
            Some("cascade") => FkAction::Cascade,
            Some("restrict") => FkAction::Restrict,
            Some("set null") => FkAction::SetNull,
            Some("set default") => FkAction::SetDefault,
            Some(other) => {
                return Err(at.error(
                    format!("unknown foreign key action `{other}`"),
                    "use cascade, restrict, set_null, set_default or no_action",
                ));
            }
        },
    )
}

pub(crate) fn deferrable(d: Option<&str>, at: &Origin) -> Result<Deferrable, ModelError> {
    Ok(match d {
        None => Deferrable::No,
        Some("deferrable" | "initially_immediate") => Deferrable::InitiallyImmediate,
        Some("initially_deferred") => Deferrable::InitiallyDeferred,
        Some(other) => {
            return Err(at.error(
                format!("unknown `deferrable: {other}`"),
                "use `deferrable` or `initially_deferred`",
            ));
        }
    })
}

/// `schema.table(a, b)`, `table(a)` or `table`; an empty column list means the target's primary key.
fn parse_reference(r: &str, schema: &str, at: &Origin) -> Result<ForeignKey, ModelError> {
    let bad = || {
        at.error(
            format!("cannot read the reference `{r}`"),
            "write `schema.table(column, ...)` or `table(column)`",
        )
    };
    // Quoted names may hold `(`, `,` and `""`: only what lies outside quotes is syntax.
    let (table_part, cols) = match unquoted_positions(r, '(').first() {
        Some(&i) => {
            let inner = r[i + 1..].trim_end().strip_suffix(')').ok_or_else(bad)?;
            let mut cols = Vec::new();
            let mut start = 0;
            for end in unquoted_positions(inner, ',')
                .into_iter()
                .chain([inner.len()])
            {
                match crate::ir::split_qualified(&inner[start..end]).as_deref() {
                    Some([c]) => cols.push(c.clone()),
                    _ => return Err(bad()),
                }
                start = end + 1;
            }
            (&r[..i], cols)
        }
        None => (r, Vec::new()),
    };
    let ref_table = QName::parse(table_part.trim(), schema).ok_or_else(bad)?;
    Ok(ForeignKey {
        name: String::new(),
        columns: Vec::new(),
        ref_table,
        ref_columns: cols,
        on_delete: FkAction::NoAction,
        on_update: FkAction::NoAction,
        match_full: false,
        deferrable: Deferrable::No,
    })
}

/// Byte offsets of `c` in `s` outside double-quoted names (a `""` inside quotes is a quote).
fn unquoted_positions(s: &str, c: char) -> Vec<usize> {
    let mut quoted = false;
    s.char_indices()
        .filter(|&(_, ch)| {
            if ch == '"' {
                // `""` inside quotes toggles twice, leaving the state unchanged.
                quoted = !quoted;
            }
            ch == c && !quoted
        })
        .map(|(i, _)| i)
        .collect()
}

pub(crate) fn convert_index(
    table: &QName,
    name: &str,
    d: &IndexDoc,
    at: &Origin,
) -> Result<Index, ModelError> {
    let mut elements = Vec::new();
    for c in &d.columns {
        elements.push(parse_element(c, at)?);
    }
    if let Some(e) = &d.expression {
        let el = IndexElement {
            key: IndexKey::Expression(expr(e, &format!("expression of index `{name}`"), at)?),
            collation: None,
            opclass: d.opclass.clone(),
            descending: false,
            nulls_first: false,
        };
        elements.push(el);
    } else if d.opclass.is_some() {
        return Err(at.error(
            format!("index `{name}`: `opclass` applies to `expression`"),
            "write the operator class after the column: `columns: [\"name text_pattern_ops\"]`",
        ));
    }
    if elements.is_empty() {
        return Err(at.error(
            format!("index `{name}` has neither `columns` nor `expression`"),
            "list the indexed columns or give an expression",
        ));
    }
    let predicate = d
        .predicate
        .as_deref()
        .map(|p| expr(p, &format!("`where` of index `{name}`"), at))
        .transpose()?;
    Ok(Index {
        name: name.to_string(),
        table: table.clone(),
        unique: d.unique,
        method: d
            .method
            .clone()
            .unwrap_or_else(|| "btree".into())
            .to_lowercase(),
        elements,
        include: d.include.clone(),
        predicate,
        nulls_not_distinct: d.nulls_not_distinct,
    })
}

/// `key [COLLATE c] [opclass] [ASC|DESC] [NULLS FIRST|LAST]`, where the key is a column name
/// (double-quoted if need be) or an expression in parentheses.
fn parse_element(text: &str, at: &Origin) -> Result<IndexElement, ModelError> {
    let bad = |why: &str| {
        at.error(
            format!("cannot read the index column `{text}`: {why}"),
            "write `column [COLLATE c] [opclass] [ASC|DESC] [NULLS FIRST|LAST]`, or `(expression) ...`",
        )
    };
    let text = text.trim();
    let (key, rest) = if text.starts_with('(') {
        let end = matching_paren(text).ok_or_else(|| bad("unbalanced parentheses"))?;
        let inner = &text[1..end];
        (
            IndexKey::Expression(expr(inner, "index expression", at)?),
            &text[end + 1..],
        )
    } else if text.starts_with('"') {
        let (name, end) = quoted(text).ok_or_else(|| bad("unclosed quote"))?;
        (IndexKey::Column(name), &text[end..])
    } else {
        let end = text.find(char::is_whitespace).unwrap_or(text.len());
        (IndexKey::Column(text[..end].to_string()), &text[end..])
    };
    let mut el = IndexElement {
        key,
        collation: None,
        opclass: None,
        descending: false,
        nulls_first: false,
    };
    let words: Vec<&str> = rest.split_whitespace().collect();
    let mut i = 0;
    let mut nulls: Option<bool> = None;
    while i < words.len() {
        match words[i].to_lowercase().as_str() {
            "asc" => el.descending = false,
            "desc" => el.descending = true,
            "nulls" => {
                nulls = Some(
                    match words.get(i + 1).map(|w| w.to_lowercase()).as_deref() {
                        Some("first") => true,
                        Some("last") => false,
                        _ => return Err(bad("`NULLS` takes `FIRST` or `LAST`")),
                    },
                );
                i += 1;
            }
            "collate" => {
                let name = words
                    .get(i + 1)
                    .ok_or_else(|| bad("`COLLATE` needs a name"))?;
                el.collation = Some(match quoted(name) {
                    Some((n, _)) => n,
                    None => name.to_string(),
                });
                i += 1;
            }
            _ if el.opclass.is_none() && !el.descending && nulls.is_none() => {
                el.opclass = Some(words[i].to_string())
            }
            w => return Err(bad(&format!("unexpected `{w}`"))),
        }
        i += 1;
    }
    el.nulls_first = nulls.unwrap_or(el.descending);
    Ok(el)
}

/// Reads a double-quoted identifier at the start of `s`: the name and the byte offset after it.
fn quoted(s: &str) -> Option<(String, usize)> {
    let body = s.strip_prefix('"')?;
    let mut name = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '"' {
            if chars.peek().map(|(_, c)| *c) == Some('"') {
                chars.next();
                name.push('"');
            } else {
                return Some((name, i + 2));
            }
        } else {
            name.push(c);
        }
    }
    None
}

/// The index of the `)` closing the `(` at the start of `s`, skipping quoted text.
fn matching_paren(s: &str) -> Option<usize> {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            },
        }
    }
    None
}

/// Whether `cols` (in any order) are a key Postgres accepts as a foreign key's target.
fn is_unique_key(t: &crate::ir::Table, cols: &[String]) -> bool {
    let want: std::collections::BTreeSet<&String> = cols.iter().collect();
    let same = |c: &[String]| {
        c.len() == cols.len() && c.iter().collect::<std::collections::BTreeSet<_>>() == want
    };
    t.primary_key.as_ref().is_some_and(|p| same(&p.columns))
        || t.uniques.values().any(|u| same(&u.columns))
        || t.indexes.values().any(|i| {
            let columns = i.key_columns();
            // An expression key makes the index no key a foreign key can use.
            i.unique && i.predicate.is_none() && columns.len() == i.elements.len() && same(&columns)
        })
}

/// Every column, table and key a constraint or index names must exist.
pub(crate) fn check_references(ctx: &Ctx) -> Result<(), ModelError> {
    for (q, t) in &ctx.schema.tables {
        let at = ctx
            .table_origins
            .get(q)
            .cloned()
            .unwrap_or_else(|| Origin::file(Path::new("?")));
        let need = |cols: &[String], what: &str| -> Result<(), ModelError> {
            for c in cols {
                if !t.columns.contains_key(c) {
                    let known: Vec<&str> = t.columns.keys().map(String::as_str).collect();
                    return Err(at.error(format!("{what} of table `{q}` names the column `{c}`, which the table does not have"), format!("the columns are: {}", known.join(", "))));
                }
            }
            Ok(())
        };
        if let Some(pk) = &t.primary_key {
            need(&pk.columns, "the primary key")?;
        }
        for u in t.uniques.values() {
            need(&u.columns, &format!("unique constraint `{}`", u.name))?;
        }
        for i in t.indexes.values() {
            need(&i.key_columns(), &format!("index `{}`", i.name))?;
            need(&i.include, &format!("index `{}` (include)", i.name))?;
        }
        for fk in t.foreign_keys.values() {
            need(&fk.columns, &format!("foreign key `{}`", fk.name))?;
            let declared = ctx.declared_schemas.contains_key(&fk.ref_table.schema);
            match ctx.schema.tables.get(&fk.ref_table) {
                Some(target) => {
                    let ref_cols = if fk.ref_columns.is_empty() {
                        target
                            .primary_key
                            .as_ref()
                            .map(|p| p.columns.clone())
                            .unwrap_or_default()
                    } else {
                        fk.ref_columns.clone()
                    };
                    if ref_cols.is_empty() {
                        return Err(at.error(
                            format!(
                                "foreign key `{}` references `{}`, which has no primary key",
                                fk.name, fk.ref_table
                            ),
                            "name the referenced columns: `table(column)`",
                        ));
                    }
                    if let Some(c) = ref_cols.iter().find(|c| !target.columns.contains_key(*c)) {
                        return Err(at.error(
                            format!(
                                "foreign key `{}` references `{}.{c}`, which does not exist",
                                fk.name, fk.ref_table
                            ),
                            "reference an existing column",
                        ));
                    }
                    if ref_cols.len() != fk.columns.len() {
                        return Err(at.error(
                            format!(
                                "foreign key `{}` has {} columns but references {}",
                                fk.name,
                                fk.columns.len(),
                                ref_cols.len()
                            ),
                            "list as many referenced columns as local ones",
                        ));
                    }
                    if !is_unique_key(target, &ref_cols) {
                        return Err(at.error(
                            format!(
                                "foreign key `{}` references `{}` ({}), which is neither its primary key nor unique",
                                fk.name,
                                fk.ref_table,
                                ref_cols.join(", ")
                            ),
                            "Postgres needs a primary key, unique constraint or unique index on exactly the referenced columns: add one, or reference the primary key",
                        ));
                    }
                }
                None if declared => {
                    return Err(at.error(format!("foreign key `{}` references the table `{}`, which this model does not declare", fk.name, fk.ref_table), "declare the table, or correct the reference"));
                }
                None if fk.ref_columns.is_empty() => {
                    return Err(at.error(format!("foreign key `{}` references `{}` in a schema this model does not manage, without naming its columns", fk.name, fk.ref_table), format!("name the referenced columns: `{}(id)`", fk.ref_table)));
                }
                None if fk.ref_columns.len() != fk.columns.len() => {
                    return Err(at.error(
                        format!(
                            "foreign key `{}` has {} columns but references {}",
                            fk.name,
                            fk.columns.len(),
                            fk.ref_columns.len()
                        ),
                        "list as many referenced columns as local ones",
                    ));
                }
                None => {}
            }
        }
    }
    Ok(())
}
