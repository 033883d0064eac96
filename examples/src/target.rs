//! Which table at which endpoint the binaries work on: the flags they share.

use std::path::{Path, PathBuf};

use dynaschema::{ClientConfig, Connection};

/// The environment variable a table name may come from, instead of the schema's.
pub const TABLE_VARIABLE: &str = "NINGIPOINTS_TABLE";

/// The repository's schema.toml, which the binaries use when the current directory has
/// none and none is named.
///
/// ```
/// assert!(ningipoints::target::repository_schema_path().ends_with("schema.toml"));
/// ```
pub fn repository_schema_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("schema.toml")
}

/// The endpoint and table flags of the ningipoints binaries.
///
/// ```
/// use clap::Parser;
/// use ningipoints::Target;
///
/// #[derive(Parser)]
/// struct Cli {
///     #[command(flatten)]
///     target: Target,
/// }
///
/// let cli = Cli::parse_from(["cli", "--table", "dev-ningipoints"]);
/// assert_eq!(cli.target.table.as_deref(), Some("dev-ningipoints"));
/// ```
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Target {
    /// DynamoDB endpoint URL [default: $AWS_ENDPOINT_URL_DYNAMODB, $AWS_ENDPOINT_URL, else
    /// http://localhost:8000]
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,

    /// Table name, instead of the schema's (such as dev-ningipoints)
    #[arg(long, value_name = "NAME", env = TABLE_VARIABLE)]
    pub table: Option<String>,
}

impl Target {
    /// Connects as the seed's `get_client` does: the local server, region us-east-1 and
    /// dummy credentials, unless the flags or the standard AWS environment say otherwise.
    pub async fn connect(&self) -> dynaschema::Result<Connection> {
        let mut config = ClientConfig::local_default();
        if let Some(endpoint) = &self.endpoint {
            config = config.endpoint(endpoint);
        }
        config.connect().await
    }
}
