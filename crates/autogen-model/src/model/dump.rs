//! `ir::Schema` -> YAML model files, one per Postgres schema. Loading the files back gives a
//! schema equal to the one dumped.

use super::doc::{
    ColumnDoc, DomainDoc, EnumDoc, ExclusionDoc, ExtensionDoc, FileDoc, Flex, ForeignKeyDoc,
    FunctionDoc, GrantWords, GrantsDoc, IdentityDoc, IndexDoc, KeyDoc, PolicyDoc, SequenceDoc,
    TableDoc, TriggerDoc, ViewDoc,
};
use crate::ir::quote;
use crate::ir::{
    Acl, AclKind, BaseType, Column, Deferrable, FkAction, Function, Identity, Index, IndexElement,
    IndexKey, PUBLIC_ROLE, Parallel, PolicyCommand, QName, Schema, Sequence, Table, Trigger,
    TriggerEnabled, TriggerTiming, View, Volatility, default_constraint_name,
};
use serde_saphyr::{Location, Spanned};
use std::collections::BTreeSet;

/// A value with no source position: made in memory, not read from a file.
pub(crate) fn sp<T>(v: T) -> Spanned<T> {
    Spanned::new(v, Location::UNKNOWN, Location::UNKNOWN)
}

/// Returns `(file name, YAML text)` per schema, sorted by schema.
pub fn dump_files(schema: &Schema) -> Vec<(String, String)> {
    dump_docs(schema, false)
        .into_iter()
        .map(|(ns, doc)| {
            let body = serde_saphyr::to_string(&doc).unwrap_or_default();
            let header = format!("# Schema `{ns}`, written by `autogen dump`.\n");
            (format!("{}.yaml", file_stem(&ns)), header + &body)
        })
        .collect()
}

/// One model document per Postgres schema, sorted by schema. A snapshot (`snapshot`) also
/// records each view's column types and what it reads, which a model file leaves to the
/// shadow.
pub(crate) fn dump_docs(schema: &Schema, snapshot: bool) -> Vec<(String, FileDoc)> {
    let mut names: BTreeSet<String> = schema.schemas.keys().cloned().collect();
    names.extend(schema.tables.keys().map(|q| q.schema.clone()));
    names.extend(schema.enums.keys().map(|q| q.schema.clone()));
    names.extend(schema.domains.keys().map(|q| q.schema.clone()));
    names.extend(schema.sequences.keys().map(|q| q.schema.clone()));
    names.extend(schema.extensions.values().map(|e| e.schema.clone()));
    names.extend(schema.views.keys().map(|q| q.schema.clone()));
    names.extend(schema.functions.keys().map(|(q, _)| q.schema.clone()));
    let serial_seqs = serial_sequences(schema);
    let roles = dumped_roles(schema);
    let g = |acl: &Acl, kind: AclKind| grants_doc(acl, kind, &roles);
    let mut out = Vec::new();
    for ns in names {
        let mut doc = FileDoc {
            schema: Some(ns.clone()),
            comment: schema.schemas.get(&ns).and_then(|n| n.comment.clone()),
            roles: roles.iter().cloned().collect(),
            grants: schema
                .schemas
                .get(&ns)
                .and_then(|n| g(&n.grants, AclKind::Schema)),
            ..FileDoc::default()
        };
        for e in schema.extensions.values().filter(|e| e.schema == ns) {
            doc.extensions.push(Flex(ExtensionDoc {
                name: e.name.clone(),
                schema: None,
            }));
        }
        for e in schema.enums.values().filter(|e| e.name.schema == ns) {
            doc.enums.insert(
                e.name.name.clone(),
                sp(Flex(EnumDoc {
                    values: e.values.clone(),
                    comment: e.comment.clone(),
                    grants: g(&e.grants, AclKind::Type),
                    ..EnumDoc::default()
                })),
            );
        }
        for d in schema.domains.values().filter(|d| d.name.schema == ns) {
            doc.domains.insert(
                d.name.name.clone(),
                sp(Flex(DomainDoc {
                    ty: quote::column_type(&d.base),
                    not_null: d.not_null,
                    default: d.default.as_ref().map(|e| e.to_string()),
                    collation: d.collation.clone(),
                    check: None,
                    checks: d
                        .checks
                        .iter()
                        .map(|(n, e)| (n.clone(), e.to_string()))
                        .collect(),
                    comment: d.comment.clone(),
                    grants: g(&d.grants, AclKind::Type),
                })),
            );
        }
        for s in schema
            .sequences
            .values()
            .filter(|s| s.name.schema == ns && !serial_seqs.contains(&s.name))
        {
            let mut d = sequence_doc(s);
            d.grants = g(&s.grants, AclKind::Sequence);
            doc.sequences.insert(s.name.name.clone(), sp(d));
        }
        for t in schema.tables.values().filter(|t| t.name.schema == ns) {
            let mut d = table_doc(t, &serial_seqs, &ns);
            d.triggers = triggers_doc(&t.triggers, &ns, schema);
            d.grants = g(&t.grants, AclKind::Table);
            for (c, acl) in &t.column_grants {
                if let Some(cd) = d.columns.get_mut(c) {
                    cd.value.grants = g(acl, AclKind::Column);
                }
            }
            doc.tables.insert(t.name.name.clone(), sp(d));
        }
        for v in schema.views.values().filter(|v| v.name.schema == ns) {
            let mut d = view_doc(v, snapshot);
            d.triggers = triggers_doc(&v.triggers, &ns, schema);
            d.grants = g(&v.grants, AclKind::Table);
            doc.views.insert(v.name.name.clone(), sp(d));
        }
        for f in schema.functions.values().filter(|f| f.name.schema == ns) {
            // The first of a name under its name; an overload under a label that shows its
            // signature.
            let mut d = function_doc(f, snapshot);
            d.grants = g(&f.grants, AclKind::Function);
            let label = if doc.functions.contains_key(&f.name.name) {
                d.name = Some(f.name.name.clone());
                format!("{}({})", f.name.name, f.signature)
            } else {
                f.name.name.clone()
            };
            doc.functions.insert(label, sp(d));
        }
        out.push((ns, doc));
    }
    out
}

