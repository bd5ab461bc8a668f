//! `#[derive(Table)]` and `#[derive(PgEnum)]`: a Rust struct or enum becomes an autogen model
//! object.
//!
//! Input: the item and its `#[autogen(...)]` attributes. Output: an impl of `autogen_model::Table` or
//! `autogen_model::PgEnum` that describes the object with autogen's runtime types; nothing here knows
//! SQL beyond names. Column types come from the `autogen_model::SqlType` trait, so an unknown type is a
//! trait error pointing at the field, and type aliases and re-exports work. Every attribute
//! mistake is a compile error pointing at the attribute.

mod attrs;
mod pg_enum;
mod table;

use proc_macro::TokenStream;
use quote::quote_spanned;
use syn::{DeriveInput, parse_macro_input};

/// `file:line:column` of the item at runtime. `line!()` spanned at the item's name reports the
/// line of the declaration, so model errors found later by the CLI point at the Rust source.
fn origin(ident: &syn::Ident) -> proc_macro2::TokenStream {
    quote_spanned! {ident.span()=>
        ::std::format!("{}:{}:{}", ::core::file!(), ::core::line!(), ::core::column!())
    }
}

/// Declares a table. See the README section "declaring models in Rust" for every attribute.
#[proc_macro_derive(Table, attributes(autogen))]
pub fn derive_table(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    table::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Declares an enum type; the enum's variants (without fields) are its values, in order.
#[proc_macro_derive(PgEnum, attributes(autogen))]
pub fn derive_pg_enum(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    pg_enum::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
