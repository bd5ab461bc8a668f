//! Rows of `queries/functions.sql` -> `ir::Function`. Pure, as `assemble` is.

use super::assemble::{dep_kind, qn};
use crate::error::Error;
use autogen_model::ir::{Function, ObjectId, Parallel, QName, Schema, Volatility};
use postgres::Row;
use std::collections::BTreeSet;

pub(super) fn functions_row(s: &mut Schema, r: &Row) -> Result<(), Error> {
    let q = qn(r, "schema", "name");
    let kinds: Vec<String> = r.get("dep_kinds");
    let schemas: Vec<String> = r.get("dep_schemas");
    let names: Vec<String> = r.get("dep_names");
    let depends_on: BTreeSet<ObjectId> = kinds
        .iter()
        .zip(schemas)
        .zip(names)
        .map(|((k, sch), n)| ObjectId::new(dep_kind(k), QName::new(sch, n)))
        .collect();
    let language: String = r.get("language");
    let volatility = match r.get::<_, String>("volatility").as_str() {
        "i" => Volatility::Immutable,
        "s" => Volatility::Stable,
        _ => Volatility::Volatile,
    };
    let parallel = match r.get::<_, String>("parallel").as_str() {
        "s" => Parallel::Safe,
        "r" => Parallel::Restricted,
        _ => Parallel::Unsafe,
    };
    let number = |col: &str| r.get::<_, String>(col).parse::<f64>().unwrap_or(0.0);
    let f = Function {
        name: q,
        procedure: r.get("procedure"),
        signature: r.get("signature"),
        arguments: r.get("arguments"),
        returns: r.get("returns"),
        cost: autogen_model::ir::cost_text(number("cost"), &language),
        rows: autogen_model::ir::rows_text(number("rows")),
        language,
        body: r.get::<_, Option<String>>("body").unwrap_or_default(),
        sql_body: r.get("sql_body"),
        volatility,
        strict: r.get("strict"),
        security_definer: r.get("security_definer"),
        leakproof: r.get("leakproof"),
        parallel,
        config: r.get("config"),
        comment: r.get("comment"),
        grants: Default::default(),
        depends_on,
        normalized: true,
    };
    s.functions.insert(f.key(), f);
    Ok(())
}
