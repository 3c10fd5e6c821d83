//! One typed definition per concept of the values: the provider (strategy), the
//! workload-identity LLM key mode, the ESO store kind, the ESO API version and the store
//! backend. Each is a closed enum with its spelling; the name lists that the key table
//! (`keys.rs`), the checks, messages and `scripts/extract-store-schemas.py` use are derived
//! from it. Adding a backend: a variant of [`Backend`] (and regenerate the store schemas).

/// Declares a closed set of names once: the enum, its spelling, `ALL` and `NAMES`.
macro_rules! named {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $variant,)+
        }

        impl $name {
            /// Every value, in the order of [`Self::NAMES`].
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];
            /// The spellings, as the values files and the objects use them.
            pub const NAMES: &'static [&'static str] = &[$($text,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            pub fn from_name(s: &str) -> Option<Self> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named! {
    /// `secrets.provider`: how the LLM keys reach the agents.
    pub enum Provider {
        Inline = "inline",
        External = "external",
        None = "none",
    }
}

named! {
    /// `workloadIdentity.llmKeys`: where the LLM keys come from with `provider: none`.
    pub enum LlmKeys {
        None = "none",
        Inline = "inline",
        External = "external",
    }
}

named! {
    /// `secrets.external.storeKind`: the ESO store kind the ExternalSecrets reference.
    pub enum StoreKind {
        ClusterSecretStore = "ClusterSecretStore",
        SecretStore = "SecretStore",
    }
}

named! {
    /// `secrets.external.apiVersion`: the External Secrets Operator API versions rendered.
    pub enum ApiVersion {
        V1 = "external-secrets.io/v1",
        V1beta1 = "external-secrets.io/v1beta1",
    }
}

// The backend list below is also read by scripts/extract-store-schemas.py (between the
// markers): keep one `Variant = "name",` per line.
named! {
    /// `secrets.external.store.<backend>`: the ESO provider blocks recif-secrets checks
    /// against the CRD schemas (`src/manifests/store-schemas.json`).
    pub enum Backend {
        // backends:begin
        Vault = "vault",
        Gcpsm = "gcpsm",
        Aws = "aws",
        Azurekv = "azurekv",
        Doppler = "doppler",
        // backends:end
    }
}

impl StoreKind {
    /// The object kind of this store.
    pub fn object_kind(self) -> crate::manifests::Kind {
        match self {
            StoreKind::ClusterSecretStore => crate::manifests::Kind::ClusterSecretStore,
            StoreKind::SecretStore => crate::manifests::Kind::SecretStore,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for b in Backend::ALL {
            assert_eq!(Backend::from_name(b.as_str()), Some(*b));
        }
        assert_eq!(Backend::NAMES.len(), Backend::ALL.len());
        assert_eq!(Provider::from_name("bogus"), None);
        for k in StoreKind::ALL {
            assert_eq!(k.object_kind().as_str(), k.as_str());
        }
    }

    #[test]
    fn the_schema_script_reads_the_backend_list() {
        let src = include_str!("concepts.rs");
        let block = src
            .split("// backends:begin")
            .nth(1)
            .and_then(|s| s.split("// backends:end").next())
            .expect("markers");
        let names: Vec<&str> = block.lines().filter_map(|l| l.split('"').nth(1)).collect();
        assert_eq!(names, Backend::NAMES);
    }
}
