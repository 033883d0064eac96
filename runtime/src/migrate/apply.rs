//! Applying a plan: its steps in order, one request each, waiting for the table and its
//! indexes to be ACTIVE after every change to the table.

use std::time::Duration;

use aws_sdk_dynamodb::types::{
    BillingMode, CreateGlobalSecondaryIndexAction, DeleteGlobalSecondaryIndexAction,
    GlobalSecondaryIndexUpdate, UpdateGlobalSecondaryIndexAction,
};

use super::plan::{Plan, Step};
use crate::client::Connection;
use crate::error::{Error, Result};
use crate::live;
use crate::migrate::event::{wait_until_active, Event};
use crate::schema::{Billing, Schema};

/// How [`apply()`] runs.
///
/// ```
/// use dynaschema::migrate::ApplyOptions;
///
/// let options = ApplyOptions { allow_destructive: true, ..ApplyOptions::default() };
/// assert_eq!(options.wait, dynaschema::provision::DEFAULT_WAIT);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Whether steps that remove something may run (see
    /// [`Step::is_destructive`]). Without it, a plan with such a step is refused before
    /// anything changes.
    pub allow_destructive: bool,
    /// How long each wait for ACTIVE may last: after creating the table, and after each
    /// change (an index's backfill can take long on a large table).
    pub wait: Duration,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            allow_destructive: false,
            wait: live::DEFAULT_WAIT,
        }
    }
}

/// Brings the table to `schema`: waits for a change in progress to finish, plans from the
/// live table ([`Plan::for_table`]), refuses destructive steps unless allowed, then runs
/// each step, waiting for ACTIVE after each change to the table. Reports what it does to
/// `on_event`; when the table already matches, that is one [`Event::Exists`].
///
/// Returns the plan it ran. An apply that stops half-way (an error, a timeout, the process
/// killed) leaves the steps it finished in place, and running it again plans from there.
///
/// ```no_run
/// # async fn run() -> dynaschema::Result<()> {
/// use dynaschema::migrate::{self, ApplyOptions};
/// use dynaschema::{ClientConfig, Schema};
///
/// let connection = ClientConfig::local().connect().await?;
/// let schema = Schema::load("schema.toml")?;
/// let plan = migrate::apply(&connection, &schema, &ApplyOptions::default(), |event| {
///     println!("{event}")
/// })
/// .await?;
/// println!("{}", plan.summary());
/// # Ok(()) }
/// ```
pub async fn apply(
    connection: &Connection,
    schema: &Schema,
    options: &ApplyOptions,
    mut on_event: impl FnMut(&Event),
) -> Result<Plan> {
    let mut raced = false;
    loop {
        let (plan, mut state) = prepare(connection, schema, options, &mut on_event).await?;
        if plan.is_empty() {
            on_event(&Event::Exists {
                table: plan.table.clone(),
                matches_schema: true,
            });
            return Ok(plan);
        }
        let mut outcome = Ok(());
        for step in &plan.steps {
            outcome = execute(connection, &mut state, step, options.wait, &mut on_event).await;
            if outcome.is_err() {
                break;
            }
        }
        match outcome {
            Ok(()) => return Ok(plan),
            // Another runner created the table between our plan and our CreateTable: plan
            // again from the table it made.
            Err(err) if state.is_none() && is_table_in_use(&err) && !raced => raced = true,
            Err(err) => return Err(err),
        }
    }
}

/// Waits for a change in progress, plans, and checks the plan's destructive steps; returns
/// the plan and the live schema it starts from.
async fn prepare(
    connection: &Connection,
    schema: &Schema,
    options: &ApplyOptions,
    on_event: &mut impl FnMut(&Event),
) -> Result<(Plan, Option<Schema>)> {
    let name = &schema.table.name;
    if let Some(description) = live::describe_table(connection, name).await? {
        // An earlier apply may have stopped while DynamoDB was still changing the table;
        // DynamoDB takes no other change until it is done.
        if live::not_active(&description).is_some() {
            wait_until_active(connection, name, options.wait, on_event).await?;
        }
    }
    let live = live::describe(connection, name).await?;
    let plan = Plan::diff(live.as_ref(), schema)?;
    let destructive = plan.destructive_lines();
    if !destructive.is_empty() && !options.allow_destructive {
        return Err(Error::Destructive {
            table: name.clone(),
            steps: destructive,
        });
    }
    Ok((plan, live))
}

