//! recif-secrets: render the Kubernetes credentials objects of the Récif agent platform from
//! Helm-style values.
//!
//! The pipeline, one module per step:
//! values (load, merge, `--set`) -> config (typed view + checks) -> render (templates)
//! -> manifests (typed objects, checks, serialization) -> deliver (stdout, folder, kubectl).

pub mod diag;
pub mod values;
