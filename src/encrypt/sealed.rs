//! Bitnami Sealed Secrets: a Secret sealed with the controller's certificate into a
//! `bitnami.com/v1alpha1` `SealedSecret`, in the format of bitnami-labs/sealed-secrets
//! (`pkg/crypto` HybridEncrypt, `pkg/apis/sealedsecrets/v1alpha1`):
//!
//! * each value of the Secret is sealed on its own: a random 32-byte session key encrypted
//!   with RSA-OAEP (SHA-256) whose label is the scope (`namespace/name` strict, `namespace`
//!   namespace-wide, empty cluster-wide), then the 2-byte big-endian length of that RSA
//!   ciphertext, the RSA ciphertext, and the value encrypted with AES-256-GCM under the
//!   session key with a zero nonce (the key is used once); base64 of all that is
//!   `spec.encryptedData.<key>`;
//! * `spec.template` carries the Secret's metadata and type (and `immutable`); a non-strict
//!   scope is the annotation `sealedsecrets.bitnami.com/namespace-wide` or `cluster-wide`
//!   on both the SealedSecret and the template, as kubeseal writes it.
//!
//! Sealing only uses the public key (RSA encryption). The `rsa` crate's advisory
//! RUSTSEC-2023-0071 (Marvin: timing of private-key operations) does not apply to it.

use std::time::SystemTime;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::RngCore;
use rsa::traits::PublicKeyParts;
use rsa::{Oaep, RsaPublicKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use x509_cert::der::{DecodePem, Encode};

use super::EncryptError;
use crate::manifests::Kind;

pub const API_VERSION: &str = "bitnami.com/v1alpha1";
pub const KIND: &str = Kind::SealedSecret.as_str();
const NAMESPACE_WIDE: &str = "sealedsecrets.bitnami.com/namespace-wide";
const CLUSTER_WIDE: &str = "sealedsecrets.bitnami.com/cluster-wide";

/// Where a sealed Secret may be unsealed (kubeseal's `--scope`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Scope {
    /// Only under its own namespace and name (the default).
    #[default]
    Strict,
    /// Under any name in its namespace.
    NamespaceWide,
    /// Anywhere in the cluster.
    ClusterWide,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Strict => "strict",
            Scope::NamespaceWide => "namespace-wide",
            Scope::ClusterWide => "cluster-wide",
        }
    }

    /// The RSA-OAEP label of this scope.
    pub fn label(self, namespace: &str, name: &str) -> String {
        match self {
            Scope::Strict => format!("{namespace}/{name}"),
            Scope::NamespaceWide => namespace.to_string(),
            Scope::ClusterWide => String::new(),
        }
    }

    fn annotation(self) -> Option<&'static str> {
        match self {
            Scope::Strict => None,
            Scope::NamespaceWide => Some(NAMESPACE_WIDE),
            Scope::ClusterWide => Some(CLUSTER_WIDE),
        }
    }
}

/// The public key of a Sealed Secrets controller, from its certificate.
#[derive(Clone, Debug)]
pub struct Sealer {
    key: RsaPublicKey,
    scope: Scope,
    /// SHA-256 of the certificate (DER), lower-case hex.
    cert_sha256: String,
}

