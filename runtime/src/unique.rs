//! Unique values: each value of a `#[dynamo(unique)]` field is held by one item, which
//! a guard item records. Writes that give, change or drop such a value move its guard in
//! the same transaction as the entity's item (see [`Entity::UNIQUE`]).

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem};

use crate::attribute::Attribute;
pub use crate::error::Holder;
use crate::error::{Error, Result};
use crate::expr::{Attr, Change, Condition, RequestCondition, Update};
use crate::item::{Entity, Item};
use crate::key::Key;
use crate::key::{key_text, KeyPart};
use crate::ops::get::read_consistently;
use crate::ops::write::{primary_key_value, transaction_delete, transaction_put};
use crate::table::{error_code, Table};

/// What a guard item's partition key starts with: `_unique#<entity>#<attribute>#<value>`,
/// or `_unique#<entity>#<attribute>#<scope>#<value>` for a value unique within a scope.
pub const GUARD_PREFIX: &str = "_unique#";

/// A guard item's sort key, in a table with one.
pub const GUARD_SORT_KEY: &str = "_unique";

/// DynamoDB's limit on a partition key's length, in bytes.
const MAX_PARTITION_KEY_BYTES: usize = 2048;

/// The attribute of a guard item holding its holder's partition key.
pub const HOLDER_PK: &str = "_holder_pk";

/// The attribute of a guard item holding its holder's sort key.
pub const HOLDER_SK: &str = "_holder_sk";

/// What a write read of the stored item before sending: the unique values its guards
/// move from, which the write then requires to be unchanged.
#[derive(Debug, Clone, Default)]
pub(crate) enum Stored {
    /// Nothing was read: the write creates the item, or has no unique field.
    #[default]
    NotRead,
    /// There was no item.
    Missing,
    /// The item, with its key and unique attributes.
    Found(Item),
}

/// How a write leaves one unique attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
enum NewValue {
    /// As it is: an update that does not change it.
    Kept,
    /// With this value (`None`: absent).
    To(Option<String>),
}

/// What one write of an entity with unique fields does to their guards.
pub(crate) struct UniqueWrite {
    entity: &'static str,
    /// The entity's name in its guards' keys: its type name, else its Rust name.
    guarded_as: &'static str,
    attributes: &'static [&'static str],
    /// Each attribute's scope in the item written (see [`Entity::UNIQUE_SCOPES`]).
    scopes: Vec<Option<String>>,
    /// The table's key attributes.
    keys: (&'static str, Option<&'static str>),
    /// The key of the item written: the holder its guards record.
    holder: Item,
    new: Vec<NewValue>,
    /// Whether the stored values are read first: they are unless the write creates.
    reads: bool,
    /// Old values whose guard another item holds (items that shared a value before it
    /// was unique): the write leaves those guards alone.
    pub(crate) foreign: Vec<(&'static str, String)>,
}

/// A guard the write puts (for a value it gives) or deletes (for one it drops).
#[derive(Clone)]
pub(crate) struct GuardChange {
    pub(crate) entity: &'static str,
    pub(crate) attribute: &'static str,
    /// The value of the field scoping the attribute's values, if one does.
    scope: Option<String>,
    pub(crate) value: String,
    pub(crate) puts: bool,
    /// The table's key attributes.
    pub(crate) keys: (&'static str, Option<&'static str>),
    guarded_as: &'static str,
    holder: Item,
    /// For a put: another item the guard may be taken from, which gives the value up
    /// in the same transaction (its delete of the guard merged into this put).
    pub(crate) taken_from: Option<Item>,
}

impl UniqueWrite {
    fn of<E: Entity>(key: &Key<E>, new: Vec<NewValue>, reads: bool) -> Result<Self> {
        Ok(UniqueWrite {
            entity: E::ENTITY_NAME,
            guarded_as: guarded_as::<E>(),
            attributes: E::UNIQUE,
            scopes: E::UNIQUE
                .iter()
                .map(|attribute| scope_of(key, attribute))
                .collect::<Result<_>>()?,
            keys: key_attributes::<E>(),
            holder: key.to_item()?,
            new,
            reads,
            foreign: Vec::new(),
        })
    }

