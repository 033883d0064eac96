//! Scans: every item of one entity type in the table ([`Scan`]), or every item whatever
//! its entity ([`ItemScan`]), optionally in parallel segments.

use aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};

use crate::error::{Error, Result};
use crate::expr::{Condition, Expression};
use crate::item::{Entity, Item};
use crate::ops::cursor::{read_page, Binding, Cursor, Page};
use crate::ops::index::Index;
use crate::ops::key_schema;
use crate::ops::paging::{entities_of_pages, items_of_pages, paginate};
use crate::ops::retry::resend_after;
use crate::ops::target::{expiry_unprojected, filter_unprojected, no_such_index, not_consistent};
use crate::table::Table;

/// A scan of the whole table for the items of entity `E`, made by [`Table::scan`].
///
/// DynamoDB reads (and bills) every item of the table; a filter on the entity's key
/// prefixes keeps the others from being sent back, and items whose keys do not fit
/// `E`'s templates are skipped. With [`segments`](Self::segments), the table is read in
/// that many parallel segments at once. To read several entity types, one scan of
/// every item ([`Table::scan_items`]) costs less than one scan for each.
///
/// ```no_run
/// # use dynaschema::{Entity, Table};
/// # async fn run<Account: Entity + Send>(table: &Table) -> dynaschema::Result<()> {
/// let accounts: Vec<Account> = table.scan::<Account>().segments(4).all().await?;
/// # let _ = accounts;
/// # Ok(()) }
/// ```
#[must_use = "a scan does nothing until it is read"]
pub struct Scan<'a, E> {
    reading: Reading<'a>,
    index: Result<Option<String>>,
    /// Why the items cannot be read as `E`s (an index that does not project what `E`
    /// needs); [`items`](Self::items) goes ahead.
    unprojected: Option<Error>,
    filter: Option<Condition<E>>,
    /// Where [`page`](Self::page) starts.
    after: Option<Cursor>,
    skip_expired: bool,
}

impl Table {
    /// A scan for every item of entity `E`.
    pub fn scan<E: Entity>(&self) -> Scan<'_, E> {
        Scan::new(self, Ok(None))
    }
}

impl<'a, E: Entity> Index<'a, E> {
    /// A scan of the index for every item of entity `E`: for a sparse index, which
    /// holds only the items that have its key, a cheaper read than the table's. An
    /// index the schema does not declare is an [`Error::Index`]
    /// when the scan is read; so is a typed read of an index that does not project what
    /// `E` needs, which [`Scan::items`] reads untyped.
    pub fn scan(&self) -> Scan<'a, E> {
        let table = self.table();
        let index = match table.schema().secondary_index(self.name()) {
            Some(_) => Ok(Some(self.name().to_owned())),
            None => Err(no_such_index(table, self.name())),
        };
        let mut scan = Scan::new(table, index);
        scan.unprojected = self.unprojected();
        scan
    }
}

impl<'a, E> Scan<'a, E> {
    fn new(table: &'a Table, index: Result<Option<String>>) -> Self {
        Scan {
            reading: Reading::new(table),
            index,
            unprojected: None,
            filter: None,
            after: None,
            skip_expired: false,
        }
    }
}

