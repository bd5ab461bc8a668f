//! Catalog rows -> IR, one row at a time. Pure: no connection, so it is tested with rows from a
//! real server only through `inspect`.

use crate::error::Error;
use autogen_model::ir::{
    BaseType, Check, Column, ColumnType, Deferrable, Domain, Enum, Exclusion, Expr, Extension,
    FkAction, ForeignKey, GrantTarget, Identity, Index, IndexElement, IndexKey, Namespace,
    ObjectId, ObjectKind, PrimaryKey, Privilege, QName, Schema, Sequence, Table, Unique, View,
    ViewColumn,
};
use postgres::Row;
use std::collections::BTreeSet;

/// Adds one row of the catalog query `query` (a name in [`super::QUERIES`]) to `s`. Rows are
/// added as they arrive, in the order of `QUERIES`, so a table exists before its columns do and
/// no query's rows are ever all held at once.
pub(crate) fn add_row(s: &mut Schema, query: &str, r: &Row) -> Result<(), Error> {
    match query {
        "schemas" => schemas_row(s, r),
        "extensions" => extensions_row(s, r),
        "enums" => enums_row(s, r),
        "domains" => domains_row(s, r),
        "sequences" => sequences_row(s, r),
        "tables" => tables_row(s, r),
        "columns" => columns_row(s, r),
        "constraints" => constraints_row(s, r),
        "views" => views_row(s, r),
        "indexes" => indexes_row(s, r),
        "functions" => super::function_rows::functions_row(s, r),
        "triggers" => super::trigger_rows::triggers_row(s, r),
        "policies" => policies_row(s, r),
        "grants" => grants_row(s, r),
        other => Err(bad(other, "no such catalog query".into())),
    }
}

pub(super) fn qn(r: &Row, schema: &str, name: &str) -> QName {
    QName::new(r.get::<_, String>(schema), r.get::<_, String>(name))
}

fn base_type(schema: String, name: String) -> BaseType {
    if schema == "pg_catalog" {
        BaseType::Builtin(name)
    } else {
        BaseType::User(QName::new(schema, name))
    }
}

fn bad(what: &str, detail: String) -> Error {
    Error::Inspect {
        query: what.to_string(),
        message: detail,
    }
}

fn schemas_row(s: &mut Schema, r: &Row) -> Result<(), Error> {
    let name: String = r.get("name");
    // `public` exists in every database; models never create or drop it.
    if name != "public" {
        s.schemas.insert(
            name.clone(),
            Namespace {
                name,
                comment: r.get("comment"),
                grants: Default::default(),
            },
        );
    }
    Ok(())
}

fn extensions_row(s: &mut Schema, r: &Row) -> Result<(), Error> {
    let name: String = r.get("name");
    s.extensions.insert(
        name.clone(),
        Extension {
            name,
            schema: r.get("schema"),
        },
    );
    Ok(())
}

fn enums_row(s: &mut Schema, r: &Row) -> Result<(), Error> {
    let q = qn(r, "schema", "name");
    s.enums.insert(
        q.clone(),
        Enum {
            name: q,
            values: r.get("labels"),
            comment: r.get("comment"),
            grants: Default::default(),
        },
    );
    Ok(())
}

fn domains_row(s: &mut Schema, r: &Row) -> Result<(), Error> {
    let q = qn(r, "schema", "name");
    let names: Vec<String> = r.get("check_names");
    let exprs: Vec<String> = r.get("check_exprs");
    s.domains.insert(
        q.clone(),
        Domain {
            name: q,
            base: ColumnType::from_catalog(
                base_type(r.get("type_schema"), r.get("type_name")),
                r.get("typmod"),
                r.get("is_array"),
            ),
            collation: r.get("collation"),
            default: r
                .get::<_, Option<String>>("default_expr")
                .map(|e| Expr::new(&e)),
            not_null: r.get("not_null"),
            checks: names
                .into_iter()
                .zip(exprs.iter().map(|e| Expr::new(e)))
                .collect(),
            comment: r.get("comment"),
            grants: Default::default(),
        },
    );
    Ok(())
}

