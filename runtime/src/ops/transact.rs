//! Transactions: puts, updates, deletes and condition checks that all happen or none.

use std::collections::HashMap;
use std::future::IntoFuture;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, ConditionCheck, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update as SdkUpdate,
};
use futures::future::BoxFuture;

pub use crate::error::CancelReason;
use crate::error::{Error, Result};
use crate::expr::{Condition, RequestCondition, Update, VersionCheck};
use crate::item::{write_time, Entity, Item};
use crate::key::Key;
use crate::ops::key_schema::key_item;
use crate::ops::retry::transient;
use crate::ops::write::written_item;
use crate::ops::write::{
    transaction_delete, transaction_put, update_expressions, version_conflict, VersionedWrite,
};
use crate::outcome::Attempts;
use crate::table::{error_code, Table};
use crate::unique::{self, GuardChange, Stored, UniqueWrite};

/// DynamoDB's limit on items in one transaction.
pub const MAX_TRANSACTION_ITEMS: usize = 100;

/// A TransactWriteItems, made by [`Table::transact`]: every action happens, or none.
/// `.await` sends it.
///
/// Entities given to [`put`](Self::put) and the like stay borrowed until the transaction
/// is sent: each attempt makes its request from them, so no copy is kept for a retry.
///
/// When DynamoDB cancels it, [`Error::TransactionCanceled`] lists each failing item with
/// its index, key and reason. A cancellation only for conflicts with other
/// transactions is retried as the table's [retry policy](Table::with_retry) says.
///
/// ```no_run
/// # use dynaschema::{Attr, Entity, Key, Table};
/// # async fn run<Account: Entity + Send, Op: Entity + Send + Sync>(
/// #     table: &Table, operation: &Op, account: Key<Account>, balance: Attr<Account, i64>,
/// # ) -> dynaschema::Result<()> {
/// table
///     .transact()
///     .put_new(operation)
///     .update(account, |u| u.add(balance, -50).require(balance.ge(50)))
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "a transaction does nothing until it is awaited"]
pub struct Transaction<'a> {
    table: &'a Table,
    items: Vec<Action<'a>>,
    /// The first action that could not be made (a unique value that cannot be guarded):
    /// the transaction answers it when sent, sending nothing.
    refused: Option<Error>,
}

/// Makes an action's request item, for the table of this name, given what the action
/// read of its item (see [`Stored`]). Each attempt makes its items afresh from what the
/// action holds (the entity borrowed, the key, the update), so that no copy of a request
/// is kept for a retry.
type MakeItem<'a> = Box<dyn Fn(&str, &Stored) -> Result<TransactWriteItem> + Send + Sync + 'a>;

/// One action of a transaction, and what names it in a cancellation reason.
struct Action<'a> {
    make: MakeItem<'a>,
    entity: &'static str,
    /// The entity's key attributes: the key text of a cancellation reason is read from
    /// the action's item, made again then, so that no text is made for every request.
    key_attributes: (&'static str, Option<&'static str>),
    /// Whether the action is a [`put_new`](Transaction::put_new) or a put of a versioned
    /// entity: its cancellation reason tells whether an earlier attempt of the
    /// transaction was applied.
    new_item: bool,
    /// For a write of a versioned entity: which write, its version attribute and the
    /// version it requires, which tell a version conflict among the cancellation reasons.
    version: Option<(VersionedWrite, &'static str, u64)>,
    /// For a write of an entity with unique fields that changes them: what it does to
    /// their guards, which are actions of their own added when the transaction is sent.
    unique: Option<UniqueWrite>,
    /// What the write read of its item before sending, for its guards.
    stored: Stored,
    /// For a guard's put or delete: the index of the write it belongs to, and the guard.
    guard: Option<(usize, GuardChange)>,
}

