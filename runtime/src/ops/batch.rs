//! Batches: reading and writing many items in as few requests as DynamoDB allows,
//! resending what it leaves unprocessed, and deleting a partition page by page.

use std::collections::HashMap;
use std::future::IntoFuture;

use aws_sdk_dynamodb::types::{DeleteRequest, KeysAndAttributes, PutRequest, WriteRequest};
use futures::future::BoxFuture;
use futures::{SinkExt, Stream, StreamExt, TryStreamExt};

use crate::error::{Error, Result};
use crate::item::{write_time, Entity, Item};
use crate::key::{Key, Partition};
use crate::ops::key_schema::key_item;
use crate::ops::retry::{until_processed, Failure, Sent};
use crate::ops::write::written_item;
use crate::outcome::Attempts;
use crate::table::Table;
use crate::unique::{batch_refusal, delete_partition_refusal};

/// DynamoDB's limit on keys in one BatchGetItem.
pub const MAX_GET_KEYS: usize = 100;

/// DynamoDB's limit on requests in one BatchWriteItem.
pub const MAX_WRITE_REQUESTS: usize = 25;

/// How many batch requests are in flight at once, unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// A BatchGetItem of many keys of entity `E`, made by [`Table::batch_get`]; `.await`
/// sends it as requests of at most [`MAX_GET_KEYS`] keys.
#[must_use = "an operation does nothing until it is awaited"]
pub struct BatchGet<'a, E> {
    table: &'a Table,
    keys: Vec<Key<E>>,
    consistent: bool,
    concurrency: usize,
}

/// A BatchWriteItem of puts and deletes, of any entity types, made by
/// [`Table::batch_write`]; `.await` sends it as requests of at most
/// [`MAX_WRITE_REQUESTS`].
///
/// Unlike a transaction, a batch is not atomic: each item is written or not on its own.
#[must_use = "an operation does nothing until it is awaited"]
pub struct BatchWrite<'a> {
    table: &'a Table,
    requests: Vec<Result<(String, WriteRequest)>>,
    concurrency: usize,
}

/// The deletion of every item a [`Partition`] selects, made by
/// [`Table::delete_partition`]; `.await` answers how many items were deleted.
#[must_use = "an operation does nothing until it is awaited"]
pub struct DeletePartition<'a, E> {
    table: &'a Table,
    partition: Partition<E>,
    concurrency: usize,
    page_size: Option<usize>,
}

impl Table {
    /// Reads the items of `keys`: the entities in the order of their keys, and the keys
    /// that have no item ([`Fetched`]). A key given twice is read once.
    ///
    /// ```no_run
    /// # use dynaschema::{Entity, Key, Table};
    /// # async fn run<A: Entity + Send>(table: &Table, keys: Vec<Key<A>>) -> dynaschema::Result<()> {
    /// let fetched = table.batch_get(keys).await?;
    /// for key in &fetched.missing {
    ///     println!("no item for {key}");
    /// }
    /// let accounts: Vec<A> = fetched.entities;
    /// # let _ = accounts;
    /// # Ok(()) }
    /// ```
    ///
    /// Keys DynamoDB leaves unprocessed (when throttled, or past 16 MB in one answer)
    /// are resent with backoff as the [retry policy](Table::with_retry) says; any still
    /// left at the end make an [`Error::Unprocessed`] that lists them.
    pub fn batch_get<E: Entity>(&self, keys: impl IntoIterator<Item = Key<E>>) -> BatchGet<'_, E> {
        BatchGet {
            table: self,
            keys: keys.into_iter().collect(),
            consistent: false,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }

    /// A batch of puts and deletes, to fill with [`BatchWrite::put`] and
    /// [`BatchWrite::delete`].
    ///
    /// Requests DynamoDB leaves unprocessed are resent with backoff; any still left at
    /// the end make an [`Error::Unprocessed`] that lists their keys.
    ///
    /// ```no_run
    /// # use dynaschema::{Entity, Key, Table};
    /// # async fn run<Op: Entity + Send>(table: &Table, operations: &[Op], stale: Vec<Key<Op>>) -> dynaschema::Result<()> {
    /// table.batch_write().put_all(operations).delete_all(stale).await?;
    /// # Ok(()) }
    /// ```
    pub fn batch_write(&self) -> BatchWrite<'_> {
        BatchWrite {
            table: self,
            requests: Vec::new(),
            concurrency: DEFAULT_CONCURRENCY,
        }
    }

    /// Deletes every item `partition` selects: the entity's items (those whose keys fit
    /// its templates, not another entity's deeper keys under the same prefix), or with
    /// [`Partition::whole`] every item under the partition key. Reads the keys only, page
    /// by page, and deletes each page in batches, several at once.
    ///
    /// ```no_run
    /// # use dynaschema::{Entity, Partition, Table};
    /// # async fn run<Account: Entity + Send>(table: &Table, partition: Partition<Account>) -> dynaschema::Result<()> {
    /// let deleted = table.delete_partition(partition.whole()).await?;
    /// println!("{deleted} items deleted");
    /// # Ok(()) }
    /// ```
    pub fn delete_partition<E: Entity>(&self, partition: Partition<E>) -> DeletePartition<'_, E> {
        DeletePartition {
            table: self,
            partition,
            concurrency: DEFAULT_CONCURRENCY,
            page_size: None,
        }
    }
}

