//! SOPS documents encrypted to age recipients, in the format `sops` 3.x reads (and Flux's
//! kustomize-controller, which uses the same library).
//!
//! The format, as getsops/sops defines it:
//! * a random 32-byte data key; every value under a key matching `encrypted_regex`
//!   (`^(data|stringData)$` here, matched against every key of the value's path) becomes
//!   `ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:str]`: AES-256-GCM with a 32-byte
//!   random IV, the additional data being the key path joined with `:` plus a trailing `:`
//!   (`data:OPENAI_API_KEY:`); empty strings stay empty;
//! * the MAC: SHA-512 over every leaf value in document order, encrypted or not (as text;
//!   booleans as `True`/`False`; nulls skipped), as upper-case hex, itself encrypted with
//!   the `lastmodified` timestamp (RFC 3339, UTC, seconds) as additional data;
//! * the data key, encrypted to each age recipient separately (ASCII-armored age files);
//! * a top-level `sops` map: `age` (`recipient`, `enc`), `lastmodified`, `mac`,
//!   `encrypted_regex`, `version`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{SystemTime, UNIX_EPOCH};

use aes_gcm::aead::consts::U32;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::aes::Aes256;
use aes_gcm::AesGcm;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::RngCore;
use serde_json::{Map, Value};
use sha2::{Digest, Sha512};

use super::EncryptError;
use crate::manifests::Kind;

/// The `encrypted_regex` of every document: only `data` and `stringData` are encrypted.
pub const ENCRYPTED_REGEX: &str = "^(data|stringData)$";
/// The SOPS format version written in the metadata (the one the tests decrypt with).
pub const SOPS_VERSION: &str = "3.11.0";

/// AES-256-GCM with the 32-byte nonce SOPS uses.
type Cipher = AesGcm<Aes256, U32>;

/// The age recipients every document is encrypted to (sorted, without repeats, so that the
/// order they are given in changes nothing).
#[derive(Clone)]
pub struct SopsAge {
    recipients: Vec<(String, age::x25519::Recipient)>,
}

impl std::fmt::Debug for SopsAge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.recipients.iter().map(|(s, _)| s))
            .finish()
    }
}

/// The error for a string that is not an age recipient: it names where it came from, never
/// what it is (it may be a private key or a `.env` line), and says what it looks like.
fn not_a_recipient(origin: &str, text: &str) -> String {
    let upper = text.to_ascii_uppercase();
    let looks = if upper.starts_with("AGE-SECRET-KEY-") || upper.contains("AGE-SECRET-KEY-1") {
        ": it looks like an age PRIVATE key (AGE-SECRET-KEY-1…): give its public key instead (age-keygen -y KEYFILE), and treat the private key as exposed if this came from a shared file or a shell history"
    } else if upper.contains("PRIVATE KEY") {
        ": it looks like a PRIVATE key: give the age public key (age1…) instead"
    } else if text.contains('=') {
        ": it looks like a KEY=VALUE line (a .env file?), not a recipient; if it holds a credential, treat it as exposed"
    } else if text.starts_with("ssh-") {
        ": SSH keys are not supported here; give an age X25519 recipient (age1…)"
    } else if text.starts_with("age1") {
        ": it starts like one but is not a valid age X25519 recipient (a typo, or cut short?)"
    } else {
        ""
    };
    format!(
        "{origin}: not an age recipient (expected age1… as printed by age-keygen -y; the text given is not shown){looks}"
    )
}

impl SopsAge {
    /// Parses age X25519 recipients (`age1…`). `origin` says where each came from, for
    /// errors; a string that is not a recipient is never quoted (it may be a private key).
    pub fn new(recipients: &[(String, String)]) -> Result<SopsAge, EncryptError> {
        let mut parsed: Vec<(String, age::x25519::Recipient)> = Vec::new();
        for (origin, r) in recipients {
            let r = r.trim();
            let key: age::x25519::Recipient = r
                .parse()
                .map_err(|_| EncryptError(not_a_recipient(origin, r)))?;
            parsed.push((r.to_string(), key));
        }
        if parsed.is_empty() {
            return Err(EncryptError("no age recipient given".into()));
        }
        parsed.sort_by(|a, b| a.0.cmp(&b.0));
        parsed.dedup_by(|a, b| a.0 == b.0);
        Ok(SopsAge { recipients: parsed })
    }

