//! A secondary index of the table, global or local, for typed queries and scans of one
//! entity.

use std::marker::PhantomData;

use crate::error::Error;
use crate::item::Entity;
use crate::key::{key_text, KeyPart, SortKeyMatch};
use crate::ops::query::Query;
use crate::ops::target::{index_target, unprojected};
use crate::table::Table;

/// The name of a secondary index entity `E` declares: what the derive makes for
/// each `index(name = ..)` and `local_index(name = ..)`, as `Account::EMAIL_INDEX`, for
/// [`Table::index`].
///
/// ```no_run
/// # use dynaschema::{Entity, IndexName, Table};
/// # async fn run<Account: Entity + Send>(table: &Table, email_index: IndexName<Account>) -> dynaschema::Result<()> {
/// // `email_index` is `Account::EMAIL_INDEX`.
/// let accounts: Vec<Account> = table.index(email_index).scan().all().await?;
/// # let _ = accounts;
/// # Ok(()) }
/// ```
pub struct IndexName<E> {
    name: &'static str,
    _entity: PhantomData<fn() -> E>,
}

impl<E> IndexName<E> {
    #[doc(hidden)]
    pub const fn new(name: &'static str) -> Self {
        IndexName {
            name,
            _entity: PhantomData,
        }
    }

    /// The index name, as schema.toml gives it.
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl<E> Clone for IndexName<E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for IndexName<E> {}

impl<E> std::fmt::Debug for IndexName<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IndexName({})", self.name)
    }
}

/// What names an index for [`Table::index`]: an [`IndexName`] the derive made, or the
/// name as text.
pub trait IndexOf<E> {
    /// The name of the index.
    fn index_name(&self) -> &str;
}

impl<E> IndexOf<E> for IndexName<E> {
    fn index_name(&self) -> &str {
        self.name
    }
}

impl<E> IndexOf<E> for &str {
    fn index_name(&self) -> &str {
        self
    }
}

impl<E> IndexOf<E> for &String {
    fn index_name(&self) -> &str {
        self
    }
}

impl<E> IndexOf<E> for String {
    fn index_name(&self) -> &str {
        self
    }
}

impl Table {
    /// A secondary index the schema declares (global or local), for queries and scans
    /// of entity `E`.
    ///
    /// ```no_run
    /// # use dynaschema::{Entity, Table};
    /// # async fn run<Account: Entity + Send>(table: &Table) -> dynaschema::Result<()> {
    /// let by_email: Option<Account> = table
    ///     .index::<Account>("EmailIndex")
    ///     .query("clara@42.fr")
    ///     .first()
    ///     .await?;
    /// # let _ = by_email;
    /// # Ok(()) }
    /// ```
    ///
    /// The derive's index builders (`Account::email_index(email)`) query an index with
    /// typed keys; this, with the index's name as text, is for what they do not cover.
    pub fn index<E: Entity>(&self, name: impl IndexOf<E>) -> Index<'_, E> {
        Index {
            table: self,
            name: name.index_name().to_owned(),
            _entity: std::marker::PhantomData,
        }
    }
}

/// A secondary index of the table, global or local, made by [`Table::index`].
pub struct Index<'a, E> {
    pub(super) table: &'a Table,
    pub(super) name: String,
    _entity: std::marker::PhantomData<fn() -> E>,
}

impl<'a, E: Entity> Index<'a, E> {
    /// A query of the items whose index partition key is `value`, the whole key
    /// (`"TAG#rust"`), written as the key type the schema declares (S or N). An index the
    /// schema does not declare, or a value that does not fit the partition-key template
    /// `E` declares for the index (`"rust"` for `TAG#{tag}`, which would read nothing), is
    /// an [`Error::Index`] when the query is read.
    ///
    /// An index that projects less than the whole item (KEYS_ONLY, or INCLUDE without
    /// every attribute in [`Entity::STORED_ATTRIBUTES`]) cannot be read as entities:
    /// `all`, `first`, `stream` and `page` answer an [`Error::Index`] naming the index,
    /// its projection and the missing attributes, before any request.
    /// [`Query::projected`] reads it as [`Projected`](crate::Projected) entities and
    /// [`Query::items`] untyped; reading the whole items from their keys is a
    /// [`batch_get`](Table::batch_get) away.
    pub fn query(&self, value: impl KeyPart) -> Query<'a, E> {
        let value = key_text(&value);
        let target = match self.unfit(&value) {
            Some(refusal) => Err(refusal),
            None => index_target(self.table, &self.name, None, value, SortKeyMatch::Any),
        };
        let mut query = Query::new(self.table, target);
        query.unprojected = self.unprojected();
        query
    }

    /// Why `value` is no partition key of `E`'s in this index, if `E` declares the index
    /// and it is not: a value without its template's prefix would read nothing.
    fn unfit(&self, value: &str) -> Option<Error> {
        let declared = E::INDEXES.iter().find(|index| index.name == self.name)?;
        if declared.pk.matches(value) {
            return None;
        }
        Some(Error::Index {
            index: self.name.clone(),
            table: self.table.name().to_owned(),
            message: format!(
                "{value:?} is no partition key of {} in it, whose template is {}: give the \
                 whole key, or use the index's query builder, which renders the template",
                E::ENTITY_NAME,
                declared.pk
            ),
        })
    }

    /// Why the index's items cannot be read as whole entities `E`, if they cannot: its
    /// projection leaves out attributes `E` stores, which an entity read from it would
    /// erase when put back.
    pub(crate) fn unprojected(&self) -> Option<Error> {
        unprojected::<E>(self.table, &self.name)
    }

    /// The index name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The table the index belongs to.
    pub fn table(&self) -> &'a Table {
        self.table
    }
}