impl<E: Entity + Send> BatchGet<'_, E> {
    /// Reads with strong consistency.
    pub fn consistent(mut self) -> Self {
        self.consistent = true;
        self
    }

    /// How many requests are in flight at once (at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Sends the requests; the same as `.await`.
    pub async fn send(self) -> Result<Fetched<E>> {
        let table = self.table;
        let mut position = HashMap::new();
        let mut keys = Vec::new();
        let mut distinct = Vec::new();
        for key in self.keys {
            let text = key.to_string();
            if let std::collections::hash_map::Entry::Vacant(slot) = position.entry(text) {
                slot.insert(keys.len());
                keys.push(key_item(table, &key)?);
                distinct.push(Some(key));
            }
        }
        let consistent = self.consistent;
        let drained: Vec<_> = futures::stream::iter(chunks(keys, MAX_GET_KEYS))
            .map(|chunk| {
                until_processed(table.retry_policy(), "BatchGetItem", chunk, move |keys| {
                    get_batch(table, keys, consistent)
                })
            })
            .buffer_unordered(self.concurrency)
            .try_collect()
            .await?;

        let mut unprocessed = Vec::new();
        let mut attempts = 0;
        let mut found = Vec::new();
        for batch in drained {
            attempts = attempts.max(batch.attempts);
            unprocessed.extend(batch.unprocessed.iter().map(|key| table.key_text(key)));
            found.extend(batch.done);
        }
        if !unprocessed.is_empty() {
            return Err(Error::Unprocessed {
                operation: "BatchGetItem",
                table: table.name().to_owned(),
                keys: unprocessed,
                attempts,
            });
        }
        let mut found: Vec<(usize, Item)> = found
            .into_iter()
            .map(|item| {
                let at = position.get(&table.key_text(&item)).copied();
                (at.unwrap_or(usize::MAX), item)
            })
            .collect();
        found.sort_by_key(|(at, _)| *at);
        for (at, _) in &found {
            if let Some(slot) = distinct.get_mut(*at) {
                *slot = None;
            }
        }
        Ok(Fetched {
            entities: found
                .iter()
                .map(|(_, item)| E::from_item(item))
                .collect::<Result<_>>()?,
            missing: distinct.into_iter().flatten().collect(),
        })
    }
}

/// What a [`BatchGet`] read: the entities of the keys that have an item, in the order of
/// their keys, and the keys that have none, in the order they were given.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched<E> {
    /// The entities read.
    pub entities: Vec<E>,
    /// The keys without an item.
    pub missing: Vec<Key<E>>,
}

/// One BatchGetItem: the items read, and the keys left unprocessed.
async fn get_batch(table: &Table, keys: Vec<Item>, consistent: bool) -> Sent<Item, Item> {
    let request = KeysAndAttributes::builder()
        .set_keys(Some(keys))
        .set_consistent_read(consistent.then_some(true))
        .build()
        .expect("the keys are set");
    let output = table
        .client()
        .batch_get_item()
        .request_items(table.name(), request)
        .send()
        .await
        .map_err(|err| Failure::of(err, |err| table.sdk_error("BatchGetItem", err)))?;
    let items = output
        .responses
        .and_then(|mut r| r.remove(table.name()))
        .unwrap_or_default();
    let unprocessed = output
        .unprocessed_keys
        .and_then(|mut u| u.remove(table.name()))
        .map(|k| k.keys)
        .unwrap_or_default();
    Ok((items, unprocessed))
}

impl<'a, E: Entity + Send + 'a> IntoFuture for BatchGet<'a, E> {
    type Output = Result<Fetched<E>>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

