//! What a scratch database needs before a project's objects can be created in it: the objects
//! the project references but does not own.
//!
//! Input: the project's platform (a preset, a setup SQL file, the roles its migrations name) and
//! the schemas whose references must resolve (a model, or every snapshot of a replay). Output:
//! stand-ins in a scratch database: schemas, roles, tables with the referenced columns and their
//! keys, types, and a preset's well-known functions (`auth.uid()`). Model normalization and
//! migration replay prepare their databases here, alike, so a project that normalizes also
//! replays. Nothing here touches a database that is not a scratch database, except that roles
//! are the server's: a missing one is created `NOLOGIN`, never altered or dropped.

use crate::conn::error_text;
use crate::error::Error;
use autogen_model::ir::quote::{column_type, ident, ident_list, qname};
use autogen_model::ir::{BaseType, QName, Schema};
use postgres::Client;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Roles Supabase creates; grants and policies name them.
pub const SUPABASE_ROLES: &[&str] = &[
    "anon",
    "authenticated",
    "service_role",
    "authenticator",
    "supabase_admin",
    "supabase_auth_admin",
    "supabase_storage_admin",
    "dashboard_user",
];

/// Supabase's helpers that policies, defaults and views call, as stand-ins that read the same
/// settings PostgREST sets (`request.jwt.claims`). `(signature, definition)`.
const SUPABASE_FUNCTIONS: &[(&str, &str)] = &[
    (
        "auth.uid()",
        "CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS \
         $$ SELECT nullif(current_setting('request.jwt.claims', true)::jsonb ->> 'sub', '')::uuid $$",
    ),
    (
        "auth.role()",
        "CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS \
         $$ SELECT current_setting('request.jwt.claims', true)::jsonb ->> 'role' $$",
    ),
    (
        "auth.email()",
        "CREATE FUNCTION auth.email() RETURNS text LANGUAGE sql STABLE AS \
         $$ SELECT current_setting('request.jwt.claims', true)::jsonb ->> 'email' $$",
    ),
    (
        "auth.jwt()",
        "CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS \
         $$ SELECT coalesce(current_setting('request.jwt.claims', true), '{}')::jsonb $$",
    ),
];

/// Supabase's `auth.users` as GoTrue creates it, for the views and functions that read more of
/// it than the `id` a foreign key needs; the types are Supabase's, so a query over it reads back
/// as it does on Supabase (`email` is `varchar(255)`, so `lower(u.email)` stores a cast).
const SUPABASE_USERS: &str = "CREATE TABLE auth.users (
    instance_id uuid, id uuid PRIMARY KEY, aud varchar(255), role varchar(255),
    email varchar(255), encrypted_password varchar(255), email_confirmed_at timestamptz,
    invited_at timestamptz, confirmation_token varchar(255), confirmation_sent_at timestamptz,
    recovery_token varchar(255), recovery_sent_at timestamptz, email_change_token_new varchar(255),
    email_change varchar(255), email_change_sent_at timestamptz, last_sign_in_at timestamptz,
    raw_app_meta_data jsonb, raw_user_meta_data jsonb, is_super_admin boolean,
    created_at timestamptz, updated_at timestamptz, phone text UNIQUE, phone_confirmed_at timestamptz,
    phone_change text DEFAULT '', phone_change_token varchar(255) DEFAULT '',
    phone_change_sent_at timestamptz, confirmed_at timestamptz,
    email_change_token_current varchar(255) DEFAULT '', email_change_confirm_status smallint DEFAULT 0,
    banned_until timestamptz, reauthentication_token varchar(255) DEFAULT '',
    reauthentication_sent_at timestamptz, is_sso_user boolean NOT NULL DEFAULT false,
    deleted_at timestamptz, is_anonymous boolean NOT NULL DEFAULT false
)";

