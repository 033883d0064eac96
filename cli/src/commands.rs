//! What the table commands do, shared by the `dynaschema` binary and an application's
//! own: each prints its lines on stdout and answers the exit status.
//!
//! ```no_run
//! use std::process::ExitCode;
//!
//! use dynaschema::{ClientConfig, Schema};
//! use dynaschema_cli::commands;
//!
//! # async fn run() -> dynaschema::Result<()> {
//! let schema = Schema::load("schema.toml")?;
//! let connection = ClientConfig::local().connect().await?;
//! // Prints the plan; the status is 0 when the table matches, 2 when changes are pending.
//! let status: ExitCode = commands::plan(&connection, &schema).await?;
//! commands::table_status(&connection, &schema, "myapp plan").await?;
//! # let _ = status;
//! # Ok(()) }
//! ```

use std::process::ExitCode;

use dynaschema::migrate::{self, ApplyOptions, Change, Plan};
use dynaschema::{Connection, Error, Schema};

/// Exit status of `plan` when changes are pending; 0 means none, 1 an error.
pub const CHANGES_PENDING: u8 = 2;

/// Prints clap's `err` (help and version on stdout) and answers the exit status: 0 for
/// help and version, 1 for a bad command line.
pub fn usage_error(err: clap::Error) -> ExitCode {
    let _ = err.print();
    if err.use_stderr() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Exit status of a command whose write may or may not have been applied
/// ([`Error::OutcomeUnknown`]).
pub const OUTCOME_UNKNOWN: u8 = 3;

/// The exit status of a command that answered `result`: its own, or after the error on
/// stderr as `program: error`, [`OUTCOME_UNKNOWN`] for a write whose outcome is unknown
/// and 1 for any other error.
pub fn exit_status(program: &str, result: dynaschema::Result<ExitCode>) -> ExitCode {
    result.unwrap_or_else(|err| {
        eprintln!("{program}: {err}");
        match err {
            Error::OutcomeUnknown { .. } => ExitCode::from(OUTCOME_UNKNOWN),
            Error::MigrationFailed { source, .. }
                if matches!(*source, Error::OutcomeUnknown { .. }) =>
            {
                ExitCode::from(OUTCOME_UNKNOWN)
            }
            _ => ExitCode::FAILURE,
        }
    })
}

/// Prints the plan that would bring the live table to `schema`: exit status 0 when it is
/// empty, [`CHANGES_PENDING`] otherwise.
pub async fn plan(connection: &Connection, schema: &Schema) -> dynaschema::Result<ExitCode> {
    let plan = Plan::for_table(connection, schema).await?;
    print!("{plan}");
    Ok(if plan.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(CHANGES_PENDING)
    })
}

/// Creates the table, or brings it to `schema`, printing a line per thing done.
pub async fn apply(
    connection: &Connection,
    schema: &Schema,
    options: &ApplyOptions,
) -> dynaschema::Result<ExitCode> {
    migrate::apply(connection, schema, options, |event| println!("{event}")).await?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the live table (status, counts, keys, settings, indexes) and how it compares
/// with `schema`; `plan_command` is the command that lists pending changes, named in
/// that line.
pub async fn table_status(
    connection: &Connection,
    schema: &Schema,
    plan_command: &str,
) -> dynaschema::Result<()> {
    let status = migrate::status(connection, &schema.table.name).await?;
    print!("{status}");
    match Plan::diff(Some(&status.schema), schema) {
        Ok(plan) if plan.is_empty() => println!("schema: the table matches it"),
        Ok(plan) => println!(
            "schema: changes pending, {} to add, {} to change, {} to remove: `{plan_command}` \
             lists them",
            plan.count(Change::Add),
            plan.count(Change::Change),
            plan.count(Change::Remove)
        ),
        Err(err @ Error::NotInPlace { .. }) => println!("schema: {err}"),
        Err(err) => return Err(err),
    }
    Ok(())
}
