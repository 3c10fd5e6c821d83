//! Encrypted output: Secrets as SOPS documents (age) or as Sealed Secrets, so that they can
//! be kept in Git. Pure functions of the plaintext object (and fresh randomness); reading an
//! earlier output folder to avoid churn is the command layer's job, with [`fingerprint`].

pub mod fingerprint;
pub mod sealed;
pub mod sops;

/// Why an object could not be encrypted. Never holds a secret value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptError(pub String);

impl std::fmt::Display for EncryptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EncryptError {}

use std::time::SystemTime;

use serde_json::Value;

/// How Secrets are encrypted.
#[derive(Clone, Debug)]
pub enum Scheme {
    /// SOPS documents for these age recipients (the object stays a `v1` Secret).
    Sops(sops::SopsAge),
    /// SealedSecrets for this controller certificate and scope.
    Sealed(sealed::Sealer),
}

impl Scheme {
    /// The kind of the encrypted object.
    pub fn kind(&self) -> crate::manifests::Kind {
        match self {
            Scheme::Sops(_) => crate::manifests::Kind::Secret,
            Scheme::Sealed(_) => crate::manifests::Kind::SealedSecret,
        }
    }

    /// What identifies the encryption keys, for [`fingerprint`]s: changing it re-encrypts.
    pub fn id(&self) -> String {
        match self {
            Scheme::Sops(s) => {
                let r: Vec<&str> = s.recipients().collect();
                format!("sops-age {}", r.join(","))
            }
            Scheme::Sealed(s) => format!("sealed {} {}", s.scope().as_str(), s.cert_sha256()),
        }
    }

    /// The encrypted object for `secret` (a Secret as JSON).
    pub fn encrypt(&self, secret: &Value, now: SystemTime) -> Result<Value, EncryptError> {
        match self {
            Scheme::Sops(s) => s.encrypt(secret, now),
            Scheme::Sealed(s) => s.seal(secret),
        }
    }

    /// The encrypted object as a YAML document (without `---`); with a fingerprint key, the
    /// file `--output-dir` writes: the fingerprint line that authenticates it, then the
    /// document ([`fingerprint::FingerprintKey::sign`]).
    pub fn document(
        &self,
        secret: &Value,
        key: Option<&fingerprint::FingerprintKey>,
        now: SystemTime,
    ) -> Result<String, EncryptError> {
        let encrypted = self.encrypt(secret, now)?;
        let mut text = String::new();
        crate::yamlfmt::emit_document(&mut text, &encrypted);
        Ok(match key {
            Some(key) => key.sign(&self.subject(&self.id(), secret), &text),
            None => text,
        })
    }

    /// What a file of `secret` encrypted with this scheme must hold, for
    /// [`fingerprint::FingerprintKey::verify`]; `id` is [`Scheme::id`] (computed once).
    pub fn subject<'a>(&self, id: &'a str, secret: &'a Value) -> fingerprint::Subject<'a> {
        fingerprint::Subject {
            scheme: id,
            kind: self.kind().as_str(),
            plaintext: secret,
        }
    }
}

/// One object to encrypt: the plaintext Secret and, in `--output-dir`, the fingerprint key
/// that signs its file.
pub struct Job<'a> {
    pub secret: &'a Value,
    pub key: Option<&'a fingerprint::FingerprintKey>,
}

/// Rough cost of encrypting one object, in microseconds (measured on a 2-core EPYC with the
/// release build: RSA-OAEP with a 4096-bit key about 1 ms per value; one age X25519 stanza
/// about 0.1 ms per recipient; AES-GCM of a value a few microseconds).
fn cost_us(scheme: &Scheme, secret: &Value) -> u64 {
    let values = ["data", "stringData"]
        .iter()
        .filter_map(|k| secret.get(k).and_then(Value::as_object))
        .map(|m| m.len() as u64)
        .sum::<u64>();
    match scheme {
        Scheme::Sealed(_) => 1000 * values,
        Scheme::Sops(s) => 100 * s.recipients().count() as u64 + 5 * values,
    }
}

/// Below this much estimated work a batch runs on the calling thread: a thread costs tens of
/// microseconds to start, which is not worth it for microseconds of work.
const THREAD_WORTH_US: u64 = 2000;

impl Scheme {
    /// Estimated time of encrypting `jobs`, in microseconds: callers show progress above a
    /// second.
    pub fn estimate_us(&self, jobs: &[Job<'_>]) -> u64 {
        jobs.iter().map(|j| cost_us(self, j.secret)).sum()
    }

    /// [`Scheme::document`] for every job, in order; spread over the machine's cores when
    /// the work is worth a thread (sealing costs one RSA encryption per value), on this
    /// thread otherwise. `done` is called once per finished object (from any thread).
    pub fn documents(
        &self,
        jobs: &[Job<'_>],
        now: SystemTime,
        done: &(dyn Fn() + Sync),
    ) -> Vec<Result<String, EncryptError>> {
        let one = |j: &Job<'_>| {
            let r = self.document(j.secret, j.key, now);
            done();
            r
        };
        let estimate = self.estimate_us(jobs);
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(jobs.len().max(1))
            .min(
                usize::try_from(estimate / THREAD_WORTH_US)
                    .unwrap_or(usize::MAX)
                    .max(1),
            );
        if threads <= 1 {
            return jobs.iter().map(one).collect();
        }
        let chunk = jobs.len().div_ceil(threads).max(1);
        let mut parts = jobs.chunks(chunk);
        let first = parts.next().unwrap_or(&[]);
        std::thread::scope(|s| {
            // This thread takes the first part; the others get one thread each.
            let handles: Vec<_> = parts
                .map(|part| s.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
                .collect();
            let mut out: Vec<_> = first.iter().map(one).collect();
            for h in handles {
                out.extend(h.join().expect("an encryption thread panicked"));
            }
            out
        })
    }
}
