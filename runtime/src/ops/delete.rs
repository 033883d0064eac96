//! Deleting one item, optionally under a condition.

use std::future::IntoFuture;

use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use futures::future::BoxFuture;

use crate::error::{Error, Result};
use crate::expr::{Condition, RequestCondition};
use crate::item::Entity;
use crate::key::Key;
use crate::ops::get::read_consistently;
use crate::ops::key_schema::key_item;
use crate::ops::retry::send_repeatable;
use crate::ops::transact::write_refused;
use crate::outcome::Attempts;
use crate::table::{error_code, Table};

/// A DeleteItem of one entity, made by [`Table::delete`]; `.await` sends it.
#[must_use = "an operation does nothing until it is awaited"]
pub struct DeleteItem<'a, E> {
    table: &'a Table,
    key: Key<E>,
    condition: Option<Condition<E>>,
}

impl Table {
    /// Deletes the item of `key`. Deleting an item that does not exist succeeds.
    pub fn delete<E: Entity>(&self, key: Key<E>) -> DeleteItem<'_, E> {
        DeleteItem {
            table: self,
            key,
            condition: None,
        }
    }
}

impl<E: Entity + Send> DeleteItem<'_, E> {
    /// Deletes only when `condition` holds on the stored item: else
    /// [`Error::ConditionFailed`]. Several conditions must all hold.
    pub fn when(mut self, condition: Condition<E>) -> Self {
        self.condition = Some(Condition::conjoin(self.condition.take(), condition));
        self
    }

    /// Sends the request; the same as `.await`.
    ///
    /// An entity with unique fields is deleted with its guards, in one transaction
    /// after a consistent read of its values.
    pub async fn send(self) -> Result<()> {
        if !E::UNIQUE.is_empty() {
            let (key, condition) = (self.key.clone(), self.condition.clone());
            let sent = self
                .table
                .transact()
                .delete_item(key, condition)
                .send()
                .await;
            return match sent {
                Err(err) if write_refused(&err).is_some() => Err(Error::ConditionFailed {
                    entity: E::ENTITY_NAME,
                    key: self.key.to_string(),
                    table: self.table.name().to_owned(),
                }),
                // No item is left after an attempt that may have deleted it (with its
                // guards, in one transaction): deleted, as a plain delete counts it.
                Err(err @ Error::OutcomeUnknown { .. }) => {
                    let key = self.key.to_item()?;
                    let pk = E::PK_TEMPLATE.attribute();
                    match read_consistently(self.table, &key, &[pk]).await? {
                        None => Ok(()),
                        Some(_) => Err(err),
                    }
                }
                sent => sent,
            };
        }
        let condition = RequestCondition::new(self.condition.as_ref())?;
        let attempts = Attempts::new();
        let request = self
            .table
            .client()
            .delete_item()
            .table_name(self.table.name())
            .set_key(Some(key_item(self.table, &self.key)?))
            .set_condition_expression(condition.text)
            .set_expression_attribute_names(condition.names)
            .set_expression_attribute_values(condition.values)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        // Deleting again is harmless: a retry that finds no item counts as done below.
        let send = || request.clone().send();
        let policy = self.table.retry_policy();
        let result = send_repeatable(policy, "DeleteItem", &attempts, send).await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if error_code(&err) == Some("ConditionalCheckFailedException") => {
                let stored = matches!(
                    err.as_service_error(),
                    Some(DeleteItemError::ConditionalCheckFailedException(e)) if e.item.is_some()
                );
                // No item is left after an attempt that may have deleted it: the retry's
                // condition failed on this call's own delete.
                if attempts.maybe_applied() && !stored {
                    return Ok(());
                }
                let failed = Error::ConditionFailed {
                    entity: E::ENTITY_NAME,
                    key: self.key.to_string(),
                    table: self.table.name().to_owned(),
                };
                Err(if attempts.maybe_applied() {
                    self.table
                        .outcome_unknown("DeleteItem", self.key.to_string(), &failed)
                } else {
                    failed
                })
            }
            Err(err) => {
                Err(self
                    .table
                    .write_error("DeleteItem", self.key.to_string(), &attempts, err))
            }
        }
    }
}

impl<'a, E: Entity + Send + 'a> IntoFuture for DeleteItem<'a, E> {
    type Output = Result<()>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
