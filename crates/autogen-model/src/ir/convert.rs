//! How a column's type converts to another: which conversions keep every value, which rewrite
//! the table, which can change or refuse stored values. Facts about types, used by the
//! comparator (what an undo cannot restore), the planner (hazards) and the renderer (USING).

use super::{BaseType, ColumnType, Expr, Typmod};
use serde::{Deserialize, Serialize};

/// What is known about converting one column's values, beyond the two types.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversion {
    /// The model's `using:` expression; it converts into the new type, so an inverse drops it.
    pub using: Option<Expr>,
    /// Labels of the type before the change, when it is an enum (or an array of one).
    pub labels_before: Option<Vec<String>>,
    pub labels_after: Option<Vec<String>>,
}

impl Conversion {
    pub fn inverted(&self) -> Conversion {
        Conversion {
            using: None,
            labels_before: self.labels_after.clone(),
            labels_after: self.labels_before.clone(),
        }
    }
}

/// Whether existing values of type `a` can be lost or refused when converted to `b`.
pub fn type_change_is_lossy(a: &ColumnType, b: &ColumnType) -> bool {
    !widens(a, b)
}

/// Conversions Postgres does without rewriting the table (binary-coercible or typmod-widening).
pub fn no_rewrite(a: &ColumnType, b: &ColumnType) -> bool {
    if a.array != b.array {
        return false;
    }
    match (&a.base, &b.base) {
        (BaseType::Builtin(x), BaseType::Builtin(y)) => match (x.as_str(), y.as_str()) {
            ("varchar", "varchar") => match (a.typmod, b.typmod) {
                (_, Typmod::None) => true,
                (Typmod::Length(m), Typmod::Length(n)) => n >= m,
                _ => false,
            },
            ("varchar", "text") => true,
            ("numeric", "numeric") => match (a.typmod, b.typmod) {
                (_, Typmod::None) => true,
                (Typmod::Numeric(p1, s1), Typmod::Numeric(p2, s2)) => s1 == s2 && p2 >= p1,
                _ => false,
            },
            ("bit" | "varbit", "varbit") => match (a.typmod, b.typmod) {
                (_, Typmod::None) => true,
                (Typmod::Length(m), Typmod::Length(n)) => n >= m,
                _ => false,
            },
            _ => false,
        },
        _ => false,
    }
}

/// Conversions that change existing values without an error: the generated `USING col::type` is
/// an explicit cast, which cuts strings and bit strings to the new length and rounds numbers and
/// times to the new scale or precision.
pub fn silently_changes_values(a: &ColumnType, b: &ColumnType) -> bool {
    if a.array != b.array {
        return false;
    }
    let (BaseType::Builtin(x), BaseType::Builtin(y)) = (&a.base, &b.base) else {
        return false;
    };
    let shorter = |m: Typmod, n: Typmod| match (m, n) {
        (_, Typmod::None) => false,
        (Typmod::Length(m), Typmod::Length(n)) => n < m,
        (Typmod::None, Typmod::Length(_)) => true,
        _ => false,
    };
    let less_precise = |m: Typmod, n: Typmod| match (m, n) {
        (_, Typmod::None) => false,
        (Typmod::Precision(m), Typmod::Precision(n)) => n < m,
        (Typmod::None, Typmod::Precision(_)) => true,
        _ => false,
    };
    match (x.as_str(), y.as_str()) {
        ("varchar" | "bpchar" | "text" | "citext", "varchar" | "bpchar") => {
            shorter(a.typmod, b.typmod)
        }
        ("bit" | "varbit", "bit" | "varbit") => shorter(a.typmod, b.typmod),
        ("numeric", "numeric") => match (a.typmod, b.typmod) {
            (Typmod::Numeric(_, s1), Typmod::Numeric(_, s2)) => s2 < s1,
            (Typmod::None, Typmod::Numeric(..)) => true,
            _ => false,
        },
        ("numeric" | "float4" | "float8", "int2" | "int4" | "int8") => true,
        ("float8", "float4") | ("numeric", "float4" | "float8") => true,
        ("timestamp" | "timestamptz", "date") => true,
        (
            "timestamp" | "timestamptz" | "time" | "timetz" | "interval",
            "timestamp" | "timestamptz" | "time" | "timetz" | "interval",
        ) => less_precise(a.typmod, b.typmod),
        _ => false,
    }
}

