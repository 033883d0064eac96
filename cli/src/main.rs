//! `dynaschema`: plan, apply, show and export the DynamoDB table a schema.toml describes,
//! and write a schema.toml from a live table.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use dynaschema::migrate::ApplyOptions;
use dynaschema::{provision, ClientConfig, Connection, Error, Schema};
use dynaschema_cli::commands;
use dynaschema_cli::export::{export, Format};
use dynaschema_cli::init;

/// Plan, apply, show and export the DynamoDB table a schema.toml describes.
///
/// The schema is --schema, else $DYNASCHEMA_SCHEMA, else ./schema.toml. The table is the
/// schema's, unless --table or $DYNASCHEMA_TABLE names another. The endpoint is
/// --endpoint, else $AWS_ENDPOINT_URL_DYNAMODB or $AWS_ENDPOINT_URL, else
/// http://localhost:8000 (with region us-east-1 and dummy credentials, which are only ever
/// sent to a loopback endpoint). For Amazon DynamoDB, name its endpoint and configure
/// credentials as for any AWS tool.
///
/// Exit status: 0 on success, 2 when `plan` finds changes pending, 1 on error (the cause
/// on stderr) or a bad command line.
#[derive(Debug, Parser)]
#[command(name = "dynaschema", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,

    /// Schema file [default: $DYNASCHEMA_SCHEMA, else ./schema.toml]
    #[arg(long, value_name = "PATH", env = "DYNASCHEMA_SCHEMA", global = true)]
    schema: Option<PathBuf>,

    /// Table name, instead of the schema's (such as dev-orders)
    #[arg(long, value_name = "NAME", env = "DYNASCHEMA_TABLE", global = true)]
    table: Option<String>,

    /// DynamoDB endpoint URL [default: $AWS_ENDPOINT_URL_DYNAMODB, $AWS_ENDPOINT_URL, else
    /// http://localhost:8000]
    #[arg(long, value_name = "URL", global = true)]
    endpoint: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show what `apply` would change, and change nothing.
    ///
    /// Compares the live table (DescribeTable, DescribeTimeToLive) with the schema and
    /// prints one line per step, in the order `apply` runs them: `+` adds, `~` changes,
    /// `-` removes; steps marked (destructive) need `apply --allow-destructive`. The last
    /// line counts them. Changes DynamoDB cannot make to an existing table (its keys, its
    /// local indexes) are an error that says what to do instead.
    ///
    /// Exit status: 0 when the table matches the schema, 2 when changes are pending, 1 on
    /// error.
    Plan,

    /// Create the table, or bring it to the schema, waiting until it is ACTIVE.
    ///
    /// Plans afresh from the live table, then runs the steps in order, one index per
    /// request as DynamoDB requires, waiting after each change until the table and its
    /// indexes are ACTIVE, printing one line per thing done. Steps that remove something
    /// (an index, the stream, TTL, deletion protection) are refused, before anything
    /// changes, unless --allow-destructive is given. Interrupted, it is safe to run
    /// again: it continues from where the table is.
    Apply {
        /// Seconds each wait for the table and its indexes to become ACTIVE may last
        #[arg(long, value_name = "SECONDS", default_value_t = provision::DEFAULT_WAIT.as_secs())]
        wait: u64,

        /// Also run the steps that remove something: an index, the stream, TTL, deletion
        /// protection
        #[arg(long)]
        allow_destructive: bool,
    },

    /// Show the live table and how it compares with the schema.
    ///
    /// Prints the table's status, item counts (DynamoDB's, refreshed about every six
    /// hours), keys, billing, stream, TTL, deletion protection and each index, then
    /// whether the table matches the schema. Changes nothing.
    Status,

    /// Print the table as infrastructure-as-code, from the schema alone (no request).
    ///
    /// The CloudFormation template has one AWS::DynamoDB::Table resource, kept when the
    /// stack is deleted (DeletionPolicy and UpdateReplacePolicy Retain), and an output
    /// with its ARN. The Terraform resource is an aws_dynamodb_table with
    /// `lifecycle { prevent_destroy = true }`.
    Export {
        /// The format to print
        #[arg(long, value_enum)]
        format: ExportFormat,
    },

    /// Write a schema.toml (at --schema, else ./schema.toml) to start from.
    ///
    /// With --from-table, the schema of that live table (DescribeTable and
    /// DescribeTimeToLive): keys, billing and capacity, indexes, TTL, stream, deletion
    /// protection, so that an existing table can be adopted; `plan` then reports no
    /// changes. Without it, a commented example to edit. An existing file is left alone
    /// unless --force is given.
    Init {
        /// The live table to read the schema of
        #[arg(long, value_name = "NAME")]
        from_table: Option<String>,

        /// Overwrite the schema file if it exists
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ExportFormat {
    /// A CloudFormation template, as JSON
    Cloudformation,
    /// A CloudFormation template, as YAML
    CloudformationYaml,
    /// A Terraform aws_dynamodb_table resource, as HCL
    Terraform,
}

impl From<ExportFormat> for Format {
    fn from(format: ExportFormat) -> Format {
        match format {
            ExportFormat::Cloudformation => Format::CloudFormationJson,
            ExportFormat::CloudformationYaml => Format::CloudFormationYaml,
            ExportFormat::Terraform => Format::Terraform,
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match commands::parse::<Cli>() {
        Ok(cli) => commands::exit_status("dynaschema", run(&cli).await),
        Err(status) => status,
    }
}

async fn run(cli: &Cli) -> dynaschema::Result<ExitCode> {
    if let Command::Init { from_table, force } = &cli.command {
        return init(cli, from_table.as_deref(), *force).await;
    }
    let schema = cli.schema()?;
    match &cli.command {
        Command::Export { format } => {
            print!("{}", export(&schema, (*format).into()));
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan => commands::plan(&cli.connect().await?, &schema).await,
        Command::Apply {
            wait,
            allow_destructive,
        } => {
            let options = ApplyOptions {
                allow_destructive: *allow_destructive,
                wait: Duration::from_secs(*wait),
            };
            commands::apply(&cli.connect().await?, &schema, &options).await
        }
        Command::Status => {
            commands::table_status(&cli.connect().await?, &schema, "dynaschema plan").await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Init { .. } => unreachable!("init needs no schema and ran above"),
    }
}

/// Writes the schema file: the live table's schema, or the starter.
async fn init(cli: &Cli, from_table: Option<&str>, force: bool) -> dynaschema::Result<ExitCode> {
    let path = cli.schema_path();
    if path.exists() && !force {
        return Err(Error::Config(format!(
            "{} exists already and was left alone; --force overwrites it",
            path.display()
        )));
    }
    let (text, what) = match from_table {
        Some(name) => {
            let connection = cli.connect().await?;
            let schema = provision::describe(&connection, name)
                .await?
                .ok_or_else(|| Error::TableMissing {
                    table: name.to_owned(),
                    endpoint: connection.endpoint().to_owned(),
                })?;
            let header = format!(
                "# The table {name}, as DescribeTable showed it at {}.\n",
                connection.endpoint()
            );
            (
                header + &init::to_toml(&schema),
                format!("the schema of table {name}"),
            )
        }
        None => (init::STARTER.to_owned(), "a starter schema".to_owned()),
    };
    std::fs::write(&path, text).map_err(|source| Error::Io {
        path: path.clone(),
        source,
    })?;
    println!("wrote {what} to {}", path.display());
    Ok(ExitCode::SUCCESS)
}

impl Cli {
    /// The schema file's schema, renamed to the `--table` name when one is given. A
    /// missing file is an error naming it and how to name another.
    /// The schema file's path: --schema, $DYNASCHEMA_SCHEMA, else ./schema.toml.
    fn schema_path(&self) -> PathBuf {
        self.schema
            .clone()
            .unwrap_or_else(|| Path::new("schema.toml").to_owned())
    }

    fn schema(&self) -> dynaschema::Result<Schema> {
        let path = self.schema_path();
        if !path.exists() {
            return Err(Error::Config(format!(
                "no schema file at {}: `dynaschema init` writes one to edit, \
                 `dynaschema init --from-table NAME` one from a live table; or name yours \
                 with --schema PATH or DYNASCHEMA_SCHEMA",
                path.display()
            )));
        }
        let schema = Schema::load(&path)?;
        match &self.table {
            Some(name) => schema.with_table_name(name),
            None => Ok(schema),
        }
    }

    async fn connect(&self) -> dynaschema::Result<Connection> {
        let mut config = ClientConfig::local_default();
        if let Some(endpoint) = &self.endpoint {
            config = config.endpoint(endpoint);
        }
        config.connect().await
    }
}
