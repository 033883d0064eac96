//! Changing one existing item with an [`Update`], and reading it back as it is after.

use std::future::IntoFuture;

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
use futures::future::BoxFuture;

use crate::error::{Error, Result};
use crate::expr::{Expression, Update};
use crate::item::{Entity, Item};
use crate::key::Key;
use crate::table::{error_code, Table};

/// An UpdateItem of one entity, made by [`Table::update`]; `.await` sends it and
/// answers the entity as it is after the update.
#[must_use = "an operation does nothing until it is awaited"]
pub struct UpdateItem<'a, E> {
    table: &'a Table,
    key: Key<E>,
    update: Update<E>,
}

impl Table {
    /// Changes the existing item of `key` as `build` says, and answers it as it is
    /// after. The item must exist (else [`Error::NotFound`]), and the update's
    /// [`require`](Update::require)d conditions hold (else [`Error::ConditionFailed`]).
    ///
    /// ```no_run
    /// # use dynaschema::{Attr, Entity, Key, Table};
    /// # async fn run<A: Entity + Send>(table: &Table, key: Key<A>, balance: Attr<A, i64>) -> dynaschema::Result<()> {
    /// let account: A = table
    ///     .update(key, |u| u.add(balance, -50).require(balance.ge(50)))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn update<E: Entity>(
        &self,
        key: Key<E>,
        build: impl FnOnce(Update<E>) -> Update<E>,
    ) -> UpdateItem<'_, E> {
        UpdateItem {
            table: self,
            key,
            update: build(Update::new()),
        }
    }
}

impl<E: Entity + Send> UpdateItem<'_, E> {
    /// Sends the request; the same as `.await`.
    pub async fn send(self) -> Result<E> {
        let attributes = self.request(ReturnValue::AllNew).await?;
        E::from_item(&attributes.unwrap_or_default())
    }

    /// Sends the request without reading the item back (`ReturnValues` `NONE`): for
    /// bulk work that has no use for the entity, whose answer is then only the status.
    /// Errors are those of `.await`.
    ///
    /// ```no_run
    /// # use dynaschema::{Attr, Entity, Key, Table};
    /// # async fn run<A: Entity + Send>(table: &Table, key: Key<A>, balance: Attr<A, i64>) -> dynaschema::Result<()> {
    /// table
    ///     .update(key, |u| u.set(balance, 120).require(balance.eq(100)))
    ///     .apply()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn apply(self) -> Result<()> {
        self.request(ReturnValue::None).await.map(drop)
    }

    /// Sends the UpdateItem, answering the attributes `returned` asks for.
    async fn request(&self, returned: ReturnValue) -> Result<Option<Item>> {
        let key = self.key.to_item()?;
        let (update, condition, expression) = update_expressions(&self.key, &self.update)?;
        let (names, values) = expression.into_placeholders();
        let result = self
            .table
            .client()
            .update_item()
            .table_name(self.table.name())
            .set_key(Some(key))
            .update_expression(update)
            .condition_expression(condition)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .return_values(returned)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => Ok(output.attributes),
            Err(err) if error_code(&err) == Some("ConditionalCheckFailedException") => {
                let existed = matches!(
                    err.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(e)) if e.item.is_some()
                );
                let (entity, key, table) = (
                    E::ENTITY_NAME,
                    self.key.to_string(),
                    self.table.name().to_owned(),
                );
                // Without a required condition, only the item's existence can have failed.
                let required = self.update.condition().is_some();
                Err(if existed && required {
                    Error::ConditionFailed { entity, key, table }
                } else {
                    Error::NotFound { entity, key, table }
                })
            }
            Err(err) => Err(self.table.sdk_error("UpdateItem", err)),
        }
    }
}

/// The update and condition expressions of an update of the existing item of `key`:
/// the condition always requires the item to exist, so that an update never creates a
/// partial item.
pub(crate) fn update_expressions<E>(
    key: &Key<E>,
    update: &Update<E>,
) -> Result<(String, String, Expression)> {
    let (pk, _) = key.partition_key()?;
    let mut expression = Expression::default();
    let text = expression.update(update)?;
    let condition = expression.existing_and(pk, update.condition())?;
    Ok((text, condition, expression))
}

impl<'a, E: Entity + Send + 'a> IntoFuture for UpdateItem<'a, E> {
    type Output = Result<E>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
