//! The command line as an application embeds it: [`run`] with an [`App`] gives a program
//! of the application's own every table command (`plan`, `apply`, `status`, `export`,
//! `init`) and, with the application's data migrations compiled in, `migrate`.
//!
//! ```no_run
//! use dynaschema_cli::app::{run, App};
//!
//! # const MIGRATIONS: &[dynaschema::migrate::Migration] = &[];
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> std::process::ExitCode {
//!     run(App::new("myapp-admin").migrations("myapp", MIGRATIONS)).await
//! }
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use dynaschema::client::settings::Settings;
use dynaschema::migrate::{ApplyOptions, Migration, MigrationState, Migrator, Plan};
use dynaschema::{provision, Connection, Error, Schema, Table};

use crate::commands;
use crate::endpoint::{announce, confirm_destructive, EndpointArgs};
use crate::export::{export, workbench, Format};
use crate::init;
use crate::report::Report;

/// What a program built on [`run`] is: its name, its data migrations, and where it
/// finds its schema and table name.
#[derive(Debug, Clone)]
pub struct App {
    program: String,
    application: Option<String>,
    migrations: Vec<Migration>,
    adopt_unnamed_records: bool,
    table_variable: String,
    fallback_schema: Option<PathBuf>,
    apply_by_default: bool,
}

impl App {
    /// A program named `program` (as its messages and help name it) with no data
    /// migrations, whose table name may come from `DYNASCHEMA_TABLE`.
    pub fn new(program: impl Into<String>) -> Self {
        App {
            program: program.into(),
            application: None,
            migrations: Vec::new(),
            adopt_unnamed_records: false,
            table_variable: "DYNASCHEMA_TABLE".to_owned(),
            fallback_schema: None,
            apply_by_default: false,
        }
    }

    /// The data migrations of `application`, run by `migrate` and listed by `status`;
    /// recorded under the application's name (see `dynaschema::migrate::Migrator::new`).
    pub fn migrations(mut self, application: impl Into<String>, migrations: &[Migration]) -> Self {
        self.application = Some(application.into());
        self.migrations = migrations.to_vec();
        self
    }

    /// Also counts the records written before data migrations belonged to an application
    /// as this application's (`Migrator::adopt_unnamed_records`).
    pub fn adopt_unnamed_records(mut self) -> Self {
        self.adopt_unnamed_records = true;
        self
    }

    /// The environment variable a table name may come from, instead of
    /// `DYNASCHEMA_TABLE`.
    pub fn table_variable(mut self, name: impl Into<String>) -> Self {
        self.table_variable = name.into();
        self
    }

    /// The schema file to use when neither `--schema`, `DYNASCHEMA_SCHEMA` nor
    /// `./schema.toml` gives one: for a program that carries its own. Without it, a
    /// missing schema file is an error.
    pub fn fallback_schema(mut self, path: impl Into<PathBuf>) -> Self {
        self.fallback_schema = Some(path.into());
        self
    }

    /// Runs `apply` when no command is given, instead of printing the usage.
    pub fn apply_by_default(mut self) -> Self {
        self.apply_by_default = true;
        self
    }
}

/// Plan, apply, show and export the DynamoDB table a schema.toml describes.
///
/// The schema is --schema, else $DYNASCHEMA_SCHEMA, else ./schema.toml. The table is the
/// schema's unless --table names another. Where it talks is read as the AWS CLI reads it:
/// --endpoint (or --local for http://localhost:8000), else $AWS_ENDPOINT_URL_DYNAMODB,
/// $AWS_ENDPOINT_URL or the profile's endpoint_url, else Amazon DynamoDB in the region
/// (--region, $AWS_REGION, or the profile's region); the profile is --profile, else
/// $AWS_PROFILE, else default. `endpoint` prints where that is, without a request. Dummy
/// credentials are only ever sent to a loopback endpoint.
///
/// Exit status: 0 on success, 2 when `plan` finds changes pending, 1 on error (the cause
/// on stderr) or a bad command line.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// Schema file [default: $DYNASCHEMA_SCHEMA, else ./schema.toml]
    #[arg(long, value_name = "PATH", env = "DYNASCHEMA_SCHEMA", global = true)]
    schema: Option<PathBuf>,

    /// Table name, instead of the schema's (such as dev-orders)
    #[arg(long, value_name = "NAME", global = true)]
    table: Option<String>,

    #[command(flatten)]
    endpoint: EndpointArgs,

    #[command(flatten)]
    apply: ApplyArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show what `apply` would change, and change nothing.
    ///
    /// Compares the live table (DescribeTable, DescribeTimeToLive) with the schema and
    /// prints one line per step, in the order `apply` runs them: `+` adds, `~` changes,
    /// `-` removes; steps marked (destructive) need `apply --allow-destructive`. The last
    /// line counts them: "Plan: 1 to add, 0 to change, 1 to remove.". Changes DynamoDB
    /// cannot make to an existing table (its keys, its local indexes) are an error that
    /// says what to do instead.
    ///
    /// Exit status: 0 when the table matches the schema, 2 when changes are pending, 1 on
    /// error (the cause on stderr) or a bad command line.
    Plan,

    /// Create the table, or bring it to the schema, waiting until it is ACTIVE.
    ///
    /// Plans afresh from the live table, then runs the steps in order: one index per
    /// request as DynamoDB requires, waiting after each change until the table and its
    /// indexes are ACTIVE (an index's backfill included), printing one line per thing done.
    /// Steps that remove something (an index, the stream, TTL, deletion protection) are
    /// refused, before anything changes, unless --allow-destructive is given. Interrupted,
    /// it is safe to run again: it continues from where the table is.
    ///
    /// Exit status: 0 when the table matches the schema at the end, 1 on error (the cause
    /// on stderr; the steps done before it stay done) or a bad command line.
    Apply,

    /// Show the live table: status, item counts, indexes, billing, stream, TTL, and how it
    /// compares with the schema.
    ///
    /// Item counts are DynamoDB's, refreshed about every six hours. With data migrations,
    /// also where each stands. Changes nothing.
    ///
    /// Exit status: 0 when the table exists, 1 on error (such as a missing table; the
    /// cause on stderr) or a bad command line.
    Status,

    /// Print the table as infrastructure-as-code, from the schema alone (no request).
    ///
    /// The CloudFormation template has one AWS::DynamoDB::Table resource, kept when the
    /// stack is deleted (DeletionPolicy and UpdateReplacePolicy Retain), and an output
    /// with its ARN. The Terraform resource is an aws_dynamodb_table with
    /// `lifecycle { prevent_destroy = true }`. The NoSQL Workbench data model has the
    /// table's keys, billing and global indexes; what that format has no place for (local
    /// indexes, TTL, the stream, deletion protection) is named on stderr. It is dated
    /// $SOURCE_DATE_EPOCH when set, else now.
    Export {
        /// The format to print
        #[arg(long, value_enum)]
        format: ExportFormat,
    },

    /// Print where the other commands would talk, and send no request.
    ///
    /// One `name: value (where it came from)` line each for the endpoint URL, the region,
    /// the profile and the credentials' source (never a secret), resolved from the flags,
    /// the environment and the shared AWS files as the other commands resolve them.
    ///
    /// Exit status: 0, or 1 when they would have nowhere to talk (the cause, and how to
    /// choose, on stderr).
    Endpoint,

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

    /// Run the pending data migrations, in order, each recorded once.
    ///
    /// The migrations are the application's own, compiled into this program. Each is
    /// applied under a lease, so that two runners never apply one at the same time, and
    /// recorded in the table with its checksum, duration and items touched. A migration
    /// that fails is not recorded, and runs again next time. A recorded migration whose
    /// code has changed (its checksum differs) stops the run before anything runs. Shows
    /// a progress bar on a terminal, plain lines otherwise.
    ///
    /// Exit status: 0 when no migration is pending at the end (or, with --dry-run, after
    /// listing them), 1 on error (the cause on stderr) or a bad command line.
    Migrate {
        /// List the pending migrations and how many items each would touch; change nothing
        #[arg(long)]
        dry_run: bool,

        /// Seconds to wait for another runner's lease before giving up [default: until a
        /// stopped runner's lease would have expired, 35]
        #[arg(long, value_name = "SECONDS")]
        wait_for_lease: Option<u64>,
    },
}

