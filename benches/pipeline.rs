//! Micro-benchmarks of the pipeline steps, at 1 and 1000 team namespaces:
//!
//! * `values`: loading the values document (`-f -` from an in-memory reader) and merging it
//!   with the built-in defaults (`values::load`, `values::effective`);
//! * `render`: the typed config and the templates (`config::build` + `manifests::build`), and
//!   the whole pipeline as the CLI runs it (`recif_secrets::render`);
//! * `serialize`: the checked objects as a YAML stream or a JSON `List`;
//! * `encrypt`: every Secret of 1000 teams as SOPS documents (one age recipient) and as
//!   SealedSecrets (a 4096-bit certificate, `benches/sealing-cert.pem`, public only), and
//!   one value sealed alone (the RSA-OAEP cost that dominates sealing).
//!
//! The values are those of `benches/compare.sh`: 20 LLM keys and a service-account key, with
//! `namespaces.defaultTeam` plus `teams - 1` further team namespaces.
//!
//!     cargo bench --bench pipeline                 # full measurement
//!     cargo bench --bench pipeline -- --quick      # a quick look
//!     cargo bench --bench pipeline -- render/      # one group

#![allow(clippy::disallowed_types, clippy::disallowed_methods)] // clippy.toml binds the library only

use std::hint::black_box;

use base64::Engine as _;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use recif_secrets::values::{self, Sources};
use recif_secrets::{config, manifests, render, Request};

const TEAM_COUNTS: [usize; 2] = [1, 1000];

const LLM_NAMES: [&str; 20] = [
    "google",
    "openai",
    "anthropic",
    "azureOpenai",
    "mistral",
    "cohere",
    "groq",
    "togetherAi",
    "fireworksAi",
    "perplexity",
    "deepseek",
    "xAI",
    "huggingFace",
    "replicate",
    "voyageAi",
    "openRouter",
    "cerebras",
    "sambaNova",
    "awsBedrock",
    "nvidiaNim",
];

/// A values document with `teams` team namespaces, 20 LLM keys and a service-account key.
fn values_document(teams: usize) -> String {
    let pem_body: String = (0..1624)
        .map(|i| {
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i * 7 % 64] as char
        })
        .collect();
    let pem_lines: Vec<&str> = pem_body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("ASCII"))
        .collect();
    let private_key = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        pem_lines.join("\n")
    );
    let sa = serde_json::json!({
        "type": "service_account",
        "project_id": "bench-project-123",
        "private_key_id": "0123456789abcdef0123456789abcdef01234567",
        "private_key": private_key,
        "client_email": "recif-sa@bench-project-123.iam.gserviceaccount.com",
        "client_id": "100000000000000000001",
        "token_uri": "https://oauth2.googleapis.com/token",
    });
    let sa_b64 = base64::engine::general_purpose::STANDARD
        .encode(serde_json::to_string_pretty(&sa).expect("JSON"));

    let mut doc = String::from("llm:\n");
    for (i, name) in LLM_NAMES.iter().enumerate() {
        doc.push_str(&format!(
            "  {name}ApiKey: \"sk-{i:02}-{}\"\n",
            "x".repeat(44)
        ));
    }
    doc.push_str("  gcp:\n    project: \"bench-project-123\"\n    location: \"us-central1\"\n");
    doc.push_str(&format!("    serviceAccountKeyBase64: \"{sa_b64}\"\n"));
    doc.push_str("namespaces:\n  defaultTeam: team-default\n  teams:\n");
    for i in 1..teams {
        doc.push_str(&format!("    - team-{i:05}\n"));
    }
    doc
}

fn stdin_sources() -> Sources {
    Sources {
        files: vec!["-".to_string()],
        ..Sources::default()
    }
}

fn request() -> Request {
    Request {
        sources: stdin_sources(),
        namespace: recif_secrets::DEFAULT_NAMESPACE.to_string(),
        templates: None,
    }
}

/// The checked objects for `doc`, as `render` produces them.
fn manifests_for(doc: &str) -> manifests::Manifests {
    match recif_secrets::render(&request(), &mut doc.as_bytes()) {
        Ok(out) => out.manifests,
        Err(e) => panic!("the benchmark values render: {e:?}"),
    }
}