impl Action<'_> {
    /// Makes the action's request item.
    fn make(&self, table: &str) -> Result<TransactWriteItem> {
        (self.make)(table, &self.stored)
    }

    /// The item's key as `PK=ACCOUNT#123, SK=ACCOUNT`, from the item made again.
    fn key_text(&self, table: &str) -> String {
        match self.make(table) {
            Ok(item) => self.describe(&item),
            Err(_) => "<unknown key>".to_owned(),
        }
    }

    /// The key of `item`, this action's item, as `PK=ACCOUNT#123, SK=ACCOUNT`.
    fn describe(&self, item: &TransactWriteItem) -> String {
        let (pk, sk) = self.key_attributes;
        let key = item_key(item);
        let value = |name: &str| match key.and_then(|key| key.get(name)) {
            Some(AttributeValue::S(text)) => text.clone(),
            Some(other) => format!("{other:?}"),
            None => "<none>".to_owned(),
        };
        match sk {
            Some(sk) => format!("{pk}={}, {sk}={}", value(pk), value(sk)),
            None => format!("{pk}={}", value(pk)),
        }
    }

    /// Whether two actions' items have the same key.
    fn same_item(&self, a: &TransactWriteItem, b: &TransactWriteItem) -> bool {
        let (pk, sk) = self.key_attributes;
        match (item_key(a), item_key(b)) {
            (Some(a), Some(b)) => {
                a.get(pk) == b.get(pk) && sk.is_none_or(|sk| a.get(sk) == b.get(sk))
            }
            _ => false,
        }
    }
}

/// The attributes of a transaction item that hold its key: a put's whole item, or the
/// others' key.
fn item_key(item: &TransactWriteItem) -> Option<&HashMap<String, AttributeValue>> {
    if let Some(put) = item.put() {
        Some(put.item())
    } else if let Some(update) = item.update() {
        Some(update.key())
    } else if let Some(delete) = item.delete() {
        Some(delete.key())
    } else {
        item.condition_check().map(|check| check.key())
    }
}

impl Table {
    /// An empty transaction, to fill with actions.
    pub fn transact(&self) -> Transaction<'_> {
        Transaction {
            table: self,
            items: Vec::new(),
            refused: None,
        }
    }
}

impl<'a> Transaction<'a> {
    fn push<E: Entity>(mut self, make: MakeItem<'a>) -> Self {
        self.items.push(Action {
            make,
            entity: E::ENTITY_NAME,
            key_attributes: (
                E::PK_TEMPLATE.attribute(),
                E::SK_TEMPLATE.as_ref().map(|sk| sk.attribute()),
            ),
            new_item: false,
            version: None,
            unique: None,
            stored: Stored::NotRead,
            guard: None,
        });
        self
    }

    /// Gives the last action the guards of its unique values: `write`, or the error
    /// making it met, which the transaction then answers.
    fn guarding(mut self, write: Result<Option<UniqueWrite>>) -> Self {
        match write {
            Ok(write) => {
                if let Some(action) = self.items.last_mut() {
                    action.unique = write;
                }
            }
            Err(err) => {
                self.refused.get_or_insert(err);
            }
        }
        self
    }

    /// Marks the last action as a `write` of version `expected` of a versioned entity.
    fn requiring_version<E: Entity>(
        mut self,
        write: VersionedWrite,
        expected: Option<u64>,
    ) -> Self {
        if let (Some(action), Some(attribute), Some(expected)) =
            (self.items.last_mut(), E::VERSION, expected)
        {
            action.version = Some((write, attribute, expected));
        }
        self
    }

    pub(crate) fn put_item<E: Entity + Sync>(
        self,
        entity: &'a E,
        condition: Option<Condition<E>>,
        creates: bool,
        skip_version: bool,
    ) -> Self {
        // Fixed now: every attempt sends the same item, as a kept token requires.
        let now = write_time::<E>();
        let unique = (!E::UNIQUE.is_empty()).then(|| {
            // A put of version 0 creates the item as surely as put_new does.
            let new = E::VERSION.is_some() && !skip_version && entity.version() == 0;
            let item = written_item(self.table, entity, skip_version, creates, now)?.0;
            UniqueWrite::of_put(entity, &item, creates || new)
        });
        let sent_to = self.table;
        let make = move |table: &str, stored: &Stored| {
            let (item, version) = written_item(sent_to, entity, skip_version, creates, now)?;
            let condition = [version, condition.clone(), unique::requirement::<E>(stored)]
                .into_iter()
                .flatten()
                .reduce(Condition::and);
            let condition = RequestCondition::new(condition.as_ref())?;
            Ok(transaction_put(table, item, condition))
        };
        let mut transaction = self.push::<E>(Box::new(make));
        if (E::VERSION.is_some() || creates)
            && let Some(action) = transaction.items.last_mut()
        {
            action.new_item = true;
        }
        // A creating put requires no item, as put_new does: an item there is a canceled
        // put, not a version conflict.
        let expected = (!skip_version && !creates).then(|| entity.version());
        transaction
            .requiring_version::<E>(VersionedWrite::Put, expected)
            .guarding(unique.transpose())
    }

