//! Encrypted output: Secrets as SOPS documents (age) or as Sealed Secrets, so that they can
//! be kept in Git. Pure functions of the plaintext object (and fresh randomness); reading an
//! earlier output folder to avoid churn is the command layer's job, with [`fingerprint`].
//!
//! Each format is one file of this folder implementing [`Format`] (what it writes, how its
//! objects are recognised, cleaned for `diff` and checked by `verify`) and [`Keys`] (the
//! format with its keys: what encrypts), and one line in [`FORMATS`]. Everything else
//! (`render`, `diff`, `verify`, the fingerprints, the folder writer) asks these traits.

pub mod fingerprint;
pub mod sealed;
pub mod sops;

use std::time::SystemTime;

use serde_json::Value;

use crate::manifests::{Kind, Manifest};

/// Every encryption format, in the order flags and messages name them.
pub const FORMATS: &[&dyn Format] = &[&sops::Sops, &sealed::Sealed];

/// Why an object could not be encrypted. Never holds a secret value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptError(pub String);

impl std::fmt::Display for EncryptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EncryptError {}

/// Where an encrypted object would go, for [`Format::refuses`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// `-o json`: one `List` of every object.
    JsonList,
    /// `--apply`: straight into the cluster.
    Apply,
}

/// One encryption format, without keys: what it writes and how its objects are read back.
pub trait Format: Sync {
    /// The flag that chooses it, as messages name it (`--sops-age`).
    fn flag(&self) -> &'static str;
    /// The kind of the objects it writes.
    fn kind(&self) -> Kind;
    /// Why its objects cannot go to `to` (a usage error), if they cannot.
    fn refuses(&self, to: Destination) -> Option<&'static str>;
    /// Whether `o` is encrypted in this format: `diff` then compares it through the
    /// fingerprints, never through its ciphertext, which changes at every encryption.
    fn encrypted(&self, o: &Value) -> bool;
    /// Drops from `o` (any object) what changes at every encryption in this format, for
    /// `diff`.
    fn clean(&self, o: &mut Value);
    /// Whether `verify` checks `o` as an object of this format.
    fn owns(&self, o: &Value) -> bool;
    /// What `verify` finds wrong with `o` (an object it [`owns`](Format::owns)), checked
    /// against `keys` when they are this format's: one message per problem, in order.
    fn verify(&self, o: &Value, keys: Option<&dyn Keys>) -> Vec<String>;
}

/// A format with its keys (recipients, a certificate...): what encrypts.
pub trait Keys: Send + Sync + std::fmt::Debug {
    /// Its format.
    fn format(&self) -> &'static dyn Format;
    /// What identifies the keys, for [`fingerprint`]s: changing it re-encrypts.
    fn id(&self) -> String;
    /// Every error [`Keys::encrypt`] would give for `secret` (a Secret as JSON), without
    /// encrypting: checked for every object before the first byte is written.
    fn check(&self, secret: &Value) -> Result<(), EncryptError>;
    /// The encrypted object for `secret` (a Secret as JSON).
    fn encrypt(&self, secret: Value, now: SystemTime) -> Result<Value, EncryptError>;
    /// Rough cost of encrypting an object of `values` values, in microseconds.
    fn cost_us(&self, values: u64) -> u64;
    /// The keys as their own type, for [`Format::verify`].
    fn as_any(&self) -> &dyn std::any::Any;
}

/// The format that `verify` checks `o` with, if any.
pub fn owner(o: &Value) -> Option<&'static dyn Format> {
    FORMATS.iter().copied().find(|f| f.owns(o))
}

/// Whether `o` is encrypted in any format.
pub fn is_encrypted(o: &Value) -> bool {
    FORMATS.iter().any(|f| f.encrypted(o))
}

/// `o` without what changes at every encryption, in every format.
pub fn clean(o: &mut Value) {
    for f in FORMATS {
        f.clean(o);
    }
}

/// The flags of every format, joined by `sep` (`--sops-age/--seal-cert`).
pub fn flags(sep: &str) -> String {
    FORMATS
        .iter()
        .map(|f| f.flag())
        .collect::<Vec<_>>()
        .join(sep)
}

/// Whether `kind` (lower case, as in file names) is written by an encryption format.
pub fn is_encrypted_kind(kind: &str) -> bool {
    FORMATS
        .iter()
        .any(|f| f.kind().as_str().eq_ignore_ascii_case(kind))
}