fn sequences_row(s: &mut Schema, r: &Row) -> Result<(), Error> {
    let q = qn(r, "schema", "name");
    let data_type = match r.get::<_, String>("data_type").as_str() {
        "smallint" => "int2",
        "integer" => "int4",
        _ => "int8",
    };
    let owner: Option<String> = r.get("owner_table");
    s.sequences.insert(
        q.clone(),
        Sequence {
            name: q,
            data_type: data_type.to_string(),
            start: r.get("start"),
            increment: r.get("increment"),
            min_value: r.get("min_value"),
            max_value: r.get("max_value"),
            cache: r.get("cache"),
            cycle: r.get("cycle"),
            owned_by: owner.map(|t| {
                (
                    QName::new(r.get::<_, String>("owner_schema"), t),
                    r.get("owner_column"),
                )
            }),
            comment: r.get("comment"),
            grants: Default::default(),
        },
    );
    Ok(())
}

fn tables_row(s: &mut Schema, r: &Row) -> Result<(), Error> {
    let q = qn(r, "schema", "name");
    let mut t = Table::new(q.clone());
    t.comment = r.get("comment");
    t.row_security = autogen_model::ir::RowSecurity {
        enabled: r.get("rls"),
        forced: r.get("force_rls"),
    };
    // Sized once: grown column by column, the maps of 5,000 tables waste a third of their memory.
    t.columns
        .reserve(r.get::<_, i32>("column_slots").max(0) as usize);
    s.tables.insert(q, t);
    Ok(())
}

fn policies_row(s: &mut Schema, r: &Row) -> Result<(), Error> {
    let tq = qn(r, "schema", "table_name");
    let Some(t) = s.tables.get_mut(&tq) else {
        return Ok(());
    };
    let name: String = r.get("name");
    let code: String = r.get("command");
    let command = autogen_model::ir::PolicyCommand::from_code(&code).ok_or_else(|| {
        bad(
            "policies",
            format!("policy `{name}` on `{tq}` has the unknown command `{code}`"),
        )
    })?;
    // A role dropped since (Postgres refuses that while a policy names it) reads as NULL.
    let roles: Vec<Option<String>> = r.get("roles");
    t.policies.insert(
        name.clone(),
        autogen_model::ir::Policy {
            name,
            command,
            restrictive: !r.get::<_, bool>("permissive"),
            roles: roles.into_iter().flatten().collect(),
            using: r.get("using_expr"),
            check: r.get("check_expr"),
            comment: r.get("comment"),
        },
    );
    Ok(())
}

fn columns_row(s: &mut Schema, r: &Row) -> Result<(), Error> {
    let tq = qn(r, "schema", "table_name");
    let Some(t) = s.tables.get_mut(&tq) else {
        return Ok(());
    };
    let base = base_type(r.get("type_schema"), r.get("type_name"));
    let identity = match r.get::<_, String>("identity").as_str() {
        "a" => Some(Identity::Always),
        "d" => Some(Identity::ByDefault),
        _ => None,
    };
    let name: String = r.get("name");
    t.columns.insert(
        name.clone(),
        Column {
            name,
            ty: ColumnType::from_catalog(base, r.get("typmod"), r.get("is_array")),
            nullable: r.get("nullable"),
            default: r
                .get::<_, Option<String>>("default_expr")
                .map(|e| Expr::new(&e)),
            identity,
            generated: r
                .get::<_, Option<String>>("generated_expr")
                .map(|e| Expr::new(&e)),
            collation: r.get("collation"),
            comment: r.get("comment"),
        },
    );
    Ok(())
}

