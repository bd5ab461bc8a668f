//! A check report as text for people, JSON for machines, or GitHub Actions annotations.
//!
//! The JSON document is versioned (`"version": 1`); fields are only ever added within a version.
//! It is documented in the README ("autogen check").

use super::{CheckKind, Finding, Report, Severity};
use serde::Serialize;

/// The JSON document's version.
pub const JSON_VERSION: u32 = 1;

fn location(f: &Finding) -> String {
    match (&f.file, f.line) {
        (Some(p), Some(l)) => format!(" ({}:{l})", p.display()),
        (Some(p), None) => format!(" ({})", p.display()),
        _ => String::new(),
    }
}

fn summary(r: &Report) -> String {
    let errors = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = r.findings.len() - errors;
    let w = if warnings > 0 {
        format!(", {warnings} warning(s)")
    } else {
        String::new()
    };
    if errors > 0 {
        format!("drift: {errors} problem(s){w}")
    } else {
        format!("in sync{w}")
    }
}

/// Findings grouped by check, then service, each group with its fix once.
pub fn text(r: &Report) -> String {
    let mut out = String::new();
    let checked: Vec<&str> = r.checked.iter().map(|c| c.title()).collect();
    out.push_str(&format!("checked: {}\n", checked.join(", ")));
    let mut groups: Vec<(CheckKind, &str, &str)> = Vec::new();
    for f in &r.findings {
        let g = (f.check, f.service.as_str(), f.fix.as_str());
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    for (check, service, fix) in groups {
        out.push_str(&format!("\n{} [{service}]\n", check.title()));
        for f in r
            .findings
            .iter()
            .filter(|f| f.check == check && f.service == service && f.fix == fix)
        {
            let mark = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let object = f
                .object
                .as_ref()
                .map_or_else(String::new, |o| format!("{o}: "));
            out.push_str(&format!("  {mark}: {object}{}{}\n", f.message, location(f)));
        }
        out.push_str(&format!("  fix: {fix}\n"));
    }
    for n in &r.notes {
        out.push_str(&format!("\nnote: {n}\n"));
    }
    out.push_str(&format!("\n{}\n", summary(r)));
    out
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    /// `in_sync`, `drift` or `error`.
    status: &'a str,
    checked: &'a [CheckKind],
    findings: &'a [Finding],
    notes: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// Where the error is, when it is in a file (a model that does not load, a migration).
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<String>,
}

pub fn json(r: &Report) -> String {
    let doc = JsonReport {
        version: JSON_VERSION,
        status: if r.exit_code() == 0 {
            "in_sync"
        } else {
            "drift"
        },
        checked: &r.checked,
        findings: &r.findings,
        notes: &r.notes,
        error: None,
        file: None,
        line: None,
        column: None,
        help: None,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// The JSON document of a check that could not run (exit code 2).
pub fn json_error(e: &crate::Error) -> String {
    let at = e.location();
    let doc = JsonReport {
        version: JSON_VERSION,
        status: "error",
        checked: &[],
        findings: &[],
        notes: &[],
        error: Some(e.to_string()),
        file: at.map(|(p, _, _)| p.display().to_string()),
        line: at.map(|(_, l, _)| l).filter(|l| *l > 0),
        column: at.map(|(_, _, c)| c).filter(|c| *c > 0),
        help: e.help_text(),
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// The workflow command of a check that could not run: an annotation on the file and line at
/// fault (a model that does not load), so the pull request shows it where it is.
pub fn github_error(e: &crate::Error) -> String {
    let mut props = Vec::new();
    if let Some((p, line, col)) = e.location() {
        props.push(format!("file={}", escape(&p.display().to_string(), true)));
        if line > 0 {
            props.push(format!("line={line}"));
        }
        if col > 0 {
            props.push(format!("col={col}"));
        }
    }
    props.push(format!(
        "title={}",
        escape("autogen check: cannot run", true)
    ));
    let help = e.help_text().map(|h| format!("\n{h}")).unwrap_or_default();
    format!(
        "::error {}::{}\n",
        props.join(","),
        escape(&format!("{}{help}", e.bare_message()), false)
    )
}

/// Escapes workflow-command data: `%`, CR and LF; properties also `:` and `,`.
fn escape(s: &str, property: bool) -> String {
    let mut out = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        out = out.replace(':', "%3A").replace(',', "%2C");
    }
    out
}

/// One `::error` / `::warning` workflow command per finding, then the summary as plain text.
pub fn github(r: &Report) -> String {
    let mut out = String::new();
    for f in &r.findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = Vec::new();
        if let Some(p) = &f.file {
            props.push(format!("file={}", escape(&p.display().to_string(), true)));
            if let Some(l) = f.line {
                props.push(format!("line={l}"));
            }
        }
        props.push(format!(
            "title={}",
            escape(
                &format!("autogen check: {} [{}]", f.check.title(), f.service),
                true
            )
        ));
        let object = f
            .object
            .as_ref()
            .map_or_else(String::new, |o| format!("{o}: "));
        out.push_str(&format!(
            "::{level} {}::{}\n",
            props.join(","),
            escape(&format!("{object}{}\nfix: {}", f.message, f.fix), false)
        ));
    }
    for n in &r.notes {
        out.push_str(&format!(
            "::notice title=autogen check::{}\n",
            escape(n, false)
        ));
    }
    out.push_str(&summary(r));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_escape_what_would_end_them() {
        assert_eq!(escape("a%b\nc", false), "a%25b%0Ac");
        assert_eq!(escape("x:y,z", true), "x%3Ay%2Cz");
        assert_eq!(escape("x:y,z", false), "x:y,z");
    }
}
