//! Typed attribute handles, and the condition and update expressions built from them.
//!
//! Every attribute name and value reaches DynamoDB as a placeholder (`#n0`, `:v0`):
//! `name` and `type` are reserved words, and user data never becomes expression text.

use std::collections::HashMap;
use std::fmt::Write;
use std::marker::PhantomData;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::attribute::{Attribute, Serde, SetElement};
use crate::error::{Error, Result};
use crate::outcome::same_value;

/// The attribute of field type `T` of entity `E`, such as `Account::BALANCE`: conditions
/// and updates built from it only accept values of type `T`, and only combine with
/// other conditions on `E`.
///
/// ```
/// use dynaschema::expr::{Attr, Expression};
///
/// struct Account;
/// const BALANCE: Attr<Account, i64> = Attr::new("balance");
/// const NAME: Attr<Account, String> = Attr::new("name");
///
/// let condition = BALANCE.ge(50).and(NAME.exists());
/// let mut expression = Expression::default();
/// assert_eq!(expression.condition(&condition)?, "(#n0 >= :v0 AND attribute_exists(#n1))");
/// assert_eq!(expression.names()["#n1"], "name");
/// # Ok::<(), dynaschema::Error>(())
/// ```
pub struct Attr<E, T> {
    name: &'static str,
    _types: PhantomData<fn() -> (E, T)>,
}

impl<E, T> Attr<E, T> {
    /// The handle of attribute `name`; the derive makes one per stored field.
    pub const fn new(name: &'static str) -> Self {
        Attr {
            name,
            _types: PhantomData,
        }
    }

    /// The attribute name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The attribute exists in the item.
    pub fn exists(&self) -> Condition<E> {
        Condition::new(Node::Exists(self.name, true))
    }

    /// The attribute is absent from the item.
    pub fn not_exists(&self) -> Condition<E> {
        Condition::new(Node::Exists(self.name, false))
    }
}

impl<E, T> Clone for Attr<E, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E, T> Copy for Attr<E, T> {}

impl<E, T> std::fmt::Debug for Attr<E, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Attr({})", self.name)
    }
}

/// A value for an expression: a stored value, or why it cannot be one (an absent value,
/// a NaN), reported when the expression is built.
type Value = std::result::Result<AttributeValue, String>;

/// Why a condition cannot compare with an absent value.
const ABSENT_IN_CONDITION: &str =
    "the value is absent (None or an empty set): use exists() or not_exists()";

/// Why an update cannot write an absent value.
const ABSENT_IN_UPDATE: &str = "the value is absent (None or an empty set), which an update \
                                cannot write: remove the attribute with u.remove(..) instead";

/// `value` as an attribute value, or why it cannot be one; `absent` says what to do
/// instead with an absent value, which depends on where it is used.
fn value_of<T: Attribute>(value: &T, absent: &str) -> Value {
    match value.to_value() {
        Ok(Some(value)) => Ok(value),
        Ok(None) => Err(absent.to_owned()),
        Err(err) => Err(err.0),
    }
}

/// `value` for a condition.
fn compared<T: Attribute>(value: &T) -> Value {
    value_of(value, ABSENT_IN_CONDITION)
}

/// `value` for an update.
fn written<T: Attribute>(value: &T) -> Value {
    value_of(value, ABSENT_IN_UPDATE)
}

/// Why a set of no elements cannot be added or deleted.
const NO_ELEMENTS: &str = "the set is empty: adding or deleting no elements changes nothing, \
                           and DynamoDB refuses an empty set; leave it out of the update";

impl<E, T: Attribute> Attr<E, T> {
    fn compare(&self, op: &'static str, value: &T) -> Condition<E> {
        Condition::new(Node::Compare(self.name, op, compared(value)))
    }

    /// `attribute = value`.
    pub fn eq(&self, value: impl Into<T>) -> Condition<E> {
        self.compare("=", &value.into())
    }

    /// `attribute <> value`.
    pub fn ne(&self, value: impl Into<T>) -> Condition<E> {
        self.compare("<>", &value.into())
    }

    /// `attribute < value`.
    pub fn lt(&self, value: impl Into<T>) -> Condition<E> {
        self.compare("<", &value.into())
    }

    /// `attribute <= value`.
    pub fn le(&self, value: impl Into<T>) -> Condition<E> {
        self.compare("<=", &value.into())
    }

    /// `attribute > value`.
    pub fn gt(&self, value: impl Into<T>) -> Condition<E> {
        self.compare(">", &value.into())
    }

    /// `attribute >= value`.
    pub fn ge(&self, value: impl Into<T>) -> Condition<E> {
        self.compare(">=", &value.into())
    }