    /// A put of `item`, the item of `entity`; one that `creates` reads nothing.
    pub(crate) fn of_put<E: Entity>(entity: &E, item: &Item, creates: bool) -> Result<Self> {
        let new = E::UNIQUE
            .iter()
            .map(|attribute| match item.get(*attribute) {
                Some(value) => value_text_of(E::ENTITY_NAME, attribute, value).map(NewValue::To),
                None => Ok(NewValue::To(None)),
            })
            .collect::<Result<_>>()?;
        Self::of(&entity.key(), new, !creates)
    }

    /// An update of the item of `key`: `None` when it changes no unique field.
    pub(crate) fn of_update<E: Entity>(key: &Key<E>, update: &Update<E>) -> Result<Option<Self>> {
        let mut new = Vec::with_capacity(E::UNIQUE.len());
        for attribute in E::UNIQUE {
            new.push(match update.change_of(attribute) {
                None => NewValue::Kept,
                Some(Change::Set(Ok(value))) => {
                    NewValue::To(value_text_of(E::ENTITY_NAME, attribute, value)?)
                }
                Some(Change::Set(Err(message))) => {
                    return Err(Error::InvalidExpression {
                        attribute,
                        message: message.to_owned(),
                    })
                }
                Some(Change::Removed) => NewValue::To(None),
                Some(Change::Computed(how)) => {
                    return Err(Error::InvalidExpression {
                        attribute,
                        message: format!(
                            "a unique field's guard is moved to its new value, which {how} \
                             leaves to DynamoDB to work out; set the field to its new value"
                        ),
                    })
                }
            });
        }
        if new.iter().all(|value| *value == NewValue::Kept) {
            return Ok(None);
        }
        Self::of(key, new, true).map(Some)
    }

    /// A delete of the item of `key`: every guard it holds goes.
    pub(crate) fn of_delete<E: Entity>(key: &Key<E>) -> Result<Self> {
        Self::of(key, vec![NewValue::To(None); E::UNIQUE.len()], true)
    }

    /// Reads the stored unique values (a consistent read of the key and those
    /// attributes), unless the write creates the item.
    pub(crate) async fn read(&self, table: &Table) -> Result<Stored> {
        if !self.reads {
            return Ok(Stored::NotRead);
        }
        let projected: Vec<&str> = std::iter::once(self.keys.0)
            .chain(self.attributes.iter().copied())
            .collect();
        let stored = read_consistently(table, &self.holder, &projected).await?;
        Ok(match stored {
            Some(item) => Stored::Found(item),
            None => Stored::Missing,
        })
    }

