//! No churn, and proof: how a re-render knows that an encrypted file in the output folder is
//! exactly what this tool wrote for the plaintext it would encrypt now, without keeping the
//! plaintext.
//!
//! Each encrypted file written to `--output-dir` starts with one comment line,
//! `# recif-secrets fingerprint: v2:<plaintext>:<file>`, two HMAC-SHA256 under a key of the
//! operator's (the fingerprint key, 32 random bytes in a file kept outside the output folder):
//!
//! - `<plaintext>` of the scheme (SOPS and its age recipients, or Sealed Secrets with its
//!   scope and the SHA-256 of the certificate) and the whole plaintext object (namespace,
//!   name, labels, annotations, type, every key and value), serialized canonically;
//! - `<file>` of the kind, namespace and name of the object written, the `<plaintext>`
//!   fingerprint, and the exact bytes of the file after the line.
//!
//! [`FingerprintKey::verify`] is the one check every reader makes: a file is kept byte for
//! byte (and `diff --against` says "same plaintext") only when its line verifies under the
//! key for that kind, namespace and name, its body is byte for byte the one authenticated,
//! and the plaintext fingerprint is the one of what is rendered now. Anything else (another
//! body under a copied line, a line copied from another object, an older line, another
//! key's line, a `v1` line of earlier versions, no line) is encrypted afresh and reported as
//! different. Someone who can push to the GitOps repository but does not hold the key cannot
//! make a file of theirs pass for ours. A comment is not part of the object: the Secret that
//! sops decrypts or the controller unseals is exactly the rendered one, and the fingerprint
//! never reaches the cluster.
//!
//! What the fingerprint reveals: without the key, nothing about the values (HMAC-SHA256 is
//! a pseudo-random function); it shows only whether an object changed between two
//! commits, which the re-encrypted file shows anyway. With the key, someone holding the
//! repository could test guesses of a whole Secret's content offline, and could forge
//! lines, so the key is kept like the values files (0600, never in Git, refused inside the
//! output folder or a git work tree unless ignored); it cannot decrypt anything. Changing
//! recipients, certificate or scope changes every fingerprint, so re-keying re-encrypts
//! everything.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The first line of an encrypted file, before the fingerprint.
pub const LINE_PREFIX: &str = "# recif-secrets fingerprint: ";
const VERSION: &str = "v2:";
const KEY_FILE_HEADER: &str =
    "# recif-secrets fingerprint key: keep it private and out of Git; it cannot decrypt anything\n";

/// The operator's fingerprint key.
#[derive(Clone)]
pub struct FingerprintKey([u8; 32]);

impl std::fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FingerprintKey(<redacted>)")
    }
}

/// What one encrypted file must hold: the object `render` would write now.
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    /// What identifies the encryption keys ([`crate::encrypt::Scheme::id`]).
    pub scheme: &'a str,
    /// The kind of the encrypted object (`Secret` for SOPS, `SealedSecret`).
    pub kind: &'a str,
    /// The plaintext Secret (its namespace and name are the encrypted object's).
    pub plaintext: &'a serde_json::Value,
}

impl Subject<'_> {
    fn namespace(&self) -> &str {
        self.plaintext["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
    }

    fn name(&self) -> &str {
        self.plaintext["metadata"]["name"].as_str().unwrap_or("")
    }
}

/// The kind, namespace and name an encrypted file is authenticated for.
#[derive(Clone, Debug)]
pub struct Identity {
    kind: String,
    namespace: String,
    name: String,
}

impl Identity {
    /// The identity of `plaintext` (a Secret) encrypted as an object of `kind`.
    pub fn of(kind: &str, plaintext: &serde_json::Value) -> Identity {
        let subject = Subject {
            scheme: "",
            kind,
            plaintext,
        };
        Identity {
            kind: kind.to_string(),
            namespace: subject.namespace().to_string(),
            name: subject.name().to_string(),
        }
    }
}

/// Counts the bytes written to it.
struct Counter(u64);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Feeds the bytes written to it into a MAC.
struct Feed<'a>(&'a mut Hmac<Sha256>);

impl std::io::Write for Feed<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What [`FingerprintKey::verify`] found in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The file is exactly what this tool wrote, under this key, for this kind, namespace,
    /// name, plaintext and encryption keys: keep it, it holds the same plaintext.
    Verified,
    /// The file is authentic, but of another plaintext or other encryption keys (a value,
    /// a key or a recipient changed): encrypt afresh.
    PlaintextDiffers,
    /// The line does not authenticate the file under this key for this object: the body
    /// was changed after it was written, the line was copied from another file or object,
    /// it was written with another key or by an earlier version (`v1`): encrypt afresh.
    NotAuthentic,
    /// No fingerprint line: nothing to verify.
    Missing,
}

impl Verdict {
    /// Whether the file can be kept as it is.
    pub fn verified(self) -> bool {
        self == Verdict::Verified
    }
}

/// Hex of a MAC.
fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The bytes of 64 hex digits.
fn unhex(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut k = [0u8; 32];
    for (i, byte) in k.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(k)
}

