//! Functions explained per object: what differs in a function (its body, result, arguments,
//! attributes), a function dropped and created again by the same changes read as one function
//! that differs.

use super::{Drift, each, one};
use autogen_core::diff::FunctionChange;
use autogen_model::ir::Function;

/// A text on one line, shortened: enough to recognise it in a report.
fn short(q: &str) -> String {
    let one_line = q.split_whitespace().collect::<Vec<_>>().join(" ");
    const MAX: usize = 120;
    if one_line.chars().count() > MAX {
        let cut: String = one_line.chars().take(MAX).collect();
        format!("`{cut}...`")
    } else {
        format!("`{one_line}`")
    }
}

pub(super) fn function_differences(before: &Function, after: &Function) -> Vec<String> {
    let mut out = Vec::new();
    let mut text = |label: &str, b: &str, a: &str| {
        if b != a {
            out.push(if short(b) == short(a) {
                format!("{label} changed in its spaces or line breaks only")
            } else {
                format!("{label} changed from {} to {}", short(b), short(a))
            });
        }
    };
    text("arguments", &before.arguments, &after.arguments);
    text(
        "result",
        before.returns.as_deref().unwrap_or_default(),
        after.returns.as_deref().unwrap_or_default(),
    );
    text("language", &before.language, &after.language);
    text("body", &before.body, &after.body);
    text(
        "volatility",
        before.volatility.word(),
        after.volatility.word(),
    );
    text("parallel", before.parallel.word(), after.parallel.word());
    let flag = |b: bool| if b { "on" } else { "off" }.to_string();
    text("strict", &flag(before.strict), &flag(after.strict));
    text(
        "security definer",
        &flag(before.security_definer),
        &flag(after.security_definer),
    );
    text("leakproof", &flag(before.leakproof), &flag(after.leakproof));
    let or_default = |v: &Option<String>| v.clone().unwrap_or_else(|| "default".into());
    text("cost", &or_default(&before.cost), &or_default(&after.cost));
    text("rows", &or_default(&before.rows), &or_default(&after.rows));
    text(
        "settings",
        &before.config.join("; "),
        &after.config.join("; "),
    );
    out.extend(super::comment_difference(&before.comment, &after.comment));
    out
}

pub(super) fn function_drift(c: &FunctionChange) -> Vec<Drift> {
    let f = c.after();
    let object = f.describe();
    match c {
        FunctionChange::Create(..) => one(object, format!("{} added", f.kind_text())),
        FunctionChange::Drop(..) => one(object, format!("{} removed", f.kind_text())),
        FunctionChange::Replace { before, after, .. }
        | FunctionChange::Comment { before, after } => {
            each(object, function_differences(before, after))
        }
    }
}