/// `apply`'s flags, global so that they are one set whether they come before or after the
/// command (`provision --allow-destructive` applies by default); any other command
/// refuses them.
#[derive(Debug, Clone, Args)]
struct ApplyArgs {
    /// With apply: seconds each wait for the table and its indexes to become ACTIVE may
    /// last [default: 600]
    #[arg(long, value_name = "SECONDS", global = true)]
    wait: Option<u64>,

    /// With apply: also run the steps that remove something: an index, the stream, TTL,
    /// deletion protection
    #[arg(long, global = true)]
    allow_destructive: bool,

    /// With apply --allow-destructive: run destructive steps on a table that is not on
    /// this machine without asking (asked on a terminal, refused otherwise)
    #[arg(long, global = true)]
    yes: bool,
}

impl ApplyArgs {
    /// The flags given, as typed.
    fn given(&self) -> Vec<&'static str> {
        let mut given = Vec::new();
        if self.wait.is_some() {
            given.push("--wait");
        }
        if self.allow_destructive {
            given.push("--allow-destructive");
        }
        if self.yes {
            given.push("--yes");
        }
        given
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ExportFormat {
    /// A CloudFormation template, as JSON
    Cloudformation,
    /// A CloudFormation template, as YAML
    CloudformationYaml,
    /// A Terraform aws_dynamodb_table resource, as HCL
    Terraform,
    /// A NoSQL Workbench data model, as JSON (for its data modeler and visualizer)
    Workbench,
}

impl From<ExportFormat> for Format {
    fn from(format: ExportFormat) -> Format {
        match format {
            ExportFormat::Cloudformation => Format::CloudFormationJson,
            ExportFormat::CloudformationYaml => Format::CloudFormationYaml,
            ExportFormat::Terraform => Format::Terraform,
            ExportFormat::Workbench => Format::Workbench,
        }
    }
}

/// Parses the command line for `app` and runs the command: the program's whole `main`.
pub async fn run(app: App) -> ExitCode {
    crate::report::show_warnings();
    let mut command = Cli::command()
        .name(app.program.clone())
        .bin_name(app.program.clone())
        .mut_arg("table", |arg| arg.env(app.table_variable.clone()));
    if app.migrations.is_empty() {
        command = command.mut_subcommand("migrate", |migrate| migrate.hide(true));
    }
    let cli = match command
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches))
    {
        Ok(cli) => cli,
        Err(err) => return commands::usage_error(err),
    };
    commands::exit_status(&app.program, run_command(&app, &cli).await)
}

