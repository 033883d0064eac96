//! Queries: the items of one partition of the table, or of one key value of a global
//! secondary index, page after page.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};

use crate::error::{Error, Result};
use crate::expr::{Condition, Expression};
use crate::item::{Entity, Item, Readable};
use crate::key::{key_text, KeyPart, Partition, SortKeyMatch};
use crate::ops::cursor::{read_page, Binding, Cursor, Page};
use crate::ops::paging::{entities_of_pages, items_of_pages, Next};
use crate::ops::retry::resend_after;
use crate::ops::target::{
    expiry_unprojected, filter_unprojected, index_target, not_consistent, scalar, target_refusal,
    unprojected, Target,
};
use crate::projected::Projected;
use crate::schema::KeyType;
use crate::table::Table;

/// The greatest character: `prefix` followed by it is above every key that begins with
/// `prefix` (DynamoDB compares strings by their UTF-8 bytes, and U+10FFFF's are the
/// greatest), short of keys that themselves hold U+10FFFF after the prefix.
const AFTER_EVERY_KEY: char = '\u{10FFFF}';

/// A query of the items of entity `E` in one partition, or under one key value of an
/// index. Made by [`Table::query`] or [`Index::query`](crate::ops::Index::query); read with [`all`](Self::all),
/// [`first`](Self::first) or [`stream`](Self::stream), or untyped with
/// [`items`](Self::items).
///
/// Items whose key does not fit `E`'s templates are skipped, so a partition that holds
/// several entity types reads cleanly as each of them.
///
/// ```no_run
/// # use dynaschema::{Entity, Partition, Table};
/// # async fn run<Op: Entity + Send>(table: &Table, partition: Partition<Op>) -> dynaschema::Result<()> {
/// use futures::TryStreamExt;
///
/// let latest: Vec<Op> = table.query(partition.clone()).newest_first().limit(10).all().await?;
/// let march: Vec<Op> = table
///     .query(partition.clone())
///     .sk_between("2026-03-01", "2026-04-01")
///     .all()
///     .await?;
/// let mut every = table.query(partition).stream();
/// while let Some(operation) = every.try_next().await? {
///     # let _ = operation;
/// }
/// # let _ = (latest, march);
/// # Ok(()) }
/// ```
#[must_use = "a query does nothing until it is read"]
pub struct Query<'a, E> {
    table: &'a Table,
    target: Result<Target>,
    options: Options<E>,
    /// Why the items cannot be read as `E`s (an index that does not project what `E`
    /// needs); untyped reads go ahead.
    pub(super) unprojected: Option<Error>,
    /// Where [`page`](Self::page) starts.
    after: Option<Cursor>,
}

/// How a query reads its target, as its builder methods set it.
struct Options<E> {
    range: Option<SortRange>,
    /// How many entities to read in all: reading stops there, but is not sent.
    limit: Option<usize>,
    /// DynamoDB's `Limit`: how many items each page reads at most.
    page_size: Option<usize>,
    forward: bool,
    consistent: bool,
    filter: Option<Condition<E>>,
    /// Reads only the table's keys, and these attributes (an entity's type).
    keys_only: Option<Vec<&'static str>>,
    skip_expired: bool,
}

/// A range of sort keys, relative to the entity's sort-key prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SortRange {
    Between(String, String),
    Lt(String),
    Le(String),
    Gt(String),
    Ge(String),
    BeginsWith(String),
}

/// The sort-key part of a key condition.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SortClause {
    Equals(String),
    BeginsWith(String),
    Between(String, String),
    Compare(&'static str, String),
}