/// What the project says about the platform it runs on.
#[derive(Debug, Clone, Default)]
pub struct Platform {
    /// `[database] preset` (`supabase`).
    pub preset: Option<String>,
    /// `[shadow] setup`: the file as the user named it, and its SQL. Run first, in every
    /// scratch database, so what it defines wins over any stand-in.
    pub setup: Option<(PathBuf, String)>,
    /// Roles the project's migrations name but do not create.
    pub roles: BTreeSet<String>,
}

impl Platform {
    fn supabase(&self) -> bool {
        self.preset.as_deref() == Some("supabase")
    }
}

/// A table the project references but does not own: the columns its foreign keys point at,
/// with the referencing columns' types, and the keys they need.
#[derive(Debug, Default)]
struct StandInTable {
    columns: Vec<(String, String)>,
    keys: Vec<Vec<String>>,
}

/// What the schemas to be created reference outside the project.
#[derive(Debug, Default)]
pub struct Needs {
    /// Schemas referenced (foreign keys, types, extensions) and owned by no service.
    schemas: BTreeSet<String>,
    tables: BTreeMap<QName, StandInTable>,
    /// User types that none of the schemas declares; created as a domain over text unless they
    /// exist by then (an extension's, or the setup file's).
    types: BTreeSet<QName>,
    /// Trigger functions that none of the schemas declares; created as a function that does
    /// nothing unless they exist by then.
    trigger_functions: BTreeSet<QName>,
    /// Roles the schemas' policies apply to; created `NOLOGIN` on the shadow server when
    /// missing, as the migrations' roles are.
    roles: BTreeSet<String>,
}

impl Needs {
    /// What `schemas` reference and do not declare; schemas in `owned` are the project's to
    /// create, so no stand-in is made for them (their tables and types are).
    pub fn of<'a>(
        schemas: impl IntoIterator<Item = &'a Schema>,
        owned: &BTreeSet<String>,
    ) -> Needs {
        let schemas: Vec<&Schema> = schemas.into_iter().collect();
        let declared = |q: &QName| {
            schemas.iter().any(|s| {
                s.tables.contains_key(q) || s.enums.contains_key(q) || s.domains.contains_key(q)
            })
        };
        // A type in a schema that holds an extension is the extension's to create.
        let extension_schemas: BTreeSet<&str> = schemas
            .iter()
            .flat_map(|s| s.extensions.values().map(|e| e.schema.as_str()))
            .collect();
        let mut n = Needs::default();
        for s in &schemas {
            n.schemas
                .extend(s.extensions.values().map(|e| e.schema.clone()));
            for t in s.tables.values() {
                for fk in t.foreign_keys.values() {
                    let target = &fk.ref_table;
                    // Not declared here, even in an owned schema: a model normalized in parts
                    // (the cache's misses) references tables of the other parts.
                    if declared(target) {
                        continue;
                    }
                    n.schemas.insert(target.schema.clone());
                    let st = n.tables.entry(target.clone()).or_default();
                    for (i, c) in fk.ref_columns.iter().enumerate() {
                        let ty = fk
                            .columns
                            .get(i)
                            .and_then(|own| t.columns.get(own))
                            .map(|c| column_type(&c.ty))
                            .unwrap_or_else(|| "text".into());
                        if !st.columns.iter().any(|(n, _)| n == c) {
                            st.columns.push((c.clone(), ty));
                        }
                    }
                    if !st.keys.contains(&fk.ref_columns) {
                        st.keys.push(fk.ref_columns.clone());
                    }
                }
            }
            for (_, t) in s.triggers() {
                let f = &t.function;
                let declared = schemas
                    .iter()
                    .any(|s| s.functions.contains_key(&(f.clone(), String::new())));
                if !declared && f.schema != "pg_catalog" {
                    n.schemas.insert(f.schema.clone());
                    n.trigger_functions.insert(f.clone());
                }
            }
            n.roles.extend(
                s.policies()
                    .flat_map(|(_, p)| p.roles.iter())
                    .filter(|r| r.as_str() != autogen_model::ir::PUBLIC_ROLE)
                    .cloned(),
            );
            let used = s
                .tables
                .values()
                .flat_map(|t| t.columns.values().map(|c| &c.ty.base))
                .chain(s.domains.values().map(|d| &d.base.base));
            for base in used {
                if let BaseType::User(q) = base {
                    if !declared(q) && !extension_schemas.contains(q.schema.as_str()) {
                        n.schemas.insert(q.schema.clone());
                        n.types.insert(q.clone());
                    }
                }
            }
        }
        n.schemas.retain(|s| !owned.contains(s));
        n
    }
}