    /// Reads a recipients file as `age -R` does: one recipient per line, `#` comments and
    /// blank lines ignored. Returns `(origin, recipient)` pairs for [`SopsAge::new`].
    pub fn read_recipients_file(
        name: &str,
        text: &str,
    ) -> Result<Vec<(String, String)>, EncryptError> {
        let list: Vec<(String, String)> = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
            .map(|(i, l)| (format!("{name}:{}", i + 1), l.to_string()))
            .collect();
        if list.is_empty() {
            return Err(EncryptError(format!(
                "{name}: no age recipient in the file"
            )));
        }
        Ok(list)
    }

    /// The recipients, as written into the documents.
    pub fn recipients(&self) -> impl Iterator<Item = &str> {
        self.recipients.iter().map(|(s, _)| s.as_str())
    }

    /// Encrypts one object (a Secret as JSON) into a SOPS document, stamped `now`.
    pub fn encrypt(&self, object: &Value, now: SystemTime) -> Result<Value, EncryptError> {
        self.encrypt_owned(object.clone(), now)
    }

    /// Every error [`SopsAge::encrypt`] gives for `object` that depends on the object.
    pub fn check(object: &Value) -> Result<(), EncryptError> {
        let Value::Object(map) = object else {
            return Err(EncryptError("only a map can be encrypted".into()));
        };
        if map.contains_key("sops") {
            return Err(EncryptError(
                "the object already has a top-level `sops` key".into(),
            ));
        }
        let mut path = Vec::new();
        map.iter().try_for_each(|(k, v)| {
            path.push(k.as_str());
            let r = check_numbers(v, &mut path);
            path.pop();
            r
        })
    }

    /// [`SopsAge::encrypt`], taking the object: its values are encrypted in place, so a large
    /// Secret is not copied first.
    pub fn encrypt_owned(&self, object: Value, now: SystemTime) -> Result<Value, EncryptError> {
        SopsAge::check(&object)?;
        let Value::Object(mut tree) = object else {
            unreachable!("checked: a map");
        };
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        let cipher = Cipher::new_from_slice(&key).expect("32-byte key");
        let mut mac = Sha512::new();
        let mut path = Vec::new();
        walk_map(&mut tree, &mut path, false, &cipher, &mut mac)?;
        let lastmodified = rfc3339(now);
        let mac_hex = hex_upper(&mac.finalize());
        let mac_enc = encrypt_str(&cipher, &mac_hex, &lastmodified);
        let mut age_keys = Vec::new();
        for (text, recipient) in &self.recipients {
            let enc = age_armored(recipient, &key)?;
            age_keys.push(serde_json::json!({ "recipient": text, "enc": enc }));
        }
        let meta = serde_json::json!({
            "age": age_keys,
            "lastmodified": lastmodified,
            "mac": mac_enc,
            "encrypted_regex": ENCRYPTED_REGEX,
            "version": SOPS_VERSION,
        });
        tree.insert("sops".into(), meta);
        Ok(Value::Object(tree))
    }
}

/// The error of [`walk_value`] for a number that is not an integer, found without
/// encrypting (list items keep the path of their list).
fn check_numbers<'a>(v: &'a Value, path: &mut Vec<&'a str>) -> Result<(), EncryptError> {
    match v {
        Value::Object(m) => m.iter().try_for_each(|(k, v)| {
            path.push(k.as_str());
            let r = check_numbers(v, path);
            path.pop();
            r
        }),
        Value::Array(items) => items.iter().try_for_each(|item| check_numbers(item, path)),
        Value::Number(n) if !(n.is_i64() || n.is_u64()) => Err(not_an_integer(&path.join("."))),
        _ => Ok(()),
    }
}

fn not_an_integer(path: &str) -> EncryptError {
    EncryptError(format!(
        "{path}: a non-integer number cannot be written in the SOPS format exactly"
    ))
}

fn is_encrypted_key(k: &str) -> bool {
    k == "data" || k == "stringData"
}

fn walk_map(
    map: &mut Map<String, Value>,
    path: &mut Vec<String>,
    encrypted: bool,
    cipher: &Cipher,
    mac: &mut Sha512,
) -> Result<(), EncryptError> {
    for (k, v) in map.iter_mut() {
        path.push(k.clone());
        walk_value(v, path, encrypted || is_encrypted_key(k), cipher, mac)?;
        path.pop();
    }
    Ok(())
}

