//! The one error type of dynaschema.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

/// Everything that can go wrong in dynaschema, with variants a caller can match on.
///
/// Each message says what happened, to what, and what to do next.
///
/// ```
/// use dynaschema::{Error, Schema};
///
/// let err = Schema::parse("[table]\nnme = \"x\"\n", "schema.toml").unwrap_err();
/// match err {
///     Error::Schema { line, column, .. } => assert_eq!((line, column), (2, 1)),
///     other => panic!("unexpected error: {other}"),
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A schema file is malformed or breaks one of DynamoDB's rules.
    #[error("{}:{line}:{column}: {message}", file.display())]
    Schema {
        /// The file, as it was named to [`Schema::load`](crate::Schema::load).
        file: PathBuf,
        /// 1-based line of the offending text.
        line: usize,
        /// 1-based column (in characters) of the offending text.
        column: usize,
        /// What is wrong and what was expected.
        message: String,
    },

    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },

    /// A table, index or attribute name breaks DynamoDB's naming rules.
    #[error("invalid {kind} name `{name}`: {reason}")]
    InvalidName {
        /// `table`, `index` or `attribute`.
        kind: &'static str,
        /// The name as given.
        name: String,
        /// The rule it breaks.
        reason: String,
    },

    /// The client configuration cannot be used as it is.
    #[error("{0}")]
    Config(String),

    /// Nothing answered at the endpoint, or the connection failed.
    #[error(
        "cannot reach DynamoDB at {endpoint}: {cause}. Is a server running there? \
         For a local one, run dynaschema-local (dynaschema's `local` feature) or start a \
         dynaschema::local::LocalServer"
    )]
    Unreachable {
        /// The endpoint that was tried.
        endpoint: String,
        /// What the connection attempt reported.
        cause: String,
    },

    /// A key cannot be made from its values; nothing was sent.
    #[error(transparent)]
    InvalidKey(#[from] KeyError),

    /// An entity cannot be written as an item: a field's value cannot be stored.
    #[error("cannot store {entity}.{attribute}: {message}")]
    Encode {
        /// The entity type, such as `Account`.
        entity: &'static str,
        /// The attribute name.
        attribute: &'static str,
        /// Why.
        message: String,
    },

    /// An item cannot be read as an entity: an attribute is missing or holds something
    /// else than the field's type.
    #[error("cannot read {entity} from the item: attribute `{attribute}`: {message}")]
    Decode {
        /// The entity type, such as `Account`.
        entity: &'static str,
        /// The attribute name.
        attribute: &'static str,
        /// What was expected and what was found.
        message: String,
    },

    /// A condition or update cannot be built: a value cannot be stored, or the update
    /// changes nothing. Nothing was sent.
    #[error("invalid expression on attribute `{attribute}`: {message}")]
    InvalidExpression {
        /// The attribute the value was for.
        attribute: &'static str,
        /// Why.
        message: String,
    },

    /// An update cannot keep an index key of the entity in step with the fields it
    /// changes. Nothing was sent.
    #[error("cannot update {entity} {key}: index `{index}`: {message}; nothing was sent")]
    IndexKey {
        /// The entity type, such as `Customer`.
        entity: &'static str,
        /// The index, such as `GSI2`.
        index: &'static str,
        /// The key of the item the update was for.
        key: String,
        /// What is missing or wrong, and what to do.
        message: String,
    },

    /// The table does not exist at the endpoint.
    #[error("table `{table}` does not exist at {endpoint}; create it from its schema.toml first (`apply`)")]
    TableMissing {
        /// The table name.
        table: String,
        /// The endpoint that was asked.
        endpoint: String,
    },

    /// A table or index did not become ACTIVE within the allowed time.
    #[error(
        "{what} was still {status} after {waited:.0?}; \
         it may still finish: run the command again later to wait for it"
    )]
    Timeout {
        /// The table or index waited for.
        what: String,
        /// Its last status.
        status: String,
        /// How long the wait lasted.
        waited: Duration,
    },

    /// A put that must not overwrite found an item with the same key. Nothing was written.
    #[error(
        "{entity} {key} already exists in table `{table}`: nothing was written; \
         read or update the existing item instead"
    )]
    AlreadyExists {
        /// The entity type, such as `Account`.
        entity: &'static str,
        /// The key, as `PK=ACCOUNT#123, SK=ACCOUNT`.
        key: String,
        /// The table.
        table: String,
    },

    /// A conditional write's condition did not hold. Nothing was written.
    #[error(
        "the condition on {entity} {key} in table `{table}` did not hold: nothing was \
         written; read the item to see its current state"
    )]
    ConditionFailed {
        /// The entity type, such as `Account`.
        entity: &'static str,
        /// The key, as `PK=ACCOUNT#123, SK=ACCOUNT`.
        key: String,
        /// The table.
        table: String,
    },

    /// An update found no item to change. Nothing was written.
    #[error(
        "{entity} {key} does not exist in table `{table}`: nothing was updated; create it first"
    )]
    NotFound {
        /// The entity type, such as `Account`.
        entity: &'static str,
        /// The key, as `PK=ACCOUNT#123, SK=ACCOUNT`.
        key: String,
        /// The table.
        table: String,
    },

    /// A transaction was canceled: nothing it held was written.
    #[error(
        "transaction canceled, nothing was written: {}; fix the failing items or retry",
        describe_reasons(.reasons)
    )]
    TransactionCanceled {
        /// Why, for each item that failed, in the transaction's order.
        reasons: Vec<CancelReason>,
    },

    /// A write may or may not have been applied: an attempt reached DynamoDB and no
    /// definite answer came back (the connection was lost, the request timed out, or
    /// DynamoDB answered with a server error), and the retries did not settle it.
    #[error(
        "{operation} on {key} in table `{table}` may or may not have been applied: {cause}. \
         Read the item to see whether it was written before writing again"
    )]
    OutcomeUnknown {
        /// The API operation, such as `PutItem` or `TransactWriteItems`.
        operation: &'static str,
        /// The key written, as `PK=ACCOUNT#123, SK=ACCOUNT` (a transaction's keys, `; `
        /// between them).
        key: String,
        /// The table.
        table: String,
        /// What the last attempt reported.
        cause: String,
    },

    /// A transaction cannot be sent as it is. Nothing was sent.
    #[error("invalid transaction, nothing was sent: {message}")]
    InvalidTransaction {
        /// What is wrong.
        message: String,
    },

    /// A batch left items unprocessed after every retry, because DynamoDB was throttling.
    /// The other items were processed.
    #[error(
        "{operation} on table `{table}` left {} item(s) unprocessed after {attempts} attempt(s): \
         {}; retry them later, or raise the table's capacity",
        keys.len(),
        describe_keys(.keys)
    )]
    Unprocessed {
        /// `BatchGetItem` or `BatchWriteItem`.
        operation: &'static str,
        /// The table.
        table: String,
        /// The keys of the unprocessed items, as `PK=ACCOUNT#123, SK=ACCOUNT`.
        keys: Vec<String>,
        /// How many times they were sent.
        attempts: u32,
    },

    /// A query names an index the schema does not declare, or asks it for something it
    /// has not. Nothing was sent.
    #[error("index `{index}` of table `{table}`: {message}")]
    Index {
        /// The index name.
        index: String,
        /// The table.
        table: String,
        /// What is wrong, and what to do.
        message: String,
    },

    /// A write of a versioned entity (`#[dynamo(version)]`) found the item at another
    /// version than the one it was given: another writer changed it since it was read
    /// (or, for a put of version 0, it exists already). Nothing was written.
    #[error(
        "{entity} {key} in table `{table}` is at version {}, not {expected}: another writer \
         changed it since it was read; read it again and redo the change",
        found.map_or_else(|| "none (there is no item)".to_owned(), |v| v.to_string())
    )]
    VersionConflict {
        /// The entity type.
        entity: &'static str,
        /// The item's key.
        key: String,
        /// The table.
        table: String,
        /// The version the write was given.
        expected: u64,
        /// The version stored, read back with the refusal; `None` when there is no item.
        found: Option<u64>,
    },

    /// A write would give a unique field (`#[dynamo(unique)]`) a value another item
    /// holds: its guard item names another holder. Nothing was written.
    #[error(
        "{entity} {field} {value:?} is already in use{}, in table `{table}`: nothing was \
         written",
        holder.as_ref().map(|h| format!(" by {h}")).unwrap_or_default()
    )]
    UniqueViolation {
        /// The entity type.
        entity: &'static str,
        /// The unique field's attribute.
        field: &'static str,
        /// The value, as its guard holds it (a number's text for a number).
        value: String,
        /// The key of the item holding the value, as its guard records it.
        holder: Option<Box<Holder>>,
        /// The table.
        table: String,
    },

    /// Other writers changed the unique values a write read before every one of its
    /// attempts. Nothing was written; try again.
    #[error(
        "other writers changed the unique values of {keys} in table {table} before each of \
         {attempts} attempts; nothing was written, try again"
    )]
    Contended {
        /// The keys of the transaction's writes.
        keys: String,
        /// The table.
        table: String,
        /// How many attempts were made.
        attempts: u32,
    },

    /// What the table holds does not allow the work asked of it, such as a data
    /// migration making a field unique over items that share a value: the message says
    /// what conflicts and what to do.
    #[error("{message}")]
    DataConflict {
        /// What conflicts, and what to do.
        message: String,
    },

    /// An update of a versioned entity names neither the version it read nor that the
    /// check is skipped. Nothing was sent.
    #[error(
        "{entity} is versioned: an update of {key} needs the version read, \
         `u.expect_version(n)`, or `u.skip_version_check()` to write over any version"
    )]
    VersionMissing {
        /// The entity type.
        entity: &'static str,
        /// The item's key.
        key: String,
    },

    /// A batch write cannot hold this write. Nothing was sent.
    #[error("invalid batch write: {message}")]
    InvalidBatch {
        /// Why, and what to do instead.
        message: String,
    },

    /// An upsert, which may create the item, leaves fields without a value that the
    /// entity cannot do without. Nothing was sent.
    #[error(
        "an upsert of {entity} {key} may create the item, so it gives every field that \
         cannot be absent a value (set, set_if_not_exists or add): {} missing",
        quoted(missing)
    )]
    UpsertIncomplete {
        /// The entity type.
        entity: &'static str,
        /// The item's key.
        key: String,
        /// The attributes without a value.
        missing: Vec<&'static str>,
    },

    /// A collection was asked to read a partition that not all of its members share.
    /// Nothing was sent.
    #[error("collection {collection}: {message}")]
    Collection {
        /// The collection type.
        collection: &'static str,
        /// Which member does not share the partition.
        message: String,
    },

    /// A query cannot be sent as asked, such as a sort-key range whose low bound sorts
    /// after its high one. Nothing was sent.
    #[error("invalid query, nothing was sent: {message}")]
    InvalidQuery {
        /// Why, and what to do.
        message: String,
    },

    /// A cursor given to a read is not one of its pages' cursors: made by another read,
    /// or altered. Nothing was sent.
    #[error("invalid cursor: {message}")]
    InvalidCursor {
        /// Why, and what to do.
        message: String,
    },

    /// The schema asks for a change DynamoDB cannot make to an existing table: its key
    /// schema or its local secondary indexes. Nothing was changed.
    #[error(
        "table `{table}` cannot be brought to the schema in place: {}. DynamoDB fixes a \
         table's keys and local secondary indexes when it creates the table: create a new \
         table from the schema (on the command line, `apply --table NEW_NAME`), copy the items \
         into it and switch to it, or change the schema back",
        reasons.join("; ")
    )]
    NotInPlace {
        /// The table.
        table: String,
        /// Each difference that cannot be applied.
        reasons: Vec<String>,
    },

    /// Applying the plan would remove something and destructive steps were not allowed.
    /// Nothing was changed.
    #[error(
        "table `{table}`: the plan has {} destructive step(s), not allowed, so nothing was \
         changed: {}. Review them in the plan (the command line's `plan`), then allow them \
         (`apply --allow-destructive`, or ApplyOptions::allow_destructive in code)",
        steps.len(),
        steps.join("; ")
    )]
    Destructive {
        /// The table.
        table: String,
        /// The destructive steps, as the plan shows them.
        steps: Vec<String>,
    },

    /// Another runner holds the data migration lease.
    #[error(
        "data migrations of table {table} are being run by {holder} (its lease expires in \
         {}s unless renewed); wait for it to finish, or run again with a wait",
        expires_in.as_secs()
    )]
    MigrationLocked {
        /// The table.
        table: String,
        /// Who holds the lease: host and process id.
        holder: String,
        /// How long until the lease expires, unless its holder renews it.
        expires_in: Duration,
    },

    /// An applied migration's code has changed since it was applied.
    #[error(
        "data migration {id} ({description}) was applied with checksum {recorded}, but its \
         code now has checksum {current}; restore the code as it was applied, and put the \
         change in a new migration"
    )]
    MigrationModified {
        /// The migration's id.
        id: u32,
        /// Its recorded description.
        description: String,
        /// The checksum recorded when it was applied.
        recorded: String,
        /// The checksum of its code now.
        current: String,
    },

    /// A migration recorded as applied is not among the known migrations.
    #[error(
        "data migration {id} ({description}) is recorded as applied but is not among the \
         known migrations; restore it in the code"
    )]
    MigrationMissing {
        /// The migration's id.
        id: u32,
        /// Its recorded description.
        description: String,
    },

    /// A migration's body failed: it was not recorded, and runs again next time.
    #[error("data migration {id} ({description}) failed and was not recorded: {source}")]
    MigrationFailed {
        /// The migration's id.
        id: u32,
        /// Its description.
        description: &'static str,
        /// Why.
        #[source]
        source: Box<Error>,
    },

    /// The lease was lost while a migration ran (a renewal failed or it expired), so the
    /// migration was not recorded; another runner may be running it.
    #[error(
        "the data migration lease of {holder} was lost while migration {id} ran, so it was \
         not recorded; run again (a longer lease helps if the runner was starved)"
    )]
    MigrationLeaseLost {
        /// The migration's id.
        id: u32,
        /// This runner's name.
        holder: String,
    },

    /// DynamoDB answered with an error not covered by a more specific variant.
    #[error("DynamoDB refused {operation}: {}", service_message(.source))]
    Service {
        /// The API operation, such as `CreateTable`.
        operation: &'static str,
        /// The SDK's error: the escape hatch to everything DynamoDB said.
        #[source]
        source: Box<aws_sdk_dynamodb::Error>,
    },
}

