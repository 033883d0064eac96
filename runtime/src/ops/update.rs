//! Changing one existing item with an [`Update`], and reading it back as it is after.

use std::future::IntoFuture;

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
use futures::future::BoxFuture;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::attribute::timestamp_value;
use crate::client::RetryConfig;
use crate::error::{quoted, Error, Result};
use crate::expr::{Attr, Change, Condition, Expression, Update, VersionCheck};
use crate::item::{write_time, Entity, Item};
use crate::key::{IndexKey, Key, KeyPart};
use crate::ops::retry::{refused_unapplied, resend_if, send_repeatable};
use crate::ops::transact::write_refused;
use crate::outcome::Attempts;
use crate::table::{error_code, Table};
use crate::timestamp::Timestamp;

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
        let key = self.key.to_item()?;
        let (update, condition, expression) =
            update_expressions(&self.key, &self.update, write_time::<E>(), self.creates)?;
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
                {
                    if let Some(stored) = failed.item.as_ref() {
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
        let output = self
            .table
            .client()
            .get_item()
            .table_name(self.table.name())
            .set_key(Some(self.key.to_item()?))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| self.table.sdk_error("GetItem", err))?;
        match output.item {
            Some(item) => Ok(Some(item)),
            // Deleted since: the update was applied, but there is nothing to answer.
            None => Err(Error::NotFound { entity, key, table }),
        }
    }
}

/// The update and condition expressions of an update of the existing item of `key`:
/// the condition always requires the item to exist, so that an update never creates a
/// partial item.
/// Timestamps are `now`, fixed by the caller so that a request made again is the same.
/// An update that `creates` (an upsert) requires no item, and must give every field
/// that cannot be absent.
pub(crate) fn update_expressions<E: Entity>(
    key: &Key<E>,
    update: &Update<E>,
    now: Timestamp,
    creates: bool,
) -> Result<(String, Option<String>, Expression)> {
    let (pk, _) = key.partition_key()?;
    for attribute in [E::VERSION, E::CREATED_AT, E::UPDATED_AT]
        .into_iter()
        .flatten()
    {
        if update.change_of(attribute).is_some() {
            return Err(Error::InvalidExpression {
                attribute,
                message: "the toolkit writes it with every update (a version, a creation or \
                          update time): leave it out of the update"
                    .to_owned(),
            });
        }
    }
    let mut expression = Expression::default();
    let (set, remove) = index_key_changes(key, update, creates)?;
    let version = match (E::VERSION, update.version_check()) {
        (None, _) => None,
        (Some(attribute), Some(check)) => Some((attribute, check)),
        (Some(_), None) => {
            return Err(Error::VersionMissing {
                entity: E::ENTITY_NAME,
                key: key.to_string(),
            })
        }
    };
    let stamps = E::CREATED_AT.is_some() || E::UPDATED_AT.is_some();
    // What the toolkit adds to the update (index keys kept in step, the version, the
    // timestamps, the entity type) goes into one copy of it, made only when there is
    // something to add.
    let adds = !set.is_empty()
        || !remove.is_empty()
        || version.is_some()
        || stamps
        || E::ENTITY_TYPE.is_some();
    let edited = adds.then(|| {
        let mut edited = update.with_index_keys(set, remove);
        if let Some((attribute, check)) = version {
            edited = edited.versioned(attribute, check);
        }
        if stamps {
            edited = edited.stamped(E::CREATED_AT, E::UPDATED_AT, timestamp_value(&now));
        }
        if let Some(entity_type) = E::ENTITY_TYPE {
            // The item must be of the entity's type (an upsert's may also not exist yet).
            let is = Attr::<E, String>::new(entity_type.attribute).eq(entity_type.value);
            let condition = match creates {
                true => Condition::item_not_exists(pk).or(is),
                false => is,
            };
            if creates {
                let value = AttributeValue::S(entity_type.value.to_owned());
                edited = edited.setting(entity_type.attribute, value);
            }
            edited = edited.require(condition);
        }
        edited
    });
    let update = edited.as_ref().unwrap_or(update);
    if creates {
        let missing: Vec<&'static str> = E::required_attributes()
            .into_iter()
            .filter(|attribute| Some(*attribute) != E::VERSION && !update.gives(attribute))
            .collect();
        if !missing.is_empty() {
            return Err(Error::UpsertIncomplete {
                entity: E::ENTITY_NAME,
                key: key.to_string(),
                missing,
            });
        }
    }
    let text = expression.update(update)?;
    let condition = match creates {
        true => update
            .condition()
            .map(|condition| expression.condition(condition))
            .transpose()?,
        false => Some(expression.existing_and(pk, update.condition())?),
    };
    Ok((text, condition, expression))
}

