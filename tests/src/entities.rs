//! The ningipoints entities the operation tests use: an account, and its operations in
//! the same partition.
//!
//! ```text
//! Account:   PK = ACCOUNT#{id},         SK = ACCOUNT
//! Operation: PK = ACCOUNT#{account_id}, SK = OPERATION#{created_at}
//! ```
//!
//! `kind` is a plain string (stored as `type`, a reserved word) so that tests can fill
//! it with padding and with characters such as `:` and `#`.

use dynaschema::{Entity, Timestamp};

/// A points account.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(pk = "ACCOUNT#{id}", sk = "ACCOUNT")]
pub struct Account {
    /// Lives in the partition key only.
    #[dynamo(key_only)]
    pub id: u64,
    /// `name` is a DynamoDB reserved word.
    pub name: String,
    /// The EmailIndex partition key.
    pub email: String,
    pub balance: i64,
    pub created_at: Timestamp,
}

/// A credit or debit of an account, stored in the account's partition.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(pk = "ACCOUNT#{account_id}", sk = "OPERATION#{created_at}")]
pub struct Operation {
    /// Lives in the partition key only.
    #[dynamo(key_only)]
    pub account_id: u64,
    /// Stored as `type`, a DynamoDB reserved word.
    #[dynamo(rename = "type")]
    pub kind: String,
    pub amount: u64,
    /// Also part of the sort key.
    pub created_at: Timestamp,
}

/// An account named `name` with email `a{id}@x.org`, balance 0, created at the Unix
/// epoch: for tests in which only the key and the name matter.
pub fn account(id: u64, name: &str) -> Account {
    Account {
        id,
        name: name.to_owned(),
        email: format!("a{id}@x.org"),
        balance: 0,
        created_at: Timestamp::from_unix_micros(0),
    }
}