impl Sealer {
    /// Reads the controller's certificate (`kubeseal --fetch-cert`), PEM. The first
    /// certificate is used, as kubeseal does. `name` is the file's name, for errors.
    pub fn from_pem(
        name: &str,
        pem: &[u8],
        scope: Scope,
        now: SystemTime,
    ) -> Result<Sealer, EncryptError> {
        let err = |m: String| EncryptError(format!("--seal-cert {name}: {m}"));
        let text = std::str::from_utf8(pem)
            .map_err(|_| err("not a PEM certificate (the file is not text)".into()))?;
        let Some(label) = first_pem_label(text) else {
            return Err(err(
                "not a PEM certificate (no -----BEGIN CERTIFICATE----- block); fetch it with `kubeseal --fetch-cert`".into(),
            ));
        };
        if label != "CERTIFICATE" {
            return Err(err(format!(
                "holds a {label}, not a certificate; pass the controller's certificate (`kubeseal --fetch-cert`)"
            )));
        }
        let start = text
            .find("-----BEGIN CERTIFICATE-----")
            .expect("label found");
        let end = text[start..]
            .find("-----END CERTIFICATE-----")
            .map(|e| start + e + "-----END CERTIFICATE-----".len())
            .ok_or_else(|| err("the certificate has no END line".into()))?;
        let cert = x509_cert::Certificate::from_pem(&text[start..end])
            .map_err(|e| err(format!("not a valid X.509 certificate: {e}")))?;
        let validity = &cert.tbs_certificate.validity;
        let not_after = validity.not_after.to_system_time();
        if not_after < now {
            return Err(err(format!(
                "the certificate expired on {}; fetch the controller's current one (`kubeseal --fetch-cert`)",
                super::sops::rfc3339(not_after)
            )));
        }
        if validity.not_before.to_system_time() > now {
            return Err(err(format!(
                "the certificate is not valid before {}",
                super::sops::rfc3339(validity.not_before.to_system_time())
            )));
        }
        let key = rsa_key(&cert.tbs_certificate.subject_public_key_info).ok_or_else(|| {
            err("the certificate's key is not an RSA key (Sealed Secrets uses RSA)".into())
        })?;
        if key.size() < 256 {
            return Err(err(format!(
                "the certificate's RSA key has {} bits; at least 2048 are required",
                key.size() * 8
            )));
        }
        let der = cert
            .to_der()
            .map_err(|e| err(format!("cannot encode the certificate: {e}")))?;
        Ok(Sealer {
            key,
            scope,
            cert_sha256: hex(&Sha256::digest(&der)),
        })
    }

    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// The length of an RSA ciphertext under this key, in bytes (the modulus size).
    pub fn ciphertext_len(&self) -> usize {
        self.key.size()
    }

    /// Whether `ciphertext`, read as a big-endian integer, is below this key's modulus: a
    /// ciphertext at or above it cannot have been made with this key.
    pub fn below_modulus(&self, ciphertext: &[u8]) -> bool {
        rsa::BigUint::from_bytes_be(ciphertext) < *self.key.n()
    }

    /// The scope a SealedSecret's annotations say (`None` when they name two scopes).
    pub fn scope_of(annotations: Option<&Map<String, Value>>) -> Option<Scope> {
        let on = |k: &str| {
            annotations
                .and_then(|a| a.get(k))
                .and_then(Value::as_str)
                .is_some_and(|v| v == "true")
        };
        match (on(NAMESPACE_WIDE), on(CLUSTER_WIDE)) {
            (false, false) => Some(Scope::Strict),
            (true, false) => Some(Scope::NamespaceWide),
            (false, true) => Some(Scope::ClusterWide),
            (true, true) => None,
        }
    }

    /// SHA-256 of the certificate, hex: what identifies the sealing key in fingerprints.
    pub fn cert_sha256(&self) -> &str {
        &self.cert_sha256
    }

