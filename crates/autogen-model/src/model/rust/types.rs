//! Rust types -> Postgres column types, the way a Rust user expects them.
//!
//! A trait rather than a table of type names in the derive: the compiler resolves aliases and
//! re-exports, and a type with no mapping is a trait error at the field. Types from other crates
//! are behind features of the same name (`uuid`, `chrono`, `time`, `rust_decimal`), so a CLI
//! build compiles none of them.

/// The Postgres type of a column of this Rust type. `Option<T>` is `T`, nullable.
#[diagnostic::on_unimplemented(
    message = "autogen does not know the Postgres type of `{Self}`",
    label = "no Postgres type for this field",
    note = "give the column its type with #[autogen(sql_type = \"...\")], derive autogen_model::PgEnum for a Rust enum, or implement autogen_model::SqlType",
    note = "Postgres has no unsigned integers: use i16, i32 or i64; the types of uuid, chrono, time and rust_decimal need the autogen-model feature of the same name"
)]
pub trait SqlType {
    /// A type as the model accepts it (`integer`, `varchar(200)`, `"s"."e"[]`).
    fn sql_type() -> String;
    const NULLABLE: bool = false;
}

/// Types that may be the element of an array column (`Vec<T>` is `T[]`). `u8` is not one:
/// `Vec<u8>` is `bytea`.
pub trait ArrayElement: SqlType {}

macro_rules! sql_types {
    ($($t:ty => $sql:literal),* $(,)?) => {$(
        impl SqlType for $t {
            fn sql_type() -> String {
                $sql.to_string()
            }
        }
        impl ArrayElement for $t {}
    )*};
}

sql_types! {
    i16 => "smallint",
    i32 => "integer",
    i64 => "bigint",
    f32 => "real",
    f64 => "double precision",
    bool => "boolean",
    String => "text",
    std::net::IpAddr => "inet",
    std::time::SystemTime => "timestamptz",
    serde_json::Value => "jsonb",
}

impl<T: SqlType> SqlType for Option<T> {
    fn sql_type() -> String {
        T::sql_type()
    }
    const NULLABLE: bool = true;
}

/// `Vec<Option<i32>>` is `integer[]`: array elements are always nullable in Postgres.
impl<T: ArrayElement> ArrayElement for Option<T> {}

impl<T: ArrayElement> SqlType for Vec<T> {
    fn sql_type() -> String {
        // Postgres array types have no dimensions: `integer[][]` is `integer[]`.
        let inner = T::sql_type();
        if inner.ends_with("[]") {
            inner
        } else {
            format!("{inner}[]")
        }
    }
}

impl<T: ArrayElement> ArrayElement for Vec<T> {}

impl SqlType for Vec<u8> {
    fn sql_type() -> String {
        "bytea".to_string()
    }
}

#[cfg(feature = "uuid")]
sql_types! { uuid::Uuid => "uuid" }

#[cfg(feature = "rust_decimal")]
sql_types! { rust_decimal::Decimal => "numeric" }

#[cfg(feature = "chrono")]
sql_types! {
    chrono::DateTime<chrono::Utc> => "timestamptz",
    chrono::DateTime<chrono::FixedOffset> => "timestamptz",
    chrono::NaiveDateTime => "timestamp",
    chrono::NaiveDate => "date",
    chrono::NaiveTime => "time",
}

#[cfg(feature = "time")]
sql_types! {
    time::OffsetDateTime => "timestamptz",
    time::PrimitiveDateTime => "timestamp",
    time::Date => "date",
    time::Time => "time",
}

#[cfg(test)]
mod tests {
    use super::SqlType;
    use crate::ir::ColumnType;

    /// The type text and whether it parses to the expected canonical Postgres type.
    fn canonical<T: SqlType>() -> (String, bool) {
        let text = T::sql_type();
        let (ty, _) = ColumnType::parse(&text).expect("every mapped type parses");
        (crate::ir::quote::column_type(&ty), T::NULLABLE)
    }

    #[test]
    fn std_types() {
        assert_eq!(canonical::<i16>(), ("smallint".into(), false));
        assert_eq!(canonical::<i32>(), ("integer".into(), false));
        assert_eq!(canonical::<i64>(), ("bigint".into(), false));
        assert_eq!(canonical::<f32>(), ("real".into(), false));
        assert_eq!(canonical::<f64>(), ("double precision".into(), false));
        assert_eq!(canonical::<bool>(), ("boolean".into(), false));
        assert_eq!(canonical::<String>(), ("text".into(), false));
        assert_eq!(canonical::<std::net::IpAddr>(), ("inet".into(), false));
        assert_eq!(
            canonical::<std::time::SystemTime>(),
            ("timestamptz".into(), false)
        );
        assert_eq!(canonical::<serde_json::Value>(), ("jsonb".into(), false));
    }

    #[test]
    fn option_is_nullable_and_vec_is_an_array() {
        assert_eq!(canonical::<Option<i32>>(), ("integer".into(), true));
        assert_eq!(canonical::<Option<String>>(), ("text".into(), true));
        assert_eq!(canonical::<Vec<String>>(), ("text[]".into(), false));
        assert_eq!(canonical::<Option<Vec<i64>>>(), ("bigint[]".into(), true));
        assert_eq!(
            canonical::<Vec<Option<i16>>>(),
            ("smallint[]".into(), false)
        );
        assert_eq!(
            canonical::<Vec<Vec<f64>>>(),
            ("double precision[]".into(), false)
        );
        assert_eq!(canonical::<Vec<u8>>(), ("bytea".into(), false));
        assert_eq!(canonical::<Option<Vec<u8>>>(), ("bytea".into(), true));
    }

    #[cfg(feature = "uuid")]
    #[test]
    fn uuid() {
        assert_eq!(canonical::<uuid::Uuid>(), ("uuid".into(), false));
        assert_eq!(canonical::<Vec<uuid::Uuid>>(), ("uuid[]".into(), false));
    }

    #[cfg(feature = "rust_decimal")]
    #[test]
    fn decimal() {
        assert_eq!(
            canonical::<rust_decimal::Decimal>(),
            ("numeric".into(), false)
        );
    }

    #[cfg(feature = "chrono")]
    #[test]
    fn chrono() {
        use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc};
        let tz = "timestamptz".to_string();
        assert_eq!(canonical::<DateTime<Utc>>(), (tz.clone(), false));
        assert_eq!(canonical::<DateTime<FixedOffset>>(), (tz, false));
        assert_eq!(canonical::<NaiveDateTime>(), ("timestamp".into(), false));
        assert_eq!(canonical::<NaiveDate>(), ("date".into(), false));
        assert_eq!(canonical::<NaiveTime>(), ("time".into(), false));
    }

    #[cfg(feature = "time")]
    #[test]
    fn time() {
        assert_eq!(
            canonical::<time::OffsetDateTime>(),
            ("timestamptz".into(), false)
        );
        assert_eq!(
            canonical::<time::PrimitiveDateTime>(),
            ("timestamp".into(), false)
        );
        assert_eq!(canonical::<time::Date>(), ("date".into(), false));
        assert_eq!(canonical::<time::Time>(), ("time".into(), false));
    }
}
