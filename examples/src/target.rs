//! Which table at which endpoint the binaries work on: the flags they share.

use std::path::{Path, PathBuf};

use dynaschema::Connection;
use dynaschema_cli::endpoint::EndpointArgs;

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
/// let cli = Cli::parse_from(["cli", "--local", "--table", "dev-ningipoints"]);
/// assert_eq!(cli.target.table.as_deref(), Some("dev-ningipoints"));
/// assert!(cli.target.endpoint.local);
/// ```
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Target {
    /// Where to talk: `--local`, `--endpoint`, `--region`, `--profile`, read with the AWS
    /// environment as the `dynaschema` command reads them.
    #[command(flatten)]
    pub endpoint: EndpointArgs,

    /// Table name, instead of the schema's (such as dev-ningipoints)
    #[arg(long, value_name = "NAME", env = TABLE_VARIABLE)]
    pub table: Option<String>,
}

impl Target {
    /// Connects where the flags, the AWS environment and profile say; with none of them,
    /// an error that says how to choose (`--local` for the local server).
    pub async fn connect(&self) -> dynaschema::Result<Connection> {
        self.endpoint.config().connect().await
    }
}