    /// The attributes whose guards the write moves, with their scopes and new values.
    #[allow(clippy::type_complexity)]
    fn moved(&self) -> impl Iterator<Item = (&'static str, &Option<String>, &Option<String>)> + '_ {
        self.attributes
            .iter()
            .zip(&self.scopes)
            .zip(&self.new)
            .filter_map(|((attribute, scope), new)| match new {
                NewValue::Kept => None,
                NewValue::To(value) => Some((*attribute, scope, value)),
            })
    }

    /// Whether the item the write's condition failed on (`found`, from ALL_OLD) is not
    /// the one read: another writer changed it in between, and the write should read
    /// again.
    pub(crate) fn stale(&self, stored: &Stored, found: Option<&Item>) -> bool {
        match (stored, found) {
            (Stored::NotRead, _) => false,
            (Stored::Missing, found) => found.is_some(),
            (Stored::Found(_), None) => true,
            (Stored::Found(read), Some(found)) => self
                .attributes
                .iter()
                .any(|attribute| read.get(*attribute) != found.get(*attribute)),
        }
    }

    /// The guards the write puts and deletes, given what it read: the guard of each
    /// value it gives is put (again, when the value stays: a missing guard is restored),
    /// and that of each value it drops is deleted.
    pub(crate) fn guards(&self, stored: &Stored) -> Result<Vec<GuardChange>> {
        let mut changes = Vec::new();
        for (attribute, scope, new) in self.moved() {
            let old = match stored {
                Stored::Found(item) => match item.get(attribute) {
                    Some(value) => value_text_of(self.entity, attribute, value)?,
                    None => None,
                },
                Stored::NotRead | Stored::Missing => None,
            };
            let change = |value: &String, puts| GuardChange {
                entity: self.entity,
                attribute,
                scope: scope.clone(),
                value: value.clone(),
                puts,
                keys: self.keys,
                guarded_as: self.guarded_as,
                holder: self.holder.clone(),
                taken_from: None,
            };
            let foreign = |old: &String| {
                self.foreign
                    .iter()
                    .any(|(a, value)| *a == attribute && value == old)
            };
            if let Some(old) = old
                .as_ref()
                .filter(|old| Some(*old) != new.as_ref() && !foreign(old))
            {
                changes.push(change(old, false));
            }
            if let Some(new) = new {
                changes.push(change(new, true));
            }
        }
        Ok(changes)
    }
}

impl GuardChange {
    /// The guard's key.
    pub(crate) fn key(&self) -> Item {
        let (pk, sk) = self.keys;
        let mut key = Item::with_capacity(4);
        let scope = self
            .scope
            .as_ref()
            .map_or_else(String::new, |scope| format!("{scope}#"));
        key.insert(
            pk.to_owned(),
            AttributeValue::S(format!(
                "{GUARD_PREFIX}{}#{}#{scope}{}",
                self.guarded_as, self.attribute, self.value
            )),
        );
        if let Some(sk) = sk {
            key.insert(sk.to_owned(), AttributeValue::S(GUARD_SORT_KEY.to_owned()));
        }
        key
    }

    /// The key of the item the write gives the guard to, or takes it from.
    pub(crate) fn holder_key(&self) -> &Item {
        &self.holder
    }

    /// The attributes a guard records the item of key `holder` in, `_holder_pk` then
    /// `_holder_sk`, with their values.
    fn holder_values<'h>(
        &self,
        holder: &'h Item,
    ) -> impl Iterator<Item = (&'static str, &'h AttributeValue)> {
        let (pk, sk) = self.keys;
        [(HOLDER_PK, Some(pk)), (HOLDER_SK, sk)]
            .into_iter()
            .filter_map(|(attribute, key)| Some((attribute, holder.get(key?)?)))
    }

    /// The guard is held by the item of key `holder`.
    fn held_by(&self, holder: &Item) -> Option<Condition<()>> {
        self.holder_values(holder)
            .map(|(attribute, value)| Condition::holds(attribute, value.clone()))
            .reduce(Condition::and)
    }

    /// The key of the item `guard` (a guard item as stored) records as its holder.
    fn holder_of(&self, guard: &Item) -> Option<Item> {
        let (pk, sk) = self.keys;
        let mut holder = Item::with_capacity(2);
        for (attribute, key) in [(HOLDER_PK, Some(pk)), (HOLDER_SK, sk)] {
            if let Some(key) = key {
                holder.insert(key.to_owned(), guard.get(attribute)?.clone());
            }
        }
        Some(holder)
    }

    /// The item of key `holder` as a [`Holder`], for messages.
    fn named(&self, holder: &Item) -> Holder {
        let (pk, sk) = self.keys;
        let text = |attribute: &str| match holder.get(attribute) {
            Some(AttributeValue::S(text)) => text.clone(),
            _ => String::new(),
        };
        Holder {
            partition_key: (pk.to_owned(), text(pk)),
            sort_key: sk.map(|sk| (sk.to_owned(), text(sk))),
        }
    }

    /// The item the write gives the guard to, or takes it from, for messages.
    pub(crate) fn holder(&self) -> Holder {
        self.named(&self.holder)
    }

    /// The attributes a guard records its holder in.
    pub(crate) fn holder_attributes(&self) -> Item {
        self.holder_values(&self.holder)
            .map(|(attribute, value)| (attribute.to_owned(), value.clone()))
            .collect()
    }