/// Whether converting `a` to `b` can change a stored value without an error (cut, rounded,
/// rewritten by a declared expression): what the undo of the step cannot bring back. A
/// conversion that can only fail (`text -> integer`, an enum losing labels) changes nothing when
/// it succeeds.
pub fn changes_values(a: &ColumnType, b: &ColumnType, conv: &Conversion) -> bool {
    a != b && (conv.using.is_some() || silently_changes_values(a, b) || labels_cut(b, conv))
}

/// Whether every existing value converts without failing, knowing the enum labels involved.
pub fn fits(a: &ColumnType, b: &ColumnType, conv: &Conversion) -> bool {
    let to_text = a.array == b.array
        && matches!(&b.base, BaseType::Builtin(y) if y == "text"
            || (y == "varchar" && b.typmod == Typmod::None));
    widens(a, b) || to_text || labels_kept(b, conv)
}

/// For an old enum converted to `b`: whether every label is a label of the new enum, or a
/// string that fits `b` whole.
pub fn labels_kept(b: &ColumnType, conv: &Conversion) -> bool {
    let Some(old) = &conv.labels_before else {
        return false;
    };
    if let Some(new) = &conv.labels_after {
        return old.iter().all(|l| new.contains(l));
    }
    match (&b.base, b.typmod) {
        (BaseType::Builtin(y), Typmod::Length(n)) if y == "varchar" || y == "bpchar" => {
            old.iter().all(|l| l.chars().count() <= n as usize)
        }
        _ => false,
    }
}

/// For an old enum converted to `varchar(n)`: whether the explicit cast cuts a label (a
/// `bpchar(n)` pads instead, which changes nothing).
pub fn labels_cut(b: &ColumnType, conv: &Conversion) -> bool {
    conv.labels_before.is_some()
        && conv.labels_after.is_none()
        && matches!(&b.base, BaseType::Builtin(y) if y == "varchar")
        && matches!(b.typmod, Typmod::Length(_))
        && !labels_kept(b, conv)
}

/// The labels of the old enum that the new one lacks, when both are enums.
pub fn missing_labels(conv: &Conversion) -> Vec<&str> {
    match (&conv.labels_before, &conv.labels_after) {
        (Some(old), Some(new)) => old
            .iter()
            .filter(|l| !new.contains(l))
            .map(String::as_str)
            .collect(),
        _ => Vec::new(),
    }
}

/// Conversions that keep every existing value exactly.
pub fn widens(a: &ColumnType, b: &ColumnType) -> bool {
    if no_rewrite(a, b) {
        return true;
    }
    if a.array != b.array {
        return false;
    }
    match (&a.base, &b.base) {
        (BaseType::Builtin(x), BaseType::Builtin(y)) => {
            matches!(
                (x.as_str(), y.as_str()),
                ("int2", "int4" | "int8" | "numeric")
                    | ("int4", "int8" | "numeric")
                    | ("int8", "numeric")
                    | ("float4", "float8")
                    | ("bpchar" | "varchar" | "text" | "citext", "text")
                    | ("timestamp", "timestamptz")
                    | ("timestamptz", "timestamp")
                    | ("date", "timestamp" | "timestamptz")
                    | ("json", "jsonb")
            ) && !(x == "numeric" && y == "numeric")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::silently_changes_values;
    use crate::ir::ColumnType;

    fn cuts(a: &str, b: &str) -> bool {
        let t = |s: &str| ColumnType::parse(s).expect("type").0;
        silently_changes_values(&t(a), &t(b))
    }

    #[test]
    fn narrowing_casts_are_data_loss_and_widening_ones_are_not() {
        assert!(cuts("varchar(200)", "varchar(50)"));
        assert!(cuts("text", "varchar(200)"));
        assert!(cuts("numeric(12,4)", "numeric(12,2)"));
        assert!(cuts("numeric", "numeric(10,2)"));
        assert!(cuts("double precision", "real"));
        assert!(cuts("numeric", "integer"));
        assert!(cuts("timestamptz", "date"));
        assert!(cuts("timestamp", "timestamp(3)"));
        assert!(!cuts("varchar(50)", "varchar(200)"));
        assert!(!cuts("varchar(50)", "text"));
        assert!(!cuts("numeric(10,2)", "numeric(12,2)"));
        assert!(!cuts("integer", "bigint"));
        assert!(!cuts("real", "double precision"));
        assert!(!cuts("timestamp(3)", "timestamp"));
        assert!(
            !cuts("text", "integer"),
            "refused, not changed: may fail, not loss"
        );
    }
}
