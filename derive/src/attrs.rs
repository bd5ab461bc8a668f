//! `#[autogen(...)]` attributes, parsed once into entries and checked against what each position
//! accepts, so a misspelt key is an error at that key rather than silently ignored.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitStr, Token};

pub enum Value {
    Flag,
    Str(LitStr),
    Group(Vec<Entry>),
}

pub struct Entry {
    pub key: String,
    pub span: Span,
    pub value: Value,
}

/// What a key takes.
#[derive(Clone, Copy, PartialEq)]
pub enum Kind {
    Flag,
    Str,
    Group,
    /// `unique` alone or `unique = "a, b"` or `unique(...)`: each form means something.
    Any,
}

/// The `#[autogen(...)]` entries of one item, field or variant.
pub fn parse(attrs: &[Attribute]) -> syn::Result<Vec<Entry>> {
    let mut out = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("autogen")) {
        attr.parse_nested_meta(|meta| {
            out.push(entry(&meta)?);
            Ok(())
        })?;
    }
    Ok(out)
}

fn entry(meta: &ParseNestedMeta) -> syn::Result<Entry> {
    let key = meta
        .path
        .get_ident()
        .map(|i| i.to_string())
        .ok_or_else(|| meta.error("expected a single name, such as `name` or `primary_key`"))?;
    let span = meta
        .path
        .get_ident()
        .map_or_else(Span::call_site, |i| i.span());
    let value = if meta.input.peek(Token![=]) {
        let lit: LitStr = meta.value()?.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                format!("`{key}` takes a string literal: {key} = \"...\""),
            )
        })?;
        Value::Str(lit)
    } else if meta.input.peek(syn::token::Paren) {
        let mut inner = Vec::new();
        meta.parse_nested_meta(|m| {
            inner.push(entry(&m)?);
            Ok(())
        })?;
        Value::Group(inner)
    } else {
        Value::Flag
    };
    Ok(Entry { key, span, value })
}

/// Entries checked against `allowed`: an unknown key, a value of the wrong form or a repeated
/// key (unless `repeatable`) is an error at that key.
pub struct Checked<'a> {
    entries: &'a [Entry],
}

pub fn check<'a>(
    entries: &'a [Entry],
    allowed: &[(&str, Kind)],
    repeatable: &[&str],
    position: &str,
) -> syn::Result<Checked<'a>> {
    for (i, e) in entries.iter().enumerate() {
        let Some((_, kind)) = allowed.iter().find(|(k, _)| *k == e.key) else {
            let names: Vec<String> = allowed.iter().map(|(k, _)| format!("`{k}`")).collect();
            return Err(syn::Error::new(
                e.span,
                format!(
                    "unknown autogen attribute `{}` on {position}; expected one of: {}",
                    e.key,
                    names.join(", ")
                ),
            ));
        };
        let ok = matches!(
            (kind, &e.value),
            (Kind::Any, _)
                | (Kind::Flag, Value::Flag)
                | (Kind::Str, Value::Str(_))
                | (Kind::Group, Value::Group(_))
        );
        if !ok {
            let form = match kind {
                Kind::Flag => format!("`{}` is a flag and takes no value", e.key),
                Kind::Str => format!("`{}` takes a string: {} = \"...\"", e.key, e.key),
                Kind::Group => format!("`{}` takes a list: {}(...)", e.key, e.key),
                Kind::Any => format!("`{}` has a value of the wrong form", e.key),
            };
            return Err(syn::Error::new(e.span, form));
        }
        if !repeatable.contains(&e.key.as_str()) && entries[..i].iter().any(|p| p.key == e.key) {
            return Err(syn::Error::new(
                e.span,
                format!("`{}` is given twice; keep one", e.key),
            ));
        }
    }
    Ok(Checked { entries })
}

impl<'a> Checked<'a> {
    pub fn str(&self, key: &str) -> Option<&'a LitStr> {
        self.entries.iter().find_map(|e| match &e.value {
            Value::Str(s) if e.key == key => Some(s),
            _ => None,
        })
    }

    pub fn flag(&self, key: &str) -> bool {
        self.entries
            .iter()
            .any(|e| e.key == key && matches!(e.value, Value::Flag))
    }

    pub fn all<'k>(&self, key: &'k str) -> impl Iterator<Item = &'a Entry> + use<'a, 'k> {
        self.entries.iter().filter(move |e| e.key == key)
    }
}

/// `"a, b"` as names; empty parts are an error at the literal.
pub fn name_list(lit: &LitStr) -> syn::Result<Vec<String>> {
    let text = lit.value();
    let parts: Vec<String> = text.split(',').map(|p| p.trim().to_string()).collect();
    if parts.iter().any(String::is_empty) {
        return Err(syn::Error::new(
            lit.span(),
            "expected a comma-separated list of names, such as \"user_id, created_at\"",
        ));
    }
    Ok(parts)
}

/// One of `choices`, or an error at the literal listing them.
pub fn one_of(lit: &LitStr, choices: &[&str], what: &str) -> syn::Result<String> {
    let v = lit.value();
    let lower = v.to_lowercase().replace(' ', "_");
    if choices.contains(&lower.as_str()) {
        Ok(lower)
    } else {
        Err(syn::Error::new(
            lit.span(),
            format!(
                "`{v}` is not a valid {what}; expected one of: {}",
                choices
                    .iter()
                    .map(|c| format!("\"{c}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ))
    }
}

/// A name for the database, checked where Postgres would silently truncate it.
pub fn ident(lit: &LitStr) -> syn::Result<String> {
    let v = lit.value();
    if v.is_empty() {
        return Err(syn::Error::new(lit.span(), "a name cannot be empty"));
    }
    if v.len() > 63 {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "`{v}` is {} bytes long; Postgres truncates names to 63 bytes",
                v.len()
            ),
        ));
    }
    Ok(v)
}

/// `CamelCase` -> `camel_case`, as Rust names become database names by default.
pub fn snake_case(name: &str) -> String {
    let name = name.strip_prefix("r#").unwrap_or(name);
    let mut out = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower = i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_numeric());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_uppercase();
            if i > 0 && (prev_lower || (prev_upper && next_lower)) && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn rust_names_become_snake_case() {
        assert_eq!(snake_case("EntryStatus"), "entry_status");
        assert_eq!(snake_case("HTTPRequest"), "http_request");
        assert_eq!(snake_case("Draft"), "draft");
        assert_eq!(snake_case("user_id"), "user_id");
        assert_eq!(snake_case("r#type"), "type");
        assert_eq!(snake_case("V2Item"), "v2_item");
    }
}
