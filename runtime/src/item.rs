//! Entities: Rust types stored as DynamoDB items. `#[derive(Entity)]` implements
//! [`Entity`]; this module holds the trait and what the generated code calls.

use std::collections::HashMap;

pub use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::Result;
use crate::key::{EntityIndex, IndexKey, Key, KeyTemplate};

/// A DynamoDB item: attribute names and values.
pub type Item = HashMap<String, AttributeValue>;

/// A Rust type stored as items of one shape in a table, with keys made from templates.
///
/// Implemented by `#[derive(Entity)]`; see the crate documentation for an example.
pub trait Entity: Sized {
    /// The type's name, for error messages.
    const ENTITY_NAME: &'static str;
    /// The partition key's template, such as `ACCOUNT#{id}` for `PK`.
    const PK_TEMPLATE: KeyTemplate;
    /// The sort key's template, such as `ACCOUNT` for `SK`, when the table has a sort key.
    const SK_TEMPLATE: Option<KeyTemplate>;

    /// The secondary-index keys the entity writes from its fields (an `index(...)` with
    /// `pk_attr`/`sk_attr` and a template): updates keep them in step with the fields
    /// they are made of.
    const INDEX_KEYS: &'static [IndexKey] = &[];

    /// The secondary indexes, global and local, the entity declares, with their key
    /// templates: which partitions of which index its items are in.
    const INDEXES: &'static [EntityIndex] = &[];

    /// The fields the primary key's templates are made of that are stored as
    /// attributes too (not `key_only`), as (field, attribute): an update may set one only
    /// to the value its key holds, since the item keeps its key.
    #[doc(hidden)]
    const KEY_FIELDS: &'static [(&'static str, &'static str)] = &[];

    /// The attribute of the entity's version (`#[dynamo(version)]`), if it has one:
    /// every put and update then requires the version read and writes the next one, so
    /// that of two writers who read the same version, one wins and the other gets
    /// [`Error::VersionConflict`](crate::Error::VersionConflict).
    ///
    /// ```no_run
    /// use dynaschema::{Entity, Error, Table};
    ///
    /// #[derive(Debug, Entity)]
    /// #[dynamo(pk = "DOC#{id}", sk = "DOC")]
    /// struct Document {
    ///     #[dynamo(key_only)]
    ///     id: u64,
    ///     title: String,
    ///     #[dynamo(version)]
    ///     version: u64,
    /// }
    ///
    /// # async fn run(table: &Table) -> dynaschema::Result<()> {
    /// // Version 0 is a new item: written as version 1, only if there is none.
    /// table.put(&Document { id: 1, title: "draft".into(), version: 0 }).await?;
    /// let read = table.get(Document::key(1)).await?.expect("just written");
    /// let edited = table
    ///     .update(Document::key(1), |u| {
    ///         u.set(Document::TITLE, "final").expect_version(read.version)
    ///     })
    ///     .await;
    /// match edited {
    ///     Ok(document) => assert_eq!(document.version, read.version + 1),
    ///     Err(Error::VersionConflict { found, .. }) => println!("changed meanwhile: {found:?}"),
    ///     Err(other) => return Err(other),
    /// }
    /// # Ok(()) }
    /// ```
    const VERSION: Option<&'static str> = None;

    /// The attribute of the entity's creation time (`#[dynamo(created_at)]` on a
    /// [`Timestamp`](crate::Timestamp) field), if it has one: set by the toolkit when a
    /// put creates the item (`if_not_exists`, a transaction's `put_new`, version 0), and
    /// by updates when the attribute is absent. A put that replaces an item writes the
    /// creation time the entity holds (the one read).
    ///
    /// ```no_run
    /// use dynaschema::{Entity, Table, Timestamp};
    ///
    /// #[derive(Debug, Entity)]
    /// #[dynamo(pk = "NOTE#{id}", sk = "NOTE")]
    /// struct Note {
    ///     #[dynamo(key_only)]
    ///     id: u64,
    ///     text: String,
    ///     #[dynamo(created_at)]
    ///     created: Timestamp,
    ///     #[dynamo(updated_at)]
    ///     updated: Timestamp,
    /// }
    ///
    /// # async fn run(table: &Table) -> dynaschema::Result<()> {
    /// let unset = Timestamp::from_unix_micros(0);
    /// let note = Note { id: 1, text: "hello".into(), created: unset, updated: unset };
    /// table.put(&note).if_not_exists().await?; // both times are now
    /// let edited = table.update(Note::key(1), |u| u.set(Note::TEXT, "hello!")).await?;
    /// assert!(edited.updated >= edited.created);
    /// # Ok(()) }
    /// ```
    const CREATED_AT: Option<&'static str> = None;

