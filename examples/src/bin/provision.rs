//! Creates the ningipoints table from schema.toml, and brings it to the schema when the
//! schema changes: `plan` shows the changes, `apply` makes them, `status` shows the table,
//! `migrate` runs the data migrations.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use std::io::IsTerminal;
use std::sync::Mutex;

use clap::{Args, Parser, Subcommand};
use dynaschema::migrate::{ApplyOptions, MigrateEvent, MigrationState};
use dynaschema::{provision, Schema, Table};
use dynaschema_cli::commands;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ningipoints::migrations;
use ningipoints::target::{default_schema_path, Target};

/// Create the DynamoDB table and the indexes schema.toml declares, or bring an existing
/// table to the schema.
///
/// Without a subcommand, `provision` is `provision apply`: it creates a missing table, or
/// applies what `provision plan` shows, and prints one line per thing done or found. Run
/// twice, the second run reports that nothing changed.
///
/// Exit status: 0 on success, 1 on error (the cause on stderr) or a bad command line;
/// `provision plan` exits 2 when changes are pending.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    common: Common,

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
    Plan {
        #[command(flatten)]
        common: Common,
    },

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
    Apply {
        #[command(flatten)]
        common: Common,

        #[command(flatten)]
        apply: ApplyArgs,
    },

    /// Show the live table: status, item counts, indexes, billing, stream, TTL, and how it
    /// compares with the schema.
    ///
    /// Item counts are DynamoDB's, refreshed about every six hours. Changes nothing.
    ///
    /// Exit status: 0 when the table exists, 1 on error (such as a missing table; the
    /// cause on stderr) or a bad command line.
    Status {
        #[command(flatten)]
        common: Common,
    },

    /// Run the pending data migrations, in order, each recorded once.
    ///
    /// The migrations are ningipoints' own (its `migrations` module). Each is applied
    /// under a lease, so that two runners never apply one at the same time, and recorded
    /// in the table with its checksum, duration and items touched. A migration that fails
    /// is not recorded, and runs again next time. A recorded migration whose code has
    /// changed (its checksum differs) stops the run before anything runs. Shows a
    /// progress bar on a terminal, plain lines otherwise.
    ///
    /// Exit status: 0 when no migration is pending at the end (or, with --dry-run, after
    /// listing them), 1 on error (the cause on stderr) or a bad command line.
    Migrate {
        #[command(flatten)]
        common: Common,

        /// List the pending migrations and how many items each would touch; change nothing
        #[arg(long)]
        dry_run: bool,

        /// Seconds to wait for another runner's lease before giving up [default: 0]
        #[arg(long, value_name = "SECONDS", default_value_t = 0)]
        wait_for_lease: u64,
    },
}

/// The flags every subcommand takes; given before the subcommand, they count too.
#[derive(Debug, Clone, Args)]
struct Common {
    /// Schema file [default: ./schema.toml if present, else the repository's]
    #[arg(long, value_name = "PATH")]
    schema: Option<PathBuf>,

    #[command(flatten)]
    target: Target,
}

#[derive(Debug, Clone, Args)]
struct ApplyArgs {
    /// Seconds each wait for the table and its indexes to become ACTIVE may last
    /// [default: 600]
    #[arg(long, value_name = "SECONDS")]
    wait: Option<u64>,

    /// Also run the steps that remove something: an index, the stream, TTL, deletion
    /// protection
    #[arg(long)]
    allow_destructive: bool,
}

impl Common {
    /// These flags, completed by those given before the subcommand.
    fn or(&self, outer: &Common) -> Common {
        Common {
            schema: self.schema.clone().or_else(|| outer.schema.clone()),
            target: Target {
                endpoint: self
                    .target
                    .endpoint
                    .clone()
                    .or_else(|| outer.target.endpoint.clone()),
                table: self
                    .target
                    .table
                    .clone()
                    .or_else(|| outer.target.table.clone()),
            },
        }
    }

    fn schema(&self) -> dynaschema::Result<Schema> {
        let path = self.schema.clone().unwrap_or_else(default_schema_path);
        self.target.schema(&path)
    }
}

