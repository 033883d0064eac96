//! Creating a table from a [`Schema`] when it is missing, waiting until it is ACTIVE.
//! Reading a live table back is [`describe`]; changing an existing table is
//! [`migrate`](crate::migrate)'s.

use std::time::Duration;

use crate::client::Connection;
use crate::error::Result;
use crate::live::{describe_table, live_schema, not_active};
use crate::migrate::{apply, Plan, Step};
use crate::schema::Schema;

pub use crate::live::{describe, DEFAULT_WAIT};
pub use crate::migrate::event::{wait_until_active, Event};

/// What [`provision`] found at the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The table was missing and has been created.
    Created,
    /// The table existed; nothing was changed.
    AlreadyExisted,
}

/// Creates the schema's table with its indexes unless a table of that name exists, then
/// waits up to `wait` until the table and every index are ACTIVE, and enables TTL when the
/// schema names a TTL attribute. Reports each step to `on_event` as it happens.
///
/// An existing table is left as it is, even when it differs from the schema:
/// [`migrate::apply`](crate::migrate::apply()) is what changes a table.
///
/// ```no_run
/// # async fn run() -> dynaschema::Result<()> {
/// use dynaschema::{provision, ClientConfig, Schema};
///
/// let connection = ClientConfig::local().connect().await?;
/// let schema = Schema::load("schema.toml")?;
/// provision::provision(&connection, &schema, provision::DEFAULT_WAIT, |event| println!("{event}"))
///     .await?;
/// # Ok(()) }
/// ```
pub async fn provision(
    connection: &Connection,
    schema: &Schema,
    wait: Duration,
    mut on_event: impl FnMut(&Event),
) -> Result<Outcome> {
    let name = &schema.table.name;
    if let Some(existing) = describe_table(connection, name).await? {
        on_event(&Event::Exists {
            table: name.clone(),
            matches_schema: live_schema(connection, &existing).await? == *schema,
        });
        if not_active(&existing).is_some() {
            wait_until_active(connection, name, wait, &mut on_event).await?;
        }
        return Ok(Outcome::AlreadyExisted);
    }
    let mut state = None;
    for step in Plan::diff(None, schema)?.steps {
        match apply::execute(connection, &mut state, &step, wait, &mut on_event).await {
            Ok(()) => {}
            // Another runner created it between our describe and create.
            Err(err) if apply::is_table_in_use(&err) && matches!(step, Step::CreateTable(_)) => {
                on_event(&Event::Exists {
                    table: name.clone(),
                    matches_schema: describe(connection, name).await?.as_ref() == Some(schema),
                });
                wait_until_active(connection, name, wait, &mut on_event).await?;
                return Ok(Outcome::AlreadyExisted);
            }
            Err(err) => return Err(err),
        }
    }
    Ok(Outcome::Created)
}
