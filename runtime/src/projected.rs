//! What a read of an index that projects part of an entity yields: the attributes read,
//! which are not an entity and cannot be written back as one.

use std::marker::PhantomData;

use crate::attribute::Attribute;
use crate::error::{Error, Result};
use crate::expr::{Attr, Condition};
use crate::item::{Entity, Item, Readable};
use crate::key::Key;

/// An item of entity `E` as an index that projects part of it holds it: its key and the
/// attributes the index copies, and nothing that could pass for the rest.
///
/// A query of an index the derive declares `partial` (`index(.., partial)`) reads
/// `Projected<E>`s, as does [`Query::projected`](crate::ops::Query::projected). A
/// `Projected<E>` is no `E`: it cannot be put back, so a field the index does not copy
/// is never written back as absent. Its [`get`](Self::get) answers `None` for an
/// attribute the item read does not hold, which a projection cannot tell from an absent
/// optional field. For the whole entity, read it by its [`key`](Self::key) (a
/// [`get`](crate::Table::get), or a [`batch_get`](crate::Table::batch_get) of many).
///
/// ```no_run
/// use dynaschema::{Entity, Projected, Table};
///
/// #[derive(Debug, Entity)]
/// #[dynamo(
///     pk = "TASK#{id}",
///     sk = "TASK",
///     // ByStatus projects INCLUDE ["note"]: a task's other fields are not in it.
///     index(name = "ByStatus", pk = "{status}", partial)
/// )]
/// struct Task {
///     #[dynamo(key_only)]
///     id: u64,
///     status: String,
///     note: Option<String>,
///     owner: String,
/// }
///
/// # async fn run(table: &Table) -> dynaschema::Result<()> {
/// let open: Vec<Projected<Task>> = table.query(Task::by_status("open")).all().await?;
/// for task in &open {
///     let note: Option<Option<String>> = task.get(Task::NOTE).transpose()?;
///     let owner = task.get(Task::OWNER); // None: ByStatus does not copy it
///     # let _ = (note, owner);
/// }
/// // The whole tasks, to edit and put back:
/// let whole = table.batch_get(open.iter().map(Projected::key)).await?;
/// # let _ = whole;
/// # Ok(()) }
/// ```
pub struct Projected<E> {
    item: Item,
    _entity: PhantomData<fn() -> E>,
}

impl<E: Entity> Projected<E> {
    /// The item's primary key, which every index copies.
    pub fn key(&self) -> Key<E> {
        let text = |attribute: &'static str| match self.item.get(attribute) {
            Some(crate::item::AttributeValue::S(value)) => value.clone(),
            // Not read as `E` without them: `read_matching` checked its key.
            _ => String::new(),
        };
        let pk = E::PK_TEMPLATE.attribute();
        let sk = E::SK_TEMPLATE.map(|template| template.attribute());
        Key::from_parts((pk, text(pk)), sk.map(|sk| (sk, text(sk))))
    }

    /// The value of the field of `attr` as read, or `None` when the item read does not
    /// hold its attribute: the index does not copy it, or the item has none (an optional
    /// field's `None`), which a projection cannot tell apart. A value that does not
    /// read as the field's type is an [`Error::Decode`].
    pub fn get<T: Attribute>(&self, attr: Attr<E, T>) -> Option<Result<T>> {
        let value = self.item.get(attr.name())?;
        Some(T::from_value(value).map_err(|err| Error::Decode {
            entity: E::ENTITY_NAME,
            attribute: attr.name(),
            message: err.0,
        }))
    }

    /// The item as read: the table's keys, the index's, and what the index copies.
    pub fn item(&self) -> &Item {
        &self.item
    }

    /// The item as read, taken out.
    pub fn into_item(self) -> Item {
        self.item
    }
}

impl<E> std::fmt::Debug for Projected<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Projected").field(&self.item).finish()
    }
}

impl<E> Clone for Projected<E> {
    fn clone(&self) -> Self {
        Projected {
            item: self.item.clone(),
            _entity: PhantomData,
        }
    }
}

impl<E: Entity> Readable for Projected<E> {
    const READ_NAME: &'static str = E::ENTITY_NAME;
    const PARTIAL: bool = true;

    /// The item, when its keys (and entity type, if `E` has one) are `E`'s.
    fn read_matching(item: &Item) -> Option<Result<Self>> {
        E::matches(item).then(|| {
            Ok(Projected {
                item: item.clone(),
                _entity: PhantomData,
            })
        })
    }

    /// The entity type's attribute, if `E` has one: what tells its items apart.
    fn needed_attributes() -> Vec<&'static str> {
        E::ENTITY_TYPE.map(|t| t.attribute).into_iter().collect()
    }
}

/// A condition on `E`'s attributes holds of its projected items too: filters of a
/// projected read are written with `E`'s handles.
impl<E> From<Condition<E>> for Condition<Projected<E>> {
    fn from(condition: Condition<E>) -> Self {
        condition.retag()
    }
}
