//! A global secondary index of the table, for typed queries and scans of one entity.

use std::marker::PhantomData;

use crate::error::{quoted, Error, Result};
use crate::item::{Entity, Readable};
use crate::key::{key_text, KeyPart, SortKeyMatch};
use crate::ops::query::{scalar, Query, Target};
use crate::schema::Projection;
use crate::table::Table;

/// The name of a global secondary index entity `E` declares: what the derive makes for
/// each `index(name = ..)`, as `Account::EMAIL_INDEX`, for [`Table::index`].
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
    /// A global secondary index the schema declares, for queries of entity `E`.
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

/// A global secondary index, made by [`Table::index`].
pub struct Index<'a, E> {
    pub(super) table: &'a Table,
    pub(super) name: String,
    _entity: std::marker::PhantomData<fn() -> E>,
}

impl<'a, E: Entity> Index<'a, E> {
    /// A query of the items whose index partition key is `value`, written as the key
    /// type the schema declares (S or N). An index the schema does not declare is an
    /// [`Error::Index`] when the query is read.
    ///
    /// An index that projects less than the whole item (KEYS_ONLY, or INCLUDE without
    /// every attribute in [`Entity::required_attributes`]) cannot be read as entities:
    /// `all`, `first` and `stream` answer an [`Error::Index`] naming the index, its
    /// projection and the missing attributes, before any request. [`Query::items`]
    /// reads it untyped; reading the full items from its keys is a
    /// [`batch_get`](Table::batch_get) away.
    pub fn query(&self, value: impl KeyPart) -> Query<'a, E> {
        let target = index_target(
            self.table,
            &self.name,
            None,
            key_text(&value),
            SortKeyMatch::Any,
        );
        let mut query = Query::new(self.table, target);
        query.unprojected = self.unprojected();
        query
    }

    /// Why the index's items cannot be read as entities `E`, if they cannot: its
    /// projection leaves out attributes `E` cannot do without. Reading them anyway would
    /// fail on the first item, after the request was paid for.
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

/// Where a query of index `name` reads: its partition key `value` as the type the
/// schema declares, and which of its sort keys (`base`). `attribute` is the partition
/// key attribute an entity writes, checked against the schema's, as is `base`'s sort key.
pub(super) fn index_target(
    table: &Table,
    name: &str,
    attribute: Option<&str>,
    value: String,
    base: SortKeyMatch,
) -> Result<Target> {
    let error = |message: String| Error::Index {
        index: name.to_owned(),
        table: table.name().to_owned(),
        message,
    };
    let Some(index) = table.schema().index(name) else {
        return Err(error(
            "the schema declares no such index; add it to schema.toml and apply the schema"
                .to_owned(),
        ));
    };
    let key = &index.partition_key;
    if let Some(attribute) = attribute.filter(|a| *a != key.name) {
        return Err(error(format!(
            "its partition key is `{}`, but the entity writes its index key to `{attribute}`; \
             correct pk_attr (or schema.toml)",
            key.name
        )));
    }
    if let SortKeyMatch::Equals(attribute, _) | SortKeyMatch::BeginsWith(attribute, _) = &base {
        let sort_key = index.sort_key.as_ref().map(|k| k.name.as_str());
        if sort_key != Some(*attribute) {
            return Err(error(match sort_key {
                Some(sort_key) => format!(
                    "its sort key is `{sort_key}`, but the entity writes its index sort key \
                     to `{attribute}`; correct sk_attr (or schema.toml)"
                ),
                None => format!("it has no sort key, but the entity writes one to `{attribute}`"),
            }));
        }
    }
    let value = scalar(key.kind, value)
        .map_err(|message| error(format!("its key `{}` {message}", key.name)))?;
    Ok(Target {
        index: Some(name.to_owned()),
        partition_key: (key.name.clone(), value),
        sort_key: index.sort_key.as_ref().map(|k| (k.name.clone(), k.kind)),
        base,
    })
}

/// Why the items of index `name` cannot be read as entities `E`, if they cannot: its
/// projection leaves out attributes `E` cannot do without. Reading them anyway would
/// fail on the first item, after the request was paid for.
pub(super) fn unprojected<E: Readable>(table: &Table, name: &str) -> Option<Error> {
    let index = table.schema().index(name)?;
    let included: &[String] = match &index.projection {
        Projection::All => return None,
        Projection::KeysOnly => &[],
        Projection::Include(attributes) => attributes,
    };
    let projected = |attribute: &str| {
        included.iter().any(|a| a == attribute)
            || table.key_names().any(|a| a == attribute)
            || index.partition_key.name == attribute
            || index.sort_key.as_ref().is_some_and(|k| k.name == attribute)
    };
    let missing: Vec<&str> = E::needed_attributes()
        .into_iter()
        .filter(|attribute| !projected(attribute))
        .collect();
    if missing.is_empty() {
        return None;
    }
    Some(Error::Index {
        index: name.to_owned(),
        table: table.name().to_owned(),
        message: format!(
            "it projects {}, without {} that {} needs; nothing was read. Project ALL \
                 (or INCLUDE them) in schema.toml and apply it, or read the items \
                 untyped with .items()",
            index.projection,
            quoted(&missing),
            E::READ_NAME
        ),
    })
}
