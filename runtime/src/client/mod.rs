//! Which endpoint, region and credentials a DynamoDB client gets.
//!
//! As for any AWS tool: flags (the [`ClientConfig`] methods), then the environment
//! (`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_REGION`, `AWS_PROFILE`, ...), then the profile in
//! the shared AWS files; with a region and no endpoint, Amazon DynamoDB in that region.
//! The local server is chosen explicitly ([`ClientConfig::local`]), never by default;
//! with neither a region nor an endpoint, connecting is an error that says how to choose.
//! [`settings`] has the rules, and [`ClientConfig::settings`] tells where a client would
//! talk without sending a request. Dummy credentials are only ever sent to a loopback
//! endpoint: anything else without credentials is an error before any request.

mod profile;
pub mod settings;

use std::net::IpAddr;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::config::retry::{RetryPartition, TokenBucket};
use aws_sdk_dynamodb::config::{Credentials, Region};

use crate::error::{Error, Result};
use crate::outcome::{watched, AttemptWatch};

/// The endpoint of a local DynamoDB-compatible server: [`ClientConfig::local`]'s.
pub const LOCAL_ENDPOINT: &str = "http://localhost:8000";

/// The region used when nothing else names one and the endpoint is a loopback one.
pub const LOCAL_REGION: &str = "us-east-1";

/// How long to wait for a TCP connection before giving up on an endpoint.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// How to build a client. See [`settings`] for the rules.
///
/// ```no_run
/// # async fn run() -> dynaschema::Result<()> {
/// use dynaschema::ClientConfig;
///
/// // The local server at http://localhost:8000.
/// let local = ClientConfig::local().connect().await?;
/// // Whatever the environment and the AWS profile say, as the AWS CLI reads them.
/// let configured = ClientConfig::new().connect().await?;
/// // Explicit settings win over the environment.
/// let ireland = ClientConfig::new().profile("prod").region("eu-west-1").connect().await?;
/// println!("{}, {} and {}", local.endpoint(), configured.endpoint(), ireland.endpoint());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct ClientConfig {
    endpoint: Option<settings::Setting>,
    region: Option<String>,
    profile: Option<String>,
    /// Sends dummy credentials to the loopback endpoint even when the environment has
    /// real ones: for servers of this process's own, which need no others.
    dummy_credentials: bool,
    retry: Option<RetryConfig>,
}

/// The SDK's retry settings: attempts, backoff, and standard or adaptive mode. See
/// [`ClientConfig::retry`].
pub use aws_sdk_dynamodb::config::retry::RetryConfig;

/// The SDK retry settings a client gets unless told otherwise: standard mode, 5 attempts
/// in all, pauses drawn between zero and 50 ms doubling each retry up to 5 s. DynamoDB
/// answers in milliseconds, so the SDK's own default (3 attempts, from 1 s up to 20 s)
/// would give up sooner and wait longer.
pub fn default_retry() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(5)
        .with_initial_backoff(Duration::from_millis(50))
        .with_max_backoff(Duration::from_secs(5))
}

/// A DynamoDB client together with the endpoint it talks to, so that errors can name it.
#[derive(Debug, Clone)]
pub struct Connection {
    client: aws_sdk_dynamodb::Client,
    endpoint: String,
}

impl ClientConfig {
    /// The standard AWS configuration, as the AWS CLI reads it (see [`settings`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// The local server at `http://localhost:8000`: region `us-east-1` unless one is
    /// configured, and dummy credentials unless the environment names some.
    pub fn local() -> Self {
        ClientConfig {
            endpoint: Some(settings::Setting {
                value: LOCAL_ENDPOINT.to_owned(),
                source: settings::Source::Given("--local"),
            }),
            ..Self::default()
        }
    }

