//! SQL that more than one kind of object renders the same way: comments, and the name a type
//! being rebuilt steps aside under.

use crate::diff::CommentTarget;
use autogen_model::ir::QName;
use autogen_model::ir::quote::{ident, literal, qname};
use autogen_model::ir::truncate_identifier;

pub(super) fn comment_sql(target: &CommentTarget, text: &Option<String>) -> String {
    let what = match target {
        CommentTarget::Schema(s) => format!("SCHEMA {}", ident(s)),
        CommentTarget::Table(q) => format!("TABLE {}", qname(q)),
        CommentTarget::Column(q, c) => format!("COLUMN {}.{}", qname(q), ident(c)),
        CommentTarget::Enum(q) => format!("TYPE {}", qname(q)),
        CommentTarget::Domain(q) => format!("DOMAIN {}", qname(q)),
        CommentTarget::Sequence(q) => format!("SEQUENCE {}", qname(q)),
    };
    let value = text.as_deref().map_or_else(|| "NULL".to_string(), literal);
    format!("COMMENT ON {what} IS {value}")
}

/// The temporary name a rebuilt type steps aside under while its replacement is created.
pub(super) fn set_aside_name(name: &QName) -> QName {
    QName::new(
        name.schema.clone(),
        truncate_identifier(&format!("{}__old", name.name)),
    )
}
