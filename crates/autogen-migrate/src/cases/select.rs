//! Which migrations `upgrade` and `downgrade` run for a target (`head`, `+N`, a version; `base`,
//! `-N`, a version), from the pending or applied ones of each service.

use crate::error::Error;
use crate::migrate::{Migration, Stream};

/// Refuses a version that no migration has.
pub fn check_version(streams: &[Stream], v: &str) -> Result<(), Error> {
    if streams
        .iter()
        .any(|s| s.chain.iter().any(|m| m.version == v))
    {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "no migration has version `{v}`; `autogen history` lists them"
        )))
    }
}

/// The pending migrations an upgrade to `target` runs (all of them for `head` or none given).
pub fn up(
    pending: Vec<Migration>,
    target: Option<&str>,
    streams: &[Stream],
) -> Result<Vec<Migration>, Error> {
    match target {
        None | Some("head") => Ok(pending),
        Some(t) if t.starts_with('+') => {
            let n: usize = t[1..].parse().map_err(|_| {
                Error::Usage(format!("`{t}` is not a target: write +N with a number"))
            })?;
            Ok(pending.into_iter().take(n).collect())
        }
        Some(v) => {
            check_version(streams, v)?;
            Ok(pending
                .into_iter()
                .filter(|m| m.version.as_str() <= v)
                .collect())
        }
    }
}

/// The applied migrations a downgrade to `target` reverts, latest first as given.
pub fn down(
    applied: Vec<Migration>,
    target: &str,
    streams: &[Stream],
) -> Result<Vec<Migration>, Error> {
    match target {
        "base" => Ok(applied),
        t if t.starts_with('-') => {
            let n: usize = t[1..].parse().map_err(|_| {
                Error::Usage(format!("`{t}` is not a target: write -N with a number"))
            })?;
            Ok(applied.into_iter().take(n).collect())
        }
        v => {
            check_version(streams, v)?;
            Ok(applied
                .into_iter()
                .filter(|m| m.version.as_str() > v)
                .collect())
        }
    }
}
