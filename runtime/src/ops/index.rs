//! A global secondary index of the table, for typed queries and scans of one entity.

use crate::error::{quoted, Error};
use crate::item::Entity;
use crate::key::{key_text, KeyPart, SortKeyMatch};
use crate::ops::query::{scalar, Query, Target};
use crate::schema::Projection;
use crate::table::Table;

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
    pub fn index<E: Entity>(&self, name: &str) -> Index<'_, E> {
        Index {
            table: self,
            name: name.to_owned(),
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
        let error = |message: String| Error::Index {
            index: self.name.clone(),
            table: self.table.name().to_owned(),
            message,
        };
        let target = match self.table.schema().index(&self.name) {
            None => Err(error(
                "the schema declares no such index; add it to schema.toml and apply the schema"
                    .to_owned(),
            )),
            Some(index) => scalar(index.partition_key.kind, key_text(&value))
                .map(|value| Target {
                    index: Some(self.name.clone()),
                    partition_key: (index.partition_key.name.clone(), value),
                    sort_key: index.sort_key.as_ref().map(|k| (k.name.clone(), k.kind)),
                    base: SortKeyMatch::Any,
                })
                .map_err(|message| {
                    error(format!("its key `{}` {message}", index.partition_key.name))
                }),
        };
        let mut query = Query::new(self.table, target);
        query.unprojected = self.unprojected();
        query
    }

    /// Why the index's items cannot be read as entities `E`, if they cannot: its
    /// projection leaves out attributes `E` cannot do without. Reading them anyway would
    /// fail on the first item, after the request was paid for.
    pub(crate) fn unprojected(&self) -> Option<Error> {
        let index = self.table.schema().index(&self.name)?;
        let included: &[String] = match &index.projection {
            Projection::All => return None,
            Projection::KeysOnly => &[],
            Projection::Include(attributes) => attributes,
        };
        let projected = |attribute: &str| {
            included.iter().any(|a| a == attribute)
                || self.table.key_names().any(|a| a == attribute)
                || index.partition_key.name == attribute
                || index.sort_key.as_ref().is_some_and(|k| k.name == attribute)
        };
        let missing: Vec<&str> = E::required_attributes()
            .into_iter()
            .filter(|attribute| !projected(attribute))
            .collect();
        if missing.is_empty() {
            return None;
        }
        Some(Error::Index {
            index: self.name.clone(),
            table: self.table.name().to_owned(),
            message: format!(
                "it projects {}, without {} that {} needs; nothing was read. Project ALL \
                 (or INCLUDE them) in schema.toml and apply it, or read the items \
                 untyped with .items()",
                index.projection,
                quoted(&missing),
                E::ENTITY_NAME
            ),
        })
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
