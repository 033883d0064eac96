//! Writing one item: plainly, only when it does not exist yet, or under a condition.

use std::future::IntoFuture;

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use futures::future::BoxFuture;

use crate::error::{Error, Result};
use crate::expr::{Condition, RequestCondition};
use crate::item::{write_time, Entity};
use crate::ops::transact::write_refused;
use crate::ops::write::{version_conflict, written_item, VersionedWrite};
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
    skip_version: bool,
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
            skip_version: false,
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

    /// For a versioned entity (`#[dynamo(version)]`): writes over whatever version is
    /// stored, rather than only over the entity's own. The item is still written with
    /// the entity's next version.
    pub fn skip_version_check(mut self) -> Self {
        self.skip_version = true;
        self
    }

    /// Sends the request; the same as `.await`.
    ///
    /// For a versioned entity, the put requires the stored item to be at the entity's
    /// version (no item at all for version 0) and writes the next version; another is
    /// [`Error::VersionConflict`].
    ///
    /// When an attempt's answer was lost and the SDK's retry then fails the condition on
    /// the very item this call writes, that item is this call's own earlier attempt: the
    /// put succeeded. When retries end with the outcome still open, the error is
    /// [`Error::OutcomeUnknown`].
    pub async fn send(self) -> Result<()> {
        // One time for every attempt, so that a retry writes the same item.
        let now = write_time::<E>();
        let creates = self.if_not_exists;
        let written = || written_item(self.table, self.entity, self.skip_version, creates, now);
        if creates && E::VERSION.is_some() && self.entity.version() != 0 && !self.skip_version {
            // A new item is version 0: a later version cannot be created.
            return Err(Error::InvalidExpression {
                attribute: E::VERSION.unwrap_or_default(),
                message: format!(
                    "if_not_exists() creates the item, which is then written at version 0 \
                     of {}, not {}",
                    E::ENTITY_NAME,
                    self.entity.version()
                ),
            });
        }
        if !E::UNIQUE.is_empty() {
            return self.send_guarded().await;
        }
        let (item, version_condition) = written()?;
        let has_other_condition = self.condition.is_some();
        let mut condition = match version_condition {
            Some(version) => Some(Condition::conjoin(self.condition, version)),
            None => self.condition,
        };
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
                if let Some(stored) = stored.filter(|_| attempts.maybe_applied())
                    && same_item(stored, &written()?.0)
                {
                    return Ok(());
                }
                let required = E::VERSION
                    .filter(|_| !self.skip_version)
                    .map(|attribute| (entity, attribute, self.entity.version()));
                let conflict = required.and_then(|required| {
                    version_conflict(
                        VersionedWrite::Put,
                        required,
                        stored,
                        || key.clone(),
                        &table,
                    )
                });
                if let Some(conflict) = conflict
                    && !self.if_not_exists
                {
                    // An earlier attempt may have written before another writer did.
                    return Err(match attempts.maybe_applied() {
                        true => self.table.outcome_unknown("PutItem", key, &conflict),
                        false => conflict,
                    });
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

impl<E: Entity + Sync> PutItem<'_, E> {
    /// A put of an entity with unique fields: one transaction with their guards.
    async fn send_guarded(self) -> Result<()> {
        let has_other_condition = self.condition.is_some();
        let mut condition = self.condition;
        if self.if_not_exists {
            let absent = Condition::item_not_exists(E::PK_TEMPLATE.attribute());
            condition = Some(Condition::conjoin(condition, absent));
        }
        let sent = self
            .table
            .transact()
            .put_item(
                self.entity,
                condition,
                self.if_not_exists,
                self.skip_version,
            )
            .send()
            .await;
        let Err(err) = sent else { return Ok(()) };
        let (entity, key, table) = (
            E::ENTITY_NAME,
            self.entity.key().to_string(),
            self.table.name().to_owned(),
        );
        let Some(stored) = write_refused(&err) else {
            return Err(err);
        };
        Err(
            match self.if_not_exists && (!has_other_condition || stored.is_some()) {
                true => Error::AlreadyExists { entity, key, table },
                false => Error::ConditionFailed { entity, key, table },
            },
        )
    }
}

impl<'a, E: Entity + Sync + 'a> IntoFuture for PutItem<'a, E> {
    type Output = Result<()>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