impl<'a> BatchWrite<'a> {
    /// Adds a put of `entity`, replacing any item with its key, its update time (if it
    /// has one) stamped. A batch cannot require a version, nor write guards of unique
    /// values in step with the item: a versioned entity, or one with unique fields, is
    /// refused ([`Error::InvalidBatch`]); write it with [`Table::put`] or a transaction.
    pub fn put<E: Entity>(mut self, entity: &E) -> Self {
        let versioned = E::VERSION.map(|_| Error::InvalidBatch {
            message: format!(
                "{} is versioned, and a batch write cannot require its version: put it with \
                 table.put(..) or in a transaction",
                E::ENTITY_NAME
            ),
        });
        let item = match batch_refusal::<E>().or(versioned) {
            Some(refusal) => Err(refusal),
            None => written_item(self.table, entity, true, false, write_time::<E>())
                .map(|(item, _)| item),
        };
        let request = item.map(|item| {
            let put = PutRequest::builder()
                .set_item(Some(item))
                .build()
                .expect("the item is set");
            (
                entity.key().to_string(),
                WriteRequest::builder().put_request(put).build(),
            )
        });
        self.requests.push(request);
        self
    }

    /// Adds a put of each entity.
    pub fn put_all<'e, E: Entity + 'e>(self, entities: impl IntoIterator<Item = &'e E>) -> Self {
        entities.into_iter().fold(self, |batch, e| batch.put(e))
    }

    /// Adds a delete of the item of `key`. An entity with unique fields is refused
    /// ([`Error::InvalidBatch`]): its guards go with it in a transaction.
    pub fn delete<E: Entity>(mut self, key: Key<E>) -> Self {
        if let Some(refusal) = batch_refusal::<E>() {
            self.requests.push(Err(refusal));
            return self;
        }
        let request = key_item(self.table, &key).map(|key_item| {
            (
                key.to_string(),
                WriteRequest::builder()
                    .delete_request(
                        DeleteRequest::builder()
                            .set_key(Some(key_item))
                            .build()
                            .expect("the key is set"),
                    )
                    .build(),
            )
        });
        self.requests.push(request);
        self
    }

    /// Adds a delete of each key.
    pub fn delete_all<E: Entity>(self, keys: impl IntoIterator<Item = Key<E>>) -> Self {
        keys.into_iter().fold(self, |batch, key| batch.delete(key))
    }

    /// How many requests are in flight at once (at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// How many puts and deletes the batch holds.
    pub fn len(&self) -> usize {
        self.requests.len()
    }

    /// Whether the batch holds nothing.
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }

    /// Sends the requests; the same as `.await`. When a key is written more than once,
    /// the last write wins (DynamoDB refuses one key twice in a request).
    pub async fn send(self) -> Result<()> {
        let requests = self.requests.into_iter().collect::<Result<Vec<_>>>()?;
        write_all(self.table, last_per_key(requests), self.concurrency).await
    }
}

impl<'a> IntoFuture for BatchWrite<'a> {
    type Output = Result<()>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

impl<E: Entity + Send> DeletePartition<'_, E> {
    /// How many delete requests are in flight at once (at least 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Reads the keys in pages of at most `n` (DynamoDB's `Limit`), instead of pages of
    /// up to 1 MB: deleting starts after a smaller first read, for more Query requests.
    pub fn page_size(mut self, n: usize) -> Self {
        self.page_size = Some(n);
        self
    }

    /// Deletes; the same as `.await`. Answers how many items were deleted.
    ///
    /// Keys are read in DynamoDB's pages (up to 1 MB of keys, about 20,000 of
    /// ningipoints' operations) and deleted as they come: the next page is read while
    /// the one before is being deleted.
    ///
    /// An entity with unique fields is refused ([`Error::InvalidBatch`]) before
    /// anything is read: its guards go with each item, deleted with [`Table::delete`].
    pub async fn send(self) -> Result<usize> {
        let table = self.table;
        if let Some(refusal) = delete_partition_refusal::<E>() {
            return Err(refusal);
        }
        // An entity's sort-key prefix also selects deeper keys of other entities
        // (`ORDER#` takes `ORDER#7#NOTE#1`): only the whole partition deletes them.
        let whole = self.partition.is_whole();
        // The entity's type, if it has one, is how its items are told apart.
        let also = E::ENTITY_TYPE.map(|t| t.attribute).into_iter().collect();
        let mut query = table.query(self.partition).keys_only(also);
        if let Some(n) = self.page_size {
            query = query.page_size(n);
        }
        let pages = query.pages();
        let deleted = std::sync::atomic::AtomicUsize::new(0);
        let keys = pages.map_ok(|page| {
            let keys: Vec<WriteRequest> = page
                .iter()
                .filter(|item| whole || E::matches(item))
                .map(|item| {
                    let key = DeleteRequest::builder()
                        .set_key(Some(table.key_of(item)))
                        .build()
                        .expect("the key is set");
                    WriteRequest::builder().delete_request(key).build()
                })
                .collect();
            deleted.fetch_add(keys.len(), std::sync::atomic::Ordering::Relaxed);
            keys
        });
        // Reading runs ahead of writing by up to two pages, through a channel, so that
        // the writes never wait for a page to be read (as they would if the next page
        // were only asked for once the batches ran out).
        let (mut ahead, pages) = futures::channel::mpsc::channel(1);
        let read = async move {
            let mut keys = std::pin::pin!(keys);
            while let Some(page) = keys.try_next().await? {
                if ahead.send(page).await.is_err() {
                    break; // the writing failed, and its error is the one returned
                }
            }
            Ok(())
        };
        let write = write_batches(table, full_batches(pages.map(Ok)), self.concurrency);
        futures::future::try_join(read, write).await?;
        Ok(deleted.into_inner())
    }
}