/// The sort-key clause for a partition's own match narrowed by a range, and the one sort
/// key to skip: a strict bound inside a prefix is sent as an inclusive BETWEEN (a key
/// condition has one comparison, and it must keep to the prefix), so the bound itself is
/// dropped on reading.
fn sort_clause(
    base: &SortKeyMatch,
    range: Option<&SortRange>,
) -> (Option<SortClause>, Option<String>) {
    let prefix = match base {
        SortKeyMatch::BeginsWith(_, prefix) => prefix.as_str(),
        _ => "",
    };
    let Some(range) = range else {
        return match base {
            SortKeyMatch::Any => (None, None),
            SortKeyMatch::Equals(_, value) => (Some(SortClause::Equals(value.clone())), None),
            SortKeyMatch::BeginsWith(_, prefix) => {
                (Some(SortClause::BeginsWith(prefix.clone())), None)
            }
        };
    };
    let within = |value: &str| format!("{prefix}{value}");
    let top = || format!("{prefix}{AFTER_EVERY_KEY}");
    let open = prefix.is_empty();
    let (clause, skip) = match range {
        SortRange::Between(low, high) => (SortClause::Between(within(low), within(high)), None),
        SortRange::BeginsWith(value) => (SortClause::BeginsWith(within(value)), None),
        SortRange::Ge(value) if open => (SortClause::Compare(">=", value.clone()), None),
        SortRange::Gt(value) if open => (SortClause::Compare(">", value.clone()), None),
        SortRange::Le(value) if open => (SortClause::Compare("<=", value.clone()), None),
        SortRange::Lt(value) if open => (SortClause::Compare("<", value.clone()), None),
        SortRange::Ge(value) => (SortClause::Between(within(value), top()), None),
        SortRange::Gt(value) => (
            SortClause::Between(within(value), top()),
            Some(within(value)),
        ),
        SortRange::Le(value) => (SortClause::Between(prefix.to_owned(), within(value)), None),
        SortRange::Lt(value) => (
            SortClause::Between(prefix.to_owned(), within(value)),
            Some(within(value)),
        ),
    };
    (Some(clause), skip)
}

/// Refuses a range from `low` to `high` (sort keys of key type `kind`) whose low bound
/// sorts after its high one, which DynamoDB would answer with a validation error.
fn backwards(kind: KeyType, low: &str, high: &str) -> Result<()> {
    let message = match kind {
        KeyType::S if low > high => format!(
            "the sort-key range runs backwards: `{low}` sorts after `{high}`. String keys \
             compare byte by byte, so numbers in them sort as text (`10` before `9`): give \
             the low bound first, or write numbers at one width (a newtype implementing \
             KeyPart that pads them)"
        ),
        KeyType::N => match (low.parse::<f64>(), high.parse::<f64>()) {
            (Ok(l), Ok(h)) if l > h => format!(
                "the sort-key range runs backwards: {low} is above {high}; give the low \
                 bound first"
            ),
            _ => return Ok(()),
        },
        _ => return Ok(()),
    };
    Err(Error::InvalidQuery { message })
}

impl Table {
    /// A query of `partition`: the items of entity `E` under its partition key.
    ///
    /// `Operation::partition(id)` reads the operations of an account; with
    /// [`Partition::whole`] and [`Query::items`], every item of the partition, of
    /// whatever entity. A partition of an index, from the derive's index builders
    /// (`Order::gsi1(order_id)`), reads that index: its key attributes are checked
    /// against the schema's, and its values written as the types the schema declares.
    pub fn query<E: Readable>(&self, partition: Partition<E>) -> Query<'_, E> {
        if let Some(index) = partition.index() {
            let target = partition.partition_key().and_then(|(attribute, value)| {
                let base = partition.sort_key().clone();
                index_target(self, index, Some(attribute), value.to_owned(), base)
            });
            let mut query = Query::new(self, target);
            query.unprojected = unprojected::<E>(self, index);
            return query;
        }
        let table_key = &self.schema().table.partition_key;
        let table_sort_key = self.schema().table.sort_key.as_ref();
        let target = partition.partition_key().and_then(|(name, value)| {
            if table_key.name != name || table_key.kind != KeyType::S {
                return Err(Error::InvalidQuery {
                    message: format!(
                        "{} reads its partition key `{name}` as a string, but the table's \
                         partition key is {table_key} in the schema: key templates are \
                         strings, so declare it as S (or name it in the derive's pk_attr)",
                        E::READ_NAME
                    ),
                });
            }
            if let SortKeyMatch::Equals(sort_key, _) | SortKeyMatch::BeginsWith(sort_key, _) =
                partition.sort_key()
                && table_sort_key.is_none_or(|key| key.name != *sort_key || key.kind != KeyType::S)
            {
                return Err(Error::InvalidQuery {
                    message: format!(
                        "{} reads its sort key `{sort_key}`, but the table's sort key is \
                             {} in the schema: correct sk_attr, or the schema",
                        E::READ_NAME,
                        table_sort_key.map_or("none".to_owned(), |key| format!("{key}"))
                    ),
                });
            }
            Ok((name, value))
        });
        let target = target.map(|(name, value)| Target {
            index: None,
            consistent_reads: true,
            partition_key: (name.to_owned(), AttributeValue::S(value.to_owned())),
            sort_key: match partition.sort_key() {
                SortKeyMatch::Equals(name, _) | SortKeyMatch::BeginsWith(name, _) => {
                    Some(((*name).to_owned(), KeyType::S))
                }
                SortKeyMatch::Any => {
                    let sort_key = self.schema().table.sort_key.as_ref();
                    sort_key.map(|k| (k.name.clone(), k.kind))
                }
            },
            base: partition.sort_key().clone(),
        });
        Query::new(self, target)
    }
}