/// A shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn service_message(err: &aws_sdk_dynamodb::Error) -> String {
    match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => aws_sdk_dynamodb::error::DisplayErrorContext(err).to_string(),
    }
}

impl Error {
    /// Maps an SDK error: a failure to connect becomes [`Error::Unreachable`] naming
    /// `endpoint`, everything else [`Error::Service`].
    pub(crate) fn from_sdk<E, R>(
        operation: &'static str,
        endpoint: &str,
        err: SdkError<E, R>,
    ) -> Self
    where
        aws_sdk_dynamodb::Error: From<SdkError<E, R>>,
        E: std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        match &err {
            SdkError::DispatchFailure(failure) => Error::Unreachable {
                endpoint: endpoint.to_owned(),
                cause: connector_cause(failure.as_connector_error()),
            },
            SdkError::TimeoutError(_) => Error::Unreachable {
                endpoint: endpoint.to_owned(),
                cause: "the connection timed out".to_owned(),
            },
            _ => Error::Service {
                operation,
                source: Box::new(aws_sdk_dynamodb::Error::from(err)),
            },
        }
    }
}

/// The innermost cause of a connection failure ("Connection refused (os error 111)"),
/// which says more than the SDK's "dispatch failure".
fn connector_cause(err: Option<&aws_smithy_runtime_api::client::result::ConnectorError>) -> String {
    let Some(err) = err else {
        return "the request could not be sent".to_owned();
    };
    let mut cause: &dyn std::error::Error = err;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_io() {
        "connection failed"
    } else {
        "request failed"
    };
    format!("{kind} ({cause})")
}

