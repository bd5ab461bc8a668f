//! `#[derive(Table)]` on a struct with named fields.

use crate::attrs::{self, Checked, Kind, Value, ident, name_list, one_of, snake_case};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, LitStr};

const TABLE_KEYS: &[(&str, Kind)] = &[
    ("schema", Kind::Str),
    ("name", Kind::Str),
    ("comment", Kind::Str),
    ("renamed_from", Kind::Str),
    ("primary_key", Kind::Any),
    ("unique", Kind::Any),
    ("check", Kind::Group),
    ("index", Kind::Group),
    ("foreign_key", Kind::Group),
    ("trigger", Kind::Group),
    ("rls", Kind::Flag),
    ("force_rls", Kind::Flag),
    ("policy", Kind::Group),
    ("grant", Kind::Group),
];

const FIELD_KEYS: &[(&str, Kind)] = &[
    ("name", Kind::Str),
    ("sql_type", Kind::Str),
    ("primary_key", Kind::Flag),
    ("unique", Kind::Flag),
    ("nullable", Kind::Flag),
    ("default", Kind::Str),
    ("identity", Kind::Str),
    ("generated", Kind::Str),
    ("collation", Kind::Str),
    ("check", Kind::Str),
    ("references", Kind::Str),
    ("on_delete", Kind::Str),
    ("comment", Kind::Str),
    ("renamed_from", Kind::Str),
    ("skip", Kind::Flag),
    ("grant", Kind::Group),
];

const ACTIONS: &[&str] = &[
    "cascade",
    "restrict",
    "no_action",
    "set_null",
    "set_default",
];
const DEFERRABLE: &[&str] = &["deferrable", "initially_deferred"];

struct Column {
    name: String,
    span: Span,
}

