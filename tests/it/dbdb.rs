//! DB-to-DB tests.