fn constraints_row(s: &mut Schema, r: &Row) -> Result<(), Error> {
    let tq = qn(r, "schema", "table_name");
    let Some(t) = s.tables.get_mut(&tq) else {
        return Ok(());
    };
    let name: String = r.get("name");
    let columns: Vec<String> = r.get("columns");
    let deferrable = match (r.get::<_, bool>("deferrable"), r.get::<_, bool>("deferred")) {
        (false, _) => Deferrable::No,
        (true, false) => Deferrable::InitiallyImmediate,
        (true, true) => Deferrable::InitiallyDeferred,
    };
    match r.get::<_, String>("kind").as_str() {
        "p" => t.primary_key = Some(PrimaryKey { name, columns }),
        "u" => {
            t.uniques.insert(
                name.clone(),
                Unique {
                    name,
                    columns,
                    nulls_not_distinct: r.get("nulls_not_distinct"),
                    deferrable,
                },
            );
        }
        "c" => {
            let expr: String = r
                .get::<_, Option<String>>("check_expr")
                .ok_or_else(|| bad("constraints", format!("check `{name}` has no expression")))?;
            t.checks.insert(
                name.clone(),
                Check {
                    name,
                    expr: Expr::new(&expr),
                },
            );
        }
        "f" => {
            let fk = ForeignKey {
                name: name.clone(),
                columns,
                ref_table: qn(r, "ref_schema", "ref_table"),
                ref_columns: r.get("ref_columns"),
                on_delete: action(&r.get::<_, String>("on_delete")),
                on_update: action(&r.get::<_, String>("on_update")),
                match_full: r.get::<_, String>("match_type") == "f",
                deferrable,
            };
            t.foreign_keys.insert(name, fk);
        }
        "x" => {
            let cols: Vec<Option<String>> = r.get("exclusion_columns");
            let keys: Vec<String> = r.get("exclusion_keys");
            let ops: Vec<String> = r.get("exclusion_ops");
            let elements = cols
                .into_iter()
                .zip(keys)
                .zip(ops)
                .map(|((c, k), op)| {
                    (
                        IndexElement {
                            key: key(c, &k),
                            collation: None,
                            opclass: None,
                            descending: false,
                            nulls_first: false,
                        },
                        op,
                    )
                })
                .collect();
            let predicate = r
                .get::<_, Option<String>>("exclusion_where")
                .map(|p| Expr::new(&p));
            t.exclusions.insert(
                name.clone(),
                Exclusion {
                    name,
                    method: r.get("method"),
                    elements,
                    predicate,
                },
            );
        }
        _ => {}
    }
    Ok(())
}

fn indexes_row(s: &mut Schema, r: &Row) -> Result<(), Error> {
    let tq = qn(r, "schema", "table_name");
    // A materialized view's indexes are the view's; views are read before indexes.
    let indexes = match s.tables.get_mut(&tq) {
        Some(t) => &mut t.indexes,
        None => match s.views.get_mut(&tq) {
            Some(v) => &mut v.indexes,
            None => return Ok(()),
        },
    };
    let name: String = r.get("name");
    let cols: Vec<Option<String>> = r.get("key_columns");
    let exprs: Vec<Option<String>> = r.get("key_exprs");
    let opclasses: Vec<Option<String>> = r.get("opclasses");
    let collations: Vec<Option<String>> = r.get("collations");
    let options: Vec<i32> = r.get("options");
    let mut elements = Vec::new();
    for (i, (c, e)) in cols.into_iter().zip(exprs).enumerate() {
        let opt = options.get(i).copied().unwrap_or(0);
        elements.push(IndexElement {
            key: key(c, e.as_deref().unwrap_or_default()),
            collation: collations.get(i).cloned().flatten(),
            opclass: opclasses.get(i).cloned().flatten(),
            // INDOPTION_DESC = 1, INDOPTION_NULLS_FIRST = 2 (catalog/pg_index.h).
            descending: opt & 1 != 0,
            nulls_first: opt & 2 != 0,
        });
    }
    indexes.insert(
        name.clone(),
        Index {
            name,
            table: tq.clone(),
            unique: r.get("is_unique"),
            method: r.get("method"),
            elements,
            include: r.get("include"),
            predicate: r
                .get::<_, Option<String>>("predicate")
                .map(|p| Expr::new(&p)),
            nulls_not_distinct: r.get("nulls_not_distinct"),
        },
    );
    Ok(())
}