    /// The attribute of the entity's last change (`#[dynamo(updated_at)]` on a
    /// [`Timestamp`](crate::Timestamp) field), if it has one: set by the toolkit on
    /// every put and update, in the same request.
    const UPDATED_AT: Option<&'static str> = None;

    /// The attributes of the entity's unique fields (`#[dynamo(unique)]`): no two items
    /// of the entity hold one value of such a field (no two with one value of its scope,
    /// for a field unique within one: see [`UNIQUE_SCOPES`](Self::UNIQUE_SCOPES)). Each value is kept by a guard
    /// item, written, moved and deleted in the same transaction as the entity's item, so
    /// that a write giving a value another item holds is
    /// [`Error::UniqueViolation`](crate::Error::UniqueViolation) and changes nothing.
    ///
    /// A guard item's partition key is `_unique#<entity>#<attribute>#<value>` (with the
    /// scope's value before the value, for a scoped field; the
    /// entity's [type](Self::ENTITY_TYPE) name if it has one, else its Rust name), its
    /// sort key `_unique`, and it holds the key of the item holding the value in
    /// `_holder_pk` and `_holder_sk`: no entity template starting with a literal reaches
    /// it, and it holds no attribute an index reads, unless an index is keyed on the
    /// table's own key attributes.
    ///
    /// Writes that change a unique value (puts that may replace an item, updates that set
    /// or remove the field, deletes) first read the stored values with a consistent
    /// read, then send one transaction that requires them unchanged; when another writer
    /// changed them meanwhile, they read again. Puts that create an item
    /// (`if_not_exists`, version 0) need no read. Batch writes of such an entity are
    /// refused: they cannot write its guards atomically. A guard whose holder is gone or
    /// holds another value (changed without the toolkit) is released by the next write
    /// of its value, after a read of the holder.
    ///
    /// ```no_run
    /// use dynaschema::{Entity, Error, Table};
    ///
    /// #[derive(Debug, Entity)]
    /// #[dynamo(pk = "USER#{id}", sk = "USER")]
    /// struct User {
    ///     #[dynamo(key_only)]
    ///     id: u64,
    ///     #[dynamo(unique)]
    ///     login: String,
    /// }
    ///
    /// # async fn run(table: &Table) -> dynaschema::Result<()> {
    /// table.put(&User { id: 1, login: "clara".into() }).if_not_exists().await?;
    /// match table.put(&User { id: 2, login: "clara".into() }).if_not_exists().await {
    ///     Err(Error::UniqueViolation { field, value, holder, .. }) => {
    ///         assert_eq!((field, value.as_str()), ("login", "clara"));
    ///         println!("held by {}", holder.expect("the guard names its holder"));
    ///     }
    ///     other => panic!("expected a violation, got {other:?}"),
    /// }
    /// // Changing the value moves the guard: "clara" is free again.
    /// table.update(User::key(1), |u| u.set(User::LOGIN, "clara.b")).await?;
    /// table.put(&User { id: 2, login: "clara".into() }).if_not_exists().await?;
    /// # Ok(()) }
    /// ```
    const UNIQUE: &'static [&'static str] = &[];

    /// The unique attributes whose values are unique within a scope, each with the
    /// primary-key field that scopes it: `#[dynamo(unique(scope = "tenant"))]` makes a
    /// value unique among the items of one tenant, not the whole table. The guard's
    /// partition key is then `_unique#<entity>#<attribute>#<scope value>#<value>`.
    ///
    /// ```no_run
    /// use dynaschema::{Entity, Table};
    ///
    /// #[derive(Debug, Entity)]
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
    /// let member = |tenant: &str| Member { tenant: tenant.into(), id: 1, email: "ana@x.org".into() };
    /// // One email in two tenants.
    /// table.put(&member("acme")).if_not_exists().await?;
    /// table.put(&member("globex")).if_not_exists().await?;
    /// let ana = table.get_by_unique_in("acme", Member::EMAIL, "ana@x.org").await?;
    /// # Ok(()) }
    /// ```
    const UNIQUE_SCOPES: &'static [(&'static str, &'static str)] = &[];

    /// The entity's version, 0 for one never stored: what a put requires the stored
    /// item to be at.
    #[doc(hidden)]
    fn version(&self) -> u64 {
        0
    }

    /// The entity type written on every item (`#[dynamo(entity_type = "Order")]`), if
    /// the entity has one: items are then its own only when they hold it, so that two
    /// entity types whose keys have the same shape stay apart.
    ///
    /// ```
    /// use dynaschema::{Entity, EntityType};
    ///
    /// #[derive(Entity)]
    /// #[dynamo(pk = "THING#{id}", sk = "THING", entity_type = "Widget")]
    /// struct Widget {
    ///     #[dynamo(key_only)]
    ///     id: u64,
    /// }
    ///
    /// let item = Widget { id: 1 }.to_item()?;
    /// assert!(Widget::matches(&item));
    /// assert_eq!(
    ///     Widget::ENTITY_TYPE,
    ///     Some(EntityType { attribute: "_type", value: "Widget" })
    /// );
    /// # Ok::<(), dynaschema::Error>(())
    /// ```
    const ENTITY_TYPE: Option<EntityType> = None;

    /// The item's primary key.
    fn key(&self) -> Key<Self>;

    /// The whole item: its key attributes, its index key attributes and its fields.
    /// `None` and empty-set fields are absent.
    fn to_item(&self) -> Result<Item>;

    /// Reads an item back. An error names the entity, the attribute and what was found.
    fn from_item(item: &Item) -> Result<Self>;

    /// The attributes besides the table's keys that an item must have to be read as
    /// this entity: those of the fields that cannot be absent (what an upsert must give).
    fn required_attributes() -> Vec<&'static str> {
        Vec::new()
    }

    /// Every attribute the entity's items hold besides the table's keys and its computed
    /// index keys: its stored fields, and its [entity type](Self::ENTITY_TYPE)'s attribute.
    /// A typed read of an index that does not project all of them is refused before any
    /// request, since an entity read without them would lose them when put back (see
    /// [`Projected`](crate::Projected) for reads of such an index).
    ///
    /// ```
    /// use dynaschema::Entity;
    ///
    /// #[derive(Entity)]
    /// #[dynamo(pk = "TASK#{id}", sk = "TASK")]
    /// struct Task {
    ///     #[dynamo(key_only)]
    ///     id: u64,
    ///     status: String,
    ///     note: Option<String>,
    /// }
    ///
    /// assert_eq!(Task::STORED_ATTRIBUTES, ["status", "note"]);
    /// assert_eq!(Task::required_attributes(), ["status"]);
    /// ```
    const STORED_ATTRIBUTES: &'static [&'static str] = &[];

    /// The text the field `field` has in a key when its attribute holds `value`, or
    /// `None` when the value is absent (an optional field's `None`): how an update that
    /// sets a field renders the index keys made from it. The derive implements it for
    /// the fields of [`INDEX_KEYS`](Self::INDEX_KEYS) and [`KEY_FIELDS`](Self::KEY_FIELDS).
    #[doc(hidden)]
    fn index_key_text(field: &str, value: &AttributeValue) -> Result<Option<String>> {
        let _ = value;
        Err(crate::error::Error::Encode {
            entity: Self::ENTITY_NAME,
            attribute: "",
            message: format!(
                "field `{field}` is in no index key of {}",
                Self::ENTITY_NAME
            ),
        })
    }

    /// Whether an item is of this entity, by its key attributes: how items of several
    /// entity types in one partition are told apart.
    fn matches(item: &Item) -> bool {
        fits_keys::<Self>(item)
            && Self::ENTITY_TYPE.is_none_or(|entity_type| entity_type.holds(item))
    }

    /// The entity of `item` if the item [`matches`](Self::matches) it, else `None`: what
    /// reads of mixed partitions and tables call for each item. The derive reads each key
    /// attribute once for both, where `matches` then `from_item` would read it twice.
    fn from_matching_item(item: &Item) -> Option<Result<Self>> {
        Self::matches(item).then(|| Self::from_item(item))
    }
}