/// The requests of `pages` in batches of [`MAX_WRITE_REQUESTS`]: a partial batch at the
/// end of a page waits for the next page's requests, so that n requests take
/// ceil(n / 25) batches however the pages fall.
fn full_batches<'a, S>(pages: S) -> impl Stream<Item = Result<Vec<WriteRequest>>> + Send + 'a
where
    S: Stream<Item = Result<Vec<WriteRequest>>> + Send + 'a,
{
    let state = (pages.boxed(), Vec::new(), std::collections::VecDeque::new());
    futures::stream::try_unfold(state, |(mut pages, mut pending, mut ready)| async move {
        loop {
            if let Some(batch) = ready.pop_front() {
                return Ok(Some((batch, (pages, pending, ready))));
            }
            match pages.try_next().await? {
                Some(page) => {
                    // In one pass over the requests: splitting each batch off the front
                    // would move the rest every time, quadratic in a page's size.
                    pending.extend(page);
                    let mut batches = chunks(std::mem::take(&mut pending), MAX_WRITE_REQUESTS);
                    if batches.last().is_some_and(|b| b.len() < MAX_WRITE_REQUESTS) {
                        pending = batches.pop().unwrap_or_default();
                    }
                    ready.extend(batches);
                }
                None if pending.is_empty() => return Ok(None),
                None => {
                    return Ok(Some((
                        std::mem::take(&mut pending),
                        (pages, pending, ready),
                    )))
                }
            }
        }
    })
}

impl<'a, E: Entity + Send + 'a> IntoFuture for DeletePartition<'a, E> {
    type Output = Result<usize>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// Writes `requests` in BatchWriteItems of at most [`MAX_WRITE_REQUESTS`], `concurrency`
/// at once, each resending what DynamoDB leaves unprocessed.
async fn write_all(table: &Table, requests: Vec<WriteRequest>, concurrency: usize) -> Result<()> {
    let batches = chunks(requests, MAX_WRITE_REQUESTS).into_iter().map(Ok);
    write_batches(table, futures::stream::iter(batches), concurrency).await
}

/// Writes each batch of `batches` as one BatchWriteItem, `concurrency` at once, taking the
/// next batch as soon as one is written, each resending what DynamoDB leaves
/// unprocessed. What is still unprocessed after every retry is one
/// [`Error::Unprocessed`], naming its keys.
async fn write_batches<S>(table: &Table, batches: S, concurrency: usize) -> Result<()>
where
    S: Stream<Item = Result<Vec<WriteRequest>>>,
{
    let drained: Vec<_> = batches
        .map_ok(|batch| {
            until_processed(table.retry_policy(), "BatchWriteItem", batch, |batch| {
                write_batch(table, batch)
            })
        })
        .try_buffer_unordered(concurrency)
        .try_collect()
        .await?;
    let mut unprocessed = Vec::new();
    let mut attempts = 0;
    for batch in drained {
        attempts = attempts.max(batch.attempts);
        unprocessed.extend(batch.unprocessed.iter().map(|request| {
            match (&request.put_request, &request.delete_request) {
                (Some(put), _) => table.key_text(&put.item),
                (None, Some(delete)) => table.key_text(&delete.key),
                (None, None) => String::from("<empty request>"),
            }
        }));
    }
    if unprocessed.is_empty() {
        Ok(())
    } else {
        Err(Error::Unprocessed {
            operation: "BatchWriteItem",
            table: table.name().to_owned(),
            keys: unprocessed,
            attempts,
        })
    }
}

