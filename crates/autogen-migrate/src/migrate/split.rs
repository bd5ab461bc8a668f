//! A migration file -> statements with their line numbers, grouped into the units the runner
//! executes: transactions, and statements that Postgres refuses inside one.
//!
//! Statements end at `;` outside quotes, dollar quotes and comments, so hand-written SQL with
//! function bodies splits correctly. A `-- autogen:commit` line ends a transaction (an enum value
//! added before it can be used after it).

use autogen_core::render::COMMIT_MARKER;

pub use autogen_model::sqltext::Statement;
use autogen_model::sqltext::{Piece, pieces};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// False for a statement that cannot run in a transaction block; such a unit has one statement.
    pub transactional: bool,
    pub statements: Vec<Statement>,
}

/// Whether Postgres refuses to run the statement inside a transaction block.
pub fn needs_own_transaction(sql: &str) -> bool {
    let words: Vec<String> = sql
        .split_whitespace()
        .take(6)
        .map(|w| w.to_ascii_uppercase())
        .collect();
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let concurrently = w.contains(&"CONCURRENTLY");
    matches!(
        w.as_slice(),
        ["CREATE", "INDEX", ..] | ["CREATE", "UNIQUE", "INDEX", ..] | ["DROP", "INDEX", ..] | ["REINDEX", ..]
            if concurrently
    ) || matches!(
        w.as_slice(),
        ["VACUUM", ..]
            | ["CREATE", "DATABASE", ..]
            | ["DROP", "DATABASE", ..]
            | ["ALTER", "SYSTEM", ..]
            | ["CREATE", "TABLESPACE", ..]
            | ["DROP", "TABLESPACE", ..]
    )
}

/// Splits `text` into execution units, in order. Empty units are left out.
pub fn split(text: &str) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut current = Unit {
        transactional: true,
        statements: Vec::new(),
    };
    let flush = |units: &mut Vec<Unit>, cur: &mut Unit| {
        if !cur.statements.is_empty() {
            units.push(std::mem::replace(
                cur,
                Unit {
                    transactional: true,
                    statements: Vec::new(),
                },
            ));
        }
    };
    for piece in pieces(text, Some(COMMIT_MARKER)) {
        match piece {
            Piece::Marker => flush(&mut units, &mut current),
            Piece::Statement(s) if needs_own_transaction(&s.sql) => {
                flush(&mut units, &mut current);
                units.push(Unit {
                    transactional: false,
                    statements: vec![s],
                });
            }
            Piece::Statement(s) => current.statements.push(s),
        }
    }
    flush(&mut units, &mut current);
    units
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqls(text: &str) -> Vec<(bool, Vec<(String, usize)>)> {
        split(text)
            .into_iter()
            .map(|u| {
                (
                    u.transactional,
                    u.statements.into_iter().map(|s| (s.sql, s.line)).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn quotes_comments_and_dollar_bodies_do_not_split() {
        let text = "-- header; not a statement\nCREATE TABLE \"a;b\" (x text DEFAULT 'it''s; ok');\n\
                    /* block; /* nested; */ still */\nCREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n\
                    SELECT E'\\';'; SELECT $1";
        let got = sqls(text);
        assert_eq!(got.len(), 1);
        let stmts = &got[0].1;
        assert_eq!(stmts.len(), 4, "{stmts:?}");
        assert_eq!(stmts[0].1, 2);
        assert!(stmts[0].0.starts_with("CREATE TABLE \"a;b\""));
        assert_eq!(stmts[1].1, 4);
        assert!(stmts[1].0.ends_with("LANGUAGE sql"));
        assert_eq!(stmts[2].0, "SELECT E'\\';'");
        assert_eq!(stmts[3].0, "SELECT $1");
    }

    #[test]
    fn commit_markers_and_concurrent_indexes_make_units() {
        let text = "ALTER TYPE t ADD VALUE 'x';\n\n-- autogen:commit -- why\n\nUPDATE a SET s = 'x';\n\
                    CREATE INDEX CONCURRENTLY i ON a (s);\nSELECT 1;\n";
        let got = sqls(text);
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!(
            got[0],
            (true, vec![("ALTER TYPE t ADD VALUE 'x'".into(), 1)])
        );
        assert_eq!(got[1], (true, vec![("UPDATE a SET s = 'x'".into(), 5)]));
        assert_eq!(
            got[2],
            (
                false,
                vec![("CREATE INDEX CONCURRENTLY i ON a (s)".into(), 6)]
            )
        );
        assert_eq!(got[3], (true, vec![("SELECT 1".into(), 7)]));
    }
}
