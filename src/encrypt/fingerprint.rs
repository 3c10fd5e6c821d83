//! No churn: how a re-render knows that an encrypted file in the output folder still holds
//! exactly what it would encrypt now, without keeping the plaintext.
//!
//! Each encrypted file written to `--output-dir` starts with one comment line,
//! `# recif-secrets fingerprint: v1:<hex>`, the HMAC-SHA256 under a key of the operator's
//! (the fingerprint key, 32 random bytes in a file kept outside the output folder) of:
//! the scheme (SOPS and its age recipients, or Sealed Secrets with its scope and the SHA-256
//! of the certificate) and the whole plaintext object (namespace, name, labels,
//! annotations, type, every key and value), serialized canonically. When the line of the
//! file already there equals the fingerprint of what is rendered now, the file is kept
//! byte for byte; otherwise the object is encrypted afresh. A comment is not part of the
//! object: the Secret that sops decrypts or the controller unseals is exactly the rendered
//! one, and the fingerprint never reaches the cluster.
//!
//! What the fingerprint reveals: without the key, nothing about the values (HMAC-SHA256 is
//! a pseudo-random function); it shows only whether an object changed between two
//! commits, which the re-encrypted file shows anyway. With the key, someone holding the
//! repository could test guesses of a whole Secret's content offline, so the key is kept
//! like the values files (0600, never in Git, refused inside the output folder); it cannot
//! decrypt anything. Changing recipients, certificate or scope changes every fingerprint,
//! so re-keying re-encrypts everything.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The first line of an encrypted file, before the fingerprint.
pub const LINE_PREFIX: &str = "# recif-secrets fingerprint: ";
const VERSION: &str = "v1:";
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

impl FingerprintKey {
    /// A fresh random key.
    pub fn generate() -> FingerprintKey {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        FingerprintKey(k)
    }

    /// The key file's text: a comment, then 64 hex digits.
    pub fn to_file_text(&self) -> String {
        let mut s = String::from(KEY_FILE_HEADER);
        for b in self.0 {
            s.push_str(&format!("{b:02x}"));
        }
        s.push('\n');
        s
    }

    /// Reads a key file's text (comment lines ignored). The error never quotes the file.
    pub fn parse(text: &str) -> Result<FingerprintKey, String> {
        let hex: String = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        let bad =
            || "expected 64 hexadecimal digits (32 bytes), as recif-secrets writes it".to_string();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let mut k = [0u8; 32];
        for (i, byte) in k.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(FingerprintKey(k))
    }

    /// The fingerprint of `object` (the plaintext) encrypted by `scheme`.
    pub fn fingerprint(&self, scheme: &str, object: &serde_json::Value) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("any key length");
        mac.update(b"recif-secrets fingerprint v1\n");
        mac.update(scheme.as_bytes());
        mac.update(b"\n");
        mac.update(&serde_json::to_vec(object).expect("JSON serializes"));
        let mut s = String::from(VERSION);
        for b in mac.finalize().into_bytes() {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }
}

/// The line to put first in an encrypted file.
pub fn line(fingerprint: &str) -> String {
    format!("{LINE_PREFIX}{fingerprint}\n")
}

/// The fingerprint recorded in a file's first line, if any.
pub fn recorded(file: &str) -> Option<&str> {
    let first = file.lines().next()?;
    first.strip_prefix(LINE_PREFIX).map(str::trim_end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fingerprints_depend_on_key_scheme_and_every_byte_of_the_object() {
        let k = FingerprintKey::generate();
        let a = json!({"metadata": {"name": "a", "namespace": "n"}, "data": {"K": "dg=="}});
        let b = json!({"metadata": {"name": "a", "namespace": "n"}, "data": {"K": "dw=="}});
        let c = json!({"metadata": {"name": "a", "namespace": "m"}, "data": {"K": "dg=="}});
        let f = k.fingerprint("sops-age age1x", &a);
        assert_eq!(f, k.fingerprint("sops-age age1x", &a));
        assert!(f.starts_with("v1:") && f.len() == 3 + 64);
        assert_ne!(f, k.fingerprint("sops-age age1y", &a));
        assert_ne!(f, k.fingerprint("sops-age age1x", &b));
        assert_ne!(f, k.fingerprint("sops-age age1x", &c));
        assert_ne!(
            f,
            FingerprintKey::generate().fingerprint("sops-age age1x", &a)
        );
    }

    #[test]
    fn key_files_round_trip_and_bad_ones_are_refused() {
        let k = FingerprintKey::generate();
        let back = FingerprintKey::parse(&k.to_file_text()).unwrap();
        let v = json!({"a": 1});
        assert_eq!(k.fingerprint("s", &v), back.fingerprint("s", &v));
        assert!(FingerprintKey::parse("short").is_err());
        assert!(FingerprintKey::parse(&"zz".repeat(32)).is_err());
        assert_eq!(format!("{k:?}"), "FingerprintKey(<redacted>)");
    }

    #[test]
    fn the_recorded_fingerprint_is_read_from_the_first_line() {
        let text = format!("{}apiVersion: v1\n", line("v1:ab"));
        assert_eq!(recorded(&text), Some("v1:ab"));
        assert_eq!(recorded("apiVersion: v1\n"), None);
    }
}