impl FingerprintKey {
    /// A fresh random key.
    pub fn generate() -> FingerprintKey {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        FingerprintKey(k)
    }

    /// The key file's text: a comment, then 64 hex digits.
    pub fn to_file_text(&self) -> String {
        format!("{KEY_FILE_HEADER}{}\n", hex(&self.0))
    }

    /// Reads a key file's text (comment lines ignored). The error never quotes the file.
    pub fn parse(text: &str) -> Result<FingerprintKey, String> {
        let hex: String = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        unhex(&hex).map(FingerprintKey).ok_or_else(|| {
            "expected 64 hexadecimal digits (32 bytes), as recif-secrets writes it".to_string()
        })
    }

    fn mac(&self, domain: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("any key length");
        mac.update(domain.as_bytes());
        mac
    }

    /// The fingerprint of the plaintext behind `subject` (64 hex digits): equal for equal
    /// plaintexts and encryption keys, whatever the ciphertext.
    pub fn plaintext(&self, subject: &Subject<'_>) -> String {
        let mut mac = self.mac("recif-secrets plaintext v2\n");
        field(&mut mac, subject.scheme.as_bytes());
        // The object's canonical JSON, fed as it is serialized (its length first, as
        // `field` does): a large Secret is not serialized into memory.
        let mut count = Counter(0);
        serde_json::to_writer(&mut count, subject.plaintext).expect("JSON serializes");
        mac.update(&count.0.to_be_bytes());
        serde_json::to_writer(Feed(&mut mac), subject.plaintext).expect("JSON serializes");
        hex(&mac.finalize().into_bytes())
    }

    fn object_file_mac(
        &self,
        kind: &str,
        namespace: &str,
        name: &str,
        plaintext: &str,
        body: &str,
    ) -> Hmac<Sha256> {
        let mut mac = self.mac("recif-secrets file v2\n");
        for part in [kind, namespace, name, plaintext, body] {
            field(&mut mac, part.as_bytes());
        }
        mac
    }

    /// The whole file to write for `subject` encrypted as `body` (a YAML document): the
    /// fingerprint line, then `body` as it is.
    pub fn sign(&self, subject: &Subject<'_>, body: &str) -> String {
        let plaintext = self.plaintext(subject);
        let identity = Identity::of(subject.kind, subject.plaintext);
        self.sign_with(&identity, &plaintext, body.to_string())
    }

    /// [`FingerprintKey::sign`] from the parts taken before the plaintext was given up to
    /// encryption: the object's identity and its [`FingerprintKey::plaintext`] fingerprint.
    /// Takes the body and returns the file, the line put in front of it.
    pub fn sign_with(&self, identity: &Identity, plaintext: &str, body: String) -> String {
        let tag = hex(&self
            .object_file_mac(
                &identity.kind,
                &identity.namespace,
                &identity.name,
                plaintext,
                &body,
            )
            .finalize()
            .into_bytes());
        let mut file = body;
        file.insert_str(0, &format!("{LINE_PREFIX}{VERSION}{plaintext}:{tag}\n"));
        file
    }

    /// Whether `file` (its whole text, as read) is exactly what [`FingerprintKey::sign`]
    /// wrote for `subject`: the one check behind keeping a file and "same plaintext".
    pub fn verify(&self, subject: &Subject<'_>, file: &str) -> Verdict {
        let recorded = match self.authentic(subject.kind, subject.namespace(), subject.name(), file)
        {
            Ok(recorded) => recorded,
            Err(verdict) => return verdict,
        };
        if recorded == self.plaintext(subject) {
            Verdict::Verified
        } else {
            Verdict::PlaintextDiffers
        }
    }
}

impl FingerprintKey {
    /// Whether `file` was written by [`FingerprintKey::sign`] under this key for an object of
    /// `kind` at `namespace`/`name`, whatever its plaintext: the check a CI gate makes
    /// (`verify`), which holds no plaintext. `Verified` means authentic (the plaintext it
    /// was written for is not known here).
    pub fn authenticates(&self, kind: &str, namespace: &str, name: &str, file: &str) -> Verdict {
        match self.authentic(kind, namespace, name, file) {
            Ok(_) => Verdict::Verified,
            Err(v) => v,
        }
    }

    /// The recorded plaintext fingerprint of an authentic `file`, or why it is not.
    fn authentic<'f>(
        &self,
        kind: &str,
        namespace: &str,
        name: &str,
        file: &'f str,
    ) -> Result<&'f str, Verdict> {
        let (line, body) = file
            .split_once('\n')
            .and_then(|(first, body)| Some((first.strip_prefix(LINE_PREFIX)?, body)))
            .ok_or(Verdict::Missing)?;
        let (recorded, tag) = line
            .strip_prefix(VERSION)
            .and_then(|rest| {
                let (p, t) = rest.split_once(':')?;
                unhex(p)?;
                Some((p, unhex(t)?))
            })
            .ok_or(Verdict::NotAuthentic)?;
        self.object_file_mac(kind, namespace, name, recorded, body)
            .verify_slice(&tag)
            .map_err(|_| Verdict::NotAuthentic)?;
        Ok(recorded)
    }
}

