//! A typed schema and migration toolkit for Amazon DynamoDB.
//!
//! `dynaschema` keeps a DynamoDB table's physical shape in a `schema.toml` ([`Schema`]),
//! builds clients that follow the standard AWS environment with a safe local default
//! ([`ClientConfig`]), creates the table with its indexes ([`provision`]), and reads and
//! writes entities through typed operations on a [`Table`] ([`ops`]).
//!
//! ```no_run
//! # async fn run() -> dynaschema::Result<()> {
//! use dynaschema::{provision, ClientConfig, Schema};
//!
//! let schema = Schema::load("schema.toml")?;
//! let connection = ClientConfig::local_default().connect().await?;
//! let outcome =
//!     provision::provision(&connection, &schema, provision::DEFAULT_WAIT, |event| println!("{event}"))
//!         .await?;
//! println!("{outcome:?}");
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod attribute;
pub mod client;
pub mod error;
pub mod expr;
pub mod item;
pub mod key;
pub mod ops;
pub mod provision;
pub mod schema;
pub mod table;
pub mod timestamp;

pub use attribute::{Attribute, Bytes};
pub use client::{ClientConfig, Connection};
pub use dynaschema_macros::Entity;
pub use error::{Error, Result};
pub use expr::{Attr, Condition, Update};
pub use item::{Entity, Item};
pub use key::{Key, KeyPart, Partition};
pub use ops::{CancelReason, RetryPolicy};
pub use schema::{
    Billing, GlobalIndex, KeyAttribute, KeyType, Projection, Schema, TableSchema, Throughput,
};
pub use table::Table;
pub use timestamp::Timestamp;
