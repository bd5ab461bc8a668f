//! The integration tests: one binary, so one ephemeral Postgres serves them all.

mod cache;
mod check;
mod cli;
mod conversions;
mod dbdb;
mod derive_ui;
mod embedding;
mod first_day;
mod functions;
mod golden;
mod harness;
mod hostile;
mod model_errors;
mod policies;
mod properties;
mod repair;
mod runner;
mod rust_models;
mod safety;
mod services;
mod support;
mod tls;
mod triggers;
mod views;
mod views_in_the_way;
mod workflow;