    /// `attribute BETWEEN low AND high`, both included.
    pub fn between(&self, low: impl Into<T>, high: impl Into<T>) -> Condition<E> {
        Condition::new(Node::Between(
            self.name,
            compared(&low.into()),
            compared(&high.into()),
        ))
    }
}

impl<E> Attr<E, String> {
    /// `begins_with(attribute, prefix)`.
    pub fn begins_with(&self, prefix: impl Into<String>) -> Condition<E> {
        Condition::new(Node::Function(
            "begins_with",
            self.name,
            Ok(AttributeValue::S(prefix.into())),
        ))
    }

    /// `contains(attribute, text)`: the string contains `text`.
    pub fn contains(&self, text: impl Into<String>) -> Condition<E> {
        Condition::new(Node::Function(
            "contains",
            self.name,
            Ok(AttributeValue::S(text.into())),
        ))
    }
}

/// A condition on an item of entity `E`: for conditional puts, deletes, updates and
/// transaction checks.
pub struct Condition<E> {
    node: Node,
    _entity: PhantomData<fn() -> E>,
}

#[derive(Debug, Clone)]
enum Node {
    Compare(&'static str, &'static str, Value),
    Between(&'static str, Value, Value),
    Function(&'static str, &'static str, Value),
    Exists(&'static str, bool),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
}

impl<E> Condition<E> {
    fn new(node: Node) -> Self {
        Condition {
            node,
            _entity: PhantomData,
        }
    }

    /// The same condition, of another type's items: `E`'s projected items.
    pub(crate) fn retag<F>(self) -> Condition<F> {
        Condition::new(self.node)
    }

    /// Every attribute the condition reads, in the order written (repeats included).
    pub(crate) fn attributes(&self) -> Vec<&'static str> {
        fn walk(node: &Node, out: &mut Vec<&'static str>) {
            match node {
                Node::Compare(attribute, ..)
                | Node::Between(attribute, ..)
                | Node::Function(_, attribute, _)
                | Node::Exists(attribute, _) => out.push(attribute),
                Node::And(a, b) | Node::Or(a, b) => {
                    walk(a, out);
                    walk(b, out);
                }
                Node::Not(inner) => walk(inner, out),
            }
        }
        let mut out = Vec::new();
        walk(&self.node, &mut out);
        out
    }

    /// Both conditions hold.
    pub fn and(self, other: Condition<E>) -> Condition<E> {
        Condition::new(Node::And(Box::new(self.node), Box::new(other.node)))
    }

    /// Either condition holds.
    pub fn or(self, other: Condition<E>) -> Condition<E> {
        Condition::new(Node::Or(Box::new(self.node), Box::new(other.node)))
    }

    /// The condition does not hold.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Condition<E> {
        Condition::new(Node::Not(Box::new(self.node)))
    }

    /// `condition`, and `existing` too when there is one: how repeated requirements add up.
    pub(crate) fn conjoin(existing: Option<Condition<E>>, condition: Condition<E>) -> Condition<E> {
        match existing {
            Some(existing) => existing.and(condition),
            None => condition,
        }
    }

    /// The item exists: its partition key attribute is there. For conditions such as
    /// "the account exists" on an update, which would otherwise create the item.
    pub fn item_exists(partition_key: &'static str) -> Condition<E> {
        Condition::new(Node::Exists(partition_key, true))
    }

    /// The item does not exist: for puts that must not overwrite.
    pub fn item_not_exists(partition_key: &'static str) -> Condition<E> {
        Condition::new(Node::Exists(partition_key, false))
    }

    /// `attribute` holds exactly `value`, a value read from the table: what a write
    /// requires of what it read.
    pub(crate) fn holds(attribute: &'static str, value: AttributeValue) -> Condition<E> {
        match value {
            // A NULL is one by its type: `=` is documented for values, not for NULL.
            AttributeValue::Null(_) => Condition::new(Node::Function(
                "attribute_type",
                attribute,
                Ok(AttributeValue::S("NULL".into())),
            )),
            value => Condition::new(Node::Compare(attribute, "=", Ok(value))),
        }
    }
}

impl<E> Clone for Condition<E> {
    fn clone(&self) -> Self {
        Condition::new(self.node.clone())
    }
}

impl<E> std::fmt::Debug for Condition<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.node.fmt(f)
    }
}