/// One BatchWriteItem: the requests left unprocessed. Puts and deletes of whole items
/// are safe to send again, so a lost answer is a transient failure like throttling.
async fn write_batch(table: &Table, requests: Vec<WriteRequest>) -> Sent<WriteRequest, ()> {
    let count = requests.len();
    // When the budget runs out on a lost answer, the batch may have been written.
    let error = |err| {
        let what = format!("a batch of {count} item(s)");
        table.write_error("BatchWriteItem", what, &Attempts::new(), err)
    };
    let output = table
        .client()
        .batch_write_item()
        .request_items(table.name(), requests)
        .send()
        .await
        .map_err(|err| Failure::of(err, error))?;
    let unprocessed = output
        .unprocessed_items
        .and_then(|mut u| u.remove(table.name()))
        .unwrap_or_default();
    Ok((Vec::new(), unprocessed))
}

/// `items` in consecutive chunks of at most `size` (at least 1), in order.
fn chunks<T>(items: Vec<T>, size: usize) -> Vec<Vec<T>> {
    let size = size.max(1);
    let mut chunks = Vec::with_capacity(items.len().div_ceil(size));
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        chunks.push(items.by_ref().take(size).collect());
    }
    chunks
}

/// The requests with one per key: the last one given for it, in the order of the last.
fn last_per_key<T>(requests: Vec<(String, T)>) -> Vec<T> {
    let mut last = HashMap::new();
    for (at, (key, _)) in requests.iter().enumerate() {
        last.insert(key.clone(), at);
    }
    requests
        .into_iter()
        .enumerate()
        .filter(|(at, (key, _))| last.get(key) == Some(at))
        .map(|(_, (_, request))| request)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deletes(range: std::ops::Range<usize>) -> Vec<WriteRequest> {
        range
            .map(|n| {
                let key = DeleteRequest::builder()
                    .key(
                        "PK",
                        aws_sdk_dynamodb::types::AttributeValue::N(n.to_string()),
                    )
                    .build()
                    .expect("the key is set");
                WriteRequest::builder().delete_request(key).build()
            })
            .collect()
    }

    #[tokio::test]
    async fn pages_become_full_batches_in_order_with_one_partial_batch_at_the_end() {
        // Pages of 3, 30, 0, 24 and 1 requests: 58 in all.
        let pages = [0..3, 3..33, 33..33, 33..57, 57..58].map(|range| Ok(deletes(range)));
        let batches: Vec<Vec<WriteRequest>> = full_batches(futures::stream::iter(pages))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(
            batches.iter().map(Vec::len).collect::<Vec<_>>(),
            [25, 25, 8]
        );
        assert_eq!(batches.concat(), deletes(0..58));

        let failing = [Ok(deletes(0..30)), Err(Error::Config("page 2".into()))];
        let mut batches = std::pin::pin!(full_batches(futures::stream::iter(failing)));
        assert_eq!(batches.try_next().await.unwrap().map(|b| b.len()), Some(25));
        assert!(matches!(batches.try_next().await, Err(Error::Config(_))));
    }

    #[test]
    fn chunks_respect_the_limits_and_keep_order() {
        let sizes = |n: usize, size| -> Vec<usize> {
            chunks((0..n).collect(), size)
                .iter()
                .map(Vec::len)
                .collect()
        };
        assert_eq!(sizes(0, MAX_WRITE_REQUESTS), Vec::<usize>::new());
        assert_eq!(sizes(25, MAX_WRITE_REQUESTS), [25]);
        assert_eq!(sizes(26, MAX_WRITE_REQUESTS), [25, 1]);
        assert_eq!(sizes(101, MAX_WRITE_REQUESTS), [25, 25, 25, 25, 1]);
        assert_eq!(sizes(250, MAX_GET_KEYS), [100, 100, 50]);
        assert_eq!(sizes(3, 0), [1, 1, 1], "a size of 0 counts as 1");
        let flat: Vec<usize> = chunks((0..60).collect(), 25).concat();
        assert_eq!(flat, (0..60).collect::<Vec<_>>());
    }

    #[test]
    fn the_last_write_of_a_key_wins() {
        let requests = vec![
            ("a".to_owned(), 1),
            ("b".to_owned(), 2),
            ("a".to_owned(), 3),
            ("c".to_owned(), 4),
        ];
        assert_eq!(last_per_key(requests), [2, 3, 4]);
    }
}
