//! [`Table`]: one DynamoDB table of a [`Schema`], reached through a [`Connection`]. The
//! typed operations on it live in [`ops`](crate::ops), one module per concept.

use std::sync::Arc;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use crate::client::Connection;
use crate::error::Error;
use crate::item::Item;
use crate::ops::retry::RetryPolicy;
use crate::outcome::{may_have_applied, Attempts};
use crate::schema::Schema;

/// A table: where typed operations start.
///
/// Cloning is cheap: the SDK client and the schema are shared.
///
/// ```no_run
/// # async fn run() -> dynaschema::Result<()> {
/// use dynaschema::{ClientConfig, Schema, Table};
///
/// let connection = ClientConfig::local().connect().await?;
/// let table = Table::new(connection, Schema::load("schema.toml")?).with_name("dev-ningipoints");
/// assert_eq!(table.name(), "dev-ningipoints");
/// // The escape hatch: the SDK client, for anything the typed operations do not cover.
/// let described = table.client().describe_table().table_name(table.name()).send().await;
/// # let _ = described;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Table {
    connection: Connection,
    schema: Arc<Schema>,
    retry: RetryPolicy,
}

impl Table {
    /// The table `schema` declares, reached through `connection`.
    pub fn new(connection: Connection, schema: Schema) -> Table {
        Table {
            connection,
            schema: Arc::new(schema),
            retry: RetryPolicy::default(),
        }
    }

    /// The same table under another name, such as `dev-ningipoints` or a test's own.
    /// The name is checked by DynamoDB, at the first request.
    pub fn with_name(mut self, name: impl Into<String>) -> Table {
        Arc::make_mut(&mut self.schema).table.name = name.into();
        self
    }