impl<'a, E> Query<'a, E> {
    pub(super) fn new(table: &'a Table, target: Result<Target>) -> Self {
        Query {
            table,
            target,
            options: Options {
                range: None,
                limit: None,
                page_size: None,
                forward: true,
                consistent: false,
                filter: None,
                keys_only: None,
                skip_expired: false,
            },
            unprojected: None,
            after: None,
        }
    }
}

impl<'a, E: Entity> Query<'a, E> {
    /// The same query, reading [`Projected<E>`]s: the attributes an index copies, for an
    /// index that copies part of `E` (KEYS_ONLY, or INCLUDE without every attribute `E`
    /// stores), whose items cannot be read as whole `E`s. A query of a `partial` index's
    /// builder reads them already.
    ///
    /// ```no_run
    /// # use dynaschema::{Entity, Projected, Table};
    /// # async fn run<Task: Entity + Send>(table: &Table) -> dynaschema::Result<()> {
    /// let keys: Vec<Projected<Task>> =
    ///     table.index::<Task>("ByStatus").query("open").projected().all().await?;
    /// let tasks = table.batch_get(keys.iter().map(Projected::key)).await?;
    /// # let _ = tasks;
    /// # Ok(()) }
    /// ```
    pub fn projected(self) -> Query<'a, Projected<E>> {
        let unprojected = match &self.target {
            Ok(Target {
                index: Some(index), ..
            }) => unprojected::<Projected<E>>(self.table, index),
            _ => None,
        };
        let options = self.options;
        Query {
            table: self.table,
            target: self.target,
            options: Options {
                range: options.range,
                limit: options.limit,
                page_size: options.page_size,
                forward: options.forward,
                consistent: options.consistent,
                filter: options.filter.map(Condition::retag),
                keys_only: options.keys_only,
                skip_expired: options.skip_expired,
            },
            unprojected,
            after: self.after,
        }
    }
}

