//! The built-in backfill ([`Migration::backfill`]): every item of an entity given what
//! the toolkit computes from its fields (its index keys, its entity type), each write
//! conditioned on those fields still holding the values it was computed from.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use futures::future::BoxFuture;

use crate::error::Result;
use crate::expr::Expression;
use crate::item::{fits_keys, Entity, Item};
use crate::ops::retry::resend;
use crate::table::Table;

use super::data::{Migration, MigrationContext};
use super::engine::Writer;

/// What a backfill's checksum is taken from: the backfill is the toolkit's, its code
/// not the application's.
const SOURCE: &str = "dynaschema built-in backfill, version 1";

/// How often an item changed under a backfill is read again and redone before the
/// backfill gives up on it.
const ATTEMPTS: usize = 5;

impl Migration {
    /// A migration that brings every item of entity `E` to what the toolkit computes from
    /// its fields: every index key (removed where a sparse index's field is absent) and
    /// the entity type. Each item needing it gets one UpdateItem of those attributes
    /// alone, on condition that the fields they were computed from still hold the values
    /// read: an item a live writer changed meanwhile is read again and redone, so no live
    /// update is lost. Items already right are not written. The user's own fields are
    /// never written.
    ///
    /// The commonest evolution of a single-table design: a new index whose keys every
    /// existing item needs. Declare the index in schema.toml and the derive, `apply`,
    /// deploy, then run this.
    ///
    /// ```
    /// use dynaschema::migrate::Migration;
    /// # use dynaschema::Entity;
    /// # #[derive(Entity)]
    /// # #[dynamo(pk = "ORDER#{id}", sk = "ORDER", index(name = "GSI3", pk = "STATUS#{status}", pk_attr = "GSI3PK"))]
    /// # struct Order { #[dynamo(key_only)] id: u64, status: String }
    ///
    /// const MIGRATIONS: &[Migration] = &[
    ///     Migration::backfill::<Order>(3, "orders by status (GSI3)"),
    /// ];
    /// # let _ = MIGRATIONS;
    /// ```
    pub const fn backfill<E: Entity + Send + Sync + 'static>(
        id: u32,
        description: &'static str,
    ) -> Migration {
        Migration::new(id, description, SOURCE, run::<E>)
    }
}

/// The backfill's body: every item of the table, those of `E` brought up to date.
fn run<'a, E: Entity + Send + Sync + 'static>(
    ctx: &'a MigrationContext<'a>,
) -> BoxFuture<'a, Result<()>> {
    Box::pin(async move {
        let computed = Computed::of::<E>();
        ctx.each_item()
            .for_each(|item, writer| backfill::<E>(item, writer, &computed))
            .await?;
        Ok(())
    })
}

/// Whether `item` is of entity `E` by its keys, with `E`'s entity type or none (an item
/// written before the entity had one, which the backfill gives it).
fn is_of<E: Entity>(item: &Item) -> bool {
    fits_keys::<E>(item)
        && E::ENTITY_TYPE.is_none_or(|t| t.holds(item) || !item.contains_key(t.attribute))
}

/// The attributes the toolkit computes for an entity's items, and the attributes of the
/// fields they are computed from.
struct Computed {
    written: Vec<&'static str>,
    sources: Vec<&'static str>,
}

impl Computed {
    fn of<E: Entity>() -> Computed {
        let mut written: Vec<&'static str> = E::INDEX_KEYS
            .iter()
            .map(|k| k.template.attribute())
            .chain(E::ENTITY_TYPE.map(|t| t.attribute))
            .collect();
        written.sort_unstable();
        written.dedup();
        let mut sources: Vec<&'static str> = E::INDEX_KEYS
            .iter()
            .flat_map(|k| k.attributes.iter().flatten().copied())
            .collect();
        sources.sort_unstable();
        sources.dedup();
        Computed { written, sources }
    }
}