pub fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            input.ident.span(),
            "#[derive(Table)] needs a struct with named fields; for an enum type use #[derive(PgEnum)]",
        ));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new(
            input.ident.span(),
            "#[derive(Table)] needs named fields: each field is a column",
        ));
    };
    let entries = attrs::parse(&input.attrs)?;
    let t = attrs::check(
        &entries,
        TABLE_KEYS,
        &[
            "unique",
            "check",
            "index",
            "foreign_key",
            "trigger",
            "policy",
            "grant",
        ],
        "a table",
    )?;
    let ident_name = input.ident.to_string();
    let schema = match t.str("schema") {
        Some(l) => ident(l)?,
        None => "public".to_string(),
    };
    let name = match t.str("name") {
        Some(l) => ident(l)?,
        None => snake_case(&ident_name),
    };

    let mut columns = Vec::new();
    let mut column_defs = Vec::new();
    for field in &fields.named {
        let entries = attrs::parse(&field.attrs)?;
        let f = attrs::check(&entries, FIELD_KEYS, &["grant"], "a column")?;
        if f.flag("skip") {
            if let Some(span) = entries.iter().find(|e| e.key != "skip").map(|e| e.span) {
                return Err(syn::Error::new(
                    span,
                    "a skipped field is not a column; remove its other autogen attributes",
                ));
            }
            continue;
        }
        let field_ident = field
            .ident
            .as_ref()
            .map(|i| i.to_string())
            .unwrap_or_default();
        let cname = match f.str("name") {
            Some(l) => ident(l)?,
            None => snake_case(&field_ident),
        };
        let span = f
            .str("name")
            .map_or_else(|| field.ident.span(), |l| l.span());
        if let Some(prev) = columns.iter().find(|c: &&Column| c.name == cname) {
            let mut e = syn::Error::new(
                span,
                format!("column `{cname}` is declared twice in `{name}`"),
            );
            e.combine(syn::Error::new(prev.span, "first declared here"));
            return Err(e);
        }
        columns.push(Column {
            name: cname.clone(),
            span,
        });
        column_defs.push(column(&f, &cname, &field.ty)?);
    }
    if columns.is_empty() {
        return Err(syn::Error::new(
            input.ident.span(),
            "a table needs at least one column",
        ));
    }

    let mut table_parts = Vec::new();
    if let Some(c) = t.str("comment") {
        table_parts.push(quote! { t.comment = ::core::option::Option::Some(#c.into()); });
    }
    if let Some(r) = t.str("renamed_from") {
        table_parts.push(quote! { t.renamed_from = ::core::option::Option::Some(#r.into()); });
    }
    for e in t.all("primary_key") {
        let Value::Str(lit) = &e.value else {
            return Err(syn::Error::new(
                e.span,
                "on a table, `primary_key` names its columns: primary_key = \"a, b\"; for one column put `primary_key` on the field",
            ));
        };
        let cols = known_columns(lit, &columns)?;
        table_parts.push(quote! { t.primary_key = ::std::vec![#(#cols.into()),*]; });
    }
    for e in t.all("unique") {
        table_parts.push(unique(e, &columns)?);
    }
    for e in t.all("check") {
        table_parts.push(check(e)?);
    }
    for e in t.all("index") {
        table_parts.push(index(e, &columns)?);
    }
    for e in t.all("foreign_key") {
        table_parts.push(foreign_key(e, &columns)?);
    }
    for e in t.all("trigger") {
        table_parts.push(trigger(e, &columns)?);
    }
    if t.flag("rls") {
        table_parts.push(quote! { t.rls = true; });
    }
    if t.flag("force_rls") {
        table_parts.push(quote! { t.force_rls = true; });
    }
    for e in t.all("policy") {
        table_parts.push(policy(e)?);
    }
    for e in t.all("grant") {
        let g = grant(e)?;
        table_parts.push(quote! { t.grants.push(#g); });
    }

    let ty = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let origin = crate::origin(&input.ident);
    Ok(quote! {
        impl #impl_generics ::autogen_model::Table for #ty #ty_generics #where_clause {
            fn table() -> ::autogen_model::model::rust::TableDef {
                let mut t = ::autogen_model::model::rust::TableDef::new(#schema, #name, #origin);
                #(t.columns.push(#column_defs);)*
                #(#table_parts)*
                t
            }
        }
    })
}

fn column(f: &Checked, cname: &str, ty: &syn::Type) -> syn::Result<TokenStream> {
    let mut parts = Vec::new();
    // The type and nullability come from the field's Rust type unless `sql_type` overrides it;
    // the trait bound is spanned at the type so an unknown type is reported there.
    match f.str("sql_type") {
        Some(lit) => {
            if lit.value().trim().is_empty() {
                return Err(syn::Error::new(lit.span(), "`sql_type` cannot be empty"));
            }
            // Without the trait, only the written type says whether NULL is allowed.
            let nullable = is_option(ty);
            parts.push(quote! { sql_type: #lit.into(), nullable: #nullable, });
        }
        None => {
            parts.push(quote_spanned! {ty.span()=>
                sql_type: <#ty as ::autogen_model::SqlType>::sql_type(),
                nullable: <#ty as ::autogen_model::SqlType>::NULLABLE,
            });
        }
    }
    if f.flag("nullable") {
        parts.push(quote! { force_nullable: true, });
    }
    for key in [
        "default",
        "generated",
        "collation",
        "check",
        "references",
        "comment",
        "renamed_from",
    ] {
        if let Some(lit) = f.str(key) {
            let field = syn::Ident::new(key, Span::call_site());
            parts.push(quote! { #field: ::core::option::Option::Some(#lit.into()), });
        }
    }
    if let Some(lit) = f.str("on_delete") {
        let v = one_of(lit, ACTIONS, "ON DELETE action")?;
        if f.str("references").is_none() {
            return Err(syn::Error::new(
                lit.span(),
                "`on_delete` needs `references = \"table(column)\"` on the same field",
            ));
        }
        parts.push(quote! { on_delete: ::core::option::Option::Some(#v.into()), });
    }
    if let Some(lit) = f.str("identity") {
        let v = one_of(lit, &["always", "by_default"], "identity")?;
        parts.push(quote! { identity: ::core::option::Option::Some(#v.into()), });
    }
    if f.flag("primary_key") {
        parts.push(quote! { primary_key: true, });
    }
    if f.flag("unique") {
        parts.push(quote! { unique: true, });
    }
    let grants = f.all("grant").map(grant).collect::<syn::Result<Vec<_>>>()?;
    if !grants.is_empty() {
        parts.push(quote! { grants: ::std::vec![#(#grants),*], });
    }
    Ok(quote! {
        ::autogen_model::model::rust::ColumnDef {
            name: #cname.into(),
            #(#parts)*
            ..::core::default::Default::default()
        }
    })
}

fn is_option(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "Option"),
        syn::Type::Group(g) => is_option(&g.elem),
        syn::Type::Paren(p) => is_option(&p.elem),
        _ => false,
    }
}

/// Each name must be a column of this struct (by its column name).
fn known_columns(lit: &LitStr, columns: &[Column]) -> syn::Result<Vec<String>> {
    let names = name_list(lit)?;
    for n in &names {
        if !columns.iter().any(|c| &c.name == n) {
            let all: Vec<String> = columns.iter().map(|c| format!("`{}`", c.name)).collect();
            return Err(syn::Error::new(
                lit.span(),
                format!(
                    "no column `{n}` in this table; its columns are: {}",
                    all.join(", ")
                ),
            ));
        }
    }
    Ok(names)
}

fn group<'a>(e: &'a attrs::Entry, keys: &[(&str, Kind)], what: &str) -> syn::Result<Checked<'a>> {
    match &e.value {
        Value::Group(inner) => attrs::check(inner, keys, &[], what),
        _ => Err(syn::Error::new(
            e.span,
            format!("`{}` takes a list: {}(...)", e.key, e.key),
        )),
    }
}

fn opt(c: &Checked, key: &str) -> TokenStream {
    match c.str(key) {
        Some(l) => quote! { ::core::option::Option::Some(#l.into()) },
        None => quote! { ::core::option::Option::None },
    }
}

fn required<'a>(
    c: &Checked<'a>,
    key: &str,
    e: &attrs::Entry,
    example: &str,
) -> syn::Result<&'a LitStr> {
    c.str(key).ok_or_else(|| {
        syn::Error::new(e.span, format!("`{}(...)` needs `{key}`: {example}", e.key))
    })
}

fn unique(e: &attrs::Entry, columns: &[Column]) -> syn::Result<TokenStream> {
    let (cols, name, nnd, deferrable) = match &e.value {
        Value::Str(lit) => (known_columns(lit, columns)?, None, false, None),
        Value::Group(_) => {
            let c = group(
                e,
                &[
                    ("columns", Kind::Str),
                    ("name", Kind::Str),
                    ("nulls_not_distinct", Kind::Flag),
                    ("deferrable", Kind::Str),
                ],
                "a unique constraint",
            )?;
            let lit = required(&c, "columns", e, "unique(columns = \"a, b\")")?;
            let deferrable = c
                .str("deferrable")
                .map(|l| one_of(l, DEFERRABLE, "deferrable mode"))
                .transpose()?;
            (
                known_columns(lit, columns)?,
                c.str("name").map(ident).transpose()?,
                c.flag("nulls_not_distinct"),
                deferrable,
            )
        }
        Value::Flag => {
            return Err(syn::Error::new(
                e.span,
                "on a table, `unique` names its columns: unique = \"a, b\"; for one column put `unique` on the field",
            ));
        }
    };
    let name = opt_string(name);
    let deferrable = opt_string(deferrable);
    Ok(quote! {
        t.unique.push(::autogen_model::model::rust::KeyDef {
            name: #name,
            columns: ::std::vec![#(#cols.into()),*],
            nulls_not_distinct: #nnd,
            deferrable: #deferrable,
        });
    })
}

fn opt_string(v: Option<String>) -> TokenStream {
    match v {
        Some(s) => quote! { ::core::option::Option::Some(#s.into()) },
        None => quote! { ::core::option::Option::None },
    }
}

fn check(e: &attrs::Entry) -> syn::Result<TokenStream> {
    let c = group(e, &[("name", Kind::Str), ("expr", Kind::Str)], "a check")?;
    let example = "check(name = \"amount_positive\", expr = \"amount > 0\")";
    let name = ident(required(&c, "name", e, example)?)?;
    let expr = required(&c, "expr", e, example)?;
    Ok(quote! { t.checks.push((#name.into(), #expr.into())); })
}

fn index(e: &attrs::Entry, columns: &[Column]) -> syn::Result<TokenStream> {
    let c = group(
        e,
        &[
            ("columns", Kind::Str),
            ("expression", Kind::Str),
            ("name", Kind::Str),
            ("unique", Kind::Flag),
            ("method", Kind::Str),
            ("include", Kind::Str),
            ("where", Kind::Str),
            ("nulls_not_distinct", Kind::Flag),
        ],
        "an index",
    )?;
    let cols = match c.str("columns") {
        // Index keys may carry an opclass or order (`created_at DESC`): the first word is the
        // column.
        Some(lit) => {
            let keys = name_list(lit)?;
            for k in &keys {
                let col = k.split_whitespace().next().unwrap_or_default();
                if !columns.iter().any(|c| c.name == col) {
                    return Err(syn::Error::new(
                        lit.span(),
                        format!(
                            "no column `{col}` in this table; index an expression with `expression = \"...\"`"
                        ),
                    ));
                }
            }
            keys
        }
        None => Vec::new(),
    };
    if cols.is_empty() && c.str("expression").is_none() {
        return Err(syn::Error::new(
            e.span,
            "`index(...)` needs `columns = \"a, b\"` or `expression = \"lower(email)\"`",
        ));
    }
    let include = match c.str("include") {
        Some(lit) => known_columns(lit, columns)?,
        None => Vec::new(),
    };
    let name = c.str("name").map(ident).transpose()?;
    let name = opt_string(name);
    let expression = opt(&c, "expression");
    let method = opt(&c, "method");
    let predicate = opt(&c, "where");
    let unique = c.flag("unique");
    let nnd = c.flag("nulls_not_distinct");
    Ok(quote! {
        t.indexes.push(::autogen_model::model::rust::IndexDef {
            name: #name,
            columns: ::std::vec![#(#cols.into()),*],
            expression: #expression,
            unique: #unique,
            method: #method,
            include: ::std::vec![#(#include.into()),*],
            predicate: #predicate,
            nulls_not_distinct: #nnd,
        });
    })
}

fn foreign_key(e: &attrs::Entry, columns: &[Column]) -> syn::Result<TokenStream> {
    let c = group(
        e,
        &[
            ("columns", Kind::Str),
            ("references", Kind::Str),
            ("name", Kind::Str),
            ("on_delete", Kind::Str),
            ("on_update", Kind::Str),
            ("match", Kind::Str),
            ("deferrable", Kind::Str),
        ],
        "a foreign key",
    )?;
    let example = "foreign_key(columns = \"a, b\", references = \"other(a, b)\")";
    let cols = known_columns(required(&c, "columns", e, example)?, columns)?;
    let references = required(&c, "references", e, example)?;
    let action = |key: &str| -> syn::Result<TokenStream> {
        Ok(opt_string(
            c.str(key)
                .map(|l| one_of(l, ACTIONS, "referential action"))
                .transpose()?,
        ))
    };
    let on_delete = action("on_delete")?;
    let on_update = action("on_update")?;
    let match_type = opt_string(
        c.str("match")
            .map(|l| one_of(l, &["simple", "full"], "match type"))
            .transpose()?,
    );
    let deferrable = opt_string(
        c.str("deferrable")
            .map(|l| one_of(l, DEFERRABLE, "deferrable mode"))
            .transpose()?,
    );
    let name = opt_string(c.str("name").map(ident).transpose()?);
    Ok(quote! {
        t.foreign_keys.push(::autogen_model::model::rust::ForeignKeyDef {
            name: #name,
            columns: ::std::vec![#(#cols.into()),*],
            references: #references.into(),
            on_delete: #on_delete,
            on_update: #on_update,
            match_type: #match_type,
            deferrable: #deferrable,
        });
    })
}

/// `grant(role = "anon", privileges = "select, insert")`: checked against the object's kind
/// when the model is built, like a YAML model's grants.
fn grant(e: &attrs::Entry) -> syn::Result<TokenStream> {
    let c = group(
        e,
        &[("role", Kind::Str), ("privileges", Kind::Str)],
        "a grant",
    )?;
    let example = "grant(role = \"anon\", privileges = \"select, insert\")";
    let role = required(&c, "role", e, example)?;
    if role.value().trim().is_empty() {
        return Err(syn::Error::new(role.span(), "`role` cannot be empty"));
    }
    let privileges = name_list(required(&c, "privileges", e, example)?)?;
    Ok(quote! {
        ::autogen_model::model::rust::GrantDef {
            role: #role.into(),
            privileges: ::std::vec![#(#privileges.into()),*],
        }
    })
}

/// `policy(name = "...", command = "select", roles = "authenticated", using = "...")`.
fn policy(e: &attrs::Entry) -> syn::Result<TokenStream> {
    let c = group(
        e,
        &[
            ("name", Kind::Str),
            ("command", Kind::Str),
            ("restrictive", Kind::Flag),
            ("roles", Kind::Str),
            ("using", Kind::Str),
            ("with_check", Kind::Str),
            ("comment", Kind::Str),
        ],
        "a policy",
    )?;
    let example = "policy(name = \"Read own notes\", command = \"select\", roles = \"authenticated\", using = \"owner = auth.uid()\")";
    let name = required(&c, "name", e, example)?;
    if name.value().trim().is_empty() {
        return Err(syn::Error::new(name.span(), "a policy needs a name"));
    }
    let command = opt_string(
        c.str("command")
            .map(|l| {
                one_of(
                    l,
                    &["all", "select", "insert", "update", "delete"],
                    "policy command",
                )
            })
            .transpose()?,
    );
    let roles = match c.str("roles") {
        Some(lit) => name_list(lit)?,
        None => Vec::new(),
    };
    let restrictive = c.flag("restrictive");
    let using = opt(&c, "using");
    let with_check = opt(&c, "with_check");
    let comment = opt(&c, "comment");
    Ok(quote! {
        t.policies.push(::autogen_model::model::rust::PolicyDef {
            name: #name.into(),
            command: #command,
            restrictive: #restrictive,
            roles: ::std::vec![#(#roles.into()),*],
            using: #using,
            with_check: #with_check,
            comment: #comment,
        });
    })
}

fn trigger(e: &attrs::Entry, columns: &[Column]) -> syn::Result<TokenStream> {
    let c = group(
        e,
        &[
            ("name", Kind::Str),
            ("timing", Kind::Str),
            ("events", Kind::Str),
            ("columns", Kind::Str),
            ("for_each", Kind::Str),
            ("when", Kind::Str),
            ("old_table", Kind::Str),
            ("new_table", Kind::Str),
            ("function", Kind::Str),
            ("arguments", Kind::Str),
            ("constraint", Kind::Flag),
            ("deferrable", Kind::Str),
            ("enabled", Kind::Str),
            ("comment", Kind::Str),
        ],
        "a trigger",
    )?;
    let example = "trigger(name = \"stamp\", timing = \"before\", events = \"update\", for_each = \"row\", function = \"touch_updated_at\")";
    let name = ident(required(&c, "name", e, example)?)?;
    let timing = one_of(
        required(&c, "timing", e, example)?,
        &["before", "after"],
        "trigger timing (a table's trigger fires before or after)",
    )?;
    let events_lit = required(&c, "events", e, example)?;
    let events = name_list(events_lit)?;
    for ev in &events {
        if !["insert", "update", "delete", "truncate"].contains(&ev.as_str()) {
            return Err(syn::Error::new(
                events_lit.span(),
                format!("`{ev}` is not a trigger event: use insert, update, delete, truncate"),
            ));
        }
    }
    let cols = match c.str("columns") {
        Some(lit) => known_columns(lit, columns)?,
        None => Vec::new(),
    };
    let function = required(&c, "function", e, example)?;
    let arguments = match c.str("arguments") {
        Some(lit) => lit
            .value()
            .split(',')
            .map(|a| a.trim().to_string())
            .collect(),
        None => Vec::new(),
    };
    let choice = |key: &str, choices: &[&str], what: &str| -> syn::Result<TokenStream> {
        Ok(opt_string(
            c.str(key).map(|l| one_of(l, choices, what)).transpose()?,
        ))
    };
    let for_each = choice("for_each", &["row", "statement"], "trigger level")?;
    let deferrable = choice("deferrable", DEFERRABLE, "deferrable mode")?;
    let enabled = choice(
        "enabled",
        &["origin", "disabled", "replica", "always"],
        "trigger state",
    )?;
    let when = opt(&c, "when");
    let old_table = opt(&c, "old_table");
    let new_table = opt(&c, "new_table");
    let comment = opt(&c, "comment");
    let constraint = c.flag("constraint");
    Ok(quote! {
        t.triggers.push(::autogen_model::model::rust::TriggerDef {
            name: #name.into(),
            timing: #timing.into(),
            events: ::std::vec![#(#events.into()),*],
            columns: ::std::vec![#(#cols.into()),*],
            for_each: #for_each,
            when: #when,
            old_table: #old_table,
            new_table: #new_table,
            function: #function.into(),
            arguments: ::std::vec![#(#arguments.into()),*],
            constraint: #constraint,
            deferrable: #deferrable,
            enabled: #enabled,
            comment: #comment,
        });
    })
}