fn shadow_error(what: &str, e: &postgres::Error) -> Error {
    Error::Shadow(format!("{what}: {}", error_text(e)))
}

/// The setup file, then the roles and the preset's platform: what must exist before the
/// project's own schemas and extensions are created.
pub fn prepare_platform(client: &mut Client, p: &Platform, needs: &Needs) -> Result<(), Error> {
    if let Some((path, sql)) = &p.setup {
        client.batch_execute(sql).map_err(|e| {
            let line = match e.as_db_error().and_then(|d| d.position()) {
                Some(postgres::error::ErrorPosition::Original(pos)) => {
                    let before: String = sql
                        .chars()
                        .take((*pos as usize).saturating_sub(1))
                        .collect();
                    format!(":{}", before.matches('\n').count() + 1)
                }
                _ => String::new(),
            };
            Error::Shadow(format!(
                "{}{line}: the shadow setup file fails: {}; it runs in every scratch database \
                 before the project's migrations and models, so write it to run on an empty \
                 database (and roles, which the whole server shares, with IF NOT EXISTS checks)",
                path.display(),
                error_text(&e)
            ))
        })?;
    }
    let mut roles: BTreeSet<&str> = p.roles.iter().map(String::as_str).collect();
    roles.extend(needs.roles.iter().map(String::as_str));
    let mut schemas: BTreeSet<&str> = needs.schemas.iter().map(String::as_str).collect();
    if p.supabase() {
        roles.extend(SUPABASE_ROLES);
        schemas.extend(crate::filter::SUPABASE_SCHEMAS);
    }
    create_roles(client, &roles)?;
    let mut sql = String::new();
    for s in &schemas {
        sql.push_str(&format!("CREATE SCHEMA IF NOT EXISTS {};\n", ident(s)));
    }
    client
        .batch_execute(&sql)
        .map_err(|e| shadow_error("cannot create the schemas the project references", &e))?;
    if p.supabase() {
        let users: bool = client
            .query_one("SELECT to_regclass('auth.users') IS NOT NULL", &[])
            .map_err(|e| shadow_error("cannot read the shadow's tables", &e))?
            .get(0);
        if !users {
            client
                .batch_execute(SUPABASE_USERS)
                .map_err(|e| shadow_error("cannot create a stand-in for `auth.users`", &e))?;
        }
        for (signature, definition) in SUPABASE_FUNCTIONS {
            let exists: bool = client
                .query_one("SELECT to_regprocedure($1) IS NOT NULL", &[signature])
                .map_err(|e| shadow_error("cannot read the shadow's functions", &e))?
                .get(0);
            if !exists {
                client.batch_execute(definition).map_err(|e| {
                    shadow_error(&format!("cannot create a stand-in for `{signature}`"), &e)
                })?;
            }
        }
    }
    Ok(())
}