/// The changes of an update of an item of entity `E`, and the conditions it requires.
///
/// ```
/// use dynaschema::expr::{Attr, Expression, Update};
/// # use std::collections::BTreeSet;
///
/// struct Account;
/// const BALANCE: Attr<Account, i64> = Attr::new("balance");
/// const NAME: Attr<Account, String> = Attr::new("name");
/// const NICKNAME: Attr<Account, Option<String>> = Attr::new("nickname");
/// const TAGS: Attr<Account, BTreeSet<String>> = Attr::new("tags");
///
/// let update = Update::new()
///     .add(BALANCE, -50)
///     .set(NAME, "clara")
///     .remove(NICKNAME)
///     .add(TAGS, BTreeSet::from(["vip".to_owned()]))
///     .require(BALANCE.ge(50));
/// let mut expression = Expression::default();
/// assert_eq!(
///     expression.update(&update)?,
///     "SET #n0 = :v0 REMOVE #n1 ADD #n2 :v1, #n3 :v2"
/// );
/// assert_eq!(expression.condition(update.condition().unwrap())?, "#n2 >= :v3");
/// # Ok::<(), dynaschema::Error>(())
/// ```
pub struct Update<E> {
    set: Vec<(&'static str, SetValue)>,
    remove: Vec<&'static str>,
    add: Vec<(&'static str, Value)>,
    delete: Vec<(&'static str, Value)>,
    condition: Option<Condition<E>>,
    version: Option<VersionCheck>,
}

impl<E> Clone for Update<E> {
    fn clone(&self) -> Self {
        Update {
            set: self.set.clone(),
            remove: self.remove.clone(),
            add: self.add.clone(),
            delete: self.delete.clone(),
            condition: self.condition.clone(),
            version: self.version,
        }
    }
}

/// What an update of a versioned entity checks of the stored version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VersionCheck {
    /// The version read: the update requires it and writes the next.
    Expect(u64),
    /// None: the update writes the next version of whatever is stored.
    Skip,
}

/// How an update changes an attribute.
pub(crate) enum Change<'u> {
    /// `SET` to a value (or a value that cannot be stored, and why).
    Set(std::result::Result<&'u AttributeValue, &'u str>),
    /// To a value DynamoDB works out (`ADD`, `increment`, ...), named by the method.
    Computed(&'static str),
    /// `REMOVE`.
    Removed,
}

#[derive(Debug, Clone)]
enum SetValue {
    Value(Value),
    IfNotExists(Value),
    Plus(Value),
    Minus(Value),
    /// The value added to what is stored, or to 0 when nothing is: a version written
    /// over whatever version there is.
    Bump(Value),
}

impl SetValue {
    /// The [`Update`] method that gives it, for messages.
    fn method(&self) -> &'static str {
        match self {
            SetValue::Value(_) => "set",
            SetValue::IfNotExists(_) => "set_if_not_exists",
            SetValue::Plus(_) => "increment",
            SetValue::Minus(_) => "decrement",
            SetValue::Bump(_) => "the version's increment",
        }
    }
}

/// A type DynamoDB's ADD applies to: numbers (adds) and sets (adds elements).
pub trait Addable: Attribute {}

macro_rules! addable {
    ($($t:ty),*) => {$( impl Addable for $t {} )*};
}
addable!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, f32, f64);
impl<T: SetElement + Ord> Addable for std::collections::BTreeSet<T> {}
impl<T: SetElement + Eq + std::hash::Hash, S: std::hash::BuildHasher + Default> Addable
    for std::collections::HashSet<T, S>
{
}

/// An optional field's type: the targets of [`Update::remove`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not optional, so its attribute cannot be removed",
    label = "`remove` takes the handle of an `Option` field",
    note = "an item without this attribute would not read back; set the field to another value instead"
)]
pub trait Optional: Attribute {}
impl<T: Attribute> Optional for Option<T> {}
impl<T: serde::Serialize + serde::de::DeserializeOwned> Optional for Serde<Option<T>> {}

/// A number type: the targets of [`Update::increment`] and [`Update::decrement`].
pub trait Numeric: Attribute {}

macro_rules! numeric {
    ($($t:ty),*) => {$( impl Numeric for $t {} )*};
}
numeric!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, f32, f64);

impl<E> Default for Update<E> {
    fn default() -> Self {
        Update {
            set: Vec::new(),
            remove: Vec::new(),
            add: Vec::new(),
            delete: Vec::new(),
            condition: None,
            version: None,
        }
    }
}

impl<E> Update<E> {
    /// An update that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// `SET attribute = value`. An absent value (`None`, an empty set) cannot be set:
    /// [`remove`](Self::remove) the attribute instead.
    pub fn set<T: Attribute>(mut self, attr: Attr<E, T>, value: impl Into<T>) -> Self {
        self.set
            .push((attr.name, SetValue::Value(written(&value.into()))));
        self
    }