fn key(column: Option<String>, expr: &str) -> IndexKey {
    match column {
        Some(c) => IndexKey::Column(c),
        None => IndexKey::Expression(Expr::new(expr)),
    }
}

fn action(code: &str) -> FkAction {
    match code {
        "r" => FkAction::Restrict,
        "c" => FkAction::Cascade,
        "n" => FkAction::SetNull,
        "d" => FkAction::SetDefault,
        _ => FkAction::NoAction,
    }
}

fn views_row(s: &mut Schema, r: &Row) -> Result<(), Error> {
    let q = qn(r, "schema", "name");
    let names: Vec<String> = r.get("column_names");
    let types: Vec<String> = r.get("column_types");
    let options: Vec<String> = r.get("options");
    let kinds: Vec<String> = r.get("dep_kinds");
    let schemas: Vec<String> = r.get("dep_schemas");
    let dep_names: Vec<String> = r.get("dep_names");
    let columns: Vec<String> = r.get("dep_columns");
    let mut depends_on = BTreeSet::new();
    for (((kind, sch), name), col) in kinds.iter().zip(schemas).zip(dep_names).zip(columns) {
        let kind = dep_kind(kind);
        let target = QName::new(sch, name);
        depends_on.insert(if col.is_empty() {
            ObjectId::new(kind, target)
        } else {
            ObjectId::column(kind, target, &col)
        });
    }
    let query: String = r.get::<_, Option<String>>("query").unwrap_or_default();
    s.views.insert(
        q.clone(),
        View {
            name: q,
            materialized: r.get("materialized"),
            query: query.trim().trim_end_matches(';').trim_end().to_string(),
            columns: names
                .into_iter()
                .zip(types)
                .map(|(name, ty)| ViewColumn { name, ty })
                .collect(),
            options: View::normalize_options(options.iter().map(|o| {
                let (k, v) = o.split_once('=').unwrap_or((o, ""));
                (k.to_string(), v.to_string())
            })),
            with_data: r.get("populated"),
            indexes: Default::default(),
            comment: r.get("comment"),
            depends_on,
            grants: Default::default(),
            triggers: Default::default(),
        },
    );
    Ok(())
}

/// An object kind as the catalog queries name it.
pub(super) fn dep_kind(word: &str) -> ObjectKind {
    match word {
        "view" => ObjectKind::View,
        "materialized_view" => ObjectKind::MaterializedView,
        "table" => ObjectKind::Table,
        "enum" => ObjectKind::Enum,
        "domain" => ObjectKind::Domain,
        "function" => ObjectKind::Function,
        _ => ObjectKind::Type,
    }
}

fn grants_row(s: &mut Schema, r: &Row) -> Result<(), Error> {
    let kind: String = r.get("kind");
    let q = || qn(r, "schema", "name");
    let target = match kind.as_str() {
        "schema" => GrantTarget::Schema(r.get("schema")),
        "table" => GrantTarget::Table(q()),
        "view" => GrantTarget::View(q()),
        "sequence" => GrantTarget::Sequence(q()),
        "column" => GrantTarget::Column(q(), r.get("sub")),
        "function" | "procedure" => GrantTarget::Function {
            key: (q(), r.get("sub")),
            procedure: kind == "procedure",
        },
        "enum" => GrantTarget::Enum(q()),
        _ => GrantTarget::Domain(q()),
    };
    let word: String = r.get("privilege");
    // A privilege of a later server that no model can name yet is left out, not guessed.
    let Some(p) = Privilege::parse(&word) else {
        return Ok(());
    };
    if let Some(acl) = s.acl_mut(&target) {
        let grantee: String = r.get("grantee");
        acl.grant(&grantee, p, r.get("grantable"));
    }
    Ok(())
}