    /// How batches and transactions retry what DynamoDB did not process.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Table {
        self.retry = retry;
        self
    }

    /// The table name requests are sent to.
    pub fn name(&self) -> &str {
        &self.schema.table.name
    }

    /// The schema: the table's keys and indexes.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The connection: the SDK client and the endpoint it talks to.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// The SDK client: the escape hatch to every DynamoDB operation.
    pub fn client(&self) -> &aws_sdk_dynamodb::Client {
        self.connection.client()
    }

    /// The retry policy of batches and transactions.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Maps an SDK error of `operation` on this table: a missing table becomes
    /// [`Error::TableMissing`], the rest goes through [`Error::from_sdk`].
    pub(crate) fn sdk_error<E, R>(&self, operation: &'static str, err: SdkError<E, R>) -> Error
    where
        aws_sdk_dynamodb::Error: From<SdkError<E, R>>,
        E: std::error::Error + ProvideErrorMetadata + 'static,
        R: std::fmt::Debug,
    {
        if error_code(&err) == Some("ResourceNotFoundException") {
            return Error::TableMissing {
                table: self.name().to_owned(),
                endpoint: self.connection.endpoint().to_owned(),
            };
        }
        Error::from_sdk(operation, self.connection.endpoint(), err)
    }

    /// The error of a write whose request failed: [`Error::OutcomeUnknown`] when one of
    /// its `attempts`, or the last, may have been applied, else as
    /// [`sdk_error`](Self::sdk_error) says.
    pub(crate) fn write_error<E>(
        &self,
        operation: &'static str,
        key: String,
        attempts: &Attempts,
        err: SdkError<E, HttpResponse>,
    ) -> Error
    where
        aws_sdk_dynamodb::Error: From<SdkError<E, HttpResponse>>,
        E: std::error::Error + ProvideErrorMetadata + 'static,
    {
        let open = attempts.maybe_applied() || may_have_applied(&err);
        let err = self.sdk_error(operation, err);
        if open {
            self.outcome_unknown(operation, key, &err)
        } else {
            err
        }
    }

    /// [`Error::OutcomeUnknown`] of a write of `key`, caused by `cause`.
    pub(crate) fn outcome_unknown(
        &self,
        operation: &'static str,
        key: String,
        cause: &Error,
    ) -> Error {
        Error::OutcomeUnknown {
            operation,
            key,
            table: self.name().to_owned(),
            cause: cause.to_string(),
        }
    }

    /// The primary key of a stored item, from the schema's key attributes.
    pub(crate) fn key_of(&self, item: &Item) -> Item {
        self.key_names()
            .filter_map(|name| Some((name.to_owned(), item.get(name)?.clone())))
            .collect()
    }

    /// `PK=ACCOUNT#123, SK=ACCOUNT`: an item's primary key as messages show it, the same
    /// text as a [`Key`](crate::Key)'s `Display`.
    pub(crate) fn key_text(&self, item: &Item) -> String {
        let parts: Vec<String> = self
            .key_names()
            .map(|name| match item.get(name) {
                Some(AttributeValue::S(value)) => format!("{name}={value}"),
                Some(AttributeValue::N(value)) => format!("{name}={value}"),
                Some(other) => format!("{name}={}", crate::attribute::describe(other)),
                None => format!("{name}=<missing>"),
            })
            .collect();
        parts.join(", ")
    }

    /// The table's key attribute names: the partition key, then the sort key if any.
    pub(crate) fn key_names(&self) -> impl Iterator<Item = &str> {
        let table = &self.schema.table;
        std::iter::once(table.partition_key.name.as_str())
            .chain(table.sort_key.as_ref().map(|k| k.name.as_str()))
    }

    /// The table's time-to-live attribute, for reads that leave out expired items: an
    /// [`Error::Config`] naming the fix when schema.toml sets none.
    pub(crate) fn ttl_attribute(&self) -> crate::error::Result<&str> {
        self.schema.table.ttl_attribute.as_deref().ok_or_else(|| {
            Error::Config(format!(
                "table `{}` has no time to live: skip_expired() reads its `ttl_attribute`, \
                 which schema.toml sets in [table]",
                self.name()
            ))
        })
    }

    /// The filter clause that leaves out items whose time to live has passed: written
    /// with `expression`'s placeholders.
    pub(crate) fn unexpired(
        &self,
        expression: &mut crate::expr::Expression,
    ) -> crate::error::Result<String> {
        let name = expression.name(self.ttl_attribute()?);
        let now = expression.value(aws_sdk_dynamodb::types::AttributeValue::N(
            crate::expiry::now_seconds().to_string(),
        ));
        Ok(format!("(attribute_not_exists({name}) OR {name} > {now})"))
    }

    /// The key attributes that say where a read of the table or of `index` goes on from
    /// (its `ExclusiveStartKey`): the table's keys, and the index's.
    pub(crate) fn cursor_keys(&self, index: Option<&str>) -> Vec<String> {
        let mut names: Vec<String> = self.key_names().map(str::to_owned).collect();
        if let Some(index) = index.and_then(|name| self.schema.secondary_index(name)) {
            for key in std::iter::once(index.partition_key).chain(index.sort_key) {
                if !names.contains(&key.name) {
                    names.push(key.name.clone());
                }
            }
        }
        names
    }
}

/// The error code DynamoDB answered with, such as `ConditionalCheckFailedException`.
pub(crate) fn error_code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    err.as_service_error().and_then(|e| e.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version_latest()
            .build();
        let connection =
            Connection::from_client(aws_sdk_dynamodb::Client::from_conf(config), "nowhere");
        let schema = Schema::parse(
            "[table]\nname = \"things\"\npartition_key = { name = \"PK\", type = \"S\" }\n\
             sort_key = { name = \"n\", type = \"N\" }\n",
            "schema.toml",
        )
        .unwrap();
        Table::new(connection, schema)
    }

    #[test]
    fn keys_of_items_are_read_with_the_schema() {
        let table = table();
        let item: Item = [
            ("PK".to_owned(), AttributeValue::S("A#1".into())),
            ("n".to_owned(), AttributeValue::N("7".into())),
            ("other".to_owned(), AttributeValue::Bool(true)),
        ]
        .into();
        assert_eq!(table.key_text(&item), "PK=A#1, n=7");
        assert_eq!(table.key_of(&item).len(), 2);
        assert!(!table.key_of(&item).contains_key("other"));
        assert_eq!(table.key_text(&Item::new()), "PK=<missing>, n=<missing>");
    }

    #[test]
    fn a_renamed_table_keeps_its_schema() {
        let table = table().with_name("things-dev");
        assert_eq!(table.name(), "things-dev");
        assert_eq!(table.schema().table.name, "things-dev");
        assert_eq!(table.schema().table.partition_key.name, "PK");
        assert_eq!(table.connection().endpoint(), "nowhere");
    }
}
