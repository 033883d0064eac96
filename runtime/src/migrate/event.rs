//! What provisioning and applying a plan report, one line each.

use std::time::Duration;

use crate::client::Connection;
use crate::error::Result;
use crate::live::{self, Progress};
use crate::migrate::Step;
use crate::schema::{GlobalIndex, LocalIndex, TableSchema};

/// Something [`provision`](crate::provision::provision) or [`apply`](crate::migrate::apply()) did or found, in the order it happened: one line each.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The table was created with these keys and billing.
    CreatedTable(TableSchema),
    /// The global secondary index was created along with the table.
    CreatedIndex(GlobalIndex),
    /// The local secondary index was created along with the table.
    CreatedLocalIndex(LocalIndex),
    /// A step of a [`Plan`](crate::migrate::Plan) was applied to the table (a step that changes two things, such
    /// as an index removed and added again, is reported as its two parts).
    Applied(Step),
    /// The table already existed; nothing was changed.
    Exists {
        /// The table name.
        table: String,
        /// Whether the live table has what the schema declares (see [`describe`](crate::provision::describe)).
        matches_schema: bool,
    },
    /// Still waiting: the table or one of its indexes is not ACTIVE yet.
    Waiting {
        /// The table, or `index X of table Y`.
        what: String,
        /// Its status now.
        status: String,
        /// How long the wait has lasted.
        waited: Duration,
    },
    /// The table and all its indexes are ACTIVE.
    Active {
        /// The table name.
        table: String,
        /// How many global secondary indexes it has.
        indexes: usize,
        /// How long it took to get there.
        waited: Duration,
    },
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::CreatedTable(table) => write!(f, "created table {}: {table}", table.name),
            Event::CreatedIndex(index) => {
                write!(
                    f,
                    "created index {}: partition key {}",
                    index.name, index.partition_key
                )?;
                if let Some(sort_key) = &index.sort_key {
                    write!(f, ", sort key {sort_key}")?;
                }
                write!(f, ", projection {}", index.projection)
            }
            Event::CreatedLocalIndex(index) => write!(
                f,
                "created local index {}: sort key {}, projection {}",
                index.name, index.sort_key, index.projection
            ),
            Event::Applied(step) => write!(f, "{} {step}", step.verb()),
            Event::Exists {
                table,
                matches_schema: true,
            } => write!(
                f,
                "table {table} exists and matches the schema: nothing changed"
            ),
            Event::Exists {
                table,
                matches_schema: false,
            } => write!(
                f,
                "table {table} exists but differs from the schema: nothing changed \
                 (provisioning only creates missing tables; `plan` shows the differences \
                 and `apply` makes them)"
            ),
            Event::Waiting {
                what,
                status,
                waited,
            } => write!(
                f,
                "waiting for {what}: {status} after {}s",
                waited.as_secs()
            ),
            Event::Active {
                table,
                indexes,
                waited,
            } => {
                let plural = if *indexes == 1 { "index" } else { "indexes" };
                write!(
                    f,
                    "table {table} and its {indexes} {plural} are ACTIVE (waited {:.1}s)",
                    waited.as_secs_f64()
                )
            }
        }
    }
}

impl From<Progress> for Event {
    fn from(progress: Progress) -> Event {
        match progress {
            Progress::Waiting {
                what,
                status,
                waited,
            } => Event::Waiting {
                what,
                status,
                waited,
            },
            Progress::Active {
                table,
                indexes,
                waited,
            } => Event::Active {
                table,
                indexes,
                waited,
            },
        }
    }
}

/// Waits until the table and all its indexes are ACTIVE, reporting progress to
/// `on_event` at most every few seconds. An index being deleted is waited for until it is
/// gone; a table being deleted is an error, and a missing table is
/// [`Error::TableMissing`](crate::Error::TableMissing).
pub async fn wait_until_active(
    connection: &Connection,
    table: &str,
    wait: Duration,
    on_event: &mut impl FnMut(&Event),
) -> Result<()> {
    live::wait_until_active(connection, table, wait, &mut |progress| {
        on_event(&Event::from(progress))
    })
    .await
}