async fn run_command(app: &App, cli: &Cli) -> dynaschema::Result<ExitCode> {
    let command = match &cli.command {
        Some(command) => command,
        None if app.apply_by_default => &Command::Apply,
        None => {
            let mut help = Cli::command().name(app.program.clone());
            let _ = help.print_help();
            return Ok(ExitCode::FAILURE);
        }
    };
    let given = cli.apply.given();
    if !matches!(command, Command::Apply) && !given.is_empty() {
        return Err(Error::Config(format!(
            "{} belongs to `{} apply`, not to this command",
            given.join(" and "),
            app.program
        )));
    }
    if let Command::Init { from_table, force } = command {
        return init_schema(cli, from_table.as_deref(), *force).await;
    }
    if let Command::Endpoint = command {
        println!("{}", cli.endpoint.config().settings()?);
        return Ok(ExitCode::SUCCESS);
    }
    let schema = schema(app, cli)?;
    match command {
        Command::Export { format } => {
            print!("{}", export(&schema, (*format).into()));
            if let ExportFormat::Workbench = format {
                workbench_notes(&app.program, &schema);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan => commands::plan(&connect(cli).await?.0, &schema).await,
        Command::Apply => {
            let options = ApplyOptions {
                allow_destructive: cli.apply.allow_destructive,
                wait: cli
                    .apply
                    .wait
                    .map_or(provision::DEFAULT_WAIT, Duration::from_secs),
            };
            let (connection, settings) = connect(cli).await?;
            let table = &schema.table.name;
            announce(&app.program, "apply to", table, &settings);
            if options.allow_destructive && !settings.is_loopback() {
                let steps = Plan::for_table(&connection, &schema)
                    .await?
                    .destructive_lines();
                confirm_destructive(&app.program, table, &settings, &steps, cli.apply.yes)?;
            }
            commands::apply(&connection, &schema, &options).await
        }
        Command::Status => {
            let (connection, _) = connect(cli).await?;
            let plan_command = format!("{} plan", app.program);
            commands::table_status(&connection, &schema, &plan_command).await?;
            if app.application.is_some() {
                let table = Table::new(connection, schema);
                migrations_status(&migrator(app, &table)?).await?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate {
            dry_run,
            wait_for_lease,
        } => {
            if app.application.is_none() {
                return Err(Error::Config(format!(
                    "{} has no data migrations: an application's own program runs its \
                     migrations (see dynaschema_cli::app)",
                    app.program
                )));
            }
            let (connection, settings) = connect(cli).await?;
            if !dry_run {
                announce(&app.program, "migrate", &schema.table.name, &settings);
            }
            let table = Table::new(connection, schema);
            let mut migrator = migrator(app, &table)?;
            if let Some(seconds) = wait_for_lease {
                migrator = migrator.wait_for_lease(Duration::from_secs(*seconds));
            }
            let report = Report::new();
            let result = migrator.run(*dry_run, |event| report.event(event)).await;
            report.finish();
            result?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Init { .. } | Command::Endpoint => {
            unreachable!("init and endpoint need no schema and ran above")
        }
    }
}

/// The runner of the application's migrations on `table`.
/// Says on stderr what of `schema` the Workbench model printed could not hold, and which
/// untyped attributes it gave as strings.
fn workbench_notes(program: &str, schema: &Schema) {
    let left_out = workbench::left_out(schema);
    if !left_out.is_empty() {
        eprintln!(
            "{program}: note: NoSQL Workbench models have no place for {}; \
             `export --format cloudformation` or `terraform` keeps them",
            left_out.join(", ")
        );
    }
    let untyped = workbench::untyped_attributes(schema);
    if !untyped.is_empty() {
        eprintln!(
            "{program}: note: schema.toml gives no type for the projected attributes {}; \
             the model has them as strings (S)",
            untyped.join(", ")
        );
    }
}

fn migrator<'a>(app: &App, table: &'a Table) -> dynaschema::Result<Migrator<'a>> {
    let application = app.application.as_deref().unwrap_or_default();
    let migrator = Migrator::new(table, application, &app.migrations)?;
    Ok(if app.adopt_unnamed_records {
        migrator.adopt_unnamed_records()
    } else {
        migrator
    })
}

/// Prints where each data migration stands.
async fn migrations_status(migrator: &Migrator<'_>) -> dynaschema::Result<()> {
    println!("data migrations:");
    for status in migrator.status().await? {
        let state = match &status.state {
            MigrationState::Applied(record) => record.to_string(),
            MigrationState::Pending => "pending".to_owned(),
            MigrationState::Started {
                read,
                segments_done,
                segments,
                runner,
            } => {
                let progress =
                    format!("{read} items read, {segments_done} of {segments} segments done");
                match runner {
                    Some(runner) => format!("running ({progress}; runner {runner})"),
                    None => format!("interrupted ({progress}); `migrate` resumes it"),
                }
            }
            MigrationState::Modified { .. } => {
                "MODIFIED since it was applied: its checksum differs".to_owned()
            }
            MigrationState::Missing(_) => "applied, but MISSING from the code".to_owned(),
        };
        println!("  {:>4} {}: {state}", status.id, status.description);
    }
    Ok(())
}

/// The schema file's path: --schema, $DYNASCHEMA_SCHEMA, else ./schema.toml.
fn schema_path(cli: &Cli) -> PathBuf {
    cli.schema
        .clone()
        .unwrap_or_else(|| Path::new("schema.toml").to_owned())
}

/// The schema, renamed to the `--table` name when one is given. A missing file is an
/// error naming it and how to make one, unless the application carries a fallback.
fn schema(app: &App, cli: &Cli) -> dynaschema::Result<Schema> {
    let mut path = schema_path(cli);
    if !path.exists() {
        match (&app.fallback_schema, &cli.schema) {
            (Some(fallback), None) => path = fallback.clone(),
            _ => {
                return Err(Error::Config(format!(
                    "no schema file at {}: `{program} init` writes one to edit, \
                     `{program} init --from-table NAME` one from a live table; or name \
                     yours with --schema PATH or DYNASCHEMA_SCHEMA",
                    path.display(),
                    program = app.program
                )))
            }
        }
    }
    let schema = Schema::load(&path)?;
    match &cli.table {
        Some(name) => schema.with_table_name(name),
        None => Ok(schema),
    }
}

/// The connection the flags choose, and where it talks.
async fn connect(cli: &Cli) -> dynaschema::Result<(Connection, Settings)> {
    let config = cli.endpoint.config();
    let settings = config.settings()?;
    Ok((config.connect().await?, settings))
}

/// Writes the schema file: the live table's schema, or the starter.
async fn init_schema(
    cli: &Cli,
    from_table: Option<&str>,
    force: bool,
) -> dynaschema::Result<ExitCode> {
    let path = schema_path(cli);
    if path.exists() && !force {
        return Err(Error::Config(format!(
            "{} exists already and was left alone; --force overwrites it",
            path.display()
        )));
    }
    let (text, what) = match from_table {
        Some(name) => {
            let (connection, _) = connect(cli).await?;
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
