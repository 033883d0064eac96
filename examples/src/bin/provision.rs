//! Creates the ningipoints table and its indexes from schema.toml, unless it exists.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use dynaschema::provision;
use ningipoints::target::{default_schema_path, Target};

/// Create the DynamoDB table and its global secondary indexes that schema.toml declares,
/// and wait until they are ACTIVE. A table that exists already is left unchanged.
///
/// Prints one line per thing done or found. Exit status: 0 on success, 1 on error (with
/// the cause on stderr), 2 on a bad command line.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// Schema file [default: ./schema.toml if present, else the repository's]
    #[arg(long, value_name = "PATH")]
    schema: Option<PathBuf>,

    #[command(flatten)]
    target: Target,

    /// Seconds to wait for the table and its indexes to become ACTIVE
    #[arg(long, value_name = "SECONDS", default_value_t = provision::DEFAULT_WAIT.as_secs())]
    wait: u64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("provision: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: &Cli) -> dynaschema::Result<()> {
    let path = cli.schema.clone().unwrap_or_else(default_schema_path);
    let schema = cli.target.schema(&path)?;
    let connection = cli.target.connect().await?;
    provision::provision(
        &connection,
        &schema,
        Duration::from_secs(cli.wait),
        |event| println!("{event}"),
    )
    .await?;
    Ok(())
}