    /// Seals one value with a scope label: the bytes of `encryptedData.<key>`, before base64.
    pub fn seal_value(&self, plain: &[u8], label: &str) -> Result<Vec<u8>, EncryptError> {
        let mut session = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut session);
        let wrapped = self
            .key
            .encrypt(
                &mut rand::rngs::OsRng,
                Oaep::new_with_label::<Sha256, _>(label),
                &session,
            )
            .map_err(|e| EncryptError(format!("RSA-OAEP encryption failed: {e}")))?;
        let len = u16::try_from(wrapped.len())
            .map_err(|_| EncryptError("the RSA key is too large".into()))?;
        let aes = Aes256Gcm::new_from_slice(&session).expect("32-byte key");
        let sealed = aes
            .encrypt(Nonce::from_slice(&[0u8; 12]), plain)
            .expect("AES-GCM encryption of an in-memory buffer");
        let mut out = Vec::with_capacity(2 + wrapped.len() + sealed.len());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&wrapped);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The name, namespace and values (decoded, sorted by key) of a Secret to seal: every
    /// error sealing can give that depends on the Secret.
    fn plaintext(secret: &Value) -> Result<Plaintext<'_>, EncryptError> {
        let meta = secret
            .get("metadata")
            .and_then(Value::as_object)
            .ok_or_else(|| EncryptError("the Secret has no metadata".into()))?;
        let name = meta.get("name").and_then(Value::as_str).unwrap_or("");
        let namespace = meta.get("namespace").and_then(Value::as_str).unwrap_or("");
        if name.is_empty() || namespace.is_empty() {
            return Err(EncryptError(
                "a Secret needs a name and a namespace to be sealed".into(),
            ));
        }
        let where_ = format!("Secret {namespace}/{name}");
        let mut plain: Vec<(String, Vec<u8>)> = Vec::new();
        if let Some(data) = secret.get("data").and_then(Value::as_object) {
            for (k, v) in data {
                let b64 = v.as_str().unwrap_or("");
                let bytes = B64
                    .decode(b64)
                    .map_err(|_| EncryptError(format!("{where_}: data.{k} is not base64")))?;
                plain.push((k.clone(), bytes));
            }
        }
        if let Some(data) = secret.get("stringData").and_then(Value::as_object) {
            for (k, v) in data {
                // stringData wins over data, as the API server merges them.
                plain.retain(|(key, _)| key != k);
                plain.push((k.clone(), v.as_str().unwrap_or("").as_bytes().to_vec()));
            }
        }
        plain.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Plaintext {
            meta,
            name,
            namespace,
            values: plain,
        })
    }

    /// Every error [`Sealer::seal`] gives for `secret` that depends on the Secret.
    pub fn check(secret: &Value) -> Result<(), EncryptError> {
        Sealer::plaintext(secret).map(drop)
    }

    /// Seals a Secret (as JSON) into a SealedSecret (as JSON).
    pub fn seal(&self, secret: &Value) -> Result<Value, EncryptError> {
        let Plaintext {
            meta,
            name,
            namespace,
            values: plain,
        } = Sealer::plaintext(secret)?;
        let label = self.scope.label(namespace, name);
        let mut encrypted = Map::new();
        for (k, bytes) in plain {
            let sealed = self.seal_value(&bytes, &label)?;
            encrypted.insert(k, Value::String(B64.encode(sealed)));
        }

        let mut template_meta = meta.clone();
        let mut own_meta = Map::new();
        own_meta.insert("name".into(), name.into());
        own_meta.insert("namespace".into(), namespace.into());
        for k in ["labels", "annotations"] {
            if let Some(v) = meta.get(k) {
                own_meta.insert(k.into(), v.clone());
            }
        }
        if let Some(a) = self.scope.annotation() {
            for m in [&mut template_meta, &mut own_meta] {
                let annotations = m
                    .entry("annotations")
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(annotations) = annotations {
                    annotations.insert(a.into(), "true".into());
                }
            }
        }
        let mut template = Map::new();
        template.insert("metadata".into(), Value::Object(template_meta));
        for k in ["type", "immutable"] {
            if let Some(v) = secret.get(k) {
                template.insert(k.into(), v.clone());
            }
        }
        Ok(serde_json::json!({
            "apiVersion": API_VERSION,
            "kind": KIND,
            "metadata": own_meta,
            "spec": {
                "encryptedData": encrypted,
                "template": template,
            },
        }))
    }
}

/// A Secret ready to seal.
struct Plaintext<'a> {
    meta: &'a Map<String, Value>,
    name: &'a str,
    namespace: &'a str,
    values: Vec<(String, Vec<u8>)>,
}

/// The Sealed Secrets format (`--seal-cert`): a `bitnami.com/v1alpha1` SealedSecret.
pub struct Sealed;