/// `` `a`, `b` ``: names listed in a message.
pub(crate) fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The item holding a unique value, as its guard records it: its primary key.
///
/// ```
/// use dynaschema::unique::Holder;
///
/// let holder = Holder {
///     partition_key: ("PK".to_owned(), "ACCOUNT#7".to_owned()),
///     sort_key: Some(("SK".to_owned(), "ACCOUNT".to_owned())),
/// };
/// assert_eq!(holder.to_string(), "PK=ACCOUNT#7, SK=ACCOUNT");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// The partition key's attribute and value: `("PK", "ACCOUNT#7")`.
    pub partition_key: (String, String),
    /// The sort key's attribute and value, in a table with a sort key.
    pub sort_key: Option<(String, String)>,
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, value) = &self.partition_key;
        write!(f, "{name}={value}")?;
        if let Some((name, value)) = &self.sort_key {
            write!(f, ", {name}={value}")?;
        }
        Ok(())
    }
}

/// Why DynamoDB canceled a transaction, for one of its items.
#[derive(Debug, Clone, PartialEq)]
pub struct CancelReason {
    /// The item's position in the transaction, from 0, in the order it was added.
    pub index: usize,
    /// The item's entity type, such as `Account`.
    pub entity: &'static str,
    /// The item's key, as `PK=ACCOUNT#123, SK=ACCOUNT`.
    pub key: String,
    /// DynamoDB's code, such as `ConditionalCheckFailed` or `TransactionConflict`.
    pub code: String,
    /// DynamoDB's message, if it gave one.
    pub message: Option<String>,
    /// For a failed condition, the item as it was when the condition was checked, or
    /// `None` when there was no such item.
    pub item: Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>>,
}