fn walk_value(
    v: &mut Value,
    path: &mut Vec<String>,
    encrypted: bool,
    cipher: &Cipher,
    mac: &mut Sha512,
) -> Result<(), EncryptError> {
    match v {
        Value::Object(m) => walk_map(m, path, encrypted, cipher, mac),
        // List items keep the path of their list, as in SOPS.
        Value::Array(items) => items
            .iter_mut()
            .try_for_each(|item| walk_value(item, path, encrypted, cipher, mac)),
        Value::Null => Ok(()),
        Value::String(s) => {
            mac.update(s.as_bytes());
            if encrypted && !s.is_empty() {
                *s = encrypt_typed(cipher, s.as_bytes(), "str", path);
            }
            Ok(())
        }
        Value::Bool(b) => {
            let text = if *b { "True" } else { "False" };
            mac.update(text.as_bytes());
            if encrypted {
                *v = Value::String(encrypt_typed(cipher, text.as_bytes(), "bool", path));
            }
            Ok(())
        }
        Value::Number(n) => {
            if !(n.is_i64() || n.is_u64()) {
                return Err(not_an_integer(&path.join(".")));
            }
            let text = n.to_string();
            mac.update(text.as_bytes());
            if encrypted {
                *v = Value::String(encrypt_typed(cipher, text.as_bytes(), "int", path));
            }
            Ok(())
        }
    }
}

fn encrypt_typed(cipher: &Cipher, plain: &[u8], kind: &str, path: &[String]) -> String {
    let mut aad = path.join(":");
    aad.push(':');
    seal(cipher, plain, kind, &aad)
}

fn encrypt_str(cipher: &Cipher, plain: &str, aad: &str) -> String {
    seal(cipher, plain.as_bytes(), "str", aad)
}

fn seal(cipher: &Cipher, plain: &[u8], kind: &str, aad: &str) -> String {
    let mut iv = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut iv);
    let out = cipher
        .encrypt(
            aes_gcm::aead::generic_array::GenericArray::from_slice(&iv),
            Payload {
                msg: plain,
                aad: aad.as_bytes(),
            },
        )
        .expect("AES-GCM encryption of an in-memory buffer");
    let (data, tag) = out.split_at(out.len() - 16);
    // Built in one buffer: a large value is not held again as base64 and as the result.
    let mut s = String::with_capacity(data.len().div_ceil(3) * 4 + 128);
    s.push_str("ENC[AES256_GCM,data:");
    B64.encode_string(data, &mut s);
    s.push_str(",iv:");
    B64.encode_string(iv, &mut s);
    s.push_str(",tag:");
    B64.encode_string(tag, &mut s);
    s.push_str(",type:");
    s.push_str(kind);
    s.push(']');
    s
}

/// The data key as an ASCII-armored age file for one recipient.
fn age_armored(recipient: &age::x25519::Recipient, key: &[u8]) -> Result<String, EncryptError> {
    use std::io::Write;
    let fail = |e: &dyn std::fmt::Display| EncryptError(format!("age encryption failed: {e}"));
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
            .map_err(|e| fail(&e))?;
    let mut out = Vec::new();
    let armor = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
        .map_err(|e| fail(&e))?;
    let mut w = encryptor.wrap_output(armor).map_err(|e| fail(&e))?;
    w.write_all(key).map_err(|e| fail(&e))?;
    w.finish()
        .and_then(|armor| armor.finish())
        .map_err(|e| fail(&e))?;
    Ok(String::from_utf8(out).expect("armor is ASCII"))
}

fn hex_upper(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02X}"));
    }
    s
}

/// RFC 3339 in UTC to the second, as Go's `time.RFC3339` prints a UTC time.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The SOPS format (`--sops-age`): the object stays a `v1` Secret, its values encrypted, a
/// top-level `sops` block beside them.
pub struct Sops;

/// SOPS key groups other than age: each can decrypt the data key.
const OTHER_SOPS_KEYS: &[&str] = &[
    "pgp",
    "kms",
    "gcp_kms",
    "azure_kv",
    "hc_vault",
    "key_groups",
];