    /// Writes `entity`, replacing any item with its key; for a versioned entity, only
    /// over the item at the entity's version (none, for version 0), writing the next.
    pub fn put<E: Entity + Sync>(self, entity: &'a E) -> Self {
        self.put_item(entity, None, false, false)
    }

    /// Writes `entity` only if no item has its key; else the transaction is canceled
    /// with reason `ConditionalCheckFailed` for this item.
    pub fn put_new<E: Entity + Sync>(self, entity: &'a E) -> Self {
        let absent = Condition::item_not_exists(E::PK_TEMPLATE.attribute());
        self.put_item(entity, Some(absent), true, false)
    }

    /// Writes `entity` only if `condition` holds on the item stored under its key.
    pub fn put_when<E: Entity + Sync>(self, entity: &'a E, condition: Condition<E>) -> Self {
        self.put_item(entity, Some(condition), false, false)
    }

    /// Changes the existing item of `key` as `build` says; the item must exist and the
    /// update's required conditions hold.
    pub fn update<E: Entity + 'a>(
        self,
        key: Key<E>,
        build: impl FnOnce(Update<E>) -> Update<E>,
    ) -> Self {
        self.update_item(key, build(Update::new()), false)
    }

    /// An update of the item of `key`, or (`creates`) an upsert.
    pub(crate) fn update_item<E: Entity + 'a>(
        self,
        key: Key<E>,
        update: Update<E>,
        creates: bool,
    ) -> Self {
        let expected = match update.version_check() {
            Some(VersionCheck::Expect(expected)) => Some(expected),
            _ => None,
        };
        let unique = UniqueWrite::of_update(&key, &update);
        let now = write_time::<E>();
        let sent_to = self.table;
        let make = move |table: &str, stored: &Stored| {
            let required = unique::requirement::<E>(stored);
            let update = match required {
                Some(required) => &update.clone().require(required),
                None => &update,
            };
            let (update, condition, expression) =
                update_expressions(sent_to, &key, update, now, creates)?;
            let (names, values) = expression.into_placeholders();
            let update = SdkUpdate::builder()
                .table_name(table)
                .set_key(Some(key_item(sent_to, &key)?))
                .update_expression(update)
                .set_condition_expression(condition)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                // The item as it was, for a failed condition's reason.
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build()
                .expect("the table name, key and expression are set");
            Ok(TransactWriteItem::builder().update(update).build())
        };
        let write = match creates {
            true => VersionedWrite::Upsert,
            false => VersionedWrite::Update,
        };
        self.push::<E>(Box::new(make))
            .requiring_version::<E>(write, expected)
            .guarding(unique)
    }

    pub(crate) fn delete_item<E: Entity + 'a>(
        self,
        key: Key<E>,
        condition: Option<Condition<E>>,
    ) -> Self {
        let unique = (!E::UNIQUE.is_empty())
            .then(|| UniqueWrite::of_delete(&key))
            .transpose();
        let sent_to = self.table;
        let make = move |table: &str, stored: &Stored| {
            let condition = [condition.clone(), unique::requirement::<E>(stored)]
                .into_iter()
                .flatten()
                .reduce(Condition::and);
            let condition = RequestCondition::new(condition.as_ref())?;
            Ok(transaction_delete(
                table,
                key_item(sent_to, &key)?,
                condition,
            ))
        };
        self.push::<E>(Box::new(make)).guarding(unique)
    }

    /// Deletes the item of `key`, if there is one.
    pub fn delete<E: Entity + 'a>(self, key: Key<E>) -> Self {
        self.delete_item(key, None)
    }

    /// Deletes the item of `key` only if `condition` holds on it.
    pub fn delete_when<E: Entity + 'a>(self, key: Key<E>, condition: Condition<E>) -> Self {
        self.delete_item(key, Some(condition))
    }

    /// Requires `condition` to hold on the item of `key`, without changing it.
    pub fn check<E: Entity + 'a>(self, key: Key<E>, condition: Condition<E>) -> Self {
        let sent_to = self.table;
        let make = move |table: &str, _: &Stored| {
            let condition = RequestCondition::new(Some(&condition))?;
            let check = ConditionCheck::builder()
                .table_name(table)
                .set_key(Some(key_item(sent_to, &key)?))
                .set_condition_expression(condition.text)
                .set_expression_attribute_names(condition.names)
                .set_expression_attribute_values(condition.values)
                // The item as it was, for a failed condition's reason.
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build()
                .expect("the table name, key and condition are set");
            Ok(TransactWriteItem::builder().condition_check(check).build())
        };
        self.push::<E>(Box::new(make))
    }

    /// Requires `condition` of the item of `key`, and writes the guards `write` gives:
    /// [`Table::write_guards`].
    pub(crate) fn check_guarding<E: Entity + 'a>(
        self,
        key: Key<E>,
        condition: Condition<E>,
        write: UniqueWrite,
    ) -> Self {
        self.check(key, condition).guarding(Ok(Some(write)))
    }

    /// How many actions the transaction holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the transaction holds no action.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Sends the transaction; the same as `.await`. An empty one sends nothing.
    ///
    /// Writes of entities with unique fields that change them first read the stored
    /// values (one consistent read each) and add the puts and deletes of their guards;
    /// when another writer changed those values in between, they read again, as often
    /// as the table's [retry policy](Table::with_retry) allows attempts. A guard another
    /// item holds is [`Error::UniqueViolation`].
    pub async fn send(self) -> Result<()> {
        let table = self.table;
        if let Some(refused) = self.refused {
            return Err(refused);
        }
        let mut actions = self.items;
        if actions.is_empty() {
            return Ok(());
        }
        let written = actions.len();
        let make_items = |actions: &[Action]| {
            actions
                .iter()
                .map(|a| a.make(table.name()))
                .collect::<Result<Vec<_>>>()
        };
        let mut next = Some(prepare(table, &mut actions, written).await?);
        let policy = *table.retry_policy();
        let attempts = Attempts::new();
        let mut token = new_token();
        let mut attempt = 1;
        loop {
            let sent = match next.take() {
                Some(items) => items,
                None => make_items(&actions)?,
            };
            // The token is the request's own: the SDK's retries of this request send it
            // again, so that DynamoDB applies the transaction at most once.
            let result = attempts
                .watch(
                    table
                        .client()
                        .transact_write_items()
                        .set_transact_items(Some(sent))
                        .client_request_token(&token)
                        .send(),
                )
                .await;
            let err = match result {
                Ok(_) => return Ok(()),
                Err(err) => err,
            };
            // A request with this token is still being applied: ask again, with the
            // same token, once it has had time to finish.
            if error_code(&err) == Some("TransactionInProgressException")
                && attempt < policy.max_attempts
            {
                tokio::time::sleep(policy.delay(attempt)).await;
                attempt += 1;
                continue;
            }
            // Throttled, or answered with a server error or not at all, after the SDK's
            // retries: sent again with the same token, which DynamoDB applies at most
            // once, so that an earlier attempt that was applied is not applied twice.
            if transient(&err) && attempt < policy.max_attempts {
                tokio::time::sleep(policy.delay(attempt)).await;
                attempt += 1;
                continue;
            }
            let keys = |actions: &[Action]| keys_text(table.name(), actions);
            let reasons = match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(canceled)) => {
                    reasons_of(table.name(), &actions, canceled.cancellation_reasons())
                }
                _ => {
                    let keys = keys(&actions);
                    return Err(table.write_error("TransactWriteItems", keys, &attempts, err));
                }
            };
            if attempts.maybe_applied() && own_item_found(table.name(), &actions, &reasons) {
                // A put_new failed on the very item this transaction writes: an earlier
                // attempt was applied, all of it.
                return Ok(());
            }
            let stale = !attempts.maybe_applied() && read_stale(&actions, &reasons);
            // Another writer changed unique values this transaction read: read them
            // again, and move the guards from there. An old value whose guard another
            // item holds (two items shared it before it was unique) keeps its guard.
            if (stale || leave_others_guards(&mut actions, &reasons))
                && attempt < policy.max_attempts
            {
                attempt += 1;
                token = new_token();
                next = Some(prepare(table, &mut actions, written).await?);
                continue;
            }
            if stale {
                return Err(Error::Contended {
                    keys: keys(&actions[..written]),
                    table: table.name().to_owned(),
                    attempts: attempt,
                });
            }
            if only_conflicts(&reasons) && attempt < policy.max_attempts {
                tokio::time::sleep(policy.delay(attempt)).await;
                attempt += 1;
                // A new attempt gets a new token, unless an earlier one may have been
                // applied: the same token then lets DynamoDB recognise it.
                if !attempts.maybe_applied() {
                    token = new_token();
                }
                continue;
            }
            let conflict = version_conflict_of(table.name(), &actions, &reasons);
            if let (None, Some((guard, found))) = (&conflict, violated_guard(&actions, &reasons)) {
                // A guard left behind by an item since deleted or changed without the
                // toolkit holds nothing: released, the writes go on.
                if attempt < policy.max_attempts
                    && unique::release_if_left_behind(table, guard, found).await?
                {
                    attempt += 1;
                    token = new_token();
                    next = Some(prepare(table, &mut actions, written).await?);
                    continue;
                }
                // Another item holds the guard: had an earlier attempt been applied, the
                // guard would be this write's own. Nothing was written.
                let violation = guard.violation(found, table.name());
                return Err(violation.expect("a refused put is a violation"));
            }
            let canceled = conflict.unwrap_or(Error::TransactionCanceled { reasons });
            return Err(if attempts.maybe_applied() {
                table.outcome_unknown("TransactWriteItems", keys(&actions), &canceled)
            } else {
                canceled
            });
        }
    }
}

