//! Bringing a live table to its schema: a [`Plan`] of steps diffed from the live table,
//! [`apply()`] to run it, and [`status()`] to see where a table stands.
//!
//! The plan is made afresh from the live table every time, so an apply that was
//! interrupted is finished by running it again. Steps that remove something are marked
//! destructive and run only when allowed ([`ApplyOptions::allow_destructive`]).
//! Changes DynamoDB cannot make to an existing table (its key schema, its local secondary
//! indexes) are refused with [`Error::NotInPlace`](crate::Error::NotInPlace) before
//! anything is sent.
//!
//! ```no_run
//! # async fn run() -> dynaschema::Result<()> {
//! use dynaschema::migrate::{self, ApplyOptions, Plan};
//! use dynaschema::{ClientConfig, Schema};
//!
//! let schema = Schema::load("schema.toml")?;
//! let connection = ClientConfig::local().connect().await?;
//! let plan = Plan::for_table(&connection, &schema).await?;
//! print!("{plan}");
//! if !plan.is_empty() {
//!     migrate::apply(&connection, &schema, &ApplyOptions::default(), |event| println!("{event}"))
//!         .await?;
//! }
//! # Ok(()) }
//! ```

pub mod apply;
mod backfill;
pub mod data;
mod engine;
pub(crate) mod event;
mod lease;
pub mod plan;
mod records;
pub mod status;
mod units;

pub use apply::{apply, ApplyOptions};
pub use data::{
    MigrateEvent, Migration, MigrationContext, MigrationState, MigrationStatus, Migrator, Record,
};
pub use engine::{Each, Tally, Writer};
pub use plan::{Change, IndexCapacity, Plan, Step};
pub use status::{status, IndexState, Status, TtlState};
