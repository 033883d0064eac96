//! The items of the ningipoints table: accounts and their operations, in one partition
//! per account.

use dynaschema::{Collection, Entity, Timestamp};
use serde::Serialize;

/// A points account: `PK=ACCOUNT#<id>`, `SK=ACCOUNT`.
///
/// Its JSON form is `{"id","name","email","balance","created_at"}`.
///
/// ```
/// use ningipoints::Account;
///
/// assert_eq!(Account::key(123).to_string(), "PK=ACCOUNT#123, SK=ACCOUNT");
/// assert_eq!(Account::BALANCE.name(), "balance");
/// assert_eq!(Account::EMAIL_INDEX.name(), "EmailIndex");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Entity)]
#[dynamo(
    pk = "ACCOUNT#{id}",
    sk = "ACCOUNT",
    index(name = "EmailIndex", pk = "{email}"),
    schema = "../schema.toml"
)]
pub struct Account {
    /// The account number; it lives in the partition key only.
    #[dynamo(key_only)]
    pub id: u64,
    /// The holder's name.
    pub name: String,
    /// The holder's email address, the key of `EmailIndex`; no two accounts share one
    /// (a guard item, `PK=_unique#Account#email#<email>`, `SK=_unique`, holds it).
    #[dynamo(unique)]
    pub email: String,
    /// Points credited minus points debited; never below zero.
    pub balance: i64,
    /// When the account was opened.
    pub created_at: Timestamp,
}

/// Whether an operation adds points or takes them away.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum OperationType {
    /// Adds points.
    Credit,
    /// Takes points away; never more than the balance.
    Debit,
}

impl std::fmt::Display for OperationType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OperationType::Credit => "credit",
            OperationType::Debit => "debit",
        })
    }
}

/// A credit or debit of an account: `PK=ACCOUNT#<id>`, `SK=OPERATION#<created_at>`, so
/// that an account's operations sort in time order.
///
/// Its JSON form is `{"account_id","type","amount","created_at"}`.
///
/// ```
/// use dynaschema::Timestamp;
/// use ningipoints::Operation;
///
/// let at = Timestamp::parse("2026-11-24T21:16:54Z")?;
/// assert_eq!(
///     Operation::key(123, at).to_string(),
///     "PK=ACCOUNT#123, SK=OPERATION#2026-11-24T21:16:54.000000Z"
/// );
/// # Ok::<(), dynaschema::timestamp::ParseTimestampError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Entity)]
#[dynamo(
    pk = "ACCOUNT#{account_id}",
    sk = "OPERATION#{created_at}",
    schema = "../schema.toml"
)]
pub struct Operation {
    /// The account's number; it lives in the partition key only.
    #[dynamo(key_only)]
    pub account_id: u64,
    /// Credit or debit, stored as the attribute `type`.
    #[dynamo(rename = "type", serde)]
    #[serde(rename = "type")]
    pub kind: OperationType,
    /// How many points, at least 1.
    pub amount: u64,
    /// When it happened; also the sort key.
    pub created_at: Timestamp,
}

impl Operation {
    /// What the operation adds to its account's balance: the amount of a credit, minus
    /// that of a debit.
    ///
    /// ```
    /// use dynaschema::Timestamp;
    /// use ningipoints::{Operation, OperationType};
    ///
    /// let debit = Operation {
    ///     account_id: 1,
    ///     kind: OperationType::Debit,
    ///     amount: 50,
    ///     created_at: Timestamp::now(),
    /// };
    /// assert_eq!(debit.signed_amount(), -50);
    /// ```
    pub fn signed_amount(&self) -> i64 {
        match self.kind {
            OperationType::Credit => self.amount as i64,
            OperationType::Debit => -(self.amount as i64),
        }
    }
}

/// An item of an account's partition: the account or one of its operations, read
/// together by one query (see [`Ningipoints::get_account_with_operations`](crate::Ningipoints::get_account_with_operations)).
#[derive(Debug, Clone, PartialEq, Eq, Collection)]
pub enum AccountItem {
    /// The account item, `SK=ACCOUNT`.
    Account(Account),
    /// An operation item, `SK=OPERATION#<created_at>`.
    Operation(Operation),
}

/// An account with its operations, oldest first.
///
/// Its JSON form is the account's, with `"operations"`: an array of operations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountWithOperations {
    /// The account.
    #[serde(flatten)]
    pub account: Account,
    /// Its operations, oldest first.
    pub operations: Vec<Operation>,
}
