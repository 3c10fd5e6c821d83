//! The integration tests: one test binary, one module per area (`cargo test --test it MODULE::`).

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // clippy.toml binds the library only

mod bindings;
mod bounds;
mod checker;
mod cli;
mod cluster_trust;
mod common;
mod day2;
mod delivery;
mod distribution;
mod docs;
mod encrypt;
mod encrypted_output;
mod eso;
mod eso_corpus;
mod eso_options;
mod eso_webhook;
mod examples;
mod first_millisecond;
mod folder;
mod git_checks;
mod gitops;
mod hardening;
mod helm_conformance;
mod key_files;
mod no_leak;
mod properties;
mod rollout;
mod schema;
mod standin;
mod structure;
mod trust;
mod verify;