/// The roles a dump states the grants of: a model's own list, else (a database's schema) every
/// role granted anything, with PUBLIC only where some object's grants to it are not Postgres's
/// default, so a dump does not spell out `public: execute` on every function for nothing.
fn dumped_roles(schema: &Schema) -> BTreeSet<String> {
    if let Some(r) = &schema.managed_roles {
        return r.clone();
    }
    let mut out = BTreeSet::new();
    for (target, acl) in schema.acls() {
        for r in acl.roles() {
            if r != PUBLIC_ROLE || acl.of(r) != target.kind().builtin_default().of(r) {
                out.insert(r.clone());
            }
        }
        let default = target.kind().builtin_default();
        if default.roles().any(|r| acl.of(r).is_empty()) {
            out.insert(PUBLIC_ROLE.to_string());
        }
    }
    out
}

fn grants_doc(acl: &Acl, kind: AclKind, roles: &BTreeSet<String>) -> Option<Spanned<GrantsDoc>> {
    let words: GrantsDoc = acl
        .words(kind)
        .into_iter()
        .filter(|(r, _)| roles.contains(r))
        .map(|(r, w)| {
            let w = match <[String; 1]>::try_from(w) {
                Ok([one]) => GrantWords::One(one),
                Err(many) => GrantWords::Many(many),
            };
            (r, w)
        })
        .collect();
    (!words.is_empty()).then(|| sp(words))
}