impl<'a, E: Entity + Send + 'a> IntoFuture for UpdateItem<'a, E> {
    type Output = Result<E>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// The index key attributes an update of the item of `key` sets and removes so that
/// `E`'s computed index keys stay in step with the fields it changes: see
/// [`index_change`].
#[allow(clippy::type_complexity)]
fn index_key_changes<E: Entity>(
    key: &Key<E>,
    update: &Update<E>,
    creates: bool,
) -> Result<(Vec<(&'static str, AttributeValue)>, Vec<&'static str>)> {
    let (mut set, mut remove) = (Vec::new(), Vec::new());
    let mut indexes: Vec<&'static str> = E::INDEX_KEYS.iter().map(|k| k.index).collect();
    indexes.dedup();
    for index in indexes {
        let keys: Vec<&IndexKey> = E::INDEX_KEYS.iter().filter(|k| k.index == index).collect();
        match index_change(key, update, index, &keys, creates)? {
            IndexChange::Unchanged => {}
            IndexChange::Set(values) => set.extend(values),
            IndexChange::Remove => remove.extend(keys.iter().map(|k| k.template.attribute())),
        }
    }
    Ok((set, remove))
}

/// What an update does to the keys of one index.
enum IndexChange {
    /// It changes none of their fields.
    Unchanged,
    /// They are written again, with these values.
    Set(Vec<(&'static str, AttributeValue)>),
    /// They are removed: an optional field of theirs is removed or absent, so the item
    /// leaves the (sparse) index.
    Remove,
}

/// How the update changes the `keys` of `index`: each key is rendered again from the
/// values the update sets and those of the primary key. A key it cannot render is an
/// [`Error::IndexKey`] naming the fields still needed, before anything is sent.
fn index_change<E: Entity>(
    key: &Key<E>,
    update: &Update<E>,
    index: &'static str,
    keys: &[&IndexKey],
    creates: bool,
) -> Result<IndexChange> {
    let changes: Vec<Change> = keys
        .iter()
        .flat_map(|k| k.attributes.iter().flatten())
        .filter_map(|attribute| update.change_of(attribute))
        .collect();
    if changes.is_empty() && !creates {
        return Ok(IndexChange::Unchanged);
    }
    if changes
        .iter()
        .any(|change| matches!(change, Change::Removed))
    {
        return Ok(IndexChange::Remove);
    }
    let refuse = |message: String| Error::IndexKey {
        entity: E::ENTITY_NAME,
        index,
        key: key.to_string(),
        message,
    };
    let (mut rendered, mut needed, mut absent) = (Vec::new(), Vec::new(), false);
    for index_key in keys {
        let template = &index_key.template;
        let mut values: Vec<String> = Vec::new();
        for (field, attribute) in template.fields().zip(index_key.attributes) {
            match field_text(key, update, field, *attribute)? {
                FieldText::Known(Some(text)) => values.push(text),
                FieldText::Known(None) => absent = true,
                FieldText::Unknown if !needed.contains(&field) => needed.push(field),
                FieldText::Unknown => {}
                FieldText::Computed(how) => {
                    return Err(refuse(format!(
                        "its key {} = {template} is made of field `{field}`, which the update \
                         changes with {how}, so its new value is known only to DynamoDB; set \
                         the field to its new value instead",
                        template.attribute()
                    )))
                }
            }
        }
        rendered.push((template, values));
    }
    // An upsert writes the keys of an item it may create from what it knows (the
    // primary key, the values it sets), and leaves out an index whose fields it does
    // not give: optional ones, since it gives every required field.
    if creates && changes.is_empty() && (!needed.is_empty() || absent) {
        return Ok(IndexChange::Unchanged);
    }
    if !needed.is_empty() {
        let templates: Vec<String> = keys
            .iter()
            .map(|k| format!("{} = {}", k.template.attribute(), k.template))
            .collect();
        return Err(refuse(format!(
            "the update changes some fields of its key ({}) but not {}; set {} in the same \
             update too, so that the index key can be written",
            templates.join(", "),
            quoted(&needed),
            if needed.len() == 1 { "it" } else { "them" },
        )));
    }
    if absent {
        return Ok(IndexChange::Remove);
    }
    let mut set = Vec::with_capacity(rendered.len());
    for (template, values) in rendered {
        let parts: Vec<&dyn KeyPart> = values.iter().map(|v| v as &dyn KeyPart).collect();
        set.push((
            template.attribute(),
            AttributeValue::S(template.render(&parts)?),
        ));
    }
    Ok(IndexChange::Set(set))
}

/// A key field's text after an update.
enum FieldText {
    /// From the primary key or the update: `None` for an optional field set to a value
    /// whose key text is absent.
    Known(Option<String>),
    /// The update leaves the field as it is, so its value is not known here.
    Unknown,
    /// The update changes it with this method, to a value only DynamoDB knows.
    Computed(&'static str),
}

/// The text of key field `field` (stored as `attribute`, if it is stored) after
/// `update` of the item of `key`: the primary key's own value, else what the update
/// sets it to.
fn field_text<E: Entity>(
    key: &Key<E>,
    update: &Update<E>,
    field: &str,
    attribute: Option<&'static str>,
) -> Result<FieldText> {
    if let Some(text) = primary_key_value(key, field)? {
        return Ok(FieldText::Known(Some(text)));
    }
    match attribute.and_then(|a| update.change_of(a)) {
        Some(Change::Set(Ok(value))) => E::index_key_text(field, value).map(FieldText::Known),
        Some(Change::Set(Err(message))) => Err(Error::InvalidExpression {
            attribute: attribute.unwrap_or_default(),
            message: message.to_owned(),
        }),
        Some(Change::Computed(how)) => Ok(FieldText::Computed(how)),
        // Removals are handled before any key is rendered.
        Some(Change::Removed) | None => Ok(FieldText::Unknown),
    }
}

/// The text of `field` in the primary key `key`, if its templates hold it.
fn primary_key_value<E: Entity>(key: &Key<E>, field: &str) -> Result<Option<String>> {
    let (_, pk) = key.partition_key()?;
    let sk = key.sort_key()?.map(|(_, sk)| sk);
    let templates =
        std::iter::once((E::PK_TEMPLATE, Some(pk))).chain(E::SK_TEMPLATE.map(|t| (t, sk)));
    for (template, text) in templates {
        if let Some(position) = template.fields().position(|f| f == field) {
            let value = text
                .and_then(|text| template.parse(text))
                .and_then(|values| values.get(position).map(|v| (*v).to_owned()));
            return Ok(value);
        }
    }
    Ok(None)
}

/// Which write of a versioned entity required a version: what a refusal means differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VersionedWrite {
    /// A put: version 0 requires no item at all.
    Put,
    /// An update of an existing item: a missing item is no version matter.
    Update,
    /// An upsert: version 0 also fits an item without a version, and a later version an
    /// item at it.
    Upsert,
}

impl VersionedWrite {
    /// Whether a `write` expecting version `expected` fits the stored item, whose
    /// version is `found` (`Some(0)` for an item without one; `None`: no item).
    fn fits(self, expected: u64, found: Option<u64>) -> bool {
        match (self, found) {
            (VersionedWrite::Put, None) => expected == 0,
            (VersionedWrite::Put, Some(found)) => expected != 0 && found == expected,
            (VersionedWrite::Update, None) => true,
            (VersionedWrite::Upsert, None) => false,
            (_, Some(found)) => found == expected,
        }
    }
}

/// The version conflict of a write refused with `stored` (the item as it was, from
/// ALL_OLD; none when there was no item), when the stored version is not the one the
/// write required: `attribute` at `expected`. `key` names the item for the error.
pub(crate) fn version_conflict(
    write: VersionedWrite,
    (entity, attribute, expected): (&'static str, &'static str, u64),
    stored: Option<&Item>,
    key: impl FnOnce() -> String,
    table: &str,
) -> Option<Error> {
    let found = stored.map(|item| stored_version(item, attribute).unwrap_or(0));
    (!write.fits(expected, found)).then(|| Error::VersionConflict {
        entity,
        key: key(),
        table: table.to_owned(),
        expected,
        found,
    })
}

/// The version stored in `item`'s `attribute`, if it has one.
pub(crate) fn stored_version(item: &Item, attribute: &str) -> Option<u64> {
    match item.get(attribute) {
        Some(AttributeValue::N(n)) => n.parse().ok(),
        _ => None,
    }
}