impl super::Format for Sealed {
    fn flag(&self) -> &'static str {
        "--seal-cert"
    }

    fn kind(&self) -> Kind {
        Kind::SealedSecret
    }

    /// A SealedSecret is made to be applied (the controller unseals it in the cluster), and
    /// a `List` may hold it.
    fn refuses(&self, _: super::Destination) -> Option<&'static str> {
        None
    }

    fn encrypted(&self, o: &Value) -> bool {
        o["kind"] == KIND
    }

    /// The sealed values: each is sealed afresh with a random session key.
    fn clean(&self, o: &mut Value) {
        if o["kind"] == KIND {
            if let Some(m) = o
                .pointer_mut("/spec/encryptedData")
                .and_then(Value::as_object_mut)
            {
                for v in m.values_mut() {
                    *v = Value::String("ENCRYPTED".into());
                }
            }
        }
    }

    fn owns(&self, o: &Value) -> bool {
        o.get("kind").and_then(Value::as_str) == Some(KIND)
    }

    /// Only the fields render writes, no plaintext in the template, the expected scope, and
    /// values that can come from the expected certificate (RSA ciphertext of its length,
    /// below its modulus).
    fn verify(&self, o: &Value, keys: Option<&dyn super::Keys>) -> Vec<String> {
        let mut problems = Vec::new();
        let mut add = |p: String| problems.push(p);
        let id = super::object_id(o);
        let Some(sealer) = keys.and_then(|k| k.as_any().downcast_ref::<Sealer>()) else {
            add(format!(
                "SealedSecret {id}: no --seal-cert was given to check it against"
            ));
            return problems;
        };
        let spec = o.get("spec").and_then(Value::as_object);
        let empty = Map::new();
        let spec = spec.unwrap_or(&empty);
        for k in spec
            .keys()
            .filter(|k| !matches!(k.as_str(), "encryptedData" | "template"))
        {
            add(format!("SealedSecret {id}: spec.{k} is not expected (render writes encryptedData and template)"));
        }
        let template = spec.get("template").and_then(Value::as_object);
        if template
            .and_then(|t| t.get("data"))
            .and_then(Value::as_object)
            .is_some_and(|d| d.values().any(|v| !super::is_empty_value(v)))
        {
            add(format!(
                "SealedSecret {id}: spec.template.data holds values in plaintext"
            ));
        }
        fn annotations(m: Option<&Value>) -> Option<&Map<String, Value>> {
            m.and_then(|m| m.get("annotations"))
                .and_then(Value::as_object)
        }
        let own = Sealer::scope_of(annotations(o.get("metadata")));
        let inner = Sealer::scope_of(annotations(template.and_then(|t| t.get("metadata"))));
        let want = sealer.scope();
        match own {
            Some(s) if s == want => {}
            Some(s) => add(format!(
                "SealedSecret {id}: sealed {}, expected {}",
                s.as_str(),
                want.as_str()
            )),
            None => add(format!(
                "SealedSecret {id}: its annotations name two scopes"
            )),
        }
        if inner != own && own.is_some() {
            add(format!(
                "SealedSecret {id}: the template's scope annotation differs from the object's"
            ));
        }
        if want != Scope::ClusterWide
            && o.get("metadata")
                .and_then(|m| m.get("namespace"))
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
        {
            add(format!(
                "SealedSecret {id}: no namespace, which a {} seal needs",
                want.as_str()
            ));
        }
        let data = spec.get("encryptedData").and_then(Value::as_object);
        if data.is_none_or(Map::is_empty) {
            add(format!("SealedSecret {id}: no encryptedData"));
        }
        for (k, v) in data.into_iter().flatten() {
            let Some(bytes) = v.as_str().and_then(|s| B64.decode(s).ok()) else {
                add(format!(
                    "SealedSecret {id}: encryptedData.{k} is not base64"
                ));
                continue;
            };
            let want_len = sealer.ciphertext_len();
            let len = bytes
                .get(..2)
                .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])));
            match len {
                Some(l) if l == want_len && bytes.len() >= 2 + l + 16 => {
                    if !sealer.below_modulus(&bytes[2..2 + l]) {
                        add(format!("SealedSecret {id}: encryptedData.{k} was not sealed with the expected certificate (its RSA ciphertext is not below the certificate's modulus)"));
                    }
                }
                Some(l) if l != want_len => add(format!("SealedSecret {id}: encryptedData.{k} was sealed with a {}-bit key, not the expected certificate's {}-bit key", l * 8, want_len * 8)),
                _ => add(format!("SealedSecret {id}: encryptedData.{k} is not a sealed value (too short)")),
            }
        }
        problems
    }
}