impl<'a, E: Entity + Send + 'a> Scan<'a, E> {
    /// Reads the table in `n` segments at once (at least 1, at most 1,000,000).
    pub fn segments(mut self, n: u32) -> Self {
        self.reading.segments(n);
        self
    }

    /// Reads with strong consistency (not available on global secondary indexes, but on
    /// the table and its local secondary indexes).
    pub fn consistent(mut self) -> Self {
        self.reading.consistent = true;
        self
    }

    /// Leaves out the items whose time to live has passed, as
    /// [`Query::skip_expired`](crate::ops::Query::skip_expired) does.
    pub fn skip_expired(mut self) -> Self {
        self.skip_expired = true;
        self
    }

    /// Keeps only the items for which `condition` holds.
    pub fn filter(mut self, condition: impl Into<Condition<E>>) -> Self {
        self.filter = Some(Condition::conjoin(self.filter.take(), condition.into()));
        self
    }

    /// Every entity of the type, in no particular order.
    pub async fn all(self) -> Result<Vec<E>> {
        self.stream().try_collect().await
    }

    /// Reads on from `cursor`, the [`next`](Page::next) of an earlier [`page`](Self::page)
    /// of this same scan (`None`: from the start). A cursor of another read is an
    /// [`Error::InvalidCursor`] when the page is read,
    /// before any request.
    pub fn after(mut self, cursor: impl Into<Option<Cursor>>) -> Self {
        self.after = cursor.into();
        self
    }

    /// One page of at most `n` entities (at least 1), from the start or from the cursor
    /// given to [`after`](Self::after), with the cursor to the next page. A page reads
    /// the table (or index) in one segment, in DynamoDB's order. When every item read is
    /// an `E` and there is no filter, a page is one request (of `n + 1` items, so that
    /// the last page knows it is the last).
    pub async fn page(mut self, n: usize) -> Result<Page<E>> {
        if let Some(refusal) = self.unprojected.take() {
            return Err(refusal);
        }
        let after = self.after.take();
        let table = self.reading.table;
        // An index that cannot be read is `prepare`'s error, before any request.
        let index = self.index.as_ref().ok().cloned().flatten();
        let key_names = table.cursor_keys(index.as_deref());
        let binding = Binding::of(&[
            "scan",
            table.name(),
            index.as_deref().unwrap_or(""),
            E::ENTITY_NAME,
        ]);
        let request = self.prepare()?;
        let start = match &after {
            Some(cursor) => Some(cursor.start_key(binding, &key_names, None)?),
            None => None,
        };
        let fetch = |limit: Option<usize>, start| {
            let limit = limit.map(|n| i32::try_from(n).unwrap_or(i32::MAX));
            send_page(table, request.clone().set_limit(limit), start)
        };
        read_page(n, start, &key_names, binding, fetch, E::from_matching_item).await
    }

    /// The entities one by one, as the segments' pages arrive.
    pub fn stream(mut self) -> BoxStream<'a, Result<E>> {
        if let Some(refusal) = self.unprojected.take() {
            return futures::stream::once(async { Err(refusal) }).boxed();
        }
        let reading = self.reading;
        entities_of_pages(reading.pages(self.prepare())).boxed()
    }

    /// The items the scan reads, undecoded: for an index that projects only part of
    /// `E` (KEYS_ONLY, INCLUDE), whose items cannot be read as entities. An index that
    /// does not copy `E`'s entity type cannot be filtered on it: its items of other
    /// entities whose keys have `E`'s shape are read too.
    pub async fn items(self) -> Result<Vec<Item>> {
        let reading = self.reading;
        items_of_pages(reading.pages(self.prepare()))
            .try_collect()
            .await
    }

    /// The request every page starts from: the index, and the filter on `E`'s key
    /// prefixes and the caller's condition.
    fn prepare(self) -> Result<ScanFluentBuilder> {
        if self.after.is_some() {
            return Err(Error::InvalidCursor {
                message: "a scan goes on from a cursor one page at a time: read with \
                          .after(cursor).page(n)"
                    .to_owned(),
            });
        }
        let index = self.index?;
        let table = self.reading.table;
        key_schema::fits::<E>(table)?;
        let declared = index
            .as_deref()
            .and_then(|name| table.schema().secondary_index(name));
        // What the index copies (every attribute, for the table itself).
        let copied = |attribute: &str| {
            declared.is_none_or(|index| index.projects(&table.schema().table, attribute))
        };
        if let Some(global) = declared.filter(|index| !index.local && self.reading.consistent) {
            return Err(not_consistent(table, global.name));
        }
        let mut expression = Expression::default();
        let mut clauses = Vec::new();
        for template in std::iter::once(&E::PK_TEMPLATE).chain(E::SK_TEMPLATE.as_ref()) {
            let prefix = template.prefix();
            if prefix.is_empty() {
                continue;
            }
            let name = expression.name(template.attribute());
            let value = expression.value(aws_sdk_dynamodb::types::AttributeValue::S(
                prefix.to_owned(),
            ));
            clauses.push(if template.is_constant() {
                format!("{name} = {value}")
            } else {
                format!("begins_with({name}, {value})")
            });
        }
        // An index that does not copy the entity type is read without its filter: the
        // untyped items it answers then hold other entities' of the same key shape too
        // (a typed read of it is refused before this).
        if let Some(entity_type) = E::ENTITY_TYPE.filter(|t| copied(t.attribute)) {
            let name = expression.name(entity_type.attribute);
            let value = expression.value(aws_sdk_dynamodb::types::AttributeValue::S(
                entity_type.value.to_owned(),
            ));
            clauses.push(format!("{name} = {value}"));
        }
        if let Some(filter) = &self.filter {
            if let Some(refusal) = index
                .as_deref()
                .and_then(|i| filter_unprojected(table, i, filter))
            {
                return Err(refusal);
            }
            clauses.push(expression.condition(filter)?);
        }
        if self.skip_expired {
            if let Some(refusal) = index.as_deref().and_then(|i| expiry_unprojected(table, i)) {
                return Err(refusal);
            }
            clauses.push(table.unexpired(&mut expression)?);
        }
        let filter = (!clauses.is_empty()).then(|| clauses.join(" AND "));
        let (names, values) = expression.into_placeholders();
        Ok(self
            .reading
            .request()
            .set_index_name(index)
            .set_filter_expression(filter)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values))
    }
}

