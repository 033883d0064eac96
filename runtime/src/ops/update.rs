//! Changing one existing item with an [`Update`], and reading it back as it is after.

use std::future::IntoFuture;

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
use futures::future::BoxFuture;

use crate::client::RetryConfig;
use crate::error::{Error, Result};
use crate::expr::{Update, VersionCheck};
use crate::item::{write_time, Entity, Item};
use crate::key::Key;
use crate::ops::get::read_consistently;
use crate::ops::key_schema::key_item;
use crate::ops::retry::{refused_unapplied, resend_if, send_repeatable};
use crate::ops::transact::write_refused;
use crate::ops::write::{stored_version, update_expressions, version_conflict, VersionedWrite};
use crate::outcome::Attempts;
use crate::table::{error_code, Table};

/// An UpdateItem of one entity, made by [`Table::update`]; `.await` sends it and
/// answers the entity as it is after the update.
#[must_use = "an operation does nothing until it is awaited"]
pub struct UpdateItem<'a, E> {
    table: &'a Table,
    key: Key<E>,
    update: Update<E>,
    /// An upsert: the item is created when missing.
    creates: bool,
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
        UpdateItem::new(self, key, build(Update::new()), false)
    }

    /// Changes the item of `key` as `build` says, creating it when it is missing, and
    /// answers it as it is after: one request either way. Since the update may create
    /// the item, it must give every field that cannot be absent a value (`set`,
    /// `set_if_not_exists` or `add`), else [`Error::UpsertIncomplete`] before anything is
    /// sent. Index keys, the entity type, timestamps and the version are written as
    /// for any update (a versioned entity's new item is version 0:
    /// `expect_version(0)`).
    ///
    /// ```no_run
    /// # use dynaschema::{Attr, Entity, Key, Table, Timestamp};
    /// # async fn run<C: Entity + Send>(table: &Table, key: Key<C>, hits: Attr<C, u64>, first: Attr<C, Timestamp>) -> dynaschema::Result<()> {
    /// // A counter that starts at 1 the first time.
    /// let counter: C = table
    ///     .upsert(key, |u| u.add(hits, 1_u64).set_if_not_exists(first, Timestamp::now()))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn upsert<E: Entity>(
        &self,
        key: Key<E>,
        build: impl FnOnce(Update<E>) -> Update<E>,
    ) -> UpdateItem<'_, E> {
        UpdateItem::new(self, key, build(Update::new()), true)
    }
}