/// Runs one step, part by part, against the table; `state` is the table as it is, and
/// follows the changes.
pub(crate) async fn execute(
    connection: &Connection,
    state: &mut Option<Schema>,
    step: &Step,
    wait: Duration,
    on_event: &mut impl FnMut(&Event),
) -> Result<()> {
    for part in step.parts() {
        let table = match (&part, state.as_ref()) {
            (Step::CreateTable(schema), _) => schema.table.name.clone(),
            (_, Some(schema)) => schema.table.name.clone(),
            (_, None) => {
                return Err(Error::Config(format!(
                    "cannot apply `{part}` to a table that does not exist"
                )))
            }
        };
        let mut after = state.clone();
        part.apply_to(&mut after);
        let changes_table = match &part {
            Step::CreateTable(schema) => {
                live::create_table(connection, schema).await?;
                on_event(&Event::CreatedTable(schema.table.clone()));
                for index in &schema.indexes {
                    on_event(&Event::CreatedIndex(index.clone()));
                }
                for index in &schema.local_indexes {
                    on_event(&Event::CreatedLocalIndex(index.clone()));
                }
                true
            }
            Step::EnableTtl(attribute) => {
                update_time_to_live(connection, &table, attribute, true).await?;
                false
            }
            Step::DisableTtl(attribute) => {
                update_time_to_live(connection, &table, attribute, false).await?;
                false
            }
            _ => {
                let after = after
                    .as_ref()
                    .expect("a step on an existing table keeps it");
                update_table(connection, &table, &part, after).await?;
                true
            }
        };
        *state = after;
        if !matches!(part, Step::CreateTable(_)) {
            on_event(&Event::Applied(part.clone()));
        }
        // TTL does not change the table's status; everything else may take a while.
        if changes_table {
            wait_until_active(connection, &table, wait, on_event).await?;
        }
    }
    Ok(())
}

/// Whether DynamoDB refused because the table exists or is busy.
pub(crate) fn is_table_in_use(err: &Error) -> bool {
    matches!(err, Error::Service { source, .. }
        if matches!(**source, aws_sdk_dynamodb::Error::ResourceInUseException(_)))
}

async fn update_time_to_live(
    connection: &Connection,
    table: &str,
    attribute: &str,
    enabled: bool,
) -> Result<()> {
    connection
        .client()
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(live::ttl_specification(attribute, enabled))
        .send()
        .await
        .map(|_| ())
        .map_err(|err| Error::from_sdk("UpdateTimeToLive", connection.endpoint(), err))
}

/// The UpdateTable request of one part of a step; `after` is the table once it is done.
async fn update_table(
    connection: &Connection,
    table: &str,
    part: &Step,
    after: &Schema,
) -> Result<()> {
    let request = connection.client().update_table().table_name(table);
    let request = match part {
        Step::EnableDeletionProtection => request.deletion_protection_enabled(true),
        Step::DisableDeletionProtection => request.deletion_protection_enabled(false),
        Step::RemoveIndex(index) => request.global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .delete(
                    DeleteGlobalSecondaryIndexAction::builder()
                        .index_name(&index.name)
                        .build()
                        .expect("the name is set"),
                )
                .build(),
        ),
        // The definitions must cover the new index's keys; those of the table as it will
        // be cover them and are all in use.
        Step::AddIndex(index) => request
            .set_attribute_definitions(Some(live::attribute_definitions(after)))
            .global_secondary_index_updates(
                GlobalSecondaryIndexUpdate::builder()
                    .create(
                        CreateGlobalSecondaryIndexAction::builder()
                            .index_name(&index.name)
                            .set_key_schema(Some(live::key_schema(
                                &index.partition_key,
                                index.sort_key.as_ref(),
                            )))
                            .projection(live::projection(&index.projection))
                            .set_provisioned_throughput(index.throughput.map(live::provisioned))
                            .build()
                            .expect("name, keys and projection are set"),
                    )
                    .build(),
            ),
        Step::ChangeBilling { from, to, indexes } => {
            let mut request = request;
            let mode_changes = matches!(
                (from, to),
                (Billing::PayPerRequest, Billing::Provisioned(_))
                    | (Billing::Provisioned(_), Billing::PayPerRequest)
            );
            if mode_changes {
                request = request.billing_mode(match to {
                    Billing::PayPerRequest => BillingMode::PayPerRequest,
                    Billing::Provisioned(_) => BillingMode::Provisioned,
                });
            }
            // DynamoDB refuses a capacity equal to the current one, so it is sent only when
            // it changes.
            if let Billing::Provisioned(throughput) = to
                && from != to
            {
                request = request.provisioned_throughput(live::provisioned(*throughput));
            }
            for capacity in indexes {
                request = request.global_secondary_index_updates(
                    GlobalSecondaryIndexUpdate::builder()
                        .update(
                            UpdateGlobalSecondaryIndexAction::builder()
                                .index_name(&capacity.index)
                                .provisioned_throughput(live::provisioned(capacity.to))
                                .build()
                                .expect("name is set"),
                        )
                        .build(),
                );
            }
            request
        }
        Step::EnableStream(view) => {
            request.stream_specification(live::stream_specification(Some(*view)))
        }
        Step::DisableStream(_) => request.stream_specification(live::stream_specification(None)),
        Step::CreateTable(_)
        | Step::EnableTtl(_)
        | Step::DisableTtl(_)
        | Step::ReplaceIndex { .. }
        | Step::ChangeStream { .. }
        | Step::MoveTtl { .. } => {
            unreachable!("`execute` sends {part:?} otherwise or splits it into parts")
        }
    };
    request
        .send()
        .await
        .map(|_| ())
        .map_err(|err| Error::from_sdk("UpdateTable", connection.endpoint(), err))
}