    /// `SET attribute = if_not_exists(attribute, value)`.
    pub fn set_if_not_exists<T: Attribute>(
        mut self,
        attr: Attr<E, T>,
        value: impl Into<T>,
    ) -> Self {
        self.set
            .push((attr.name, SetValue::IfNotExists(written(&value.into()))));
        self
    }

    /// `SET attribute = attribute + amount`: the attribute must exist.
    pub fn increment<T: Numeric>(mut self, attr: Attr<E, T>, amount: impl Into<T>) -> Self {
        self.set
            .push((attr.name, SetValue::Plus(written(&amount.into()))));
        self
    }

    /// `SET attribute = attribute - amount`: the attribute must exist.
    pub fn decrement<T: Numeric>(mut self, attr: Attr<E, T>, amount: impl Into<T>) -> Self {
        self.set
            .push((attr.name, SetValue::Minus(written(&amount.into()))));
        self
    }

    /// `REMOVE attribute`: only for optional fields, so the item still reads back.
    pub fn remove<T: Optional>(mut self, attr: Attr<E, T>) -> Self {
        self.remove.push(attr.name);
        self
    }

    /// `ADD attribute value`: adds to a number (starting from 0 when absent) or adds
    /// elements to a set.
    pub fn add<T: Addable>(mut self, attr: Attr<E, T>, value: impl Into<T>) -> Self {
        self.add
            .push((attr.name, value_of(&value.into(), NO_ELEMENTS)));
        self
    }

    /// `DELETE attribute elements`: removes elements from a set.
    pub fn delete<T: Addable + SetAttribute>(
        mut self,
        attr: Attr<E, T>,
        elements: impl Into<T>,
    ) -> Self {
        self.delete
            .push((attr.name, value_of(&elements.into(), NO_ELEMENTS)));
        self
    }

    /// Makes the update conditional; several requirements must all hold.
    pub fn require(mut self, condition: Condition<E>) -> Self {
        self.condition = Some(Condition::conjoin(self.condition.take(), condition));
        self
    }

    /// The update's condition, if it has one.
    pub fn condition(&self) -> Option<&Condition<E>> {
        self.condition.as_ref()
    }