    /// Uses this endpoint URL, whatever the environment says.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(settings::Setting {
            value: url.into(),
            source: settings::Source::Given("--endpoint"),
        });
        self
    }

    /// Uses this region, whatever the environment says.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Uses this profile of the shared AWS files, whatever `AWS_PROFILE` says.
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }

    /// How the SDK retries a request that was throttled, met a server error or lost its
    /// answer, before the toolkit sees its error: instead of [`default_retry`].
    ///
    /// ```no_run
    /// # async fn run() -> dynaschema::Result<()> {
    /// use std::time::Duration;
    /// use dynaschema::client::{ClientConfig, RetryConfig};
    ///
    /// // Adaptive mode also slows the client down while DynamoDB throttles it.
    /// let connection = ClientConfig::new()
    ///     .retry(RetryConfig::adaptive().with_max_attempts(10))
    ///     .connect()
    ///     .await?;
    /// # let _ = connection;
    /// # Ok(()) }
    /// ```
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Sends dummy credentials, whatever the environment holds. Only for an explicit
    /// loopback endpoint, such as an embedded server's.
    #[cfg(feature = "local")]
    pub(crate) fn with_dummy_credentials(mut self) -> Self {
        self.dummy_credentials = true;
        self
    }

    /// Builds the client. Makes no request: an unreachable endpoint shows at the first call.
    pub async fn connect(&self) -> Result<Connection> {
        let settings = self.settings()?;
        let endpoint = settings.endpoint.value.clone();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .build(),
            )
            .retry_config(self.retry.clone().unwrap_or_else(default_retry))
            // Both decided here, so that the SDK neither looks further (the instance
            // metadata service) nor talks anywhere but where `settings` says.
            .endpoint_url(&endpoint)
            .region(Region::new(settings.region.value.clone()));
        if !settings.profile.is_default() {
            loader = loader.profile_name(&settings.profile.value);
        }
        match settings.credentials {
            settings::Credentials::Dummy => {
                loader = loader.credentials_provider(dummy_credentials());
            }
            settings::Credentials::Chain => {}
            settings::Credentials::SsoLeftOut => {
                return Err(Error::Config(format!(
                    "profile {} takes its credentials from IAM Identity Center (SSO), which this \
                     build leaves out: build with the cargo feature `sso` (`dynaschema/sso`, \
                     or `cargo install dynaschema-cli --features sso`), or export them with \
                     `aws configure export-credentials --profile {} --format env`",
                    settings.profile.value, settings.profile.value
                )));
            }
            settings::Credentials::Missing => {
                return Err(Error::Config(format!(
                    "no AWS credentials are configured for {endpoint}, and dummy credentials \
                     are only ever sent to a loopback endpoint: set AWS_PROFILE or \
                     AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or use --local for the local \
                     server at {LOCAL_ENDPOINT}"
                )));
            }
        }

        let config = loader.load().await;
        // A retry partition of the toolkit's own, without the SDK's retry quota: under
        // sustained throttling the quota would soon stop every retry of the process,
        // while the toolkit bounds its retries itself (attempts per request, and a
        // time budget for bulk work).
        let partition = RetryPartition::custom("dynaschema")
            .token_bucket(TokenBucket::unlimited())
            .build();
        let dynamo = aws_sdk_dynamodb::config::Builder::from(&config)
            .retry_partition(partition)
            .retry_classifier(AttemptWatch)
            .build();
        Ok(Connection {
            client: aws_sdk_dynamodb::Client::from_conf(dynamo),
            endpoint,
        })
    }
}

impl Connection {
    /// Wraps a client built elsewhere; `endpoint` only names it in error messages. The
    /// client gets the retry classifier that tells a write's unknown outcome from a
    /// failure.
    pub fn from_client(client: aws_sdk_dynamodb::Client, endpoint: impl Into<String>) -> Self {
        Connection {
            client: watched(&client),
            endpoint: endpoint.into(),
        }
    }

    /// The SDK client: the escape hatch to every DynamoDB operation.
    pub fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.client
    }

    /// The endpoint URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
}

fn dummy_credentials() -> Credentials {
    Credentials::new("dummy", "dummy", None, None, "dynaschema-local")
}

fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// The host of an `http://` or `https://` URL, without brackets or port.
fn endpoint_host(url: &str) -> Result<&str> {
    let invalid = |why: &str| {
        Error::Config(format!(
            "invalid endpoint `{url}`: {why}; expected a URL such as {LOCAL_ENDPOINT}"
        ))
    };
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| invalid("it must start with http:// or https://"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or_default();
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        bracketed
            .split_once(']')
            .map(|(host, _)| host)
            .ok_or_else(|| invalid("an IPv6 address needs its closing `]`"))?
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    if host.is_empty() {
        return Err(invalid("it names no host"));
    }
    Ok(host)
}

/// Whether a host is this machine: `localhost` or a loopback address.
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.to_ascii_lowercase().ends_with(".localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_read_from_urls() {
        assert_eq!(endpoint_host("http://localhost:8000").unwrap(), "localhost");
        assert_eq!(
            endpoint_host("https://dynamodb.eu-west-1.amazonaws.com/").unwrap(),
            "dynamodb.eu-west-1.amazonaws.com"
        );
        assert_eq!(endpoint_host("http://[::1]:8000").unwrap(), "::1");
        assert_eq!(endpoint_host("http://127.0.0.1").unwrap(), "127.0.0.1");
        assert!(endpoint_host("localhost:8000").is_err());
        assert!(endpoint_host("http://:8000").is_err());
    }

    #[test]
    fn loopback_is_only_this_machine() {
        for host in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "db.localhost",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "10.0.0.1",
            "192.168.1.1",
            "dynamodb.us-east-1.amazonaws.com",
            "localhost.example.com",
            "::2",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }
}