/// Brings one item up to date, reading it again when it changed under the write.
async fn backfill<E: Entity>(
    mut item: Item,
    writer: Writer<'_>,
    computed: &Computed,
) -> Result<()> {
    let table = writer.table();
    let Computed { written, sources } = computed;
    for _ in 0..ATTEMPTS {
        if !is_of::<E>(&item) {
            return Ok(());
        }
        let wanted = E::from_item(&item)?.to_item()?;
        let mut expression = Expression::default();
        let (mut set, mut remove) = (Vec::new(), Vec::new());
        for attribute in written {
            match (wanted.get(*attribute), item.get(*attribute)) {
                (Some(want), Some(have)) if want == have => {}
                (Some(want), _) => set.push(format!(
                    "{} = {}",
                    expression.name(attribute),
                    expression.value(want.clone())
                )),
                (None, Some(_)) => remove.push(expression.name(attribute)),
                (None, None) => {}
            }
        }
        if set.is_empty() && remove.is_empty() {
            return Ok(());
        }
        let key = key_of(table, &item);
        if writer.dry_run(|| format!("backfill {} {}", E::ENTITY_NAME, show(table, &key))) {
            return Ok(());
        }
        let mut update = Vec::new();
        if !set.is_empty() {
            update.push(format!("SET {}", set.join(", ")));
        }
        if !remove.is_empty() {
            update.push(format!("REMOVE {}", remove.join(", ")));
        }
        let pk = &table.schema().table.partition_key.name;
        let mut condition = vec![format!("attribute_exists({})", expression.name(pk))];
        for source in sources {
            let name = expression.name(source);
            condition.push(match item.get(*source) {
                Some(value) => format!("{name} = {}", expression.value(value.clone())),
                None => format!("attribute_not_exists({name})"),
            });
        }
        let (names, values) = expression.into_placeholders();
        let request = table
            .client()
            .update_item()
            .table_name(table.name())
            .set_key(Some(key.clone()))
            .update_expression(update.join(" "))
            .condition_expression(condition.join(" AND "))
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values);
        // Harmless to repeat: the write leaves the fields its condition reads as they are.
        match resend(table.retry_policy(), "UpdateItem", || {
            request.clone().send()
        })
        .await
        {
            Ok(_) => {
                writer.count_write();
                return Ok(());
            }
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                match read(table, &key).await? {
                    Some(fresh) => item = fresh,
                    None => return Ok(()),
                }
            }
            Err(err) => return Err(table.sdk_error("UpdateItem", err)),
        }
    }
    Err(crate::error::Error::Config(format!(
        "backfill of {} {}: the item changed under each of {ATTEMPTS} attempts; run the \
         migration again",
        E::ENTITY_NAME,
        show(table, &key_of(table, &item))
    )))
}

/// The item's primary key attributes.
fn key_of(table: &Table, item: &Item) -> Item {
    let keys = &table.schema().table;
    std::iter::once(&keys.partition_key)
        .chain(keys.sort_key.as_ref())
        .filter_map(|key| item.get(&key.name).map(|v| (key.name.clone(), v.clone())))
        .collect()
}

/// A key for messages: its values in the table's order, `/` between them.
fn show(table: &Table, key: &Item) -> String {
    let keys = &table.schema().table;
    std::iter::once(&keys.partition_key)
        .chain(keys.sort_key.as_ref())
        .filter_map(|k| key.get(&k.name))
        .map(|value| match value {
            AttributeValue::S(s) => s.clone(),
            AttributeValue::N(n) => n.clone(),
            other => format!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The item of `key`, read with strong consistency.
async fn read(table: &Table, key: &Item) -> Result<Option<Item>> {
    let request = table
        .client()
        .get_item()
        .table_name(table.name())
        .set_key(Some(key.clone()))
        .consistent_read(true);
    resend(table.retry_policy(), "GetItem", || request.clone().send())
        .await
        .map(|output| output.item)
        .map_err(|err| table.sdk_error("GetItem", err))
}
