//! The integration tests: one test binary, one module per area (`cargo test --test it MODULE::`).

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // clippy.toml binds the library only

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
mod first_millisecond;
mod folder;
mod git_checks;
mod gitops;
mod hardening;
mod helm_conformance;
mod properties;
mod schema;
mod standin;
mod structure;
mod trust;
mod verify;