impl<'a, E: Readable + Send + 'a> Query<'a, E> {
    /// Reads at most `n` entities: reading stops once `n` are read, and pages are read
    /// at full size, so a filtered query finds them in as few requests as it can. This
    /// is not DynamoDB's `Limit`, which bounds the items each page *reads* before any
    /// filter (see [`page_size`](Self::page_size)).
    pub fn limit(mut self, n: usize) -> Self {
        self.options.limit = Some(n);
        self
    }

    /// Reads at most `n` items per request (DynamoDB's `Limit`, at least 1), counted
    /// before the filter and before items of other entities are skipped: for
    /// bounding each request's size and capacity, not the result.
    pub fn page_size(mut self, n: usize) -> Self {
        self.options.page_size = Some(n.max(1));
        self
    }

    /// Reads in descending sort-key order: for time-ordered keys, the newest first.
    pub fn newest_first(mut self) -> Self {
        self.options.forward = false;
        self
    }

    /// Reads with strong consistency: the table and its local secondary indexes offer
    /// it, global secondary indexes do not (an [`Error::Index`] when read).
    pub fn consistent(mut self) -> Self {
        self.options.consistent = true;
        self
    }

    /// Keeps only the items for which `condition` holds, on attributes other than the
    /// keys. DynamoDB applies it after reading, so it saves transfer, not capacity.
    pub fn filter(mut self, condition: impl Into<Condition<E>>) -> Self {
        let condition = condition.into();
        self.options.filter = Some(Condition::conjoin(self.options.filter.take(), condition));
        self
    }

    /// Sort keys from `low` to `high`, both included.
    ///
    /// Bounds are the text after the entity's sort-key prefix: for `OPERATION#{created_at}`,
    /// `sk_between("2026-03", "2026-04")` reads `OPERATION#2026-03` to `OPERATION#2026-04`.
    /// A later range replaces an earlier one.
    pub fn sk_between(mut self, low: impl KeyPart, high: impl KeyPart) -> Self {
        self.options.range = Some(SortRange::Between(key_text(&low), key_text(&high)));
        self
    }

    /// Sort keys below `value` (after the entity's prefix, as for [`sk_between`](Self::sk_between)).
    pub fn sk_lt(mut self, value: impl KeyPart) -> Self {
        self.options.range = Some(SortRange::Lt(key_text(&value)));
        self
    }

    /// Sort keys up to `value`, included.
    pub fn sk_le(mut self, value: impl KeyPart) -> Self {
        self.options.range = Some(SortRange::Le(key_text(&value)));
        self
    }

    /// Sort keys above `value`.
    pub fn sk_gt(mut self, value: impl KeyPart) -> Self {
        self.options.range = Some(SortRange::Gt(key_text(&value)));
        self
    }

    /// Sort keys from `value` on, included.
    pub fn sk_ge(mut self, value: impl KeyPart) -> Self {
        self.options.range = Some(SortRange::Ge(key_text(&value)));
        self
    }

    /// Sort keys that begin with `value`, after the entity's prefix.
    pub fn sk_begins_with(mut self, value: impl KeyPart) -> Self {
        self.options.range = Some(SortRange::BeginsWith(key_text(&value)));
        self
    }

    /// Reads on from `cursor`, the [`next`](Page::next) of an earlier [`page`](Self::page)
    /// of this same query (`None`: from the start), whichever way the query is read. A
    /// cursor of another query is an [`Error::InvalidCursor`] when the query is read,
    /// before any request.
    pub fn after(mut self, cursor: impl Into<Option<Cursor>>) -> Self {
        self.after = cursor.into();
        self
    }

    /// One page of at most `n` entities (at least 1), from the start or from the cursor
    /// given to [`after`](Self::after), with the cursor to the next page: for handing
    /// results to an API's caller a page at a time.
    ///
    /// Without a filter, and when every item read is of type `E`, a page is one request
    /// (of `n + 1` items, so that the last page knows it is the last). Items of other
    /// entities are skipped and counted in [`Page::skipped`].
    ///
    /// ```no_run
    /// # use dynaschema::{Cursor, Entity, Partition, Table};
    /// # async fn run<Op: Entity + Send>(table: &Table, partition: Partition<Op>, from_caller: Option<&str>) -> dynaschema::Result<()> {
    /// let cursor: Option<Cursor> = from_caller.map(str::parse).transpose()?;
    /// let page = table.query(partition).after(cursor).page(20).await?;
    /// let next: Option<String> = page.next.map(|cursor| cursor.to_string());
    /// # let _ = (page.items, next);
    /// # Ok(()) }
    /// ```
    pub async fn page(mut self, n: usize) -> Result<Page<E>> {
        if let Some(refusal) = self.unprojected.take() {
            return Err(refusal);
        }
        let n = n.min(self.options.limit.unwrap_or(usize::MAX));
        // The pages start where the cursor given to `after` says.
        let mut pages = self.into_pages()?;
        let start = std::mem::replace(&mut pages.next, Next::Done)
            .start()
            .flatten();
        let (binding, key_names) = pages.request.cursor_binding();
        let fetch = |limit, start| {
            let pages = &pages;
            async move { pages.fetch(start, limit).await }
        };
        read_page(n, start, &key_names, binding, fetch, E::read_matching).await
    }

    /// Leaves out the items whose time to live (the schema's `ttl_attribute`, an
    /// [`Expiry`](crate::Expiry)) has passed, which DynamoDB may take days to delete: a
    /// filter, so it saves transfer, not capacity. A table without `ttl_attribute` is
    /// an [`Error::Config`] when the query is read, and an index that does not project
    /// the `ttl_attribute` (whose items would all look unexpired) an [`Error::Index`],
    /// before any request.
    pub fn skip_expired(mut self) -> Self {
        self.options.skip_expired = true;
        self
    }

    /// Reads only the table's key attributes of each item, and `also`.
    pub(crate) fn keys_only(mut self, also: Vec<&'static str>) -> Self {
        self.options.keys_only = Some(also);
        self
    }

    /// Every matching entity, across all pages.
    pub async fn all(self) -> Result<Vec<E>> {
        let limit = self.options.limit.unwrap_or(usize::MAX);
        let mut pages = self.into_typed_pages()?;
        let mut entities = Vec::new();
        while let Some(page) = pages.next_page().await? {
            entities.reserve(page.len().min(limit - entities.len()));
            for entity in page.iter().filter_map(E::read_matching) {
                entities.push(entity?);
                if entities.len() == limit {
                    return Ok(entities);
                }
            }
        }
        Ok(entities)
    }

    /// The first matching entity, if any: reads no more than it needs.
    pub async fn first(self) -> Result<Option<E>> {
        let mut pages = self.into_typed_pages()?;
        while let Some(page) = pages.next_page().await? {
            if let Some(entity) = page.iter().find_map(E::read_matching) {
                return entity.map(Some);
            }
        }
        Ok(None)
    }

    /// The matching entities one by one, fetching the next page when the previous one
    /// is used up. Dropping the stream stops the reading.
    pub fn stream(self) -> BoxStream<'a, Result<E>> {
        let limit = self.options.limit.unwrap_or(usize::MAX);
        if let Some(refusal) = self.unprojected {
            return futures::stream::once(async { Err(refusal) }).boxed();
        }
        entities_of_pages(self.pages()).take(limit).boxed()
    }

    /// Every item the query reads, undecoded and whatever its entity: for a partition
    /// that holds several entity types, to be told apart with [`Entity::from_matching_item`] (or
    /// [`Entity::matches`]).
    ///
    /// ```no_run
    /// # use dynaschema::{Entity, Partition, Table};
    /// # async fn run<Account: Entity + Send, Op: Entity + Send>(table: &Table, partition: Partition<Account>) -> dynaschema::Result<()> {
    /// let mut accounts = Vec::new();
    /// let mut operations = Vec::new();
    /// for item in table.query(partition.whole()).items().await? {
    ///     if let Some(account) = Account::from_matching_item(&item) {
    ///         accounts.push(account?);
    ///     } else if let Some(operation) = Op::from_matching_item(&item) {
    ///         operations.push(operation?);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn items(self) -> Result<Vec<Item>> {
        let limit = self.options.limit.unwrap_or(usize::MAX);
        let mut pages = self.into_pages()?;
        let mut items = Vec::new();
        while let Some(page) = pages.next_page().await? {
            items.extend(page.into_iter().take(limit - items.len()));
            if items.len() == limit {
                break;
            }
        }
        Ok(items)
    }

    /// The items one by one, undecoded, as [`items`](Self::items) reads them.
    pub fn item_stream(self) -> BoxStream<'a, Result<Item>> {
        let limit = self.options.limit.unwrap_or(usize::MAX);
        items_of_pages(self.pages()).take(limit).boxed()
    }

    /// The pages of items, as DynamoDB answers them (less any skipped bound).
    pub(crate) fn pages(self) -> impl Stream<Item = Result<Vec<Item>>> + Send + 'a {
        futures::stream::try_unfold(Some(self.into_pages()), |pages| async move {
            let Some(pages) = pages else {
                return Ok(None);
            };
            let mut pages = pages?;
            Ok(pages.next_page().await?.map(|page| (page, Some(Ok(pages)))))
        })
    }

    /// The pages of a typed read: an index that does not project what `E` needs is an
    /// error here, before any request.
    fn into_typed_pages(self) -> Result<Pages<'a, E>> {
        match self.unprojected {
            Some(refusal) => Err(refusal),
            None => self.into_pages(),
        }
    }

    /// The query's pages, to read one after another; an invalid query is an error here.
    /// A cursor given to [`after`](Self::after) starts them where its page ended.
    fn into_pages(self) -> Result<Pages<'a, E>> {
        let mut pages = Pages {
            request: Request {
                table: self.table,
                target: self.target?,
                options: self.options,
            },
            next: Next::Start,
        };
        if let Some(cursor) = self.after {
            let (binding, key_names) = pages.request.cursor_binding();
            let (name, value) = &pages.request.target.partition_key;
            pages.next = Next::After(cursor.start_key(binding, &key_names, Some((name, value)))?);
        }
        Ok(pages)
    }
}

