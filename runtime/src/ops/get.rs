//! Reading one item by its key.

use std::future::IntoFuture;

use aws_sdk_dynamodb::error::SdkError;
use futures::future::BoxFuture;

use crate::attribute::Attribute;
use crate::error::Result;
use crate::expiry::Expiry;
use crate::expr::Expression;
use crate::item::{Entity, Item};
use crate::key::Key;
use crate::ops::key_schema::key_item;
use crate::ops::retry::resend_after;
use crate::table::Table;

/// A GetItem of one entity, made by [`Table::get`]; `.await` sends it.
#[must_use = "an operation does nothing until it is awaited"]
pub struct GetItem<'a, E> {
    table: &'a Table,
    key: Key<E>,
    consistent: bool,
    skip_expired: bool,
}

impl Table {
    /// Reads the item of `key`: `None` when there is none.
    ///
    /// ```no_run
    /// # async fn run<E: dynaschema::Entity + Send>(table: &dynaschema::Table, key: dynaschema::Key<E>) -> dynaschema::Result<()> {
    /// let found: Option<E> = table.get(key).consistent().await?;
    /// # Ok(()) }
    /// ```
    pub fn get<E: Entity>(&self, key: Key<E>) -> GetItem<'_, E> {
        GetItem {
            table: self,
            key,
            consistent: false,
            skip_expired: false,
        }
    }
}

impl<E: Entity + Send> GetItem<'_, E> {
    /// Reads with strong consistency: sees every write that succeeded before.
    pub fn consistent(mut self) -> Self {
        self.consistent = true;
        self
    }

    /// Answers `None` for an item whose time to live (the schema's `ttl_attribute`) has
    /// passed, which DynamoDB may take days to delete. A table without `ttl_attribute`
    /// is an [`Error::Config`](crate::Error::Config), before any request.
    pub fn skip_expired(mut self) -> Self {
        self.skip_expired = true;
        self
    }

    /// Sends the request; the same as `.await`. A read is safe to repeat: when the
    /// SDK's retries end throttled or unanswered, it is sent again within the table's
    /// [retry budget](crate::ops::RetryPolicy::budget).
    pub async fn send(self) -> Result<Option<E>> {
        let ttl = match self.skip_expired {
            true => Some(self.table.ttl_attribute()?.to_owned()),
            false => None,
        };
        let request = |key| {
            self.table
                .client()
                .get_item()
                .table_name(self.table.name())
                .set_key(Some(key))
                .consistent_read(self.consistent)
                .send()
        };
        let output = match request(key_item(self.table, &self.key)?).await {
            Ok(output) => output,
            Err(err) => {
                // A retry makes its request again, from the key: no copy is kept for it.
                let again = || {
                    let key = self.key.to_item();
                    async move {
                        match key {
                            Ok(key) => request(key).await,
                            Err(err) => Err(SdkError::construction_failure(err)),
                        }
                    }
                };
                Box::pin(resend_after(
                    self.table.retry_policy(),
                    "GetItem",
                    err,
                    again,
                ))
                .await
                .map_err(|err| self.table.sdk_error("GetItem", err))?
            }
        };
        let expired = |item: &crate::item::Item| {
            ttl.as_deref()
                .and_then(|ttl| item.get(ttl))
                .is_some_and(|value| Expiry::from_value(value).is_ok_and(|expiry| expiry.is_past()))
        };
        output
            .item
            .as_ref()
            .filter(|item| !expired(item))
            .map(E::from_item)
            .transpose()
    }
}

/// A consistent read of the item of `key`, of the attributes `projected` names (all
/// when empty), retried as the table's gets are: what a write reads before it writes.
pub(crate) async fn read_consistently(
    table: &Table,
    key: &Item,
    projected: &[&str],
) -> Result<Option<Item>> {
    let mut expression = Expression::default();
    let projection: Vec<String> = projected.iter().map(|a| expression.name(a)).collect();
    let (names, _) = expression.into_placeholders();
    let request = || {
        table
            .client()
            .get_item()
            .table_name(table.name())
            .set_key(Some(key.clone()))
            .consistent_read(true)
            .set_projection_expression((!projection.is_empty()).then(|| projection.join(", ")))
            .set_expression_attribute_names(names.clone())
            .send()
    };
    let output = match request().await {
        Ok(output) => output,
        Err(err) => Box::pin(resend_after(table.retry_policy(), "GetItem", err, request))
            .await
            .map_err(|err| table.sdk_error("GetItem", err))?,
    };
    Ok(output.item)
}

impl<'a, E: Entity + Send + 'a> IntoFuture for GetItem<'a, E> {
    type Output = Result<Option<E>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