    /// The transaction item: a put of the guard, or its delete, either only when no
    /// guard is there or the one there is the holder's own (or, for a put, the one
    /// there is held by the item it is `taken_from`). Made in the same order every time,
    /// so that a retry with the transaction's token sends the same request.
    pub(crate) fn request(&self, table: &str) -> Result<TransactWriteItem> {
        let (pk, _) = self.keys;
        let holder = self.holder_attributes();
        let holders = std::iter::once(&self.holder).chain(self.taken_from.as_ref());
        let condition = holders
            .filter_map(|holder| self.held_by(holder))
            .fold(Condition::<()>::item_not_exists(pk), Condition::or);
        let key = self.checked_key()?;
        let condition = RequestCondition::new(Some(&condition))?;
        Ok(if self.puts {
            let mut item = key;
            item.extend(holder);
            transaction_put(table, item, condition)
        } else {
            transaction_delete(table, key, condition)
        })
    }

    /// The guard's key, or the error that the value is too long for one.
    ///
    /// A guard put also requires a scope without `#`, which ends the scope in the key;
    /// the delete of a guard put before needs no such check, since it requires the
    /// guard to be its holder's.
    fn checked_key(&self) -> Result<Item> {
        if let Some(scope) = self
            .scope
            .as_deref()
            .filter(|s| self.puts && s.contains('#'))
        {
            return Err(Error::Encode {
                entity: self.entity,
                attribute: self.attribute,
                message: format!(
                    "its values are unique within a field whose value here, `{scope}`, \
                     holds `#`, which ends the scope in the guard's key"
                ),
            });
        }
        let (pk, _) = self.keys;
        let key = self.key();
        if let Some(AttributeValue::S(text)) = key.get(pk)
            && text.len() > MAX_PARTITION_KEY_BYTES
        {
            let prefix = &text[..text.len() - self.value.len()];
            let message = match MAX_PARTITION_KEY_BYTES.checked_sub(prefix.len()) {
                Some(room) => format!(
                    "a unique value is at most {room} bytes here, so that its guard's \
                         partition key (`{prefix}` and the value) fits DynamoDB's \
                         {MAX_PARTITION_KEY_BYTES}; this one is {} bytes",
                    self.value.len()
                ),
                None => format!(
                    "its guard's partition key starts `{prefix}`, {} bytes with the \
                         scope, over DynamoDB's {MAX_PARTITION_KEY_BYTES} before the value",
                    prefix.len()
                ),
            };
            return Err(Error::Encode {
                entity: self.entity,
                attribute: self.attribute,
                message,
            });
        }
        Ok(key)
    }

    /// The violation a refused put of this guard means: `found` (ALL_OLD) is the guard
    /// of another holder. `None` for a refused delete, whose guard another item holds.
    pub(crate) fn violation(&self, found: Option<&Item>, table: &str) -> Option<Error> {
        if !self.puts {
            return None;
        }
        let holder = found
            .and_then(|found| self.holder_of(found))
            .map(|holder| Box::new(self.named(&holder)));
        Some(Error::UniqueViolation {
            entity: self.entity,
            field: self.attribute,
            value: self.value.clone(),
            holder,
            table: table.to_owned(),
        })
    }
}