impl ApplyArgs {
    fn or(&self, outer: &ApplyArgs) -> ApplyOptions {
        ApplyOptions {
            allow_destructive: self.allow_destructive || outer.allow_destructive,
            wait: self
                .wait
                .or(outer.wait)
                .map_or(provision::DEFAULT_WAIT, Duration::from_secs),
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match commands::parse::<Cli>() {
        Ok(cli) => commands::exit_status("provision", run(&cli).await),
        Err(status) => status,
    }
}

async fn run(cli: &Cli) -> dynaschema::Result<ExitCode> {
    match &cli.command {
        None => apply(&cli.common, cli.apply.or(&cli.apply)).await,
        Some(Command::Apply {
            common,
            apply: args,
        }) => apply(&common.or(&cli.common), args.or(&cli.apply)).await,
        Some(Command::Plan { common }) => plan(&common.or(&cli.common)).await,
        Some(Command::Status { common }) => status(&common.or(&cli.common)).await,
        Some(Command::Migrate {
            common,
            dry_run,
            wait_for_lease,
        }) => {
            migrate_data(
                &common.or(&cli.common),
                *dry_run,
                Duration::from_secs(*wait_for_lease),
            )
            .await
        }
    }
}

async fn apply(common: &Common, options: ApplyOptions) -> dynaschema::Result<ExitCode> {
    let schema = common.schema()?;
    let connection = common.target.connect().await?;
    commands::apply(&connection, &schema, &options).await
}

async fn plan(common: &Common) -> dynaschema::Result<ExitCode> {
    let schema = common.schema()?;
    let connection = common.target.connect().await?;
    commands::plan(&connection, &schema).await
}

async fn status(common: &Common) -> dynaschema::Result<ExitCode> {
    let schema = common.schema()?;
    let connection = common.target.connect().await?;
    commands::table_status(&connection, &schema, "provision plan").await?;
    let table = Table::new(connection, schema);
    let statuses = migrations::migrator(&table)?.status().await?;
    println!("data migrations:");
    for status in statuses {
        let state = match &status.state {
            MigrationState::Applied(record) => record.to_string(),
            MigrationState::Pending => "pending".to_owned(),
            MigrationState::Modified { .. } => {
                "MODIFIED since it was applied: its checksum differs".to_owned()
            }
            MigrationState::Missing(_) => "applied, but MISSING from the code".to_owned(),
        };
        println!("  {:>4} {}: {state}", status.id, status.description);
    }
    Ok(ExitCode::SUCCESS)
}

async fn migrate_data(
    common: &Common,
    dry_run: bool,
    wait: Duration,
) -> dynaschema::Result<ExitCode> {
    let schema = common.schema()?;
    let table = Table::new(common.target.connect().await?, schema);
    let migrator = migrations::migrator(&table)?.wait_for_lease(wait);
    let report = Report::new();
    let result = migrator.run(dry_run, |event| report.event(event)).await;
    report.finish();
    result?;
    Ok(ExitCode::SUCCESS)
}

/// Shows a migration run: a progress bar on a terminal, plain lines otherwise.
struct Report {
    terminal: bool,
    /// The running migration's bar, on a terminal.
    bar: Mutex<Option<ProgressBar>>,
    /// The last tenth of the work reported in plain lines, per migration.
    last_tenth: Mutex<Option<(u32, u64)>>,
}

impl Report {
    fn new() -> Report {
        Report {
            terminal: std::io::stdout().is_terminal(),
            bar: Mutex::new(None),
            last_tenth: Mutex::new(None),
        }
    }

    fn event(&self, event: &MigrateEvent) {
        let mut bar = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        match event {
            MigrateEvent::Progress { id, done, total } if self.terminal => {
                let bar = bar.get_or_insert_with(|| new_bar(*id));
                if let Some(total) = total {
                    bar.set_length(*total);
                }
                bar.set_position(*done);
            }
            MigrateEvent::Progress { id, done, total } => {
                // A line per tenth of the work, not one per item.
                let tenth = total.map_or(done / 1000, |total| done * 10 / total.max(1));
                let mut last = self.last_tenth.lock().unwrap_or_else(|e| e.into_inner());
                if *last != Some((*id, tenth)) {
                    *last = Some((*id, tenth));
                    println!("{event}");
                }
            }
            _ => {
                if let Some(bar) = bar.take() {
                    bar.finish_and_clear();
                }
                println!("{event}");
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|e| e.into_inner()).take() {
            bar.finish_and_clear();
        }
    }
}

fn new_bar(id: u32) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stdout());
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta} left)")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar.set_message(format!("migration {id}"));
    bar
}