impl super::Format for Sops {
    fn flag(&self) -> &'static str {
        "--sops-age"
    }

    fn kind(&self) -> Kind {
        Kind::Secret
    }

    fn refuses(&self, to: super::Destination) -> Option<&'static str> {
        Some(match to {
            super::Destination::JsonList => "--sops-age cannot be used with -o json: a List is not a SOPS document; use the YAML stream or --output-dir",
            // Only Flux (or sops) decrypts a SOPS document.
            super::Destination::Apply => "--sops-age cannot be used with --apply: only Flux (or sops) decrypts a SOPS document, and applied as it is it would be a Secret of ciphertext; write the encrypted objects to Git (--output-dir) instead, or use --seal-cert, whose SealedSecrets the controller unseals in the cluster",
        })
    }

    /// A `sops` block, or `data`/`stringData` values that are all SOPS ciphertext.
    fn encrypted(&self, o: &Value) -> bool {
        o.get("sops").is_some()
            || ["data", "stringData"].iter().any(|f| {
                o[*f].as_object().is_some_and(|m| {
                    !m.is_empty()
                        && m.values()
                            .all(|v| v.as_str().is_some_and(|s| s.starts_with("ENC[")))
                })
            })
    }

    /// The `sops` block: its MAC and dates change at every encryption.
    fn clean(&self, o: &mut Value) {
        if let Some(map) = o.as_object_mut() {
            map.remove("sops");
        }
    }

    /// A Secret with a `sops` block.
    fn owns(&self, o: &Value) -> bool {
        o.get("kind").and_then(Value::as_str) == Some(Kind::Secret.as_str())
            && o.get("sops").and_then(Value::as_object).is_some()
    }

    /// Every value is SOPS ciphertext, the MAC is encrypted, only age keys, and exactly the
    /// expected recipients.
    fn verify(&self, o: &Value, keys: Option<&dyn super::Keys>) -> Vec<String> {
        let mut problems = Vec::new();
        let Some(sops) = o.get("sops").and_then(Value::as_object) else {
            return problems;
        };
        let id = super::object_id(o);
        for (k, m) in ["data", "stringData"]
            .iter()
            .filter_map(|k| o.get(*k).and_then(Value::as_object).map(|m| (*k, m)))
        {
            for (key, v) in m {
                if !super::is_empty_value(v) && !v.as_str().is_some_and(is_sops_ciphertext) {
                    problems.push(format!("Secret {id}: {k}.{key} is not encrypted (a SOPS document with a plaintext value)"));
                }
            }
        }
        if !sops
            .get("mac")
            .and_then(Value::as_str)
            .is_some_and(is_sops_ciphertext)
        {
            problems.push(format!(
                "Secret {id}: the sops block has no encrypted mac (sops and Flux refuse it)"
            ));
        }
        for k in OTHER_SOPS_KEYS {
            let present = match sops.get(*k) {
                None | Some(Value::Null) => false,
                Some(Value::Array(a)) => !a.is_empty(),
                Some(_) => true,
            };
            if present {
                problems.push(format!("Secret {id}: also encrypted with sops `{k}` keys, which can decrypt it and are not expected"));
            }
        }
        let entries = || {
            sops.get("age")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        };
        let listed: Vec<&str> = entries()
            .map(|e| e.get("recipient").and_then(Value::as_str).unwrap_or(""))
            .collect();
        for e in entries() {
            let armored = e.get("enc").and_then(Value::as_str).unwrap_or("");
            if !armored
                .trim_start()
                .starts_with("-----BEGIN AGE ENCRYPTED FILE-----")
            {
                problems.push(format!(
                    "Secret {id}: an age entry without an age-encrypted data key"
                ));
            }
        }
        let Some(expected) = keys.and_then(|k| k.as_any().downcast_ref::<SopsAge>()) else {
            problems.push(format!("Secret {id} is a SOPS document, but no --sops-age recipients were given to check it against"));
            return problems;
        };
        let want: BTreeSet<&str> = expected.recipients().collect();
        let got: BTreeSet<&str> = listed.iter().copied().collect();
        for r in got.difference(&want) {
            problems.push(format!("Secret {id}: also encrypted to {r}, which is not an expected recipient (it can still decrypt: render again without it)"));
        }
        for r in want.difference(&got) {
            problems.push(format!(
                "Secret {id}: not encrypted to the expected recipient {r}"
            ));
        }
        if got.len() != listed.len() {
            problems.push(format!("Secret {id}: a recipient is listed twice"));
        }
        problems
    }
}

