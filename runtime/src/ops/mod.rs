//! The typed operations on a [`Table`](crate::Table), one module per concept.
//!
//! Each operation is a builder borrowed from the table: options are methods, and
//! `.await` sends it (the builders implement [`IntoFuture`]).
//! Every attribute name and value reaches DynamoDB as an expression placeholder.

pub mod batch;
pub mod cursor;
pub mod delete;
pub mod get;
pub mod index;
pub(crate) mod key_schema;
mod paging;
pub mod put;
pub mod query;
pub mod retry;
pub mod scan;
mod target;
pub mod transact;
pub mod update;
pub(crate) mod write;

pub use batch::{BatchGet, BatchWrite, DeletePartition, Fetched};
pub use cursor::{Cursor, Page, ParseCursorError};
pub use delete::DeleteItem;
pub use get::GetItem;
pub use index::{Index, IndexName, IndexOf};
pub use put::PutItem;
pub use query::Query;
pub use retry::RetryPolicy;
pub use scan::{ItemScan, Scan};
pub use transact::{CancelReason, Transaction};
pub use update::UpdateItem;