/// A scan of every item of the table, undecoded, made by [`Table::scan_items`]: for
/// work that reads several entity types in one pass, such as a data migration, where
/// one scan of each type would read (and be billed for) the whole table once per type.
/// Each item can then be recognised with [`Entity::from_matching_item`].
///
/// ```no_run
/// # use dynaschema::{Entity, Table};
/// # use futures::TryStreamExt;
/// # async fn run<Account: Entity + Send, Operation: Entity + Send>(table: &Table) -> dynaschema::Result<()> {
/// let mut items = table.scan_items().consistent().stream();
/// let (mut accounts, mut operations) = (0, 0);
/// while let Some(item) = items.try_next().await? {
///     if let Some(account) = Account::from_matching_item(&item) {
///         let _account: Account = account?;
///         accounts += 1;
///     } else if let Some(operation) = Operation::from_matching_item(&item) {
///         let _operation: Operation = operation?;
///         operations += 1;
///     }
/// }
/// # Ok(()) }
/// ```
#[must_use = "a scan does nothing until it is read"]
pub struct ItemScan<'a> {
    reading: Reading<'a>,
}

impl Table {
    /// A scan of every item of the table, whatever its entity.
    pub fn scan_items(&self) -> ItemScan<'_> {
        ItemScan {
            reading: Reading::new(self),
        }
    }
}

impl<'a> ItemScan<'a> {
    /// Reads the table in `n` segments at once (at least 1, at most 1,000,000).
    pub fn segments(mut self, n: u32) -> Self {
        self.reading.segments(n);
        self
    }

    /// Reads with strong consistency.
    pub fn consistent(mut self) -> Self {
        self.reading.consistent = true;
        self
    }

    /// The items one by one, as the segments' pages arrive. Within a segment, pages come
    /// in DynamoDB's order: an item collection's items in sort-key order.
    pub fn stream(self) -> BoxStream<'a, Result<Item>> {
        items_of_pages(self.reading.pages(Ok(self.reading.request()))).boxed()
    }
}

/// What both kinds of scan read with: the table, the number of segments, and the
/// consistency.
#[derive(Clone, Copy)]
struct Reading<'a> {
    table: &'a Table,
    segments: u32,
    consistent: bool,
}

impl<'a> Reading<'a> {
    fn new(table: &'a Table) -> Self {
        Reading {
            table,
            segments: 1,
            consistent: false,
        }
    }

    /// `n` segments, at least 1 and at most DynamoDB's 1,000,000.
    fn segments(&mut self, n: u32) {
        self.segments = n.clamp(1, 1_000_000);
    }

    /// A scan of the table, with the consistency asked for.
    fn request(&self) -> ScanFluentBuilder {
        self.table
            .client()
            .scan()
            .table_name(self.table.name())
            .set_consistent_read(self.consistent.then_some(true))
    }

    /// The pages of `request` read in the segments concurrently (one plain scan for 1),
    /// merged as they arrive; an invalid request is the stream's only item.
    fn pages(self, request: Result<ScanFluentBuilder>) -> BoxStream<'a, Result<Vec<Item>>> {
        let Reading {
            table, segments, ..
        } = self;
        futures::stream::once(async move { request })
            .map_ok(move |request| {
                let streams = (0..segments).map(|segment| {
                    let request = if segments > 1 {
                        request
                            .clone()
                            .segment(segment as i32)
                            .total_segments(segments as i32)
                    } else {
                        request.clone()
                    };
                    let request = std::sync::Arc::new(request);
                    Box::pin(paginate(move |start| {
                        send_page(table, (*request).clone(), start)
                    }))
                });
                futures::stream::select_all(streams)
            })
            .try_flatten()
            .boxed()
    }
}

/// The page of `request` that starts after `start`, resent under the table's retry
/// policy, and the key to go on from.
pub(crate) async fn send_page(
    table: &Table,
    request: ScanFluentBuilder,
    start: Option<Item>,
) -> Result<(Vec<Item>, Option<Item>)> {
    let page = |start| request.clone().set_exclusive_start_key(start).send();
    let output = match page(start.clone()).await {
        Ok(output) => output,
        Err(err) => {
            let again = || page(start.clone());
            Box::pin(resend_after(table.retry_policy(), "Scan", err, again))
                .await
                .map_err(|err| table.sdk_error("Scan", err))?
        }
    };
    Ok((output.items.unwrap_or_default(), output.last_evaluated_key))
}