/// Roles are the server's, shared by every database on it: a missing one is created without
/// login; one that exists (or that a concurrent run creates first) is left as it is.
fn create_roles(client: &mut Client, roles: &BTreeSet<&str>) -> Result<(), Error> {
    if roles.is_empty() {
        return Ok(());
    }
    let wanted: Vec<&str> = roles.iter().copied().collect();
    let existing: Vec<String> = client
        .query_one(
            "SELECT ARRAY(SELECT rolname::text FROM pg_catalog.pg_roles WHERE rolname = ANY($1))",
            &[&wanted],
        )
        .map_err(|e| shadow_error("cannot read the shadow server's roles", &e))?
        .get(0);
    for r in wanted.iter().filter(|r| !existing.iter().any(|e| e == *r)) {
        if let Err(e) = client.batch_execute(&format!("CREATE ROLE {} NOLOGIN", ident(r))) {
            let raced = e.code().is_some_and(|c| {
                *c == postgres::error::SqlState::DUPLICATE_OBJECT
                    || *c == postgres::error::SqlState::UNIQUE_VIOLATION
            });
            if !raced {
                return Err(Error::Shadow(format!(
                    "cannot create the role `{r}` on the shadow server, which the project's \
                     migrations, policies or preset name: {}; create it there (`CREATE ROLE {} NOLOGIN`), \
                     or give the shadow's role CREATEROLE",
                    error_text(&e),
                    ident(r)
                )));
            }
        }
    }
    Ok(())
}

/// Stand-ins for the tables and types the project references, once its own schemas and
/// extensions exist (an extension's types are then found, not stood in for).
pub fn prepare_references(client: &mut Client, needs: &Needs) -> Result<(), Error> {
    let mut sql = String::new();
    for q in &needs.types {
        let exists: bool = client
            .query_one("SELECT to_regtype($1) IS NOT NULL", &[&qname(q)])
            .map_err(|e| shadow_error("cannot read the shadow's types", &e))?
            .get(0);
        if !exists {
            // A type managed elsewhere: a domain stands in, so a column of that type can exist.
            sql.push_str(&format!("CREATE DOMAIN {} AS text;\n", qname(q)));
        }
    }
    for f in &needs.trigger_functions {
        let exists: bool = client
            .query_one(
                "SELECT to_regprocedure($1) IS NOT NULL",
                &[&format!("{}()", qname(f))],
            )
            .map_err(|e| shadow_error("cannot read the shadow's functions", &e))?
            .get(0);
        if !exists {
            // A trigger function managed elsewhere: one that does nothing stands in, so the
            // triggers that call it can be created.
            sql.push_str(&format!(
                "CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END';\n",
                qname(f)
            ));
        }
    }
    for (table, t) in &needs.tables {
        let exists: bool = client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&qname(table)])
            .map_err(|e| shadow_error("cannot read the shadow's tables", &e))?
            .get(0);
        if exists {
            // The setup file's own table: only the keys the foreign keys need are added, if it
            // lacks them.
            for k in &t.keys {
                if !has_unique(client, table, k)? {
                    sql.push_str(&format!(
                        "ALTER TABLE {} ADD UNIQUE ({});\n",
                        qname(table),
                        ident_list(k)
                    ));
                }
            }
            continue;
        }
        let mut defs: Vec<String> = t
            .columns
            .iter()
            .map(|(n, ty)| format!("{} {ty}", ident(n)))
            .collect();
        defs.extend(t.keys.iter().map(|k| format!("UNIQUE ({})", ident_list(k))));
        sql.push_str(&format!(
            "CREATE TABLE {} ({});\n",
            qname(table),
            defs.join(", ")
        ));
    }
    client.batch_execute(&sql).map_err(|e| {
        shadow_error(
            "cannot create stand-ins for the objects the project references but does not own \
             (put what they need in the `[shadow] setup` file)",
            &e,
        )
    })
}

/// Whether a unique index without a predicate covers exactly `cols` of `table`.
fn has_unique(client: &mut Client, table: &QName, cols: &[String]) -> Result<bool, Error> {
    let mut wanted: Vec<&str> = cols.iter().map(String::as_str).collect();
    wanted.sort_unstable();
    wanted.dedup();
    client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index i \
               WHERE i.indrelid = $1::text::regclass AND i.indisunique AND i.indpred IS NULL \
                 AND ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a \
                           WHERE a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
                           ORDER BY a.attname::text COLLATE \"C\") = $2::text[] \
                 AND cardinality(i.indkey::int2[]) = cardinality($2::text[]))",
            &[&qname(table), &wanted],
        )
        .map(|r| r.get(0))
        .map_err(|e| shadow_error("cannot read the shadow's indexes", &e))
}
