//! A typed schema and migration toolkit for Amazon DynamoDB.
//!
//! `dynaschema` keeps a DynamoDB table's physical shape in a `schema.toml` ([`Schema`]),
//! builds clients that read the standard AWS environment and profile ([`ClientConfig`]),
//! creates the table with its indexes ([`provision`]), brings an existing table to its
//! schema with the plan shown first ([`migrate`]), turns annotated structs into entities
//! with `#[derive(Entity)]` (checked against the schema.toml at compile time with
//! `#[dynamo(schema = "schema.toml")]`), and reads and writes them through typed
//! operations on a [`Table`] ([`ops`]): typed index queries, several entity types read
//! together ([`collection`]), pages with cursors ([`Cursor`]), transactions, and unique
//! values ([`unique`]). With the cargo feature `local`, the module `local` runs a
//! DynamoDB-compatible server inside the process for local work and tests, and
//! `#[dynaschema::test]` gives each test a fresh table on it.
//!
//! # The guide
//!
//! The [`guide`] takes the toolkit a subject at a time, each chapter a story whose
//! examples are doc tests: [entities and key templates](guide::entities),
//! [indexes and collections](guide::indexes), [queries and cursors](guide::queries),
//! [writes and transactions](guide::writes), [item lifecycle](guide::lifecycle),
//! [uniqueness](guide::uniqueness), [schema.toml and the command line](guide::cli),
//! [migrations](guide::migrations), [failures and retries](guide::failures), and
//! [testing](guide::testing). The item documentation is the reference for each type.
//!
//! # Cargo features
//!
//! | feature | what it adds |
//! |---|---|
//! | `local` | the module `local` (an embedded DynamoDB-compatible server, [dynoxide](https://docs.rs/dynoxide-rs)), `#[dynaschema::test]`, and the `dynaschema-local` binary |
//! | `uuid` | `uuid::Uuid` as a key part and an attribute |
//! | `chrono` | `chrono::DateTime<Utc>` as a key part and an attribute |
//! | `default-https-client` (default) | the AWS SDK's HTTPS client; without it, build the SDK client yourself and wrap it with [`Connection::from_client`] |
//! | `sso` | credentials from IAM Identity Center (SSO) profiles (off by default: it brings a second generation of the RustCrypto digest crates) |
//!
//! # At a glance
//!
//! ```no_run
//! use dynaschema::{provision, ClientConfig, Entity, Schema, Table, Timestamp};
//!
//! /// An account: `PK=ACCOUNT#<id>`, `SK=ACCOUNT`.
//! #[derive(Debug, Clone, PartialEq, Entity)]
//! #[dynamo(pk = "ACCOUNT#{id}", sk = "ACCOUNT", index(name = "EmailIndex", pk = "{email}"))]
//! struct Account {
//!     #[dynamo(key_only)] // lives in PK only, parsed back on read
//!     id: u64,
//!     name: String,
//!     email: String,
//!     balance: i64,
//!     created_at: Timestamp,
//! }
//!
//! /// An operation in its account's partition, in time order.
//! #[derive(Debug, Clone, PartialEq, Entity)]
//! #[dynamo(pk = "ACCOUNT#{account_id}", sk = "OPERATION#{created_at}")]
//! struct Operation {
//!     #[dynamo(key_only)]
//!     account_id: u64,
//!     #[dynamo(rename = "type")] // a reserved word: always sent as a placeholder
//!     kind: String,
//!     amount: u64,
//!     created_at: Timestamp,
//! }
//!
//! # async fn run() -> dynaschema::Result<()> {
//! let schema = Schema::load("schema.toml")?;
//! let connection = ClientConfig::local().connect().await?;
//! provision::provision(&connection, &schema, provision::DEFAULT_WAIT, |event| println!("{event}"))
//!     .await?;
//! let table = Table::new(connection, schema);
//!
//! let account = Account {
//!     id: 123,
//!     name: "clara".into(),
//!     email: "clara@42sp.org.br".into(),
//!     balance: 0,
//!     created_at: Timestamp::now(),
//! };
//! table.put(&account).if_not_exists().await?; // Error::AlreadyExists if it is there
//!
//! let operation = Operation { account_id: 123, kind: "credit".into(), amount: 100, created_at: Timestamp::now() };
//! table
//!     .transact()
//!     .put_new(&operation)
//!     .update(Account::key(123), |u| u.add(Account::BALANCE, 100_i64))
//!     .await?;
//!
//! let read: Option<Account> = table.get(Account::key(123)).await?;
//! let operations: Vec<Operation> = table.query(Operation::partition(123)).all().await?;
//! let by_email = table.query(Account::email_index("clara@42sp.org.br")).first().await?;
//!
//! // A page of 20 operations, and the cursor to the next page (text for an API's caller).
//! let page = table.query(Operation::partition(123)).page(20).await?;
//! let next: Option<String> = page.next.map(|cursor| cursor.to_string());
//! # let _ = (read, operations, by_email, next);
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod attribute;
pub mod client;
pub mod collection;
pub mod error;
pub mod expiry;
pub mod expr;
#[cfg(any(feature = "uuid", feature = "chrono"))]
pub mod foreign;
#[doc(hidden)]
pub mod generated;
pub mod guide;
pub mod item;
pub mod key;
mod live;
#[cfg(feature = "local")]
pub mod local;
pub mod migrate;
pub mod ops;
mod outcome;
pub mod projected;
pub mod provision;
pub mod schema;
pub mod table;
pub mod timestamp;
pub mod unique;

pub use attribute::{Attribute, Bytes};
pub use client::{ClientConfig, Connection};
pub use collection::Collection;
/// An async test with a fresh table on the shared local server; see [`local`].
///
/// ```
/// # use dynaschema::Table;
/// #[dynaschema::test(schema = "../schema.toml")]
/// async fn writes_and_reads(table: Table) {
///     assert!(table.schema().table.name.starts_with("writes_and_reads-"));
/// }
/// # fn main() {}
/// ```
#[cfg(feature = "local")]
pub use dynaschema_macros::test;
pub use dynaschema_macros::Collection;
pub use dynaschema_macros::Entity;
pub use error::{Error, Result};
pub use expiry::Expiry;
pub use expr::{Attr, Condition, Update};
pub use item::{Entity, EntityType, Item, Readable};
pub use key::{Key, KeyPart, Partition};
pub use ops::{CancelReason, Cursor, IndexName, Page, RetryPolicy};
pub use projected::Projected;
pub use schema::{
    Billing, GlobalIndex, KeyAttribute, KeyType, LocalIndex, Projection, Schema, SecondaryIndex,
    StreamView, TableSchema, Throughput,
};
pub use table::Table;
pub use timestamp::Timestamp;

/// The README's code blocks, compiled as doc tests so that its quick start stays true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
