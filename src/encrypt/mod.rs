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