/// Whether the guard `found` (a refused put's ALL_OLD: a guard of another holder) was
/// left behind, and is now released: its holder is gone, or holds another value, as an
/// item deleted or changed without the toolkit (by another client, or a version without
/// `unique`) leaves it. One consistent read of the holder, then one transaction that
/// deletes the guard only if the holder is still as read and the guard still its own.
pub(crate) async fn release_if_left_behind(
    table: &Table,
    guard: &GuardChange,
    found: Option<&Item>,
) -> Result<bool> {
    let Some(holder) = found.and_then(|found| guard.holder_of(found)) else {
        return Ok(false);
    };
    let (pk, _) = guard.keys;
    let own = guard.held_by(&holder).expect("a guard names its holder");
    let read = read_consistently(table, &holder, &[pk, guard.attribute]).await?;
    let still = match &read {
        None => Condition::<()>::item_not_exists(pk),
        Some(item) => match item.get(guard.attribute) {
            Some(value)
                if value_text_of(guard.entity, guard.attribute, value)?.as_deref()
                    == Some(guard.value.as_str()) =>
            {
                return Ok(false)
            }
            Some(value) => Condition::holds(guard.attribute, value.clone()),
            None => Attr::<(), ()>::new(guard.attribute).not_exists(),
        },
    };
    let check = RequestCondition::new(Some(&still))?;
    let check = ConditionCheck::builder()
        .table_name(table.name())
        .set_key(Some(holder.clone()))
        .set_condition_expression(check.text)
        .set_expression_attribute_names(check.names)
        .set_expression_attribute_values(check.values)
        .build()
        .expect("the table name, key and condition are set");
    let own = RequestCondition::new(Some(&own))?;
    let delete = transaction_delete(table.name(), guard.key(), own);
    let sent = table
        .client()
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().condition_check(check).build())
        .transact_items(delete)
        .send()
        .await;
    match sent {
        Ok(_) => Ok(true),
        // The holder or the guard changed meanwhile: the guard stands.
        Err(err) if error_code(&err) == Some("TransactionCanceledException") => Ok(false),
        Err(err) => Err(table.sdk_error("TransactWriteItems", err)),
    }
}

/// What a write of `E` requires of its item, so that the unique values it read are
/// still there when it is applied: no item, or each unique attribute as read.
pub(crate) fn requirement<E: Entity>(stored: &Stored) -> Option<Condition<E>> {
    match stored {
        Stored::NotRead => None,
        Stored::Missing => Some(Condition::item_not_exists(E::PK_TEMPLATE.attribute())),
        Stored::Found(item) => E::UNIQUE
            .iter()
            .map(|attribute| match item.get(*attribute) {
                Some(value) => Condition::holds(attribute, value.clone()),
                None => Attr::<E, ()>::new(attribute).not_exists(),
            })
            .reduce(Condition::and),
    }
}

/// The scope of unique attribute `attribute` in the item of `key`: the text of the
/// primary-key field its values are unique within, or `None` when they are unique in the
/// whole table.
fn scope_of<E: Entity>(key: &Key<E>, attribute: &'static str) -> Result<Option<String>> {
    let Some((_, field)) = E::UNIQUE_SCOPES.iter().find(|(a, _)| *a == attribute) else {
        return Ok(None);
    };
    let scope = primary_key_value(key, field)?.ok_or_else(|| Error::Encode {
        entity: E::ENTITY_NAME,
        attribute,
        message: format!("its scope, field `{field}`, cannot be read from the key {key}"),
    })?;
    Ok(Some(scope))
}

/// The name of `attribute`, a unique field of `E`; else the error that it has no guards.
fn unique_attribute<E: Entity, T>(attribute: &Attr<E, T>) -> Result<&'static str> {
    let name = attribute.name();
    match E::UNIQUE.contains(&name) {
        true => Ok(name),
        false => Err(Error::InvalidExpression {
            attribute: name,
            message: format!(
                "{name} is not a unique field of {}, so no guard records which item holds \
                 a value of it: mark it #[dynamo(unique)], or query an index on it",
                E::ENTITY_NAME
            ),
        }),
    }
}

/// `E`'s name in its guards' keys: its type name, else its Rust name.
fn guarded_as<E: Entity>() -> &'static str {
    E::ENTITY_TYPE.map_or(E::ENTITY_NAME, |t| t.value)
}

/// The table's key attributes, as `E`'s templates name them.
fn key_attributes<E: Entity>() -> (&'static str, Option<&'static str>) {
    (
        E::PK_TEMPLATE.attribute(),
        E::SK_TEMPLATE.as_ref().map(|sk| sk.attribute()),
    )
}

/// The text a unique value is guarded by: a string's, or a number's; `None` for NULL.
fn value_text_of(
    entity: &'static str,
    attribute: &'static str,
    value: &AttributeValue,
) -> Result<Option<String>> {
    match value {
        AttributeValue::S(text) => Ok(Some(text.clone())),
        // As DynamoDB stores it, so that `1.50` written and `1.5` read are one value.
        AttributeValue::N(text) => Ok(Some(canonical_number(text))),
        AttributeValue::Null(_) => Ok(None),
        other => Err(Error::Encode {
            entity,
            attribute,
            message: format!(
                "a unique field is stored as a string or a number, so that its guard's key \
                 can hold it, not as {}",
                crate::attribute::describe(other)
            ),
        }),
    }
}

