//! ningipoints: a points-account API kept in one DynamoDB table.
//!
//! Accounts and their credit and debit operations share the table `ningipoints`:
//!
//! | item      | PK             | SK                        |
//! |-----------|----------------|---------------------------|
//! | account   | `ACCOUNT#<id>` | `ACCOUNT`                 |
//! | operation | `ACCOUNT#<id>` | `OPERATION#<timestamp>`   |
//!
//! and the global secondary index `EmailIndex` finds an account by its email. The
//! table's shape is the repository's `schema.toml`; the `provision` binary creates it.

pub mod target;

pub use target::Target;
