//! Where a client talks: its endpoint, region and profile, each decided as the AWS CLI
//! decides it, and where each came from.
//!
//! - **Profile**: [`ClientConfig::profile`] (`--profile`), else `AWS_PROFILE`, else
//!   `default`.
//! - **Endpoint**: [`ClientConfig::endpoint`] (`--endpoint`) or [`ClientConfig::local`]
//!   (`--local`), else `AWS_ENDPOINT_URL_DYNAMODB`, else `AWS_ENDPOINT_URL`, else the
//!   profile's `endpoint_url`, else DynamoDB's endpoint in the region. The environment's
//!   and the profile's are skipped when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`.
//! - **Region**: [`ClientConfig::region`] (`--region`), else `AWS_REGION`, else
//!   `AWS_DEFAULT_REGION`, else the profile's `region`, else `us-east-1` for a loopback
//!   endpoint. With neither a region nor an endpoint there is nowhere to talk: an error
//!   that says how to choose.
//!
//! Resolving reads the environment and the shared AWS files, and sends no request.

use std::fmt;
use std::path::PathBuf;

use super::profile::Profile;
use super::{endpoint_host, env, is_loopback, ClientConfig, LOCAL_ENDPOINT, LOCAL_REGION};
use crate::error::{Error, Result};

/// Where a setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Given by the program: the command-line flag named, or the [`ClientConfig`] method
    /// of the same name.
    Given(&'static str),
    /// The environment variable named.
    Env(&'static str),
    /// A profile in the shared AWS config file.
    Profile {
        /// The profile's name.
        name: String,
        /// The file it was read from.
        file: PathBuf,
    },
    /// DynamoDB's endpoint in the region.
    Region,
    /// Nothing named it; the text says which default applies.
    Default(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Given(flag) => write!(f, "from {flag}"),
            Source::Env(var) => write!(f, "from {var}"),
            Source::Profile { name, file } => {
                write!(f, "from profile {name} in {}", file.display())
            }
            Source::Region => f.write_str("DynamoDB's endpoint in the region"),
            Source::Default(why) => f.write_str(why),
        }
    }
}

/// A setting's value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The value.
    pub value: String,
    /// Where it came from.
    pub source: Source,
}

impl Setting {
    /// Whether nothing named it: a default applies.
    pub(crate) fn is_default(&self) -> bool {
        matches!(self.source, Source::Default(_))
    }
}

/// Where a client built from a [`ClientConfig`] talks, decided without a request.
///
/// ```
/// use dynaschema::ClientConfig;
///
/// let settings = ClientConfig::local().settings()?;
/// assert_eq!(settings.endpoint.value, "http://localhost:8000");
/// assert!(settings.is_loopback());
/// println!("{settings}"); // endpoint: http://localhost:8000 (from --local) ...
/// # Ok::<(), dynaschema::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The endpoint URL requests go to.
    pub endpoint: Setting,
    /// The region requests are signed for.
    pub region: Setting,
    /// The profile credentials (and, if not given otherwise, the endpoint and region)
    /// are read from.
    pub profile: Setting,
    /// How requests are signed: never a secret, only where the credentials come from.
    pub credentials: Credentials,
}

/// Where a client's credentials come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// Dummy credentials, which are only ever sent to a loopback endpoint.
    Dummy,
    /// The AWS credentials chain: the environment, then the profile, and so on.
    Chain,
    /// None are configured; connecting to a remote endpoint is an error.
    Missing,
    /// The profile's are IAM Identity Center (SSO) credentials, which this build leaves
    /// out (the cargo feature `sso`); connecting is an error that says so.
    SsoLeftOut,
}

impl Settings {
    /// Whether the endpoint is this machine (`localhost` or a loopback address).
    pub fn is_loopback(&self) -> bool {
        endpoint_host(&self.endpoint.value).is_ok_and(is_loopback)
    }
}

impl fmt::Display for Settings {
    /// One `name: value (source)` line per setting.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, setting) in [
            ("endpoint", &self.endpoint),
            ("region", &self.region),
            ("profile", &self.profile),
        ] {
            writeln!(f, "{name}: {} ({})", setting.value, setting.source)?;
        }
        let credentials = match self.credentials {
            Credentials::Dummy => "dummy (only ever sent to a loopback endpoint)".to_owned(),
            Credentials::Chain => format!(
                "AWS chain (the environment's, else profile {}'s)",
                self.profile.value
            ),
            Credentials::Missing => {
                "none (none are configured: set AWS_PROFILE or AWS_ACCESS_KEY_ID)".to_owned()
            }
            Credentials::SsoLeftOut => format!(
                "none (profile {} uses IAM Identity Center, which this build leaves out: \
                 build with the cargo feature `sso`)",
                self.profile.value
            ),
        };
        write!(f, "credentials: {credentials}")
    }
}

