//! One typed definition per concept of the values: the provider (strategy), the
//! workload-identity LLM key mode, the ESO store kind, the ESO API version, the decoding
//! strategy and the store backend. Each but the backend is a closed enum with its spelling;
//! the name lists that the key table (`keys.rs`), the checks and messages use are derived from
//! it. The backends are ESO's providers, read from the CRD schemas: adding one is running
//! `scripts/extract-store-schemas.py` on a newer ESO's CRDs.

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
    /// `workloadIdentity.bindings.aws.mode`: how an EKS ServiceAccount gets its IAM role.
    pub enum AwsBindingMode {
        PodIdentity = "podIdentity",
        Irsa = "irsa",
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

named! {
    /// `keys.gcpServiceAccountDecodingStrategy`: ESO's `remoteRef.decodingStrategy`.
    pub enum DecodingStrategy {
        None = "None",
        Base64 = "Base64",
        Base64Url = "Base64URL",
        Auto = "Auto",
    }
}

/// `secrets.external.store.<backend>`: a provider of ESO's store CRD of the chosen API
/// version. Not a closed list in code: the providers are data, read from the CRD schemas
/// (`src/manifests/store-schemas.json`, made from ESO's CRDs by
/// `scripts/extract-store-schemas.py`), so a new ESO release is a data update. What is
/// known of a provider's layout is in [`super::store::NOTES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Backend(&'static str);

impl Backend {
    /// The provider `name` of the CRDs of `api`.
    pub fn from_name(api: ApiVersion, name: &str) -> Option<Self> {
        super::crd::providers(api.as_str())
            .into_iter()
            .find(|p| *p == name)
            .map(Backend)
    }

    /// The provider names of `api`, sorted.
    pub fn names(api: ApiVersion) -> Vec<&'static str> {
        super::crd::providers(api.as_str())
    }

    /// The API versions whose CRDs have a provider `name`.
    pub fn versions_of(name: &str) -> Vec<ApiVersion> {
        ApiVersion::ALL
            .iter()
            .copied()
            .filter(|a| Backend::from_name(*a, name).is_some())
            .collect()
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

/// A backend is its name (`external.store.backend` in the template context).
impl serde::Serialize for Backend {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for api in ApiVersion::ALL {
            for name in Backend::names(*api) {
                assert_eq!(
                    Backend::from_name(*api, name).map(Backend::as_str),
                    Some(name)
                );
            }
        }
        assert_eq!(Backend::from_name(ApiVersion::V1beta1, "openBao"), None);
        assert_eq!(Backend::versions_of("openBao"), [ApiVersion::V1]);
        assert_eq!(Provider::from_name("bogus"), None);
        assert_eq!(
            DecodingStrategy::from_name("Base64URL"),
            Some(DecodingStrategy::Base64Url)
        );
    }
}