/// `namespace/name` of an object, for messages.
pub fn object_id(o: &Value) -> String {
    let meta = o.get("metadata");
    let field = |k: &str| {
        meta.and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    format!("{}/{}", field("namespace"), field("name"))
}

/// Whether a Secret value is empty (nothing to encrypt).
pub fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// How Secrets are encrypted: one format with its keys.
#[derive(Clone, Debug)]
pub struct Scheme(std::sync::Arc<dyn Keys>);

impl Scheme {
    pub fn new(keys: impl Keys + 'static) -> Scheme {
        Scheme(std::sync::Arc::new(keys))
    }

    /// The format with its keys.
    pub fn keys(&self) -> &dyn Keys {
        &*self.0
    }

    /// The format.
    pub fn format(&self) -> &'static dyn Format {
        self.0.format()
    }

    /// The kind of the encrypted object.
    pub fn kind(&self) -> Kind {
        self.format().kind()
    }

    /// What identifies the encryption keys, for [`fingerprint`]s: changing it re-encrypts.
    pub fn id(&self) -> String {
        self.0.id()
    }

    /// Every error [`Scheme::encrypt`] would give for `secret`, without encrypting.
    pub fn check(&self, secret: &Value) -> Result<(), EncryptError> {
        self.0.check(secret)
    }

    /// The encrypted object for `secret` (a Secret as JSON).
    pub fn encrypt(&self, secret: Value, now: SystemTime) -> Result<Value, EncryptError> {
        self.0.encrypt(secret, now)
    }

    /// The encrypted object as a YAML document (without `---`); with a fingerprint key, the
    /// file `--output-dir` writes: the fingerprint line that authenticates it, then the
    /// document ([`fingerprint::FingerprintKey::sign`]).
    pub fn document(
        &self,
        secret: Value,
        key: Option<&fingerprint::FingerprintKey>,
        now: SystemTime,
    ) -> Result<String, EncryptError> {
        // The plaintext fingerprint is taken before the object is given up to encryption.
        let plaintext = key.map(|k| k.plaintext(&self.subject(&self.id(), &secret)));
        let identity = key.map(|_| fingerprint::Identity::of(self.kind().as_str(), &secret));
        let encrypted = self.encrypt(secret, now)?;
        let mut text = String::new();
        crate::yamlfmt::emit_document(&mut text, &encrypted);
        drop(encrypted);
        Ok(match (key, plaintext, identity) {
            (Some(key), Some(plaintext), Some(identity)) => {
                key.sign_with(&identity, &plaintext, text)
            }
            _ => text,
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
    pub secret: &'a Manifest,
    pub key: Option<&'a fingerprint::FingerprintKey>,
}

/// Below this much estimated work a batch runs on the calling thread: a thread costs tens of
/// microseconds to start, which is not worth it for microseconds of work.
const THREAD_WORTH_US: u64 = 2000;

/// At most this much plaintext (YAML bytes) is encrypted in one batch, unless it holds only
/// one object per thread: the documents of a batch are held until the batch is done.
const BATCH_BYTES: usize = 8 << 20;

/// At most this much estimated work per thread in one batch, unless it holds only one object
/// per thread: it bounds what a batch holds where the output outgrows the plaintext (a
/// sealed value is about 0.7 KB whatever its length, for about 1 ms of work) and how long
/// the first document waits, while leaving the threads enough objects to share evenly.
const BATCH_US_PER_THREAD: u64 = 1_000_000;

/// Most objects in one batch.
const BATCH_MAX: usize = 256;

impl Scheme {
    /// Rough cost of encrypting `secret`, in microseconds (measured on a 2-core EPYC with the
    /// release build: RSA-OAEP with a 4096-bit key about 1 ms per value; one age X25519
    /// stanza about 0.1 ms per recipient; AES-GCM of a value a few microseconds).
    fn cost_us(&self, secret: &Manifest) -> u64 {
        self.0.cost_us(secret.values())
    }

    /// Estimated time of encrypting `jobs`, in microseconds: callers show progress above a
    /// second.
    pub fn estimate_us(&self, jobs: &[Job<'_>]) -> u64 {
        jobs.iter().map(|j| self.cost_us(j.secret)).sum()
    }

    /// [`Scheme::document`] for every job, in order, produced lazily: one batch at a time
    /// (at most [`BATCH_MAX`] objects, [`BATCH_BYTES`] of plaintext and
    /// [`BATCH_US_PER_THREAD`] of work per thread, or one object per thread), spread over the
    /// machine's cores when the work is worth a thread (sealing costs one RSA encryption per
    /// value), on this thread otherwise. Only the batch being made is in memory, so a caller
    /// that writes each document before asking for the next holds a bounded amount whatever
    /// the number of objects.
    ///
    /// `reuse` is asked first for each job: the text it gives (an earlier file that verifies)
    /// stands for the document and nothing is encrypted. `done` is called once per finished
    /// object (from any thread).
    pub fn stream<'s>(
        &'s self,
        jobs: Vec<Job<'s>>,
        now: SystemTime,
        reuse: Reuse<'s>,
        done: Box<dyn Fn() + Sync + 's>,
    ) -> Stream<'s> {
        let estimate = self.estimate_us(&jobs);
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(jobs.len().max(1))
            .min(
                usize::try_from(estimate / THREAD_WORTH_US)
                    .unwrap_or(usize::MAX)
                    .max(1),
            );
        Stream {
            scheme: self,
            jobs: jobs.into_iter(),
            ready: std::collections::VecDeque::new(),
            threads,
            now,
            reuse,
            done,
        }
    }

    /// One document: what `reuse` gives, or the object encrypted.
    fn one(
        &self,
        job: &Job<'_>,
        now: SystemTime,
        reuse: &(dyn Fn(&Job<'_>, &Value) -> Option<String> + Sync + '_),
    ) -> Result<String, EncryptError> {
        let secret = job.secret.to_json();
        if let Some(text) = reuse(job, &secret) {
            return Ok(text);
        }
        self.document(secret, job.key, now)
    }
}

/// What [`Scheme::stream`] asks first for each object: the text of an earlier file that
/// stands for it, if one does.
pub type Reuse<'s> = Box<dyn Fn(&Job<'_>, &Value) -> Option<String> + Sync + 's>;

/// The documents of [`Scheme::stream`], in order.
pub struct Stream<'s> {
    scheme: &'s Scheme,
    jobs: std::vec::IntoIter<Job<'s>>,
    ready: std::collections::VecDeque<Result<String, EncryptError>>,
    threads: usize,
    now: SystemTime,
    reuse: Reuse<'s>,
    done: Box<dyn Fn() + Sync + 's>,
}

impl Stream<'_> {
    /// Makes the next batch of documents.
    fn batch(&mut self) {
        let mut batch = Vec::new();
        let (mut bytes, mut cost) = (0, 0);
        let budget = BATCH_US_PER_THREAD * self.threads as u64;
        // One object at a time on this thread; on several, batches large enough for the
        // threads to share the work evenly (objects cost from one value to hundreds).
        let most = if self.threads > 1 { BATCH_MAX } else { 1 };
        while batch.len() < most {
            // At least one object per thread; then no more than BATCH_BYTES of plaintext and
            // BATCH_US_PER_THREAD of work per thread.
            let Some(next) = self.jobs.as_slice().first() else {
                break;
            };
            let (len, us) = (next.secret.len(), self.scheme.cost_us(next.secret));
            if batch.len() >= self.threads && (bytes + len > BATCH_BYTES || cost + us > budget) {
                break;
            }
            bytes += len;
            cost += us;
            batch.extend(self.jobs.next());
        }
        let (scheme, now, reuse, done) = (self.scheme, self.now, &*self.reuse, &*self.done);
        let one = |j: &Job<'_>| {
            let r = scheme.one(j, now, reuse);
            done();
            r
        };
        let threads = self.threads.min(batch.len());
        if threads <= 1 {
            self.ready.extend(batch.iter().map(one));
            return;
        }
        // Each thread (this one included) takes the next object when it has finished one, so
        // that an object of twenty values and one of a single value do not leave a core idle
        // (splitting the batch in equal parts did: sealing took twice as long on 2 cores).
        let next = std::sync::atomic::AtomicUsize::new(0);
        let work = || {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(job) = batch.get(i) else {
                    return out;
                };
                out.push((i, one(job)));
            }
        };
        let mut slots: Vec<Option<Result<String, EncryptError>>> =
            batch.iter().map(|_| None).collect();
        std::thread::scope(|s| {
            let handles: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
            let mut place = |done: Vec<(usize, Result<String, EncryptError>)>| {
                for (i, r) in done {
                    slots[i] = Some(r);
                }
            };
            place(work());
            for h in handles {
                place(h.join().expect("an encryption thread panicked"));
            }
        });
        self.ready.extend(
            slots
                .into_iter()
                .map(|r| r.expect("every object of the batch is done")),
        );
    }
}

impl Iterator for Stream<'_> {
    type Item = Result<String, EncryptError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ready.is_empty() {
            self.batch();
        }
        self.ready.pop_front()
    }
}

#[cfg(test)]
mod tests;
