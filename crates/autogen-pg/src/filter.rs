//! Which Postgres schemas a command looks at: `--schema`, `--exclude-schema` and presets.

/// Schemas that Supabase creates and manages; a project's models must not try to change them,
/// though its tables may reference them (`auth.users`).
pub const SUPABASE_SCHEMAS: &[&str] = &[
    "auth",
    "storage",
    "realtime",
    "_realtime",
    "extensions",
    "graphql",
    "graphql_public",
    "vault",
    "pgsodium",
    "pgsodium_masks",
    "supabase_functions",
    "supabase_migrations",
    "net",
    "cron",
    "pgbouncer",
    "_analytics",
    "pgtle",
    "tiger",
    "tiger_data",
    "topology",
];

/// Roles Supabase keeps for itself (its services and administrators): their grants are the
/// platform's, so the preset never adopts them into a model. `anon`, `authenticated` and
/// `service_role` are the project's to grant to.
pub const SUPABASE_PLATFORM_ROLES: &[&str] = &[
    "postgres",
    "supabase_admin",
    "supabase_auth_admin",
    "supabase_storage_admin",
    "supabase_functions_admin",
    "supabase_realtime_admin",
    "supabase_replication_admin",
    "supabase_read_only_user",
    "supabase_etl_admin",
    "authenticator",
    "dashboard_user",
    "pgbouncer",
    "pgsodium_keyholder",
    "pgsodium_keyiduser",
    "pgsodium_keymaker",
];

/// The schema autogen keeps its own tables in (the migration history): never part of a model,
/// so never read as one unless a filter names it exactly.
pub const RESERVED_SCHEMA: &str = "autogen";

#[derive(Debug, Clone, Default)]
pub struct SchemaFilter {
    /// Globs (`*`, `?`); empty means every schema.
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

impl SchemaFilter {
    pub fn with_preset(mut self, preset: &str) -> Result<SchemaFilter, String> {
        match preset {
            "supabase" => {
                self.exclude
                    .extend(SUPABASE_SCHEMAS.iter().map(|s| s.to_string()));
                Ok(self)
            }
            other => Err(format!(
                "unknown preset `{other}`; the presets are: supabase"
            )),
        }
    }

    pub fn matches(&self, schema: &str) -> bool {
        // autogen's own schema is left out unless asked for by its exact name.
        if schema == RESERVED_SCHEMA {
            return self.include.iter().any(|g| g == schema);
        }
        (self.include.is_empty() || self.include.iter().any(|g| glob(g, schema)))
            && !self.exclude.iter().any(|g| glob(g, schema))
    }
}

/// Shell-style matching of `*` (any run) and `?` (one character), nothing else special.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_presets() {
        assert!(glob("tenant_*", "tenant_42"));
        assert!(!glob("tenant_*", "tenants"));
        assert!(glob("a?c", "abc"));
        assert!(glob("*", ""));
        let f = SchemaFilter::default().with_preset("supabase").unwrap();
        assert!(!f.matches("auth"));
        assert!(f.matches("public"));
        let f = SchemaFilter {
            include: vec!["j*".into()],
            exclude: vec!["junk".into()],
        };
        assert!(f.matches("journal") && !f.matches("junk") && !f.matches("habits"));
    }
}