impl<'a, E> UpdateItem<'a, E> {
    fn new(table: &'a Table, key: Key<E>, update: Update<E>, creates: bool) -> Self {
        UpdateItem {
            table,
            key,
            update,
            creates,
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
        if E::UNIQUE.iter().any(|a| self.update.change_of(a).is_some()) {
            return self.request_guarded(returned).await;
        }
        let key = key_item(self.table, &self.key)?;
        let (update, condition, expression) = update_expressions(
            self.table,
            &self.key,
            &self.update,
            write_time::<E>(),
            self.creates,
        )?;
        let (names, values) = expression.into_placeholders();
        let attempts = Attempts::new();
        let request = self
            .table
            .client()
            .update_item()
            .table_name(self.table.name())
            .set_key(Some(key))
            .update_expression(update)
            .set_condition_expression(condition)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .return_values(returned)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        // Writing the next of whatever version is stored adds to a number too.
        let skips_version =
            E::VERSION.is_some() && self.update.version_check() == Some(VersionCheck::Skip);
        let result = if self.update.repeatable() && !skips_version {
            // A retry whose condition fails on this update's own result is recognised
            // below.
            let send = || request.clone().send();
            send_repeatable(self.table.retry_policy(), "UpdateItem", &attempts, send).await
        } else {
            // Sent again after a lost answer, an update that adds to a number would be
            // applied twice, and UpdateItem has no token to stop it: the SDK retries
            // none of it, and it is sent again only when DynamoDB refused it for sure.
            let once = || {
                let no_retries = aws_sdk_dynamodb::config::Builder::default()
                    .retry_config(RetryConfig::disabled());
                request
                    .clone()
                    .customize()
                    .config_override(no_retries)
                    .send()
            };
            resend_if(
                self.table.retry_policy(),
                "UpdateItem",
                refused_unapplied,
                once,
            )
            .await
        };
        match result {
            Ok(output) => Ok(output.attributes),
            // A condition checked after an attempt that may have been applied may have
            // failed on this call's own update: when the item already is as the update
            // leaves it, it was applied.
            Err(err) if attempts.maybe_applied() => {
                if let Some(UpdateItemError::ConditionalCheckFailedException(failed)) =
                    err.as_service_error()
                    && let Some(stored) = failed.item.as_ref()
                {
                    let next_version = match (E::VERSION, self.update.version_check()) {
                        (Some(attribute), Some(VersionCheck::Expect(expected))) => {
                            stored_version(stored, attribute) == Some(expected + 1)
                        }
                        _ => true,
                    };
                    if self.update.applied_to(stored) && next_version {
                        return Ok(Some(stored.clone()));
                    }
                }
                let key = self.key.to_string();
                Err(self.table.write_error("UpdateItem", key, &attempts, err))
            }
            Err(err) if error_code(&err) == Some("ConditionalCheckFailedException") => {
                let stored = match err.as_service_error() {
                    Some(UpdateItemError::ConditionalCheckFailedException(e)) => e.item.as_ref(),
                    _ => None,
                };
                let existed = stored.is_some();
                let (entity, key, table) = (
                    E::ENTITY_NAME,
                    self.key.to_string(),
                    self.table.name().to_owned(),
                );
                if let (Some(attribute), Some(VersionCheck::Expect(expected))) =
                    (E::VERSION, self.update.version_check())
                {
                    let write = match self.creates {
                        true => VersionedWrite::Upsert,
                        false => VersionedWrite::Update,
                    };
                    let required = (entity, attribute, expected);
                    let conflict =
                        version_conflict(write, required, stored, || key.clone(), &table);
                    if let Some(conflict) = conflict {
                        return Err(conflict);
                    }
                }
                // Without a required condition, only the item's existence can have failed.
                let required = self.update.condition().is_some();
                Err(if (existed || self.creates) && required {
                    Error::ConditionFailed { entity, key, table }
                } else {
                    Error::NotFound { entity, key, table }
                })
            }
            Err(err) => {
                let key = self.key.to_string();
                Err(self.table.write_error("UpdateItem", key, &attempts, err))
            }
        }
    }
}

impl<E: Entity + Send> UpdateItem<'_, E> {
    /// An update that changes unique fields: one transaction with their guards, then
    /// (for `ALL_NEW`) a consistent read of the item, since a transaction answers no
    /// attributes.
    async fn request_guarded(&self, returned: ReturnValue) -> Result<Option<Item>> {
        let (key, update) = (self.key.clone(), self.update.clone());
        let sent = self
            .table
            .transact()
            .update_item(key, update, self.creates)
            .send()
            .await;
        let (entity, key, table) = (
            E::ENTITY_NAME,
            self.key.to_string(),
            self.table.name().to_owned(),
        );
        if let Err(err) = sent {
            let Some(stored) = write_refused(&err) else {
                return Err(err);
            };
            let required = self.update.condition().is_some();
            return Err(match (stored.is_some() || self.creates) && required {
                true => Error::ConditionFailed { entity, key, table },
                false => Error::NotFound { entity, key, table },
            });
        }
        if returned == ReturnValue::None {
            return Ok(None);
        }
        let stored = read_consistently(self.table, &self.key.to_item()?, &[]).await?;
        match stored {
            Some(item) => Ok(Some(item)),
            // Deleted since: the update was applied, but there is nothing to answer.
            None => Err(Error::NotFound { entity, key, table }),
        }
    }
}

impl<'a, E: Entity + Send + 'a> IntoFuture for UpdateItem<'a, E> {
    type Output = Result<E>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
