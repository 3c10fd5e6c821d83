//! The integration tests: one test binary, one module per area (`cargo test --test it MODULE::`).

mod bounds;
mod cli;
mod common;
mod day2;
mod delivery;
mod distribution;
mod encrypt;
mod encrypted_output;
mod eso;
mod eso_corpus;
mod eso_options;
mod examples;
mod folder;
mod git_checks;
mod hardening;
mod helm_conformance;
mod properties;
mod schema;
mod standin;
mod structure;
mod trust;