/// A file name that is safe on every file system, yet tells which schema it holds.
fn file_stem(ns: &str) -> String {
    ns.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Sequences that exist only because a column is `serial`: dumped as that column's type.
fn serial_sequences(schema: &Schema) -> BTreeSet<QName> {
    let mut out = BTreeSet::new();
    for s in schema.sequences.values() {
        let Some((tq, col)) = &s.owned_by else {
            continue;
        };
        let Some(c) = schema.tables.get(tq).and_then(|t| t.columns.get(col)) else {
            continue;
        };
        let expected_name = default_constraint_name(&tq.name, &[col], "seq");
        let expected_default = format!(
            "nextval({}::regclass)",
            quote::literal(&quote::qname(&s.name))
        );
        let mut plain = Sequence::with_defaults(s.name.clone(), &s.data_type);
        plain.owned_by = s.owned_by.clone();
        let int_type =
            matches!(&c.ty.base, BaseType::Builtin(n) if *n == s.data_type) && !c.ty.array;
        if s.name.name == expected_name
            && s.name.schema == tq.schema
            && int_type
            && c.default.as_ref().map(|d| d.as_str()) == Some(expected_default.as_str())
            && s == &plain
            && !c.nullable
        {
            out.insert(s.name.clone());
        }
    }
    out
}

fn sequence_doc(s: &Sequence) -> SequenceDoc {
    let d = Sequence::with_defaults(s.name.clone(), &s.data_type);
    SequenceDoc {
        ty: (s.data_type != "int8")
            .then(|| quote::column_type(&crate::ir::ColumnType::builtin(&s.data_type))),
        start: (s.start != s.min_value || s.increment < 0).then_some(s.start),
        increment: (s.increment != 1).then_some(s.increment),
        min_value: Some(s.min_value).filter(|_| s.min_value != d.min_value || s.increment < 0),
        max_value: Some(s.max_value).filter(|_| s.max_value != d.max_value || s.increment < 0),
        cache: (s.cache != 1).then_some(s.cache),
        cycle: s.cycle,
        owned_by: s.owned_by.as_ref().map(|(t, c)| format!("{}.{c}", t.name)),
        comment: s.comment.clone(),
        grants: None,
    }
}

fn type_text(c: &Column, serial_seqs: &BTreeSet<QName>, table: &QName) -> (String, bool) {
    let seq = QName::new(
        table.schema.clone(),
        default_constraint_name(&table.name, &[&c.name], "seq"),
    );
    if serial_seqs.contains(&seq) {
        let t = match &c.ty.base {
            BaseType::Builtin(n) if n == "int2" => "smallserial",
            BaseType::Builtin(n) if n == "int8" => "bigserial",
            _ => "serial",
        };
        return (t.to_string(), true);
    }
    (quote::column_type(&c.ty), false)
}

fn table_doc(t: &Table, serial_seqs: &BTreeSet<QName>, ns: &str) -> TableDoc {
    let mut doc = TableDoc {
        comment: t.comment.clone(),
        rls: t.row_security.enabled,
        force_rls: t.row_security.forced,
        policies: policies_doc(t),
        ..TableDoc::default()
    };
    for c in t.columns.values() {
        let (ty, serial) = type_text(c, serial_seqs, &t.name);
        doc.columns.insert(
            c.name.clone(),
            sp(ColumnDoc {
                ty,
                nullable: c.nullable,
                default: if serial {
                    None
                } else {
                    c.default.as_ref().map(|d| d.to_string())
                },
                identity: c.identity.map(|i| match i {
                    Identity::Always => IdentityDoc::Always,
                    Identity::ByDefault => IdentityDoc::ByDefault,
                }),
                generated: c.generated.as_ref().map(|g| g.to_string()),
                collation: c.collation.clone(),
                comment: c.comment.clone(),
                ..ColumnDoc::default()
            }),
        );
    }
    if let Some(pk) = &t.primary_key {
        let default = default_constraint_name(&t.name.name, &[], "pkey");
        doc.primary_key = Some(Flex(KeyDoc {
            name: (pk.name != default).then(|| pk.name.clone()),
            columns: pk.columns.clone(),
            ..KeyDoc::default()
        }));
    }
    for u in t.uniques.values() {
        let cols: Vec<&str> = u.columns.iter().map(String::as_str).collect();
        let default = default_constraint_name(&t.name.name, &cols, "key");
        doc.unique.push(Flex(KeyDoc {
            name: (u.name != default).then(|| u.name.clone()),
            columns: u.columns.clone(),
            nulls_not_distinct: u.nulls_not_distinct,
            deferrable: deferrable(u.deferrable),
        }));
    }
    for c in t.checks.values() {
        doc.checks.insert(c.name.clone(), c.expr.to_string());
    }
    for f in t.foreign_keys.values() {
        let target = if f.ref_table.schema == ns {
            quote::ident(&f.ref_table.name)
        } else {
            quote::qname(&f.ref_table)
        };
        doc.foreign_keys.insert(
            f.name.clone(),
            sp(ForeignKeyDoc {
                columns: f.columns.clone(),
                references: format!("{target}({})", quote::ident_list(&f.ref_columns)),
                on_delete: action(f.on_delete),
                on_update: action(f.on_update),
                match_type: f.match_full.then(|| "full".to_string()),
                deferrable: deferrable(f.deferrable),
            }),
        );
    }
    for x in t.exclusions.values() {
        doc.exclusions.insert(
            x.name.clone(),
            sp(ExclusionDoc {
                method: Some(x.method.clone()),
                elements: x
                    .elements
                    .iter()
                    .map(|(e, op)| (key_text(&e.key, false), op.clone()))
                    .collect(),
                predicate: x.predicate.as_ref().map(|p| p.to_string()),
            }),
        );
    }
    for i in t.indexes.values() {
        doc.indexes.insert(i.name.clone(), sp(index_doc(i)));
    }
    doc
}

fn index_doc(i: &Index) -> IndexDoc {
    IndexDoc {
        columns: i.elements.iter().map(element_text).collect(),
        unique: i.unique,
        method: (i.method != "btree").then(|| i.method.clone()),
        include: i.include.clone(),
        predicate: i.predicate.as_ref().map(|p| p.to_string()),
        nulls_not_distinct: i.nulls_not_distinct,
        ..IndexDoc::default()
    }
}

fn key_text(k: &IndexKey, in_index: bool) -> String {
    match k {
        IndexKey::Column(c) if in_index => quote::ident(c),
        IndexKey::Column(c) => c.clone(),
        IndexKey::Expression(e) => format!("({e})"),
    }
}

fn element_text(e: &IndexElement) -> String {
    let mut s = key_text(&e.key, true);
    if let Some(c) = &e.collation {
        s.push_str(&format!(" COLLATE {}", quote::collation(c)));
    }
    if let Some(o) = &e.opclass {
        s.push(' ');
        s.push_str(o);
    }
    if e.descending {
        s.push_str(" DESC");
    }
    if e.nulls_first != e.descending {
        s.push_str(if e.nulls_first {
            " NULLS FIRST"
        } else {
            " NULLS LAST"
        });
    }
    s
}

fn action(a: FkAction) -> Option<String> {
    let s = match a {
        FkAction::NoAction => return None,
        FkAction::Restrict => "restrict",
        FkAction::Cascade => "cascade",
        FkAction::SetNull => "set_null",
        FkAction::SetDefault => "set_default",
    };
    Some(s.to_string())
}

fn deferrable(d: Deferrable) -> Option<String> {
    match d {
        Deferrable::No => None,
        Deferrable::InitiallyImmediate => Some("deferrable".into()),
        Deferrable::InitiallyDeferred => Some("initially_deferred".into()),
    }
}

fn view_doc(v: &View, snapshot: bool) -> ViewDoc {
    let flag = |k: &str| v.options.get(k).is_some_and(|x| x == "true");
    let indexes = v
        .indexes
        .values()
        .map(|i| (i.name.clone(), sp(index_doc(i))))
        .collect();
    ViewDoc {
        materialized: v.materialized,
        query: v.query.clone(),
        columns: if snapshot {
            v.columns.iter().map(|c| c.name.clone()).collect()
        } else {
            Vec::new()
        },
        security_invoker: !v.materialized && flag("security_invoker"),
        security_barrier: !v.materialized && flag("security_barrier"),
        check_option: if v.materialized {
            None
        } else {
            v.options.get("check_option").cloned()
        },
        with_data: (v.materialized && !v.with_data).then_some(false),
        storage: if v.materialized {
            v.options
                .iter()
                .map(|(k, x)| (k.clone(), x.clone()))
                .collect()
        } else {
            Default::default()
        },
        indexes,
        comment: v.comment.clone(),
        grants: None,
        triggers: Default::default(),
        column_types: if snapshot {
            v.columns.iter().map(|c| c.ty.clone()).collect()
        } else {
            Vec::new()
        },
        depends_on: if snapshot {
            v.depends_on.iter().map(|d| d.to_string()).collect()
        } else {
            Vec::new()
        },
    }
}

/// A table's policies; every role (`public`) is the default, so it is not written.
fn policies_doc(t: &Table) -> indexmap::IndexMap<String, Spanned<PolicyDoc>> {
    t.policies
        .values()
        .map(|p| {
            let d = PolicyDoc {
                command: (p.command != PolicyCommand::All).then(|| p.command.sql().to_lowercase()),
                restrictive: p.restrictive,
                roles: if p.roles.len() == 1 && p.roles.contains(PUBLIC_ROLE) {
                    Vec::new()
                } else {
                    p.roles.iter().cloned().collect()
                },
                using: p.using.clone(),
                with_check: p.check.clone(),
                comment: p.comment.clone(),
            };
            (p.name.clone(), sp(d))
        })
        .collect()
}

/// A relation's triggers; a function of the relation's own schema that the dump also writes is
/// named unqualified, as its author would, any other qualified.
fn triggers_doc(
    triggers: &std::collections::BTreeMap<String, Trigger>,
    ns: &str,
    schema: &Schema,
) -> indexmap::IndexMap<String, Spanned<TriggerDoc>> {
    let name = |q: &QName| {
        if q.schema == ns && schema.functions.contains_key(&(q.clone(), String::new())) {
            quote::ident(&q.name)
        } else {
            quote::qname(q)
        }
    };
    triggers
        .values()
        .map(|t| {
            let d = TriggerDoc {
                timing: match t.timing {
                    TriggerTiming::Before => "before",
                    TriggerTiming::After => "after",
                    TriggerTiming::InsteadOf => "instead of",
                }
                .into(),
                events: t.events.iter().map(|e| e.sql().to_lowercase()).collect(),
                columns: t.columns.clone(),
                for_each: t.for_each_row.then(|| "row".into()),
                when: t.when.clone(),
                old_table: t.old_table.clone(),
                new_table: t.new_table.clone(),
                function: name(&t.function),
                arguments: t.arguments.clone(),
                constraint: t.constraint.is_some(),
                deferrable: t.constraint.and_then(deferrable),
                from: t.from.as_ref().map(quote::qname),
                enabled: (t.enabled != TriggerEnabled::Origin).then(|| t.enabled.word().into()),
                comment: t.comment.clone(),
            };
            (t.name.clone(), sp(d))
        })
        .collect()
}

fn function_doc(f: &Function, snapshot: bool) -> FunctionDoc {
    let word = |w: &str| Some(w.to_lowercase());
    FunctionDoc {
        name: None,
        procedure: f.procedure,
        arguments: f.arguments.clone(),
        returns: f.returns.clone(),
        language: (f.language != "sql").then(|| f.language.clone()),
        body: f.body.clone(),
        volatility: (f.volatility != Volatility::Volatile)
            .then(|| f.volatility.word())
            .and_then(word),
        strict: f.strict,
        security_definer: f.security_definer,
        leakproof: f.leakproof,
        parallel: (f.parallel != Parallel::Unsafe)
            .then(|| f.parallel.word())
            .and_then(word),
        cost: f.cost.as_ref().and_then(|c| c.parse().ok()),
        rows: f.rows.as_ref().and_then(|r| r.parse().ok()),
        set: f
            .config
            .iter()
            .filter_map(|c| c.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        comment: f.comment.clone(),
        grants: None,
        signature: snapshot.then(|| f.signature.clone()),
        depends_on: if snapshot {
            f.depends_on.iter().map(|d| d.to_string()).collect()
        } else {
            Vec::new()
        },
    }
}
