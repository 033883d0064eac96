//! ningipoints: a points-account API kept in one DynamoDB table.
//!
//! Accounts and their credit and debit operations share the table `ningipoints`:
//!
//! | item      | PK             | SK                        | attributes                        |
//! |-----------|----------------|---------------------------|-----------------------------------|
//! | account   | `ACCOUNT#<id>` | `ACCOUNT`                 | name, email, balance, created_at  |
//! | operation | `ACCOUNT#<id>` | `OPERATION#<created_at>`  | type, amount, created_at          |
//!
//! and the global secondary index `EmailIndex` finds an account by its email. The
//! table's shape is the repository's `schema.toml`; the `provision` binary creates it,
//! and the `ningipoints` binary is a command line over [`Ningipoints`].

pub mod error;
pub mod input;
pub mod migrations;
pub mod model;
pub mod points;
pub mod target;

pub use error::{Error, Result};
pub use model::{Account, AccountItem, AccountWithOperations, Operation, OperationType};
pub use points::{get_client, schema, Ningipoints};
pub use target::Target;
