//! Writing one item: plainly, only when it does not exist yet, or under a condition.

use std::future::IntoFuture;

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use futures::future::BoxFuture;

use crate::error::{Error, Result};
use crate::expr::{Condition, RequestCondition};
use crate::item::Entity;
use crate::outcome::{same_item, Attempts};
use crate::table::{error_code, Table};

/// A PutItem of one entity, made by [`Table::put`]; `.await` sends it.
#[must_use = "an operation does nothing until it is awaited"]
pub struct PutItem<'a, E> {
    table: &'a Table,
    /// Borrowed until sent: its item is made then, and made again only to recognise
    /// this call's own earlier write, so that no copy is kept for that rare case.
    entity: &'a E,
    if_not_exists: bool,
    condition: Option<Condition<E>>,
}

impl Table {
    /// Writes `entity`, replacing any item with the same key.
    ///
    /// ```no_run
    /// # async fn run<E: dynaschema::Entity + Sync>(table: &dynaschema::Table, account: &E) -> dynaschema::Result<()> {
    /// use dynaschema::Error;
    ///
    /// match table.put(account).if_not_exists().await {
    ///     Ok(()) => println!("created"),
    ///     Err(Error::AlreadyExists { key, .. }) => println!("{key} is taken"),
    ///     Err(other) => return Err(other),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn put<'a, E: Entity>(&'a self, entity: &'a E) -> PutItem<'a, E> {
        PutItem {
            table: self,
            entity,
            if_not_exists: false,
            condition: None,
        }
    }
}

impl<E: Entity + Sync> PutItem<'_, E> {
    /// Writes only when no item has the key: else [`Error::AlreadyExists`].
    pub fn if_not_exists(mut self) -> Self {
        self.if_not_exists = true;
        self
    }

    /// Writes only when `condition` holds on the item now stored under the key: else
    /// [`Error::ConditionFailed`]. Several conditions must all hold.
    pub fn when(mut self, condition: Condition<E>) -> Self {
        self.condition = Some(Condition::conjoin(self.condition.take(), condition));
        self
    }

    /// Sends the request; the same as `.await`.
    ///
    /// When an attempt's answer was lost and the SDK's retry then fails the condition on
    /// the very item this call writes, that item is this call's own earlier attempt: the
    /// put succeeded. When retries end with the outcome still open, the error is
    /// [`Error::OutcomeUnknown`].
    pub async fn send(self) -> Result<()> {
        let item = self.entity.to_item()?;
        let has_other_condition = self.condition.is_some();
        let mut condition = self.condition;
        if self.if_not_exists {
            let absent = Condition::item_not_exists(E::PK_TEMPLATE.attribute());
            condition = Some(match condition {
                Some(existing) => absent.and(existing),
                None => absent,
            });
        }
        let condition = RequestCondition::new(condition.as_ref())?;
        let attempts = Attempts::new();
        let result = attempts
            .watch(
                self.table
                    .client()
                    .put_item()
                    .table_name(self.table.name())
                    .set_item(Some(item))
                    .set_condition_expression(condition.text)
                    .set_expression_attribute_names(condition.names)
                    .set_expression_attribute_values(condition.values)
                    .return_values_on_condition_check_failure(
                        ReturnValuesOnConditionCheckFailure::AllOld,
                    )
                    .send(),
            )
            .await;
        let (entity, key, table) = (
            E::ENTITY_NAME,
            self.entity.key().to_string(),
            self.table.name().to_owned(),
        );
        match result {
            Ok(_) => Ok(()),
            Err(err) if error_code(&err) == Some("ConditionalCheckFailedException") => {
                let stored = match err.as_service_error() {
                    Some(PutItemError::ConditionalCheckFailedException(e)) => e.item.as_ref(),
                    _ => None,
                };
                if let Some(stored) = stored.filter(|_| attempts.maybe_applied()) {
                    if same_item(stored, &self.entity.to_item()?) {
                        return Ok(());
                    }
                }
                // Without another condition, only the item's existence can have failed.
                let only_existence = self.if_not_exists && !has_other_condition;
                if only_existence || (self.if_not_exists && stored.is_some()) {
                    // Another item holds the key: this call's write did not land.
                    Err(Error::AlreadyExists { entity, key, table })
                } else if attempts.maybe_applied() {
                    let failed = Error::ConditionFailed {
                        entity,
                        key: key.clone(),
                        table,
                    };
                    Err(self.table.outcome_unknown("PutItem", key, &failed))
                } else {
                    Err(Error::ConditionFailed { entity, key, table })
                }
            }
            Err(err) => Err(self.table.write_error("PutItem", key, &attempts, err)),
        }
    }
}

impl<'a, E: Entity + Sync + 'a> IntoFuture for PutItem<'a, E> {
    type Output = Result<()>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