impl std::fmt::Display for CancelReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "item {} ({} {}): {}",
            self.index, self.entity, self.key, self.code
        )?;
        match &self.message {
            Some(message) => write!(f, " ({message})"),
            None => Ok(()),
        }
    }
}

pub(crate) fn describe_reasons(reasons: &[CancelReason]) -> String {
    if reasons.is_empty() {
        return "DynamoDB gave no reason".to_owned();
    }
    reasons
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The first keys of a list, for a message: `PK=A, SK=1; PK=B, SK=2 and 3 more`.
pub(crate) fn describe_keys(keys: &[String]) -> String {
    const SHOWN: usize = 5;
    let shown = keys
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("; ");
    match keys.len().saturating_sub(SHOWN) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

/// A key that cannot be made: a placeholder value contains its template's delimiter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid key for template {template}: field `{field}`: {reason}")]
pub struct KeyError {
    /// The template, such as `ACCOUNT#{id}`.
    pub template: String,
    /// The placeholder's field.
    pub field: String,
    /// What is wrong with its value.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_show_the_first_keys() {
        let keys: Vec<String> = (0..7).map(|i| format!("PK={i}")).collect();
        assert_eq!(describe_keys(&keys[..2]), "PK=0; PK=1");
        assert_eq!(
            describe_keys(&keys),
            "PK=0; PK=1; PK=2; PK=3; PK=4 and 2 more"
        );
    }
}