fn bench_values(c: &mut Criterion) {
    let mut group = c.benchmark_group("values");
    for teams in TEAM_COUNTS {
        let doc = values_document(teams);
        let sources = stdin_sources();
        group.throughput(Throughput::Elements(teams as u64));
        group.bench_with_input(BenchmarkId::new("load", teams), &doc, |b, doc| {
            b.iter(|| {
                let loaded = values::load(&sources, &mut doc.as_bytes()).expect("values load");
                black_box(loaded.values)
            })
        });
        group.bench_with_input(BenchmarkId::new("effective", teams), &doc, |b, doc| {
            b.iter(|| {
                black_box(values::effective(&sources, &mut doc.as_bytes()).expect("values load"))
            })
        });
    }
    group.finish();
}

fn bench_render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render");
    let templates = render::Templates::builtin();
    for teams in TEAM_COUNTS {
        let doc = values_document(teams);
        let effective =
            values::effective(&stdin_sources(), &mut doc.as_bytes()).expect("values load");
        group.throughput(Throughput::Elements(teams as u64));
        group.bench_with_input(
            BenchmarkId::new("config_and_templates", teams),
            &effective,
            |b, effective| {
                b.iter(|| {
                    let (config, diags) =
                        config::build(effective, recif_secrets::DEFAULT_NAMESPACE);
                    let config = match config {
                        Some(c) => c,
                        None => panic!("the benchmark values are valid: {diags:?}"),
                    };
                    match manifests::build(&config, &templates) {
                        Ok(m) => black_box(m),
                        Err(d) => panic!("the benchmark values render: {d:?}"),
                    }
                })
            },
        );
        let req = request();
        group.bench_with_input(BenchmarkId::new("end_to_end", teams), &doc, |b, doc| {
            b.iter(|| match recif_secrets::render(&req, &mut doc.as_bytes()) {
                Ok(out) => black_box(out.manifests),
                Err(e) => panic!("the benchmark values render: {e:?}"),
            })
        });
    }
    group.finish();
}

fn bench_serialize(c: &mut Criterion) {
    let mut group = c.benchmark_group("serialize");
    for teams in TEAM_COUNTS {
        let manifests = manifests_for(&values_document(teams));
        group.throughput(Throughput::Elements(teams as u64));
        group.bench_with_input(BenchmarkId::new("to_yaml", teams), &manifests, |b, m| {
            b.iter(|| black_box(m.to_yaml()))
        });
        group.bench_with_input(BenchmarkId::new("to_json", teams), &manifests, |b, m| {
            b.iter(|| black_box(m.to_json()))
        });
    }
    group.finish();
}

fn bench_encrypt(c: &mut Criterion) {
    use recif_secrets::encrypt::{sealed, sops, Job, Scheme};
    use std::time::SystemTime;
    let mut group = c.benchmark_group("encrypt");
    group.sample_size(10);
    let pem = include_bytes!("sealing-cert.pem");
    let sealer = sealed::Sealer::from_pem(
        "sealing-cert.pem",
        pem,
        sealed::Scope::Strict,
        SystemTime::now(),
    )
    .expect("the bench certificate is valid");
    let recipient = "age1yz02ktdwq7un52j9h2u49px6wl79phxrh9z9t7lg8pclh3cjmamstx4jh4".to_string();
    let sops = sops::SopsAge::new(&[("bench".to_string(), recipient)]).expect("recipient");
    group.bench_function("seal_one_value_rsa4096", |b| {
        b.iter(|| {
            black_box(sealer.seal_value(
                b"sk-00-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                "team-a/agent-env",
            ))
        })
    });
    // Every Secret of 1000 teams (2001 Secrets, 21,002 values) as SOPS documents; sealing
    // them all takes seconds (one RSA-4096 encryption per value), so it is measured at 100
    // teams here and once at 1000 by `benches/compare.sh`'s encryption line.
    for (name, scheme, teams) in [
        ("sops_age", Scheme::new(sops), 1000),
        ("sealed_rsa4096", Scheme::new(sealer), 100),
    ] {
        let manifests = manifests_for(&values_document(teams));
        let secrets: Vec<_> = manifests
            .objects
            .iter()
            .filter(|o| o.kind() == "Secret")
            .collect();
        group.throughput(Throughput::Elements(teams as u64));
        group.bench_with_input(BenchmarkId::new(name, teams), &secrets, |b, secrets| {
            b.iter(|| {
                let jobs: Vec<Job> = secrets
                    .iter()
                    .map(|secret| Job { secret, key: None })
                    .collect();
                let stream = scheme.stream(
                    jobs,
                    SystemTime::now(),
                    Box::new(|_, _| None),
                    Box::new(|| {}),
                );
                black_box(stream.count())
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    bench_values,
    bench_render,
    bench_serialize,
    bench_encrypt
);
criterion_main!(benches);