    /// For a versioned entity (`#[dynamo(version)]`): the version read. The update
    /// applies only to the item at that version, and writes the next; another version
    /// is [`Error::VersionConflict`], and nothing changes.
    ///
    /// ```no_run
    /// # use dynaschema::{Attr, Entity, Key, Table};
    /// # async fn run<D: Entity + Send>(table: &Table, key: Key<D>, title: Attr<D, String>, read_version: u64) -> dynaschema::Result<()> {
    /// let updated: D = table
    ///     .update(key, |u| u.set(title, "New title").expect_version(read_version))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn expect_version(mut self, version: u64) -> Self {
        self.version = Some(VersionCheck::Expect(version));
        self
    }

    /// For a versioned entity: updates whatever version is stored, and writes the next.
    /// Another writer's change made since the item was read is kept under this one.
    pub fn skip_version_check(mut self) -> Self {
        self.version = Some(VersionCheck::Skip);
        self
    }

    /// The update with the entity's timestamps stamped `now`: `updated` set, `created`
    /// set only where it is absent.
    pub(crate) fn stamped(
        mut self,
        created: Option<&'static str>,
        updated: Option<&'static str>,
        now: AttributeValue,
    ) -> Update<E> {
        if let Some(updated) = updated {
            self.set.push((updated, SetValue::Value(Ok(now.clone()))));
        }
        if let Some(created) = created {
            self.set.push((created, SetValue::IfNotExists(Ok(now))));
        }
        self
    }

    /// What the update checks of a versioned entity's version, if it says.
    pub(crate) fn version_check(&self) -> Option<VersionCheck> {
        self.version
    }

    /// The update with the next version written to `attribute`, and the version
    /// condition required: what every update of a versioned entity sends.
    pub(crate) fn versioned(mut self, attribute: &'static str, check: VersionCheck) -> Update<E> {
        let version = Attr::<E, u64>::new(attribute);
        match check {
            VersionCheck::Expect(expected) => {
                let next = AttributeValue::N((expected + 1).to_string());
                self.set.push((attribute, SetValue::Value(Ok(next))));
                let stored = match expected {
                    0 => version.not_exists(),
                    _ => version.eq(expected),
                };
                self.condition = Some(Condition::conjoin(self.condition.take(), stored));
            }
            VersionCheck::Skip => {
                let one = AttributeValue::N("1".to_owned());
                self.set.push((attribute, SetValue::Bump(Ok(one))));
            }
        }
        self
    }

    /// Whether sending the update twice leaves the item as sending it once: it adds to,
    /// increments or decrements no number. (Adding elements to a set is repeatable.)
    pub(crate) fn repeatable(&self) -> bool {
        let adds_to_number = self
            .add
            .iter()
            .any(|(_, value)| matches!(value, Ok(AttributeValue::N(_))));
        let computes = self.set.iter().any(|(_, value)| {
            matches!(
                value,
                SetValue::Plus(_) | SetValue::Minus(_) | SetValue::Bump(_)
            )
        });
        !adds_to_number && !computes
    }

    /// Whether `item` already is as this update leaves it: every attribute it sets holds
    /// the value set (or, for `set_if_not_exists`, is there) and every attribute it
    /// removes is gone. Only for updates made of those: one that adds, increments or
    /// deletes elements is never taken as applied.
    pub(crate) fn applied_to(&self, item: &HashMap<String, AttributeValue>) -> bool {
        if !self.add.is_empty() || !self.delete.is_empty() {
            return false;
        }
        let set = self.set.iter().all(|(name, value)| match value {
            SetValue::Value(Ok(value)) => item
                .get(*name)
                .is_some_and(|stored| same_value(stored, value)),
            SetValue::IfNotExists(_) => item.contains_key(*name),
            SetValue::Value(Err(_))
            | SetValue::Plus(_)
            | SetValue::Minus(_)
            | SetValue::Bump(_) => false,
        });
        set && self.remove.iter().all(|name| !item.contains_key(*name))
    }

    /// Whether the update gives `attribute` a value on an item that does not exist yet:
    /// it sets it (also `set_if_not_exists`) or adds to it. What an upsert, which may
    /// create the item, requires of the fields that cannot be absent.
    pub(crate) fn gives(&self, attribute: &str) -> bool {
        let set = self.set.iter().rev().find(|(name, _)| *name == attribute);
        match set {
            Some((_, value)) => matches!(value, SetValue::Value(_) | SetValue::IfNotExists(_)),
            None => self.add.iter().any(|(name, _)| *name == attribute),
        }
    }

    /// The update with `attribute` set to `value` too: the entity type an upsert writes.
    pub(crate) fn setting(mut self, attribute: &'static str, value: AttributeValue) -> Update<E> {
        self.set.push((attribute, SetValue::Value(Ok(value))));
        self
    }

    /// How the update changes `attribute`, if it does: what keeping index keys in step
    /// looks at.
    pub(crate) fn change_of(&self, attribute: &str) -> Option<Change<'_>> {
        if let Some((_, value)) = self.set.iter().rev().find(|(name, _)| *name == attribute) {
            return Some(match value {
                SetValue::Value(value) => Change::Set(value.as_ref().map_err(String::as_str)),
                SetValue::IfNotExists(_) => Change::Computed("set_if_not_exists"),
                SetValue::Plus(_) => Change::Computed("increment"),
                SetValue::Minus(_) => Change::Computed("decrement"),
                SetValue::Bump(_) => Change::Computed("skip_version_check"),
            });
        }
        if self.remove.contains(&attribute) {
            return Some(Change::Removed);
        }
        if self.add.iter().any(|(name, _)| *name == attribute) {
            return Some(Change::Computed("add"));
        }
        if self.delete.iter().any(|(name, _)| *name == attribute) {
            return Some(Change::Computed("delete"));
        }
        None
    }

    /// The value `set_if_not_exists` gives `attribute`, if the update gives it that way
    /// (or why the value cannot be stored).
    pub(crate) fn if_not_exists_value(
        &self,
        attribute: &str,
    ) -> Option<std::result::Result<&AttributeValue, &str>> {
        match self.set.iter().rev().find(|(name, _)| *name == attribute) {
            Some((_, SetValue::IfNotExists(value))) => Some(value.as_ref().map_err(String::as_str)),
            _ => None,
        }
    }

    /// This update, also setting the attributes of `set` and removing those of
    /// `remove`: the index keys it changes.
    pub(crate) fn with_index_keys(
        &self,
        set: Vec<(&'static str, AttributeValue)>,
        remove: Vec<&'static str>,
    ) -> Update<E> {
        let mut update = self.clone();
        update.set.extend(
            set.into_iter()
                .map(|(name, value)| (name, SetValue::Value(Ok(value)))),
        );
        update.remove.extend(remove);
        update
    }

    /// Refuses an update that changes one attribute twice (`set` then `set`, `set` then
    /// `remove`, ...): DynamoDB refuses overlapping paths in one update expression.
    fn changes_each_once(&self) -> Result<()> {
        if self.set.len() + self.remove.len() + self.add.len() + self.delete.len() < 2 {
            return Ok(());
        }
        let changes = || {
            let set = self.set.iter().map(|(name, value)| (*name, value.method()));
            let remove = self.remove.iter().map(|name| (*name, "remove"));
            let add = self.add.iter().map(|(name, _)| (*name, "add"));
            let delete = self.delete.iter().map(|(name, _)| (*name, "delete"));
            set.chain(remove).chain(add).chain(delete)
        };
        for (position, (attribute, first)) in changes().enumerate() {
            let again = changes()
                .skip(position + 1)
                .find(|(name, _)| *name == attribute);
            if let Some((_, second)) = again {
                return Err(Error::InvalidExpression {
                    attribute,
                    message: format!(
                        "the update changes it twice ({first}, then {second}), and DynamoDB \
                         refuses an update that names one attribute twice; give it one change"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Whether the update changes nothing.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
            && self.remove.is_empty()
            && self.add.is_empty()
            && self.delete.is_empty()
    }
}

/// A set type: the targets of [`Update::delete`].
pub trait SetAttribute {}
impl<T: SetElement + Ord> SetAttribute for std::collections::BTreeSet<T> {}
impl<T: SetElement + Eq + std::hash::Hash, S: std::hash::BuildHasher + Default> SetAttribute
    for std::collections::HashSet<T, S>
{
}

/// Expression text with its name and value placeholders, built from conditions,
/// updates and key conditions. One `Expression` serves one request, so that its
/// condition and update share placeholders without clashing.
///
/// Expressions are made for every conditional request: the text is written in one pass,
/// and the placeholders go straight into the maps the request is given. A request has a
/// handful of names, so a name's placeholder is found by looking through them.
#[derive(Debug, Default, Clone)]
pub struct Expression {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

/// A placeholder: `prefix` then `index` in decimal.
fn placeholder(prefix: &str, index: usize) -> String {
    let mut out = String::with_capacity(4);
    out.push_str(prefix);
    if index < 10 {
        out.push(char::from(b'0' + index as u8));
    } else {
        write!(out, "{index}").expect("writing to a String");
    }
    out
}

/// The condition of a request that has no other expression (a put, a delete, a
/// transaction's put, delete or check), as its builder takes it: the text and the
/// placeholders, each `None` when there is none.
pub(crate) struct RequestCondition {
    pub(crate) text: Option<String>,
    pub(crate) names: Option<HashMap<String, String>>,
    pub(crate) values: Option<HashMap<String, AttributeValue>>,
}

impl RequestCondition {
    /// `condition` written, if there is one.
    pub(crate) fn new<E>(condition: Option<&Condition<E>>) -> Result<RequestCondition> {
        let mut expression = Expression::default();
        let text = condition.map(|c| expression.condition(c)).transpose()?;
        let (names, values) = expression.into_placeholders();
        Ok(RequestCondition {
            text,
            names,
            values,
        })
    }
}

impl Expression {
    /// The placeholder of an attribute name (`#n0`), the same each time for one name:
    /// a handle's name, or one known only at run time such as an index's key attribute.
    pub fn name(&mut self, attribute: &str) -> String {
        let mut out = String::with_capacity(4);
        self.push_name(attribute, &mut out);
        out
    }

    /// A new value placeholder (`:v0`) for `value`.
    pub fn value(&mut self, value: AttributeValue) -> String {
        let mut out = String::with_capacity(4);
        self.push_new_value(value, &mut out);
        out
    }

    fn push_name(&mut self, attribute: &str, out: &mut String) {
        match self.names.iter().find(|(_, name)| *name == attribute) {
            Some((placeholder, _)) => out.push_str(placeholder),
            None => {
                let placeholder = placeholder("#n", self.names.len());
                out.push_str(&placeholder);
                self.names.insert(placeholder, attribute.to_owned());
            }
        }
    }

    fn push_new_value(&mut self, value: AttributeValue, out: &mut String) {
        let placeholder = placeholder(":v", self.values.len());
        out.push_str(&placeholder);
        self.values.insert(placeholder, value);
    }

    fn push_value(
        &mut self,
        attribute: &'static str,
        value: &Value,
        out: &mut String,
    ) -> Result<()> {
        match value {
            Ok(value) => {
                self.push_new_value(value.clone(), out);
                Ok(())
            }
            Err(message) => Err(Error::InvalidExpression {
                attribute,
                message: message.clone(),
            }),
        }
    }

    /// The text of a condition.
    pub fn condition<E>(&mut self, condition: &Condition<E>) -> Result<String> {
        let mut out = String::with_capacity(32);
        self.node(&condition.node, &mut out)?;
        Ok(out)
    }

    /// The text of "the item exists, and `condition` holds if there is one": what an
    /// update of an existing item requires, written as `exists.and(condition)` would be
    /// without copying the condition.
    pub(crate) fn existing_and<E>(
        &mut self,
        partition_key: &'static str,
        condition: Option<&Condition<E>>,
    ) -> Result<String> {
        let exists = Node::Exists(partition_key, true);
        let mut out = String::with_capacity(48);
        match condition {
            Some(condition) => self.pair("AND", &exists, &condition.node, &mut out)?,
            None => self.node(&exists, &mut out)?,
        }
        Ok(out)
    }

    fn pair(&mut self, op: &str, a: &Node, b: &Node, out: &mut String) -> Result<()> {
        out.push('(');
        self.node(a, out)?;
        out.push(' ');
        out.push_str(op);
        out.push(' ');
        self.node(b, out)?;
        out.push(')');
        Ok(())
    }

    fn node(&mut self, node: &Node, out: &mut String) -> Result<()> {
        match node {
            Node::Compare(attribute, op, value) => {
                self.push_name(attribute, out);
                out.push(' ');
                out.push_str(op);
                out.push(' ');
                self.push_value(attribute, value, out)?;
            }
            Node::Between(attribute, low, high) => {
                self.push_name(attribute, out);
                out.push_str(" BETWEEN ");
                self.push_value(attribute, low, out)?;
                out.push_str(" AND ");
                self.push_value(attribute, high, out)?;
            }
            Node::Function(function, attribute, value) => {
                out.push_str(function);
                out.push('(');
                self.push_name(attribute, out);
                out.push_str(", ");
                self.push_value(attribute, value, out)?;
                out.push(')');
            }
            Node::Exists(attribute, exists) => {
                out.push_str(if *exists {
                    "attribute_exists("
                } else {
                    "attribute_not_exists("
                });
                self.push_name(attribute, out);
                out.push(')');
            }
            Node::And(a, b) => self.pair("AND", a, b, out)?,
            Node::Or(a, b) => self.pair("OR", a, b, out)?,
            Node::Not(inner) => {
                out.push_str("NOT (");
                self.node(inner, out)?;
                out.push(')');
            }
        }
        Ok(())
    }

    /// The text of an update's changes (its condition is rendered separately, with
    /// [`condition`](Self::condition)). An update that changes nothing is an error.
    pub fn update<E>(&mut self, update: &Update<E>) -> Result<String> {
        if update.is_empty() {
            return Err(Error::InvalidExpression {
                attribute: "",
                message: "the update changes nothing".to_owned(),
            });
        }
        update.changes_each_once()?;
        let mut out = String::with_capacity(32);
        // Starts a clause with its keyword, or continues it with a comma.
        let separate = |out: &mut String, first: bool, keyword: &str| {
            if first {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(keyword);
                out.push(' ');
            } else {
                out.push_str(", ");
            }
        };
        for (i, (attribute, value)) in update.set.iter().enumerate() {
            separate(&mut out, i == 0, "SET");
            let start = out.len();
            self.push_name(attribute, &mut out);
            let name = start..out.len();
            out.push_str(" = ");
            let (value, close) = match value {
                SetValue::Value(v) => (v, false),
                SetValue::IfNotExists(v) => {
                    out.push_str("if_not_exists(");
                    out.extend_from_within(name);
                    out.push_str(", ");
                    (v, true)
                }
                SetValue::Plus(v) => {
                    out.extend_from_within(name);
                    out.push_str(" + ");
                    (v, false)
                }
                SetValue::Minus(v) => {
                    out.extend_from_within(name);
                    out.push_str(" - ");
                    (v, false)
                }
                SetValue::Bump(v) => {
                    out.push_str("if_not_exists(");
                    out.extend_from_within(name);
                    out.push_str(", ");
                    let zero = self.value(AttributeValue::N("0".to_owned()));
                    out.push_str(&zero);
                    out.push_str(") + ");
                    (v, false)
                }
            };
            self.push_value(attribute, value, &mut out)?;
            if close {
                out.push(')');
            }
        }
        for (i, attribute) in update.remove.iter().enumerate() {
            separate(&mut out, i == 0, "REMOVE");
            self.push_name(attribute, &mut out);
        }
        for (keyword, entries) in [("ADD", &update.add), ("DELETE", &update.delete)] {
            for (i, (attribute, value)) in entries.iter().enumerate() {
                separate(&mut out, i == 0, keyword);
                self.push_name(attribute, &mut out);
                out.push(' ');
                self.push_value(attribute, value, &mut out)?;
            }
        }
        Ok(out)
    }

    /// The name placeholders, for `expression_attribute_names`.
    pub fn names(&self) -> &HashMap<String, String> {
        &self.names
    }

    /// The value placeholders, for `expression_attribute_values`.
    pub fn values(&self) -> &HashMap<String, AttributeValue> {
        &self.values
    }

    /// The name and the value placeholders, each `None` when there are none (DynamoDB
    /// refuses an empty map), taken out of a finished expression without copying them:
    /// what a request is given.
    #[allow(clippy::type_complexity)]
    pub fn into_placeholders(
        self,
    ) -> (
        Option<HashMap<String, String>>,
        Option<HashMap<String, AttributeValue>>,
    ) {
        (
            (!self.names.is_empty()).then_some(self.names),
            (!self.values.is_empty()).then_some(self.values),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Item;
    const NAME: Attr<Item, String> = Attr::new("name");
    const TYPE: Attr<Item, String> = Attr::new("type");
    const AMOUNT: Attr<Item, u64> = Attr::new("amount");
    const NOTE: Attr<Item, Option<String>> = Attr::new("note");
    const RATIO: Attr<Item, f64> = Attr::new("ratio");

    #[test]
    fn reserved_words_and_user_data_are_placeholders() {
        let condition = NAME
            .eq("a :v0 #n0) OR (x")
            .and(TYPE.eq("credit"))
            .or(AMOUNT.between(1_u64, 10_u64).not());
        let mut e = Expression::default();
        let text = e.condition(&condition).unwrap();
        assert_eq!(
            text,
            "((#n0 = :v0 AND #n1 = :v1) OR NOT (#n2 BETWEEN :v2 AND :v3))"
        );
        assert_eq!(e.names()["#n0"], "name");
        assert_eq!(e.names()["#n1"], "type");
        assert_eq!(
            e.values()[":v0"],
            AttributeValue::S("a :v0 #n0) OR (x".into())
        );
        assert_eq!(e.values()[":v3"], AttributeValue::N("10".into()));
    }

    #[test]
    fn one_name_one_placeholder_across_condition_and_update() {
        let update = Update::new()
            .decrement(AMOUNT, 5_u64)
            .require(AMOUNT.ge(5_u64));
        let mut e = Expression::default();
        assert_eq!(e.update(&update).unwrap(), "SET #n0 = #n0 - :v0");
        assert_eq!(
            e.condition(update.condition().unwrap()).unwrap(),
            "#n0 >= :v1"
        );
        assert_eq!(e.names().len(), 1);
    }

    #[test]
    fn functions_and_existence() {
        let mut e = Expression::default();
        let c = NAME
            .begins_with("cl")
            .and(NOTE.not_exists())
            .and(NAME.contains("#"));
        assert_eq!(
            e.condition(&c).unwrap(),
            "((begins_with(#n0, :v0) AND attribute_not_exists(#n1)) AND contains(#n0, :v1))"
        );
    }

    #[test]
    fn values_that_cannot_be_stored_are_errors_naming_the_attribute() {
        let mut e = Expression::default();
        let err = e.condition(&NOTE.eq(None)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidExpression {
                    attribute: "note",
                    ..
                }
            ),
            "{err}"
        );
        let err = e.update(&Update::new().set(RATIO, f64::NAN)).unwrap_err();
        assert!(err.to_string().contains("ratio"), "{err}");
        assert!(e.update(&Update::<Item>::new()).is_err(), "an empty update");
        // An empty set is no absent value to remove, but a change of nothing.
        const TAGS: Attr<Item, std::collections::BTreeSet<String>> = Attr::new("tags");
        for update in [
            Update::new().add(TAGS, std::collections::BTreeSet::new()),
            Update::new().delete(TAGS, std::collections::BTreeSet::new()),
        ] {
            let message = e.update(&update).unwrap_err().to_string();
            assert!(message.contains("changes nothing"), "{message}");
            assert!(!message.contains("remove"), "{message}");
        }
    }

    #[test]
    fn conditions_name_the_attributes_they_read() {
        let condition = NAME
            .eq("a")
            .and(NOTE.exists().or(AMOUNT.between(1_u64, 2_u64).not()));
        assert_eq!(condition.attributes(), ["name", "note", "amount"]);
    }

    #[test]
    fn update_clauses() {
        let update = Update::new()
            .set(NAME, "x")
            .set_if_not_exists(TYPE, "credit")
            .increment(AMOUNT, 2_u64)
            .remove(NOTE);
        let mut e = Expression::default();
        assert_eq!(
            e.update(&update).unwrap(),
            "SET #n0 = :v0, #n1 = if_not_exists(#n1, :v1), #n2 = #n2 + :v2 REMOVE #n3"
        );
    }
}