impl super::Keys for SopsAge {
    fn format(&self) -> &'static dyn super::Format {
        &Sops
    }

    fn id(&self) -> String {
        let r: Vec<&str> = self.recipients().collect();
        format!("sops-age {}", r.join(","))
    }

    fn check(&self, secret: &Value) -> Result<(), EncryptError> {
        SopsAge::check(secret)
    }

    fn encrypt(&self, secret: Value, now: SystemTime) -> Result<Value, EncryptError> {
        self.encrypt_owned(secret, now)
    }

    /// One age X25519 stanza about 0.1 ms per recipient; AES-GCM of a value a few
    /// microseconds.
    fn cost_us(&self, values: u64) -> u64 {
        100 * self.recipients.len() as u64 + 5 * values
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// `ENC[AES256_GCM,data:...,iv:...,tag:...,type:...]`, as sops writes an encrypted value.
pub fn is_sops_ciphertext(s: &str) -> bool {
    let Some(inner) = s
        .strip_prefix("ENC[AES256_GCM,")
        .and_then(|r| r.strip_suffix(']'))
    else {
        return false;
    };
    let parts: BTreeMap<&str, &str> = inner.split(',').filter_map(|p| p.split_once(':')).collect();
    let b64 = |k: &str| parts.get(k).and_then(|v| B64.decode(v).ok());
    inner.split(',').count() == 4
        && b64("data").is_some()
        && b64("iv").is_some_and(|iv| !iv.is_empty())
        && b64("tag").is_some_and(|t| t.len() == 16)
        && parts
            .get("type")
            .is_some_and(|t| matches!(*t, "str" | "int" | "float" | "bytes" | "bool" | "comment"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc3339_matches_known_dates() {
        let at = |s| UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(rfc3339(at(0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(at(951_782_400)), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(at(1_798_502_069)), "2026-12-28T23:54:29Z");
        assert_eq!(rfc3339(at(4_107_542_399)), "2100-02-28T23:59:59Z");
    }

    fn recipient() -> String {
        age::x25519::Identity::generate().to_public().to_string()
    }

    #[test]
    fn only_data_and_string_data_are_encrypted_and_the_aad_is_the_path() {
        let sops = SopsAge::new(&[("test".into(), recipient())]).unwrap();
        let secret = serde_json::json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "agent-env", "namespace": "team-a", "labels": {"data": "x"}},
            "data": {"A": "c2VjcmV0", "EMPTY": ""},
            "stringData": {"B": "plain"},
            "immutable": true,
        });
        let out = sops.encrypt(&secret, SystemTime::now()).unwrap();
        assert_eq!(out["metadata"]["name"], "agent-env");
        assert_eq!(out["immutable"], true);
        assert_eq!(out["data"]["EMPTY"], "");
        for v in [
            &out["data"]["A"],
            &out["stringData"]["B"],
            &out["metadata"]["labels"]["data"],
        ] {
            let s = v.as_str().unwrap();
            assert!(
                s.starts_with("ENC[AES256_GCM,data:") && s.ends_with(",type:str]"),
                "{s}"
            );
        }
        assert_eq!(out["sops"]["encrypted_regex"], ENCRYPTED_REGEX);
        assert!(out["sops"]["age"][0]["enc"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"));
        assert!(!out.to_string().contains("c2VjcmV0") && !out.to_string().contains("plain"));
    }

    #[test]
    fn sops_ciphertext_is_recognised_exactly() {
        assert!(is_sops_ciphertext("ENC[AES256_GCM,data:aGk=,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]"));
        assert!(!is_sops_ciphertext(
            "ENC[AES256_GCM,data:aGk=,iv:AAAA,tag:AAAA,type:str]"
        ));
        assert!(!is_sops_ciphertext("aGk="));
        assert!(!is_sops_ciphertext("ENC[AES256_GCM,data:aGk=,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str,x:y]"));
    }

    #[test]
    fn bad_recipients_are_refused_with_their_origin() {
        let e = SopsAge::new(&[("--sops-age".into(), "age1nope".into())]).unwrap_err();
        assert!(
            e.0.starts_with("--sops-age: not an age recipient") && !e.0.contains("nope"),
            "{e}"
        );
        for (text, says) in [
            ("AGE-SECRET-KEY-1QQQQ", "age PRIVATE key"),
            ("OPENAI_API_KEY=sk-x", "KEY=VALUE line"),
            ("-----BEGIN OPENSSH PRIVATE KEY-----", "PRIVATE key"),
        ] {
            let e = SopsAge::new(&[("f:2".into(), text.into())]).unwrap_err();
            assert!(e.0.starts_with("f:2: not an age recipient"), "{e}");
            assert!(e.0.contains(says) && !e.0.contains(text), "{e}");
        }
        let list = SopsAge::read_recipients_file("r.txt", "# team\n\n  age1abc  \n").unwrap();
        assert_eq!(list, [("r.txt:3".to_string(), "age1abc".to_string())]);
        assert!(SopsAge::read_recipients_file("r.txt", "# only a comment\n").is_err());
    }
}