/// Makes the request items of the first `written` actions, with their guards: reads
/// what writes of unique values need read, adds the guards' actions after the writes,
/// and refuses (before sending) too many actions, two on one item, or one unique value
/// given twice.
async fn prepare(
    table: &Table,
    actions: &mut Vec<Action<'_>>,
    written: usize,
) -> Result<Vec<TransactWriteItem>> {
    actions.truncate(written);
    // The writes' reads, at once rather than one after another.
    let reads = actions.iter().map(|action| async move {
        match &action.unique {
            Some(unique) => unique.read(table).await,
            None => Ok(Stored::NotRead),
        }
    });
    let reads = futures::future::try_join_all(reads).await?;
    let mut guards: Vec<(usize, GuardChange)> = Vec::new();
    for (index, (action, stored)) in actions.iter_mut().zip(reads).enumerate() {
        action.stored = stored;
        if let Some(unique) = &action.unique {
            let changes = unique.guards(&action.stored)?;
            guards.extend(changes.into_iter().map(|guard| (index, guard)));
        }
    }
    // A value one write gives up and another takes is one put of its guard, which may
    // take it from the first: DynamoDB allows one action per item.
    let given_up: Vec<(Item, Item)> = guards
        .iter()
        .filter(|(_, guard)| !guard.puts)
        .map(|(_, guard)| (guard.key(), guard.holder_key().clone()))
        .collect();
    let taken: Vec<Item> = guards
        .iter()
        .filter(|(_, guard)| guard.puts)
        .map(|(_, guard)| guard.key())
        .collect();
    guards.retain(|(_, guard)| guard.puts || !taken.contains(&guard.key()));
    for (_, guard) in guards.iter_mut().filter(|(_, g)| g.puts) {
        let key = guard.key();
        guard.taken_from = given_up
            .iter()
            .find(|(given, _)| *given == key)
            .map(|(_, holder)| holder.clone());
    }
    let guard_count = guards.len();
    actions.extend(
        guards
            .into_iter()
            .map(|(index, guard)| guard_action(index, guard)),
    );
    check_count(actions.len(), guard_count)?;
    let items = actions
        .iter()
        .map(|a| a.make(table.name()))
        .collect::<Result<Vec<_>>>()?;
    check_guards_distinct(actions)?;
    check_distinct(actions, &items)?;
    Ok(items)
}

