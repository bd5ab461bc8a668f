//! Where an object is declared in a service's model files, so a report (and a pull-request
//! annotation) can point at the line. Best effort over the YAML text: a finding keeps no
//! location rather than a wrong one.

use super::Finding;
use crate::config::{ModelSource, Project, Service};
use crate::error::Error;
use std::path::PathBuf;

/// The key of a YAML mapping line (`  entries:` or `  "odd name":`) and its indentation.
fn key(line: &str) -> Option<(usize, String)> {
    let indent = line.len() - line.trim_start().len();
    let t = line.trim_start();
    if t.starts_with('#') || t.starts_with('-') {
        return None;
    }
    let (k, _) = t.split_once(':')?;
    let k = k.trim();
    let unquoted = k
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .or_else(|| k.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))
        .unwrap_or(k);
    Some((indent, unquoted.to_string()))
}

/// The 1-based line of `name` as a nested key, and of `member` below it when given.
fn find(text: &str, name: &str, member: Option<&str>) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    // The shallowest match: a table's key, not a column of the same name in another table.
    let (start, indent) = lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| key(l).and_then(|(ind, k)| (ind > 0 && k == name).then_some((i, ind))))
        .min_by_key(|&(i, ind)| (ind, i))?;
    let Some(member) = member else {
        return Some(start + 1);
    };
    for (i, l) in lines.iter().enumerate().skip(start + 1) {
        match key(l) {
            Some((ind, _)) if ind <= indent => break,
            Some((_, k)) if k == member => return Some(i + 1),
            _ => {}
        }
    }
    Some(start + 1)
}

/// Fills in the file and line of each finding whose object a model file of `service` declares.
pub fn model_lines(
    project: &Project,
    service: &Service,
    findings: &mut [Finding],
) -> Result<(), Error> {
    if findings.is_empty() {
        return Ok(());
    }
    let files: Vec<(PathBuf, String, String)> = crate::migrate::service_files(project, service)?
        .into_iter()
        .filter_map(|(path, text)| {
            let schema = autogen_model::model::declared_schema(&path, &text).ok()?;
            Some((path, text, schema))
        })
        .collect();
    let rust_origins = command_origins(project, service)?;
    for f in findings.iter_mut() {
        let Some(object) = &f.object else { continue };
        let mut parts = object.splitn(3, '.');
        let (Some(schema), Some(name)) = (parts.next(), parts.next()) else {
            continue;
        };
        let member = parts.next();
        if let Some((path, line)) = files
            .iter()
            .filter(|(_, _, s)| s == schema)
            .find_map(|(p, t, _)| find(t, name, member).map(|l| (p, l)))
        {
            f.file = Some(path.clone());
            f.line = Some(line);
        } else if let Some((path, line)) = rust_origins
            .iter()
            .find(|(s, n, _, _)| s == schema && n == name)
            .map(|(_, _, p, l)| (p, l))
        {
            f.file = Some(path.clone());
            f.line = Some(*line);
        }
    }
    Ok(())
}

/// `(schema, object, file, line)` of each object a models command declared, from the origins
/// (`src/lib.rs:12:8`) it printed.
fn command_origins(
    project: &Project,
    service: &Service,
) -> Result<Vec<(String, String, PathBuf, usize)>, Error> {
    if !service
        .models
        .iter()
        .any(|m| matches!(m, ModelSource::Command(_)))
    {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for (origin, doc) in crate::migrate::service_documents(project, service)? {
        let text = origin.display().to_string();
        let mut parts = text.rsplitn(3, ':');
        let (Some(_col), Some(line), Some(file)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let Ok(line) = line.parse::<usize>() else {
            continue;
        };
        let schema = doc.schema.clone().unwrap_or_else(|| "public".into());
        let names = doc.tables.keys().chain(doc.enums.keys());
        for n in names {
            out.push((schema.clone(), n.clone(), PathBuf::from(file), line));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn finds_tables_and_their_columns() {
        let text = "schema: journal\ntables:\n  entries:\n    columns:\n      id: { type: uuid }\n      \"Odd name\": { type: text }\n  other:\n    columns:\n      id: { type: int }\n";
        assert_eq!(find(text, "entries", None), Some(3));
        assert_eq!(find(text, "entries", Some("Odd name")), Some(6));
        assert_eq!(find(text, "other", Some("id")), Some(9));
        // A member not declared under the table points at the table.
        assert_eq!(find(text, "other", Some("missing")), Some(7));
        assert_eq!(find(text, "missing", None), None);
    }
}
