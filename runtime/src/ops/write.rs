//! What writes send: the item of a put, the update and condition expressions of an
//! update (with the index keys, version, timestamps and entity type the toolkit adds),
//! and which stored version fits a versioned write. Puts, updates and transactions all
//! make their requests from these.

use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};

use crate::attribute::timestamp_value;
use crate::error::{quoted, Error, Result};
use crate::expr::{Attr, Change, Condition, Expression, RequestCondition, Update};
use crate::item::{Entity, Item};
use crate::key::{IndexKey, Key, KeyPart};
use crate::ops::key_schema;
use crate::table::Table;
use crate::timestamp::Timestamp;

/// The item a put of `entity` writes at time `now`, and the condition on the stored
/// version: its update time `now`, and its creation time too when the put `creates`
/// the item (or writes version 0); for a versioned entity, its next version, and
/// (unless `skip`) the stored item at the entity's version (no item, for version 0).
pub(crate) fn written_item<E: Entity>(
    table: &Table,
    entity: &E,
    skip: bool,
    creates: bool,
    now: Timestamp,
) -> Result<(Item, Option<Condition<E>>)> {
    let mut item = entity.to_item()?;
    key_schema::check_item::<E>(table, &item)?;
    let new_version = E::VERSION.is_some() && entity.version() == 0;
    if let Some(updated) = E::UPDATED_AT {
        item.insert(updated.to_owned(), timestamp_value(&now));
    }
    if let Some(created) = E::CREATED_AT.filter(|_| creates || new_version) {
        item.insert(created.to_owned(), timestamp_value(&now));
    }
    let Some(attribute) = E::VERSION else {
        return Ok((item, None));
    };
    let version = entity.version();
    item.insert(
        attribute.to_owned(),
        AttributeValue::N((version + 1).to_string()),
    );
    let condition = match (skip, version) {
        (true, _) => None,
        (false, 0) => Some(Condition::item_not_exists(E::PK_TEMPLATE.attribute())),
        (false, version) => Some(Attr::<E, u64>::new(attribute).eq(version)),
    };
    Ok((item, condition))
}

/// The update and condition expressions of an update of the existing item of `key`:
/// the condition always requires the item to exist, so that an update never creates a
/// partial item.
/// Timestamps are `now`, fixed by the caller so that a request made again is the same.
/// An update that `creates` (an upsert) requires no item, and must give every field
/// that cannot be absent.
pub(crate) fn update_expressions<E: Entity>(
    table: &Table,
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
    key_fields_kept(key, update)?;
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
    key_schema::check_update(table, update)?;
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

/// Refuses an update of the item of `key` that changes a stored field of its primary
/// key: the item would keep its key while the field said another. Setting the key's own
/// value (as an upsert gives it, with `set` or `set_if_not_exists`) changes nothing, and
/// passes.
fn key_fields_kept<E: Entity>(key: &Key<E>, update: &Update<E>) -> Result<()> {
    for (field, attribute) in E::KEY_FIELDS {
        let given = match update.if_not_exists_value(attribute) {
            Some(value) => Some(Change::Set(value)),
            None => update.change_of(attribute),
        };
        let same = match given {
            None => true,
            // Reported as the update's own error when its expression is built.
            Some(Change::Set(Err(_))) => true,
            Some(Change::Set(Ok(value))) => {
                E::index_key_text(field, value)? == primary_key_value(key, field)?
            }
            Some(Change::Removed | Change::Computed(_)) => false,
        };
        if !same {
            let template = std::iter::once(E::PK_TEMPLATE)
                .chain(E::SK_TEMPLATE)
                .find(|t| t.fields().any(|f| f == *field))
                .expect("a key field is in a key template");
            return Err(Error::InvalidExpression {
                attribute,
                message: format!(
                    "field `{field}` is part of the item's key ({} = {template}), which an \
                     update cannot change; to move the item, put it under its new key and \
                     delete the old one, in one transaction",
                    template.attribute()
                ),
            });
        }
    }
    Ok(())
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
///
/// Which keys: when every field of the index's keys is required, the update cannot take
/// the item into or out of the index, and writes the keys whose fields it changes, so
/// that an update of one field stays valid when an index is added whose other key
/// needs other fields. A sparse index (an optional field in its keys) has its keys
/// written together or not at all: an update that gives the optional field may bring the
/// item into it, so it renders them all (an upsert too, which may create the item).
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
    let changed = |index_key: &IndexKey| {
        index_key
            .attributes
            .iter()
            .flatten()
            .any(|attribute| update.change_of(attribute).is_some())
    };
    // Whether the index is sparse is asked only when some key's fields do not change.
    let sparse = || {
        let required = E::required_attributes();
        keys.iter()
            .flat_map(|k| k.attributes.iter().flatten())
            .any(|attribute| !required.contains(attribute))
    };
    let every = creates || keys.iter().all(|k| changed(k)) || sparse();
    let keys: Vec<&IndexKey> = keys
        .iter()
        .copied()
        .filter(|k| every || changed(k))
        .collect();
    let (mut rendered, mut needed, mut absent) = (Vec::new(), Vec::new(), false);
    for index_key in &keys {
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
            "the update changes some fields of its key ({}) but not {}; give {} in the same \
             update too (`u.set(..)` with a value, or `u.remove(..)` of an optional field to \
             take the item out of the index), so that the index key can be written",
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
pub(crate) fn primary_key_value<E: Entity>(key: &Key<E>, field: &str) -> Result<Option<String>> {
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

/// A transaction's put of `item` under `condition`, answering the item as it was
/// (ALL_OLD) when the condition fails, for the cancellation reason.
pub(crate) fn transaction_put(
    table: &str,
    item: Item,
    condition: RequestCondition,
) -> TransactWriteItem {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .set_condition_expression(condition.text)
        .set_expression_attribute_names(condition.names)
        .set_expression_attribute_values(condition.values)
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .expect("the table name and item are set");
    TransactWriteItem::builder().put(put).build()
}

/// A transaction's delete of the item of `key` under `condition`, answering the item as
/// it was (ALL_OLD) when the condition fails.
pub(crate) fn transaction_delete(
    table: &str,
    key: Item,
    condition: RequestCondition,
) -> TransactWriteItem {
    let delete = Delete::builder()
        .table_name(table)
        .set_key(Some(key))
        .set_condition_expression(condition.text)
        .set_expression_attribute_names(condition.names)
        .set_expression_attribute_values(condition.values)
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .expect("the table name and key are set");
    TransactWriteItem::builder().delete(delete).build()
}