/// Feeds one length-prefixed field, so that no two lists of fields feed the same bytes.
fn field(mac: &mut Hmac<Sha256>, bytes: &[u8]) {
    mac.update(&(bytes.len() as u64).to_be_bytes());
    mac.update(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn secret(ns: &str, name: &str, v: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Secret",
               "metadata": {"name": name, "namespace": ns}, "data": {"K": v}})
    }

    fn subject<'a>(scheme: &'a str, kind: &'a str, plaintext: &'a Value) -> Subject<'a> {
        Subject {
            scheme,
            kind,
            plaintext,
        }
    }

    const BODY: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n  namespace: n\n";

    #[test]
    fn a_signed_file_verifies_only_for_its_own_object_plaintext_and_bytes() {
        let k = FingerprintKey::generate();
        let a = secret("n", "a", "dg==");
        let file = k.sign(&subject("sops-age age1x", "Secret", &a), BODY);
        assert!(
            file.starts_with("# recif-secrets fingerprint: v2:"),
            "{file}"
        );
        assert!(file.ends_with(BODY));
        let v = |s: Subject<'_>, f: &str| k.verify(&s, f);
        assert_eq!(
            v(subject("sops-age age1x", "Secret", &a), &file),
            Verdict::Verified
        );
        // Another value or other encryption keys: authentic, but of another plaintext.
        let b = secret("n", "a", "dw==");
        assert_eq!(
            v(subject("sops-age age1x", "Secret", &b), &file),
            Verdict::PlaintextDiffers
        );
        assert_eq!(
            v(subject("sops-age age1y", "Secret", &a), &file),
            Verdict::PlaintextDiffers
        );
        // The line kept over another body, or over one changed byte, or one more byte.
        let (line, _) = file.split_once('\n').unwrap();
        for body in [
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n".to_string(),
            BODY.replace("name: a", "name: b"),
            format!("{BODY}\n"),
            String::new(),
        ] {
            let forged = format!("{line}\n{body}");
            assert_eq!(
                v(subject("sops-age age1x", "Secret", &a), &forged),
                Verdict::NotAuthentic,
                "{body}"
            );
        }
        // The whole file copied to another object, another kind or namespace.
        for (ns, name, kind) in [
            ("n", "b", "Secret"),
            ("m", "a", "Secret"),
            ("n", "a", "SealedSecret"),
        ] {
            let other = secret(ns, name, "dg==");
            assert_eq!(
                v(subject("sops-age age1x", kind, &other), &file),
                Verdict::NotAuthentic,
                "{ns}/{name} {kind}"
            );
        }
        // Another key, a line of version 1, a damaged line, no line at all.
        assert_eq!(
            FingerprintKey::generate().verify(&subject("sops-age age1x", "Secret", &a), &file),
            Verdict::NotAuthentic
        );
        let s = subject("sops-age age1x", "Secret", &a);
        for bad in [
            format!(
                "# recif-secrets fingerprint: v1:{}\n{BODY}",
                "ab".repeat(32)
            ),
            file.replacen("v2:", "v2:0", 1),
            file.replacen("v2:", "v3:", 1),
            {
                let (p, rest) = file.split_once('\n').unwrap();
                format!("{}\n{rest}", &p[..p.len() - 65])
            },
        ] {
            assert_eq!(k.verify(&s, &bad), Verdict::NotAuthentic, "{bad}");
        }
        assert_eq!(k.verify(&s, BODY), Verdict::Missing);
        assert_eq!(k.verify(&s, ""), Verdict::Missing);
        assert!(Verdict::Verified.verified() && !Verdict::PlaintextDiffers.verified());
    }

    #[test]
    fn plaintext_fingerprints_depend_on_key_scheme_and_every_byte_of_the_object() {
        let k = FingerprintKey::generate();
        let a = secret("n", "a", "dg==");
        let p = k.plaintext(&subject("s", "Secret", &a));
        assert_eq!(p.len(), 64);
        assert_eq!(p, k.plaintext(&subject("s", "Secret", &a)));
        assert_ne!(p, k.plaintext(&subject("t", "Secret", &a)));
        assert_ne!(
            p,
            k.plaintext(&subject("s", "Secret", &secret("n", "a", "dw==")))
        );
        assert_ne!(
            p,
            k.plaintext(&subject("s", "Secret", &secret("m", "a", "dg==")))
        );
        assert_ne!(
            p,
            FingerprintKey::generate().plaintext(&subject("s", "Secret", &a))
        );
    }

    #[test]
    fn key_files_round_trip_and_bad_ones_are_refused() {
        let k = FingerprintKey::generate();
        let back = FingerprintKey::parse(&k.to_file_text()).unwrap();
        let v = json!({"a": 1});
        let s = subject("s", "Secret", &v);
        assert_eq!(k.plaintext(&s), back.plaintext(&s));
        assert!(FingerprintKey::parse("short").is_err());
        assert!(FingerprintKey::parse(&"zz".repeat(32)).is_err());
        assert_eq!(format!("{k:?}"), "FingerprintKey(<redacted>)");
    }
}
