//! One side of a comparison (`diff`, `dump`): a database URL inspected, or a model path (YAML
//! files, a snapshot, `snapshots/S@V`) loaded and normalized on the shadow, narrowed by a schema
//! filter, with where the time went and what the caller should tell the user.

use crate::error::Error;
use autogen_model::ir::Schema;
use autogen_pg::filter::SchemaFilter;
use autogen_pg::shadow::Shadow;

/// Whether a side names a database rather than a model path.
pub fn is_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

/// Where one side of a diff spent its time, in seconds, for `--timings`.
#[derive(Default, serde::Serialize)]
pub struct SideTimings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspect: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parse: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shadow_start: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalize: Option<f64>,
    /// Tables, domains and sequences normalized, and how many of them came from the cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objects: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached: Option<usize>,
}

/// A schema read from a URL or a model path, narrowed by `filter`, with the server's version
/// when it came from a database.
pub struct Loaded {
    pub schema: Schema,
    pub server_version: Option<u32>,
    pub timings: SideTimings,
    /// A database's objects of kinds autogen does not manage, which the diff leaves out.
    pub unmanaged: Vec<String>,
    /// Why a model's expressions stay as written (no shadow could be had), for the user.
    pub note: Option<String>,
}

fn secs(since: std::time::Instant) -> Option<f64> {
    Some(since.elapsed().as_secs_f64())
}

/// Loads a schema from a URL or model path, narrowed by `filter`. A model is normalized on the
/// shadow when `shadow` is given (started here if it is not yet running).
pub fn load_source(
    src: &str,
    filter: &SchemaFilter,
    shadow: Option<&mut Shadow>,
) -> Result<Loaded, Error> {
    let mut t = SideTimings::default();
    let mut server_version = None;
    let mut unmanaged = Vec::new();
    let mut note = None;
    let mut schema = if is_url(src) {
        let start = std::time::Instant::now();
        let mut client = autogen_pg::conn::connect(src)?;
        t.connect = secs(start);
        let start = std::time::Instant::now();
        // The version comes with the inspection's first statement: no query of its own.
        let (schema, version) = autogen_pg::inspect::inspect_versioned(&mut client, filter)?;
        t.inspect = secs(start);
        server_version = Some(version);
        unmanaged = autogen_pg::inspect::unmanaged(&mut client, filter)?;
        schema
    } else {
        let start = std::time::Instant::now();
        let source = autogen_model::model::source::load(src)?;
        t.parse = secs(start);
        let model = source.schema;
        match shadow {
            // A snapshot was written as Postgres stores it: nothing to normalize.
            _ if source.snapshot => model,
            None => model,
            Some(shadow) => {
                let start = std::time::Instant::now();
                let result = shadow.normalize_model(model)?;
                t.normalize = secs(start);
                t.shadow_start = shadow.started_in();
                match result {
                    autogen_pg::shadow::Normalized::Done {
                        schema,
                        objects,
                        cached,
                    } => {
                        t.objects = Some(objects);
                        t.cached = Some(cached);
                        schema
                    }
                    autogen_pg::shadow::Normalized::NoShadow(e, model) => {
                        let views = if model.views.is_empty() {
                            String::new()
                        } else {
                            format!(
                                "; its {} view(s) are compared as written too, so each shows as \
                                 replaced, and their queries go into the SQL as written (names \
                                 unqualified resolve on the search path of whoever runs it)",
                                model.views.len()
                            )
                        };
                        note = Some(format!(
                            "{e}\nnote: model expressions (defaults, checks, predicates) are \
                             compared as written, not as Postgres stores them, so some may show as \
                             changed{views}"
                        ));
                        model
                    }
                }
            }
        }
    };
    schema.retain_schemas(|s| filter.matches(s));
    Ok(Loaded {
        schema,
        server_version,
        timings: t,
        unmanaged,
        note,
    })
}