/// Whether `item`'s key attributes fit `E`'s key templates (its entity type aside).
pub(crate) fn fits_keys<E: Entity>(item: &Item) -> bool {
    let fits = |template: &KeyTemplate| match item.get(template.attribute()) {
        Some(AttributeValue::S(key)) => template.matches(key),
        _ => false,
    };
    fits(&E::PK_TEMPLATE) && E::SK_TEMPLATE.as_ref().is_none_or(fits)
}

/// The attribute every item of an entity holds its type in, and the type's name:
/// `_type = "Order"` for `#[dynamo(entity_type = "Order")]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityType {
    /// The attribute, `_type` unless `entity_type_attr` names another.
    pub attribute: &'static str,
    /// The entity's type name.
    pub value: &'static str,
}

impl EntityType {
    /// Whether `item` is of this type.
    pub fn holds(&self, item: &Item) -> bool {
        matches!(item.get(self.attribute), Some(AttributeValue::S(value)) if value == self.value)
    }
}

/// What a typed read yields: an entity, or a collection of entities read together
/// (`#[derive(Collection)]`). Queries read their items as `Readable`s.
pub trait Readable: Sized {
    /// The type's name: for error messages, and what binds a query's
    /// [`Cursor`](crate::Cursor) to the type it reads.
    const READ_NAME: &'static str;