/// The action putting or deleting `guard`, for the write at `owner`.
fn guard_action<'a>(owner: usize, guard: GuardChange) -> Action<'a> {
    let request = guard.clone();
    Action {
        make: Box::new(move |table: &str, _: &Stored| request.request(table)),
        entity: guard.entity,
        key_attributes: guard.keys,
        new_item: false,
        version: None,
        unique: None,
        stored: Stored::NotRead,
        guard: Some((owner, guard)),
    }
}

/// Refuses two writes of one transaction giving one unique value.
fn check_guards_distinct(actions: &[Action]) -> Result<()> {
    let puts: Vec<&GuardChange> = actions
        .iter()
        .filter_map(|a| a.guard.as_ref().map(|(_, guard)| guard))
        .filter(|guard| guard.puts)
        .collect();
    for (index, guard) in puts.iter().enumerate() {
        if let Some(first) = puts[..index].iter().find(|g| g.key() == guard.key()) {
            return Err(Error::InvalidTransaction {
                message: format!(
                    "two of its writes give {} {} {:?} (to {} and to {}), and a unique value \
                     is one item's",
                    guard.entity,
                    guard.attribute,
                    guard.value,
                    first.holder(),
                    guard.holder()
                ),
            });
        }
    }
    Ok(())
}

/// Notes, for the writes they belong to, the guards of old values that a delete found
/// held by another item, which the writes then leave alone; whether there were any.
fn leave_others_guards(actions: &mut [Action], reasons: &[CancelReason]) -> bool {
    let mut left = false;
    for reason in reasons {
        let Some(Some((owner, guard))) = actions.get(reason.index).map(|a| a.guard.as_ref()) else {
            continue;
        };
        if guard.puts || reason.code != "ConditionalCheckFailed" || reason.item.is_none() {
            continue;
        }
        let (owner, foreign) = (*owner, (guard.attribute, guard.value.clone()));
        if let Some(unique) = actions.get_mut(owner).and_then(|a| a.unique.as_mut()) {
            unique.foreign.push(foreign);
            left = true;
        }
    }
    left
}

