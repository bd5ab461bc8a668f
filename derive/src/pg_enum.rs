//! `#[derive(PgEnum)]` on an enum whose variants carry no fields.

use crate::attrs::{self, Kind, ident, one_of, snake_case};
use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields};

const ENUM_KEYS: &[(&str, Kind)] = &[
    ("schema", Kind::Str),
    ("name", Kind::Str),
    ("comment", Kind::Str),
    ("renamed_from", Kind::Str),
    ("rename_all", Kind::Str),
];

const VARIANT_KEYS: &[(&str, Kind)] = &[("rename", Kind::Str), ("renamed_from", Kind::Str)];

const CASES: &[&str] = &[
    "snake_case",
    "lowercase",
    "uppercase",
    "screaming_snake_case",
    "kebab-case",
    "pascalcase",
    "camelcase",
];

fn apply_case(name: &str, case: &str) -> String {
    let snake = snake_case(name);
    match case {
        "lowercase" => name.to_lowercase(),
        "uppercase" => name.to_uppercase(),
        "screaming_snake_case" => snake.to_uppercase(),
        "kebab-case" => snake.replace('_', "-"),
        "pascalcase" => name.to_string(),
        "camelcase" => {
            let mut c = name.chars();
            c.next()
                .map(|f| f.to_lowercase().chain(c).collect())
                .unwrap_or_default()
        }
        _ => snake,
    }
}

pub fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new(
            input.ident.span(),
            "#[derive(PgEnum)] needs an enum whose variants are its values; for a table use #[derive(Table)]",
        ));
    };
    let entries = attrs::parse(&input.attrs)?;
    let e = attrs::check(&entries, ENUM_KEYS, &[], "an enum type")?;
    let schema = match e.str("schema") {
        Some(l) => ident(l)?,
        None => "public".to_string(),
    };
    let name = match e.str("name") {
        Some(l) => ident(l)?,
        None => snake_case(&input.ident.to_string()),
    };
    let case = e
        .str("rename_all")
        .map(|l| one_of(l, CASES, "rename_all case"))
        .transpose()?
        .unwrap_or_else(|| "snake_case".into());

    let mut values: Vec<(String, proc_macro2::Span)> = Vec::new();
    let mut renames = Vec::new();
    for v in &data.variants {
        if !matches!(v.fields, Fields::Unit) {
            return Err(syn::Error::new(
                v.ident.span(),
                "a PgEnum value cannot carry data; remove the fields",
            ));
        }
        let entries = attrs::parse(&v.attrs)?;
        let a = attrs::check(&entries, VARIANT_KEYS, &[], "an enum value")?;
        let value = match a.str("rename") {
            Some(l) => ident(l)?,
            None => apply_case(&v.ident.to_string(), &case),
        };
        if let Some((_, prev)) = values.iter().find(|(n, _)| *n == value) {
            let mut err = syn::Error::new(
                v.ident.span(),
                format!("value `{value}` appears twice in enum `{name}`"),
            );
            err.combine(syn::Error::new(*prev, "first here"));
            return Err(err);
        }
        if let Some(old) = a.str("renamed_from") {
            renames.push(quote! { e.renamed_values.push((#value.into(), #old.into())); });
        }
        values.push((value, v.ident.span()));
    }
    if values.is_empty() {
        return Err(syn::Error::new(
            input.ident.span(),
            "an enum type needs at least one value",
        ));
    }
    let value_names: Vec<&String> = values.iter().map(|(n, _)| n).collect();
    let comment = match e.str("comment") {
        Some(c) => quote! { e.comment = ::core::option::Option::Some(#c.into()); },
        None => quote! {},
    };
    let renamed = match e.str("renamed_from") {
        Some(r) => quote! { e.renamed_from = ::core::option::Option::Some(#r.into()); },
        None => quote! {},
    };
    let ty = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let origin = crate::origin(&input.ident);
    Ok(quote! {
        impl #impl_generics ::autogen_model::PgEnum for #ty #ty_generics #where_clause {
            fn enum_def() -> ::autogen_model::model::rust::EnumDef {
                let mut e = ::autogen_model::model::rust::EnumDef::new(#schema, #name, #origin);
                e.values = ::std::vec![#(#value_names.into()),*];
                #comment
                #renamed
                #(#renames)*
                e
            }
        }

        impl #impl_generics ::autogen_model::SqlType for #ty #ty_generics #where_clause {
            fn sql_type() -> ::std::string::String {
                ::autogen_model::model::rust::qualified_type(#schema, #name)
            }
        }

        impl #impl_generics ::autogen_model::model::rust::ArrayElement for #ty #ty_generics #where_clause {}
    })
}