/// A query whose target is valid: what each of its pages is requested with.
struct Request<'a, E> {
    table: &'a Table,
    target: Target,
    options: Options<E>,
}

/// A query's pages, read one after another. Each page's request is made when it is
/// sent, which costs less than keeping a copy of the first to clone for each page.
struct Pages<'a, E> {
    request: Request<'a, E>,
    next: Next,
}

impl<E> Pages<'_, E> {
    /// The next page, or `None` after the last.
    async fn next_page(&mut self) -> Result<Option<Vec<Item>>> {
        let Some(start) = std::mem::replace(&mut self.next, Next::Done).start() else {
            return Ok(None);
        };
        let (items, last) = self.fetch(start, self.request.options.page_size).await?;
        self.next = Next::after(last);
        Ok(Some(items))
    }

    /// The page of at most `limit` items that starts after `start`, and the key to go
    /// on from.
    async fn fetch(
        &self,
        start: Option<Item>,
        limit: Option<usize>,
    ) -> Result<(Vec<Item>, Option<Item>)> {
        let (request, skip) = self.request.prepare(limit)?;
        let table = self.request.table;
        let output = match request.set_exclusive_start_key(start.clone()).send().await {
            Ok(output) => output,
            Err(err) => {
                // A retry prepares its request again: no copy is kept for it.
                let again = || {
                    let prepared = self.request.prepare(limit);
                    let start = start.clone();
                    async move {
                        match prepared {
                            Ok((request, _)) => request.set_exclusive_start_key(start).send().await,
                            Err(err) => Err(SdkError::construction_failure(err)),
                        }
                    }
                };
                Box::pin(resend_after(table.retry_policy(), "Query", err, again))
                    .await
                    .map_err(|err| table.sdk_error("Query", err))?
            }
        };
        let mut items = output.items.unwrap_or_default();
        if let Some((attribute, value)) = &skip {
            items.retain(
                |item| !matches!(item.get(attribute), Some(AttributeValue::S(v)) if v == value),
            );
        }
        Ok((items, output.last_evaluated_key))
    }
}