/// A number's text as DynamoDB gives it back: no exponent, no sign on zero, no leading
/// zeros, no trailing zeros after the point (`-0.0` is `0`, `1.50E2` is `150`). Text that
/// is no number is left as it is (DynamoDB refuses it anyway).
fn canonical_number(text: &str) -> String {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => match exponent.parse::<i64>() {
            Ok(exponent) => (mantissa, exponent),
            Err(_) => return text.to_owned(),
        },
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .chars()
            .chain(fraction.chars())
            .all(|c| c.is_ascii_digit())
    {
        return text.to_owned();
    }
    // The digits without leading zeros, and how many of them go before the point.
    let all = format!("{whole}{fraction}");
    let significant = all.trim_start_matches('0');
    let point = whole.len() as i64 + exponent - (all.len() - significant.len()) as i64;
    let digits = significant.trim_end_matches('0');
    if digits.is_empty() {
        return "0".to_owned();
    }
    let mut out = String::with_capacity(digits.len() + 4);
    if negative {
        out.push('-');
    }
    if point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', point.unsigned_abs() as usize));
        out.push_str(digits);
    } else if point as usize >= digits.len() {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', point as usize - digits.len()));
    } else {
        out.push_str(&digits[..point as usize]);
        out.push('.');
        out.push_str(&digits[point as usize..]);
    }
    out
}

/// The refusal of a batch write of `E`, if `E` has unique fields.
pub(crate) fn batch_refusal<E: Entity>() -> Option<Error> {
    (!E::UNIQUE.is_empty()).then(|| Error::InvalidBatch {
        message: format!(
            "{} has unique fields ({}), whose guard items a batch cannot write in step with \
             the item: write it with table.put(..)/table.delete(..) or in a transaction",
            E::ENTITY_NAME,
            E::UNIQUE.join(", ")
        ),
    })
}

/// The refusal of `delete_partition` of `E`, if `E` has unique fields.
pub(crate) fn delete_partition_refusal<E: Entity>() -> Option<Error> {
    (!E::UNIQUE.is_empty()).then(|| Error::InvalidBatch {
        message: format!(
            "delete_partition deletes in batches, which cannot delete the guard items of \
             {}'s unique fields ({}) with the items: delete each with table.delete(..), \
             which takes its guards with it",
            E::ENTITY_NAME,
            E::UNIQUE.join(", ")
        ),
    })
}