impl ClientConfig {
    /// Where a client built from these settings would talk, and where each setting came
    /// from (see [the rules](crate::client::settings)). Sends no request.
    pub fn settings(&self) -> Result<Settings> {
        let profile = match (&self.profile, env("AWS_PROFILE")) {
            (Some(name), _) => setting(name, Source::Given("--profile")),
            (None, Some(name)) => setting(&name, Source::Env("AWS_PROFILE")),
            (None, None) => setting("default", Source::Default("default")),
        };
        let file = Profile::load(&profile.value);
        // A server of this process's own takes dummy credentials whatever the profile.
        if !file.found && !profile.is_default() && !self.dummy_credentials {
            return Err(Error::Config(format!(
                "the AWS profile `{}` ({}) is in neither {} nor {}",
                profile.value,
                profile.source,
                file.config_file.display(),
                file.credentials_file.display()
            )));
        }
        let from_profile = |key: &str| {
            file.get(key).map(|value| {
                setting(
                    value,
                    Source::Profile {
                        name: profile.value.clone(),
                        file: file.config_file.clone(),
                    },
                )
            })
        };

        let ignore_configured = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .is_some_and(|value| value.eq_ignore_ascii_case("true"));
        let endpoint = match &self.endpoint {
            Some(given) => Some(given.clone()),
            None if ignore_configured => None,
            None => from_env(&["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"])
                .or_else(|| from_profile("endpoint_url")),
        };
        let loopback = match &endpoint {
            Some(endpoint) => is_loopback(endpoint_host(&endpoint.value)?),
            None => false,
        };

        let region = self
            .region
            .as_ref()
            .map(|region| setting(region, Source::Given("--region")))
            .or_else(|| from_env(&["AWS_REGION", "AWS_DEFAULT_REGION"]))
            .or_else(|| from_profile("region"));
        let region = match (region, &endpoint) {
            (Some(region), _) => region,
            (None, Some(_)) if loopback => setting(
                LOCAL_REGION,
                Source::Default("the default for a loopback endpoint"),
            ),
            (None, Some(endpoint)) => {
                return Err(Error::Config(format!(
                    "no AWS region is configured for {}: pass --region NAME \
                     (ClientConfig::region), set AWS_REGION, or set `region` in the AWS \
                     profile {}",
                    endpoint.value, profile.value
                )));
            }
            (None, None) => {
                return Err(Error::Config(format!(
                    "no DynamoDB endpoint or AWS region is configured, so there is nowhere to \
                     talk. Choose one: --local (ClientConfig::local) for the local server at \
                     {LOCAL_ENDPOINT}, --endpoint URL for another server, or --region NAME \
                     (or AWS_REGION, or `region` in the AWS profile {}) for Amazon DynamoDB \
                     in that region",
                    profile.value
                )))
            }
        };
        let endpoint =
            endpoint.unwrap_or_else(|| setting(&regional_endpoint(&region.value), Source::Region));

        let keys_in_env = env("AWS_ACCESS_KEY_ID").is_some();
        let credentials =
            if loopback && (self.dummy_credentials || (!keys_in_env && profile.is_default())) {
                Credentials::Dummy
            } else if !keys_in_env
                && (file.get("sso_session").is_some() || file.get("sso_start_url").is_some())
                && !cfg!(feature = "sso")
            {
                Credentials::SsoLeftOut
            } else if credentials_configured(&file) {
                Credentials::Chain
            } else {
                Credentials::Missing
            };
        Ok(Settings {
            endpoint,
            region,
            profile,
            credentials,
        })
    }
}

/// Whether the environment or the profile names a source of real credentials. The SDK's
/// chain is only used then, so that a machine without any never has its requests signed
/// with nothing, or waits on the instance metadata service (which
/// `AWS_EC2_METADATA_DISABLED=false` asks for explicitly, for an instance's role).
fn credentials_configured(profile: &Profile) -> bool {
    let vars = [
        "AWS_ACCESS_KEY_ID",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ];
    let keys = [
        "aws_access_key_id",
        "credential_process",
        "credential_source",
        "role_arn",
        "sso_session",
        "sso_start_url",
        "web_identity_token_file",
    ];
    vars.iter().any(|var| env(var).is_some())
        || keys.iter().any(|key| profile.get(key).is_some())
        || env("AWS_EC2_METADATA_DISABLED").is_some_and(|value| value.eq_ignore_ascii_case("false"))
}

fn setting(value: &str, source: Source) -> Setting {
    Setting {
        value: value.to_owned(),
        source,
    }
}

/// The first of the variables that is set.
fn from_env(vars: &[&'static str]) -> Option<Setting> {
    vars.iter()
        .find_map(|&var| env(var).map(|value| setting(&value, Source::Env(var))))
}

/// DynamoDB's public endpoint in a region.
fn regional_endpoint(region: &str) -> String {
    let domain = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://dynamodb.{region}.{domain}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_have_their_partition_domain() {
        assert_eq!(
            regional_endpoint("eu-west-1"),
            "https://dynamodb.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            regional_endpoint("cn-north-1"),
            "https://dynamodb.cn-north-1.amazonaws.com.cn"
        );
    }
}