impl<E: Readable> Request<'_, E> {
    /// What the query's cursors are bound to, and the key attributes they hold: the
    /// table's, and the index's when it reads one.
    fn cursor_binding(&self) -> (Binding, Vec<String>) {
        let target = &self.target;
        let (pk_name, pk_value) = &target.partition_key;
        let binding = Binding::of(&[
            "query",
            self.table.name(),
            target.index.as_deref().unwrap_or(""),
            E::READ_NAME,
            pk_name,
            &format!("{pk_value:?}"),
            &format!("{:?}", target.base),
            &format!("{:?}", self.options.range),
            if self.options.forward {
                "forward"
            } else {
                "backward"
            },
        ]);
        (binding, self.table.cursor_keys(target.index.as_deref()))
    }
}

impl<E> Request<'_, E> {
    /// The request of a page, and the sort key to skip.
    #[allow(clippy::type_complexity)]
    fn prepare(
        &self,
        limit: Option<usize>,
    ) -> Result<(
        aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
        Option<(String, String)>,
    )> {
        let target = &self.target;
        if let (Some(index), true, false) = (
            &target.index,
            self.options.consistent,
            target.consistent_reads,
        ) {
            return Err(not_consistent(self.table, index));
        }
        let mut expression = Expression::default();
        let (pk_name, pk_value) = &target.partition_key;
        let mut condition = format!(
            "{} = {}",
            expression.name(pk_name),
            expression.value(pk_value.clone())
        );
        let (clause, skip) = sort_clause(&target.base, self.options.range.as_ref());
        let sort_key = target.sort_key.as_ref();
        if let Some(clause) = clause {
            let Some((sort_key, kind)) = sort_key else {
                let message = "it has no sort key, so a sort-key range cannot apply";
                return Err(target_refusal(self.table, target, message.to_owned()));
            };
            let name = expression.name(sort_key);
            let mut value = |text: String| -> Result<String> {
                let value = scalar(*kind, text).map_err(|message| {
                    let message = format!("its sort key `{sort_key}` {message}");
                    target_refusal(self.table, target, message)
                })?;
                Ok(expression.value(value))
            };
            let clause = match clause {
                SortClause::Equals(v) => format!("{name} = {}", value(v)?),
                SortClause::BeginsWith(v) => format!("begins_with({name}, {})", value(v)?),
                SortClause::Between(low, high) => {
                    backwards(*kind, &low, &high)?;
                    let low = value(low)?;
                    format!("{name} BETWEEN {low} AND {}", value(high)?)
                }
                SortClause::Compare(op, v) => format!("{name} {op} {}", value(v)?),
            };
            condition = format!("{condition} AND {clause}");
        }
        if let (Some(index), Some(filter)) = (&target.index, &self.options.filter)
            && let Some(refusal) = filter_unprojected(self.table, index, filter)
        {
            return Err(refusal);
        }
        let mut filter = self
            .options
            .filter
            .as_ref()
            .map(|f| expression.condition(f))
            .transpose()?;
        if self.options.skip_expired {
            if let Some(refusal) = target
                .index
                .as_deref()
                .and_then(|index| expiry_unprojected(self.table, index))
            {
                return Err(refusal);
            }
            let unexpired = self.table.unexpired(&mut expression)?;
            filter = Some(match filter {
                Some(filter) => format!("({filter}) AND {unexpired}"),
                None => unexpired,
            });
        }
        let projection = self.options.keys_only.as_ref().map(|also| {
            let names: Vec<String> = self
                .table
                .key_names()
                .chain(also.iter().copied())
                .map(|name| expression.name(name))
                .collect();
            names.join(", ")
        });
        let limit = limit.map(|n| i32::try_from(n).unwrap_or(i32::MAX));
        let (names, values) = expression.into_placeholders();
        let request = self
            .table
            .client()
            .query()
            .table_name(self.table.name())
            .set_index_name(target.index.clone())
            .key_condition_expression(condition)
            .set_filter_expression(filter)
            .set_projection_expression(projection)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .scan_index_forward(self.options.forward)
            .set_consistent_read(self.options.consistent.then_some(true))
            .set_limit(limit);
        let skip = skip.and_then(|value| Some((sort_key?.0.clone(), value)));
        Ok((request, skip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefixed() -> SortKeyMatch {
        SortKeyMatch::BeginsWith("SK", "OP#".to_owned())
    }

    #[test]
    fn without_a_range_the_partition_says() {
        assert_eq!(sort_clause(&SortKeyMatch::Any, None), (None, None));
        assert_eq!(
            sort_clause(&SortKeyMatch::Equals("SK", "ACCOUNT".into()), None),
            (Some(SortClause::Equals("ACCOUNT".into())), None)
        );
        assert_eq!(
            sort_clause(&prefixed(), None),
            (Some(SortClause::BeginsWith("OP#".into())), None)
        );
    }

    #[test]
    fn ranges_stay_within_the_prefix() {
        let top = format!("OP#{AFTER_EVERY_KEY}");
        let case = |range| sort_clause(&prefixed(), Some(&range));
        assert_eq!(
            case(SortRange::Between("a".into(), "b".into())),
            (
                Some(SortClause::Between("OP#a".into(), "OP#b".into())),
                None
            )
        );
        assert_eq!(
            case(SortRange::Ge("m".into())),
            (Some(SortClause::Between("OP#m".into(), top.clone())), None)
        );
        assert_eq!(
            case(SortRange::Gt("m".into())),
            (
                Some(SortClause::Between("OP#m".into(), top)),
                Some("OP#m".into())
            )
        );
        assert_eq!(
            case(SortRange::Le("m".into())),
            (Some(SortClause::Between("OP#".into(), "OP#m".into())), None)
        );
        assert_eq!(
            case(SortRange::Lt("m".into())),
            (
                Some(SortClause::Between("OP#".into(), "OP#m".into())),
                Some("OP#m".into())
            )
        );
        assert_eq!(
            case(SortRange::BeginsWith("2026".into())),
            (Some(SortClause::BeginsWith("OP#2026".into())), None)
        );
    }

    #[test]
    fn without_a_prefix_ranges_are_plain_comparisons() {
        let case = |range| sort_clause(&SortKeyMatch::Any, Some(&range)).0.unwrap();
        assert_eq!(
            case(SortRange::Lt("x".into())),
            SortClause::Compare("<", "x".into())
        );
        assert_eq!(
            case(SortRange::Ge("x".into())),
            SortClause::Compare(">=", "x".into())
        );
    }
}