/// Whether a write of unique values failed on an item whose values are not those it
/// read: another writer changed them in between.
fn read_stale(actions: &[Action], reasons: &[CancelReason]) -> bool {
    reasons.iter().any(|reason| {
        let Some(action) = actions.get(reason.index) else {
            return false;
        };
        let Some(unique) = &action.unique else {
            return false;
        };
        reason.code == "ConditionalCheckFailed"
            && unique.stale(&action.stored, reason.item.as_ref())
    })
}

/// The guard whose put was refused for another holder, with the guard found (ALL_OLD),
/// while the write it belongs to met its own conditions (else that write's failure is
/// the news): a unique violation.
fn violated_guard<'r>(
    actions: &'r [Action],
    reasons: &'r [CancelReason],
) -> Option<(&'r GuardChange, Option<&'r Item>)> {
    reasons.iter().find_map(|reason| {
        let (owner, guard) = actions.get(reason.index)?.guard.as_ref()?;
        let owner_failed = reasons
            .iter()
            .any(|r| r.index == *owner && r.code == "ConditionalCheckFailed");
        (reason.code == "ConditionalCheckFailed" && guard.puts && !owner_failed)
            .then_some((guard, reason.item.as_ref()))
    })
}

/// Whether `err` is the cancellation of a transaction of one write (and its guards) for
/// a failed condition of the write itself, and if so, the item it failed on (ALL_OLD):
/// what a put, update or delete of an entity with unique fields tells its errors by.
pub(crate) fn write_refused(err: &Error) -> Option<Option<&Item>> {
    match err {
        Error::TransactionCanceled { reasons } => reasons
            .iter()
            .find(|r| r.index == 0 && r.code == "ConditionalCheckFailed")
            .map(|r| r.item.as_ref()),
        _ => None,
    }
}