impl Table {
    /// The item of `E` holding `value` of its unique field `attribute`, read through
    /// the value's guard: two consistent reads (the guard, then its holder), so an item
    /// written a moment ago is found, unlike through an index, which is eventually
    /// consistent. `None` when no item holds the value (a guard whose holder is gone, or
    /// holds another value now, is not a holder). An item past its expiry that DynamoDB
    /// has not deleted yet still holds its values.
    ///
    /// A field that is not `#[dynamo(unique)]` has no guards to read, and is
    /// [`Error::InvalidExpression`]: query an index on it instead.
    ///
    /// ```no_run
    /// # use dynaschema::{Entity, Table};
    /// #[derive(Entity)]
    /// #[dynamo(pk = "USER#{id}", sk = "USER")]
    /// struct User {
    ///     #[dynamo(key_only)]
    ///     id: u64,
    ///     #[dynamo(unique)]
    ///     email: String,
    /// }
    ///
    /// # async fn run(table: &Table) -> dynaschema::Result<()> {
    /// if let Some(user) = table.get_by_unique(User::EMAIL, "ana@x.org").await? {
    ///     println!("ana@x.org is user {}", user.id);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_by_unique<E: Entity + Sync, T: Attribute>(
        &self,
        attribute: Attr<E, T>,
        value: impl Into<T>,
    ) -> Result<Option<E>> {
        let name = unique_attribute(&attribute)?;
        if let Some((_, field)) = E::UNIQUE_SCOPES.iter().find(|(a, _)| *a == name) {
            return Err(Error::InvalidExpression {
                attribute: name,
                message: format!(
                    "values of {name} are unique within field `{field}`, not the whole \
                     table: name the {field} with get_by_unique_in({field}, ..)"
                ),
            });
        }
        self.holder_of_value(None, name, value.into()).await
    }

    /// The item of `E` holding `value` of its unique field `attribute` within `scope`,
    /// the value of the field its values are unique within
    /// (`#[dynamo(unique(scope = "tenant"))]`), read as [`Table::get_by_unique`] reads.
    ///
    /// ```no_run
    /// # use dynaschema::{Entity, Table};
    /// #[derive(Entity)]
    /// #[dynamo(pk = "TENANT#{tenant}", sk = "MEMBER#{id}")]
    /// struct Member {
    ///     #[dynamo(key_only)]
    ///     tenant: String,
    ///     #[dynamo(key_only)]
    ///     id: u64,
    ///     #[dynamo(unique(scope = "tenant"))]
    ///     email: String,
    /// }
    ///
    /// # async fn run(table: &Table) -> dynaschema::Result<()> {
    /// if let Some(member) = table.get_by_unique_in("acme", Member::EMAIL, "ana@x.org").await? {
    ///     println!("ana@x.org is member {} of acme", member.id);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_by_unique_in<E: Entity + Sync, T: Attribute>(
        &self,
        scope: impl KeyPart,
        attribute: Attr<E, T>,
        value: impl Into<T>,
    ) -> Result<Option<E>> {
        let name = unique_attribute(&attribute)?;
        if !E::UNIQUE_SCOPES.iter().any(|(a, _)| *a == name) {
            return Err(Error::InvalidExpression {
                attribute: name,
                message: format!(
                    "values of {name} are unique in the whole table, with no scope: read \
                     the holder with get_by_unique(..)"
                ),
            });
        }
        // A scope holding `#` needs no refusal here: the holder read must hold the value.
        let scope = key_text(&scope);
        self.holder_of_value(Some(scope), name, value.into()).await
    }

    /// The item of `E` holding `value` of unique attribute `name` (within `scope`).
    async fn holder_of_value<E: Entity + Sync, T: Attribute>(
        &self,
        scope: Option<String>,
        name: &'static str,
        value: T,
    ) -> Result<Option<E>> {
        let encoded = value.to_value().map_err(|err| Error::Encode {
            entity: E::ENTITY_NAME,
            attribute: name,
            message: err.0,
        })?;
        let Some(text) = encoded
            .map(|value| value_text_of(E::ENTITY_NAME, name, &value))
            .transpose()?
            .flatten()
        else {
            // No item holds "no value".
            return Ok(None);
        };
        let guard = GuardChange {
            entity: E::ENTITY_NAME,
            attribute: name,
            scope,
            value: text,
            puts: false,
            keys: key_attributes::<E>(),
            guarded_as: guarded_as::<E>(),
            // A lookup: the holder is what the guard records.
            holder: Item::new(),
            taken_from: None,
        };
        let found = read_consistently(self, &guard.checked_key()?, &[HOLDER_PK, HOLDER_SK]).await?;
        let Some(holder) = found.and_then(|found| guard.holder_of(&found)) else {
            return Ok(None);
        };
        let Some(item) = read_consistently(self, &holder, &[]).await? else {
            return Ok(None);
        };
        let holds = match item.get(name) {
            Some(value) => {
                value_text_of(E::ENTITY_NAME, name, value)?.as_ref() == Some(&guard.value)
            }
            None => false,
        };
        match holds {
            true => E::from_item(&item).map(Some),
            false => Ok(None),
        }
    }

    /// Whether the item of `entity` holds the guards of all of `entity`'s unique values:
    /// a consistent read of each guard, writing nothing. For a data migration's dry run,
    /// to count the items [`Table::write_guards`] would write guards for.
    ///
    /// ```no_run
    /// # use dynaschema::{Entity, Table};
    /// # async fn run<User: Entity + Send + Sync + 'static>(table: &Table) -> dynaschema::Result<()> {
    /// let users: Vec<User> = table.scan::<User>().consistent().all().await?;
    /// let mut unguarded = 0;
    /// for user in &users {
    ///     unguarded += u64::from(!table.holds_guards(user).await?);
    /// }
    /// println!("{unguarded} users would get their guards");
    /// # Ok(()) }
    /// ```
    pub async fn holds_guards<E: Entity + Sync>(&self, entity: &E) -> Result<bool> {
        if E::UNIQUE.is_empty() {
            return Ok(true);
        }
        let item = entity.to_item()?;
        self.holds(&UniqueWrite::of_put(entity, &item, true)?).await
    }

    /// Whether the holder of `write`, a creating put, holds the guards of all the values
    /// it gives.
    async fn holds(&self, write: &UniqueWrite) -> Result<bool> {
        let guards = write.guards(&Stored::NotRead)?;
        let keys = guards
            .iter()
            .map(GuardChange::checked_key)
            .collect::<Result<Vec<_>>>()?;
        let reads = keys
            .iter()
            .map(|key| read_consistently(self, key, &[HOLDER_PK, HOLDER_SK]));
        let found = futures::future::try_join_all(reads).await?;
        Ok(guards.iter().zip(found).all(|(guard, found)| {
            found.and_then(|found| guard.holder_of(&found)).as_ref() == Some(guard.holder_key())
        }))
    }

    /// Writes the guards of `entity`'s unique values, as read from the table: for items
    /// written before a field became `#[dynamo(unique)]`, from a data migration. Reads
    /// the guards first ([`Table::holds_guards`]); unless the item holds them all, one
    /// transaction requires the item to still hold those values and puts their guards.
    ///
    /// Answers whether guards were written: `false` when the item held them already, or
    /// is gone or holds other values now (whatever changed it moved its guards). A value
    /// another item's guard holds is [`Error::UniqueViolation`], and nothing is written.
    ///
    /// ```no_run
    /// # use dynaschema::{Entity, Table};
    /// # use futures::TryStreamExt;
    /// # async fn run<User: Entity + Send + Sync + 'static>(table: &Table) -> dynaschema::Result<()> {
    /// let users: Vec<User> = table.scan::<User>().consistent().all().await?;
    /// for user in &users {
    ///     table.write_guards(user).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn write_guards<E: Entity + Sync>(&self, entity: &E) -> Result<bool> {
        if E::UNIQUE.is_empty() {
            return Ok(false);
        }
        let item = entity.to_item()?;
        let write = UniqueWrite::of_put(entity, &item, true)?;
        if self.holds(&write).await? {
            return Ok(false);
        }
        // The item still there, with the values it was read with.
        let exists = Condition::item_exists(E::PK_TEMPLATE.attribute());
        let held = match requirement::<E>(&Stored::Found(item)) {
            Some(values) => exists.and(values),
            None => exists,
        };
        match self
            .transact()
            .check_guarding(entity.key(), held, write)
            .await
        {
            Ok(()) => Ok(true),
            // The item changed or went (also when another now holds the value).
            Err(Error::TransactionCanceled { reasons })
                if reasons
                    .iter()
                    .any(|r| r.index == 0 && r.code == "ConditionalCheckFailed") =>
            {
                Ok(false)
            }
            Err(err) => Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_number;

    #[test]
    fn numbers_are_guarded_as_dynamodb_gives_them_back() {
        for (written, stored) in [
            ("42", "42"),
            ("-42", "-42"),
            ("007", "7"),
            ("1.50", "1.5"),
            ("1.50E2", "150"),
            ("1.5e-3", "0.0015"),
            ("0.05", "0.05"),
            ("-0.0", "0"),
            ("0", "0"),
            ("+3", "3"),
            ("12.5e1", "125"),
            ("100", "100"),
            ("1e21", "1000000000000000000000"),
        ] {
            assert_eq!(canonical_number(written), stored, "{written}");
        }
        assert_eq!(canonical_number("abc"), "abc");
    }
}