impl super::Keys for Sealer {
    fn format(&self) -> &'static dyn super::Format {
        &Sealed
    }

    fn id(&self) -> String {
        format!("sealed {} {}", self.scope().as_str(), self.cert_sha256())
    }

    fn check(&self, secret: &Value) -> Result<(), EncryptError> {
        Sealer::check(secret)
    }

    fn encrypt(&self, secret: Value, _now: SystemTime) -> Result<Value, EncryptError> {
        self.seal(&secret)
    }

    /// RSA-OAEP with a 4096-bit key: about 1 ms per value.
    fn cost_us(&self, values: u64) -> u64 {
        1000 * values
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The label of the first PEM block (`CERTIFICATE`, `PRIVATE KEY`, ...), if any.
fn first_pem_label(text: &str) -> Option<&str> {
    let start = text.find("-----BEGIN ")? + "-----BEGIN ".len();
    let end = text[start..].find("-----")?;
    Some(&text[start..start + end])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The largest RSA key accepted, in bits (the `rsa` crate's own default stops at 4096,
/// which refused controllers configured with RSA-8192 keys).
const MAX_RSA_BITS: usize = 16384;

/// The RSA public key of a certificate (`rsaEncryption`), of any size up to
/// [`MAX_RSA_BITS`]; `None` for any other key.
fn rsa_key(spki: &x509_cert::spki::SubjectPublicKeyInfoOwned) -> Option<RsaPublicKey> {
    const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
    if spki.algorithm.oid.to_string() != RSA_ENCRYPTION {
        return None;
    }
    let parsed = rsa::pkcs1::RsaPublicKey::try_from(spki.subject_public_key.as_bytes()?).ok()?;
    let n = rsa::BigUint::from_bytes_be(parsed.modulus.as_bytes());
    let e = rsa::BigUint::from_bytes_be(parsed.public_exponent.as_bytes());
    RsaPublicKey::new_with_max_size(n, e, MAX_RSA_BITS).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_labels_are_those_of_sealed_secrets() {
        assert_eq!(
            Scope::Strict.label("team-a", "agent-env"),
            "team-a/agent-env"
        );
        assert_eq!(Scope::NamespaceWide.label("team-a", "agent-env"), "team-a");
        assert_eq!(Scope::ClusterWide.label("team-a", "agent-env"), "");
    }

    #[test]
    fn non_certificates_are_refused_by_what_they_are() {
        let now = SystemTime::now();
        let e = Sealer::from_pem(
            "k.pem",
            b"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
            Scope::Strict,
            now,
        )
        .unwrap_err();
        assert!(
            e.0.contains("holds a PRIVATE KEY, not a certificate"),
            "{e}"
        );
        assert!(!e.0.contains("MIIB"), "{e}");
        let e = Sealer::from_pem("x.pem", b"hello", Scope::Strict, now).unwrap_err();
        assert!(e.0.contains("not a PEM certificate"), "{e}");
        let e = Sealer::from_pem("b.pem", &[0xff, 0xfe], Scope::Strict, now).unwrap_err();
        assert!(e.0.contains("not a PEM certificate"), "{e}");
        let e = Sealer::from_pem(
            "c.pem",
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            Scope::Strict,
            now,
        )
        .unwrap_err();
        assert!(e.0.contains("not a valid X.509 certificate"), "{e}");
    }
}