/// The version conflict among the cancellation reasons, if there is one: a write of a
/// versioned entity whose condition failed on an item at another version.
fn version_conflict_of(table: &str, actions: &[Action], reasons: &[CancelReason]) -> Option<Error> {
    reasons.iter().find_map(|reason| {
        let action = actions.get(reason.index)?;
        let (write, attribute, expected) = action.version?;
        if reason.code != "ConditionalCheckFailed" {
            return None;
        }
        let required = (action.entity, attribute, expected);
        let key = || action.key_text(table);
        version_conflict(write, required, reason.item.as_ref(), key, table)
    })
}

/// A fresh ClientRequestToken: 32 random hexadecimal digits.
fn new_token() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// The keys of a transaction's actions, for a message.
fn keys_text(table: &str, actions: &[Action]) -> String {
    actions
        .iter()
        .map(|action| action.key_text(table))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether a put_new's condition failed on the item it writes itself, as the reason's
/// ALL_OLD copy shows.
fn own_item_found(table: &str, actions: &[Action], reasons: &[CancelReason]) -> bool {
    reasons.iter().any(|reason| {
        let Some(action) = actions.get(reason.index).filter(|a| a.new_item) else {
            return false;
        };
        if reason.code != "ConditionalCheckFailed" {
            return false;
        }
        let written = action.make(table).ok();
        let written = written
            .as_ref()
            .and_then(|item| item.put())
            .map(|put| put.item());
        reason.item.is_some() && reason.item.as_ref() == written
    })
}

impl<'a> IntoFuture for Transaction<'a> {
    type Output = Result<()>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// Refuses, before sending, what DynamoDB would: too many actions (`guards` of them
/// puts and deletes of unique values' guards)...
fn check_count(actions: usize, guards: usize) -> Result<()> {
    if actions > MAX_TRANSACTION_ITEMS {
        let of_which = match guards {
            0 => String::new(),
            n => format!(" ({n} of them guards of unique values)"),
        };
        return Err(Error::InvalidTransaction {
            message: format!(
                "it holds {actions} actions{of_which} and DynamoDB allows at most \
                 {MAX_TRANSACTION_ITEMS}; split it, or use a batch if the writes need not be \
                 atomic"
            ),
        });
    }
    Ok(())
}

/// ...or two actions on one item. At most 100 items: comparing each pair costs less
/// than hashing their keys.
fn check_distinct(actions: &[Action], items: &[TransactWriteItem]) -> Result<()> {
    for (index, (action, item)) in actions.iter().zip(items).enumerate() {
        if let Some(first) = items[..index]
            .iter()
            .position(|earlier| action.same_item(earlier, item))
        {
            return Err(Error::InvalidTransaction {
                message: format!(
                    "items {first} and {index} both act on {} {}; DynamoDB allows one \
                     action per item in a transaction",
                    action.entity,
                    action.describe(item)
                ),
            });
        }
    }
    Ok(())
}

/// The reasons of the items that failed, named by their actions; DynamoDB lists one
/// reason per item, in order, with code `None` for those that did not fail.
fn reasons_of(
    table: &str,
    actions: &[Action],
    reasons: &[CancellationReason],
) -> Vec<CancelReason> {
    reasons
        .iter()
        .enumerate()
        .filter_map(|(index, reason)| {
            let code = reason.code().filter(|code| *code != "None")?;
            let action = actions.get(index);
            Some(CancelReason {
                index,
                entity: action.map_or("item", |a| a.entity),
                key: action.map_or_else(|| "<unknown key>".to_owned(), |a| a.key_text(table)),
                code: code.to_owned(),
                message: reason.message().map(str::to_owned),
                item: reason.item().cloned(),
            })
        })
        .collect()
}

/// Whether the transaction failed only because it conflicted with others: worth
/// sending again.
fn only_conflicts(reasons: &[CancelReason]) -> bool {
    !reasons.is_empty() && reasons.iter().all(|r| r.code == "TransactionConflict")
}

/// The reasons, for [`Error::TransactionCanceled`]'s message.
#[cfg(test)]
mod tests {
    use super::*;

    /// A condition check on the item of key `PK=pk, SK=sk`.
    fn action(entity: &'static str, pk: &str, sk: &str) -> Action<'static> {
        let key = HashMap::from([
            ("PK".to_owned(), AttributeValue::S(pk.to_owned())),
            ("SK".to_owned(), AttributeValue::S(sk.to_owned())),
        ]);
        Action {
            make: Box::new(move |table, _| {
                let check = ConditionCheck::builder()
                    .table_name(table)
                    .set_key(Some(key.clone()))
                    .condition_expression("attribute_exists(PK)")
                    .build()
                    .expect("complete");
                Ok(TransactWriteItem::builder().condition_check(check).build())
            }),
            entity,
            key_attributes: ("PK", Some("SK")),
            new_item: false,
            version: None,
            unique: None,
            stored: Stored::NotRead,
            guard: None,
        }
    }

    fn items(actions: &[Action]) -> Vec<TransactWriteItem> {
        actions.iter().map(|a| a.make("t").unwrap()).collect()
    }

    fn reason(code: &str, message: Option<&str>) -> CancellationReason {
        CancellationReason::builder()
            .code(code)
            .set_message(message.map(str::to_owned))
            .build()
    }

    #[test]
    fn reasons_name_the_failing_items_only() {
        let actions = [
            action("Operation", "ACCOUNT#1", "OPERATION#x"),
            action("Account", "ACCOUNT#1", "ACCOUNT"),
        ];
        let reasons = reasons_of(
            "t",
            &actions,
            &[
                reason("None", None),
                reason(
                    "ConditionalCheckFailed",
                    Some("The conditional request failed"),
                ),
            ],
        );
        assert_eq!(
            reasons,
            [CancelReason {
                index: 1,
                entity: "Account",
                key: "PK=ACCOUNT#1, SK=ACCOUNT".to_owned(),
                code: "ConditionalCheckFailed".to_owned(),
                message: Some("The conditional request failed".to_owned()),
                item: None,
            }]
        );
        let err = Error::TransactionCanceled { reasons };
        assert_eq!(
            err.to_string(),
            "transaction canceled, nothing was written: item 1 (Account PK=ACCOUNT#1, SK=ACCOUNT): \
             ConditionalCheckFailed (The conditional request failed); fix the failing items or retry"
        );
    }

    #[test]
    fn only_pure_conflicts_are_retried() {
        let actions = [action("A", "1", "a"), action("B", "2", "a")];
        let conflict = reasons_of(
            "t",
            &actions,
            &[reason("TransactionConflict", None), reason("None", None)],
        );
        assert!(only_conflicts(&conflict));
        let mixed = reasons_of(
            "t",
            &actions,
            &[
                reason("TransactionConflict", None),
                reason("ConditionalCheckFailed", None),
            ],
        );
        assert!(!only_conflicts(&mixed));
        assert!(!only_conflicts(&[]));
    }

    #[test]
    fn too_many_actions_or_two_on_one_item_are_refused() {
        let err = check_count(MAX_TRANSACTION_ITEMS + 1, 0).unwrap_err();
        assert!(err.to_string().contains("101 actions and"), "{err}");
        let err = check_count(MAX_TRANSACTION_ITEMS + 2, 51).unwrap_err();
        assert!(
            err.to_string()
                .contains("102 actions (51 of them guards of unique values)"),
            "{err}"
        );
        assert!(check_count(MAX_TRANSACTION_ITEMS, 0).is_ok());
        let many: Vec<Action> = (0..MAX_TRANSACTION_ITEMS)
            .map(|i| action("A", &i.to_string(), "a"))
            .collect();
        assert!(check_distinct(&many, &items(&many)).is_ok());

        let twice = [
            action("A", "1", "a"),
            action("B", "1", "b"),
            action("A", "1", "a"),
        ];
        let err = check_distinct(&twice, &items(&twice)).unwrap_err();
        assert!(
            err.to_string()
                .contains("items 0 and 2 both act on A PK=1, SK=a"),
            "{err}"
        );
    }
}