    /// The value of `item` if it is of this type (an entity whose templates its key
    /// fits, or any member of a collection), else `None`.
    fn read_matching(item: &Item) -> Option<Result<Self>>;

    /// Whether the type reads part of an item, as it is in an index that projects part
    /// of it ([`Projected`](crate::Projected)), rather than whole entities.
    const PARTIAL: bool = false;

    /// Whether the type declares index `index` `partial` (see [`EntityIndex::partial`]).
    ///
    /// [`EntityIndex::partial`]: crate::key::EntityIndex::partial
    fn declares_partial(index: &str) -> bool {
        let _ = index;
        false
    }

    /// The attributes besides the table's keys that an index must project for its items
    /// to be read as this type: for an entity, every attribute it stores (see
    /// [`Entity::STORED_ATTRIBUTES`]).
    fn needed_attributes() -> Vec<&'static str>;
}

impl<E: Entity> Readable for E {
    const READ_NAME: &'static str = E::ENTITY_NAME;

    fn read_matching(item: &Item) -> Option<Result<Self>> {
        E::from_matching_item(item)
    }

    fn needed_attributes() -> Vec<&'static str> {
        E::STORED_ATTRIBUTES.to_vec()
    }

    fn declares_partial(index: &str) -> bool {
        E::INDEXES.iter().any(|i| i.name == index && i.partial)
    }
}

/// The time a write of `E` stamps its timestamps with: now, for an entity that has
/// them (the epoch otherwise, unread, so that other writes do not read the clock).
pub(crate) fn write_time<E: Entity>() -> crate::timestamp::Timestamp {
    if E::CREATED_AT.is_some() || E::UPDATED_AT.is_some() {
        crate::timestamp::Timestamp::now()
    } else {
        crate::timestamp::Timestamp::from_unix_micros(0)
    }
}
