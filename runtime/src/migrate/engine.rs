//! The scan engine of data migrations: every item of the table read in parallel
//! segments, a page at a time, and each item of the entity asked for handed to the
//! migration's body with a [`Writer`], whose writes are sent with bounded concurrency,
//! or only counted in a dry run. Memory holds a page per segment and the writes in
//! flight, whatever the table's size.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use futures::{StreamExt, TryStreamExt};

use crate::error::Result;
use crate::expr::Update;
use crate::item::{Entity, Item};
use crate::key::Key;
use crate::live::describe_table;
use crate::ops::scan::send_page;
use crate::table::Table;

use super::data::MigrationContext;
use super::records::{Checkpoint, PARTITION};
use super::units::item_size;

/// A segment for each this many bytes of the table (as DescribeTable tells its size).
const BYTES_PER_SEGMENT: i64 = 256 << 20;
/// At most this many segments by default.
const MAX_DEFAULT_SEGMENTS: u32 = 64;
/// Bodies (and so writes) in flight at once, by default.
const DEFAULT_CONCURRENCY: usize = 16;
/// How often progress is reported, at most.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);
/// A segment's checkpoint is saved every this many pages.
const CHECKPOINT_EVERY: u32 = 4;
/// How many writes a dry run shows.
const DRY_RUN_EXAMPLES: u64 = 3;

/// What a pass of the engine did: items read, items of the entity handed to the body,
/// and writes sent (in a dry run: that would be).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Items read, of every entity.
    pub read: u64,
    /// Items of the entity asked for, each handed to the body once.
    pub matched: u64,
    /// Writes sent through the [`Writer`] (in a dry run: counted, not sent).
    pub written: u64,
}

/// A pass over every item of entity `E`, made by [`MigrationContext::each`]: how many
/// segments and how many bodies at once, then [`for_each`](Self::for_each).
#[must_use = "a pass does nothing until `for_each` runs it"]
pub struct Each<'c, E> {
    ctx: &'c MigrationContext<'c>,
    segments: Option<u32>,
    concurrency: usize,
    page_size: Option<u32>,
    decode: fn(Item) -> Option<Result<E>>,
}

impl<'c> MigrationContext<'c> {
    /// A pass over every item of entity `E`, to run with [`Each::for_each`].
    pub fn each<E: Entity + Send + 'c>(&'c self) -> Each<'c, E> {
        Each::new(self, |item| E::from_matching_item(&item))
    }

    /// A pass over every item of the table, whatever its entity.
    pub fn each_item(&'c self) -> Each<'c, Item> {
        Each::new(self, |item| Some(Ok(item)))
    }

    /// Runs `body` for every item of entity `E`, with the default segments and
    /// concurrency: `ctx.each::<E>().for_each(body)`.
    ///
    /// ```
    /// use dynaschema::migrate::{Migration, MigrationContext};
    /// # use dynaschema::Entity;
    /// # #[derive(Entity)]
    /// # #[dynamo(pk = "ACCOUNT#{id}", sk = "ACCOUNT")]
    /// # struct Account { #[dynamo(key_only)] id: u64, name: String }
    ///
    /// fn up<'a>(ctx: &'a MigrationContext<'a>) -> futures::future::BoxFuture<'a, dynaschema::Result<()>> {
    ///     Box::pin(async move {
    ///         // Names in upper case: written where they are not yet.
    ///         ctx.for_each(|account: Account, writer| async move {
    ///             let upper = account.name.to_uppercase();
    ///             if upper != account.name {
    ///                 writer.update(account.key(), |u| u.set(Account::NAME, upper)).await?;
    ///             }
    ///             Ok(())
    ///         })
    ///         .await?;
    ///         Ok(())
    ///     })
    /// }
    ///
    /// const MIGRATIONS: &[Migration] = &[Migration::new(1, "upper-case names", "v1", up)];
    /// # let _ = MIGRATIONS;
    /// ```
    pub async fn for_each<E, F, Fut>(&'c self, body: F) -> Result<Tally>
    where
        E: Entity + Send + 'c,
        F: Fn(E, Writer<'c>) -> Fut + Sync,
        Fut: Future<Output = Result<()>> + Send,
    {
        self.each::<E>().for_each(body).await
    }
}

impl<'c, E: Send + 'c> Each<'c, E> {
    fn new(ctx: &'c MigrationContext<'c>, decode: fn(Item) -> Option<Result<E>>) -> Self {
        Each {
            ctx,
            segments: None,
            concurrency: DEFAULT_CONCURRENCY,
            page_size: None,
            decode,
        }
    }

    /// Reads the table in `n` parallel segments (at least 1). By default, one for each
    /// 256 MiB of the table, at most 64.
    pub fn segments(mut self, n: u32) -> Self {
        self.segments = Some(n.max(1));
        self
    }

    /// Runs at most `n` bodies at once (at least 1; default 16): the bound on writes in
    /// flight.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Reads pages of at most `n` items (default: DynamoDB's 1 MB pages). A segment's
    /// checkpoint is saved every 4 pages, so smaller pages lose less work to a crash.
    pub fn page_size(mut self, n: u32) -> Self {
        self.page_size = Some(n.max(1));
        self
    }

    /// Runs `body` for every item of the pass, at most [`concurrency`](Self::concurrency)
    /// at once, and answers what it did. Progress, against the item count DynamoDB
    /// reports for the table, goes to the migration's events about once a second. The
    /// first error stops the pass and is its answer: the migration is not recorded, and
    /// runs again next time, so a body should skip what is done already.
    ///
    /// Each segment's position is saved in the table every few pages, with the
    /// migration's lease: a run after a crash goes on from there (the items of the pages
    /// after the last checkpoint are handed to the body again).
    pub async fn for_each<F, Fut>(self, body: F) -> Result<Tally>
    where
        F: Fn(E, Writer<'c>) -> Fut + Sync,
        Fut: Future<Output = Result<()>> + Send,
    {
        let ctx = self.ctx;
        let table = ctx.table();
        let described = describe_table(table.connection(), table.name()).await?;
        let total = described
            .as_ref()
            .and_then(|d| d.item_count())
            .and_then(|n| u64::try_from(n).ok())
            .filter(|n| *n > 0);
        let (pass, saved) = ctx.begin_pass();
        let segments = saved
            .first()
            .map(|checkpoint| checkpoint.segments)
            .or(self.segments)
            .unwrap_or_else(|| {
                let bytes = described
                    .as_ref()
                    .and_then(|d| d.table_size_bytes())
                    .unwrap_or(0);
                let wanted = (bytes / BYTES_PER_SEGMENT + 1).min(i64::from(MAX_DEFAULT_SEGMENTS));
                u32::try_from(wanted).unwrap_or(1)
            });
        let read_before: u64 = saved.iter().map(|checkpoint| checkpoint.read).sum();
        if !saved.is_empty() {
            ctx.report_resuming(read_before, total);
        }

        let progress = Progress::new(total, read_before);
        let (matched, written_before) = (AtomicU64::new(0), ctx.written());
        let pass_state = Pass {
            each: &self,
            body: &body,
            pass,
            segments,
            progress: &progress,
            matched: &matched,
            // The bound on bodies in flight, shared among the segments read at once.
            per_segment: self.concurrency.div_ceil(segments as usize).max(1),
        };
        let at_once = (segments as usize).min(self.concurrency);
        futures::stream::iter(0..segments)
            .map(|segment| {
                let saved = saved.iter().find(|c| c.segment == segment).cloned();
                pass_state.segment(segment, saved)
            })
            .buffer_unordered(at_once)
            .try_collect::<Vec<()>>()
            .await?;
        progress.report(ctx);
        Ok(Tally {
            read: progress.read.load(Ordering::Relaxed),
            matched: matched.load(Ordering::Relaxed),
            written: ctx.written() - written_before,
        })
    }
}

/// One pass's settings and counters, shared by its segments.
struct Pass<'p, 'c, E, F> {
    each: &'p Each<'c, E>,
    body: &'p F,
    pass: u32,
    segments: u32,
    progress: &'p Progress,
    matched: &'p AtomicU64,
    per_segment: usize,
}

impl<'c, E: Send + 'c, F, Fut> Pass<'_, 'c, E, F>
where
    F: Fn(E, Writer<'c>) -> Fut + Sync,
    Fut: Future<Output = Result<()>> + Send,
{
    /// Reads segment `segment` a page at a time from where `saved` left it, each page's
    /// items through the body before the next page, and its checkpoint saved every few
    /// pages and at its end.
    async fn segment(&self, segment: u32, saved: Option<Checkpoint>) -> Result<()> {
        let ctx = self.each.ctx;
        let table = ctx.table();
        let (mut start, mut read) = match saved {
            Some(Checkpoint { start: None, .. }) => return Ok(()),
            Some(checkpoint) => (checkpoint.start, checkpoint.read),
            None => (None, 0),
        };
        let mut request = table.client().scan().table_name(table.name()).set_limit(
            self.each
                .page_size
                .map(|n| i32::try_from(n).unwrap_or(i32::MAX)),
        );
        if self.segments > 1 {
            request = request
                .segment(segment as i32)
                .total_segments(self.segments as i32);
        }
        let writer = Writer { ctx };
        let decode = self.each.decode;
        let mut pages = 0_u32;
        loop {
            let (items, last) = send_page(table, request.clone(), start.take()).await?;
            read += items.len() as u64;
            futures::stream::iter(items)
                .filter_map(|item| {
                    self.progress.read(ctx);
                    if ctx.is_dry_run() {
                        ctx.count_read(item_size(&item));
                    }
                    let decoded = (!in_migration_partition(table, &item))
                        .then(|| decode(item))
                        .flatten();
                    async move { decoded }
                })
                .try_for_each_concurrent(self.per_segment, |entity| {
                    self.matched.fetch_add(1, Ordering::Relaxed);
                    (self.body)(entity, writer)
                })
                .await?;
            start = last;
            pages += 1;
            if start.is_none() || pages.is_multiple_of(CHECKPOINT_EVERY) {
                let checkpoint = Checkpoint {
                    pass: self.pass,
                    segment,
                    segments: self.segments,
                    start: start.clone(),
                    read,
                };
                ctx.save(&checkpoint).await?;
            }
            if start.is_none() {
                return Ok(());
            }
        }
    }
}

/// Whether `item` is one the migrations keep of themselves (records, lease,
/// checkpoints), which no pass hands to a body.
fn in_migration_partition(table: &Table, item: &Item) -> bool {
    let pk = &table.schema().table.partition_key.name;
    matches!(item.get(pk), Some(AttributeValue::S(value)) if value.starts_with(PARTITION))
}

/// Items read so far, and when progress was last reported.
struct Progress {
    total: Option<u64>,
    read: AtomicU64,
    start: Instant,
    last: Mutex<Instant>,
}

impl Progress {
    fn new(total: Option<u64>, read: u64) -> Self {
        let start = Instant::now();
        Progress {
            total,
            read: AtomicU64::new(read),
            start,
            last: Mutex::new(start),
        }
    }

    /// One more item read; progress reported if a second has passed since last time.
    fn read(&self, ctx: &MigrationContext<'_>) {
        self.read.fetch_add(1, Ordering::Relaxed);
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if last.elapsed() >= PROGRESS_EVERY {
            *last = Instant::now();
            drop(last);
            self.report(ctx);
        }
    }

    /// Reports the items read against the total, with the time left at this pace.
    fn report(&self, ctx: &MigrationContext<'_>) {
        let done = self.read.load(Ordering::Relaxed);
        let eta = self
            .total
            .filter(|total| done > 0 && done < *total)
            .map(|total| {
                self.start
                    .elapsed()
                    .mul_f64((total - done) as f64 / done as f64)
            });
        ctx.report_progress(done, self.total, eta);
    }
}

/// What a migration's body writes through: each write is sent (and counted as an item
/// touched), or in a dry run counted and not sent, the first few shown as examples, so
/// that a body has no branch of its own for dry runs. Copied into each body.
#[derive(Clone, Copy)]
pub struct Writer<'c> {
    ctx: &'c MigrationContext<'c>,
}

impl<'c> Writer<'c> {
    /// Updates the existing item of `key` as `build` says (see
    /// [`Table::update`](crate::Table::update)).
    pub async fn update<E: Entity + Send>(
        self,
        key: Key<E>,
        build: impl FnOnce(Update<E>) -> Update<E> + Send,
    ) -> Result<()> {
        if self.dry_run(|| format!("update {} {key}", E::ENTITY_NAME)) {
            return Ok(());
        }
        self.ctx.table().update(key, build).apply().await?;
        self.ctx.touched(1);
        Ok(())
    }

    /// Puts `entity`, replacing the item of its key (see [`Table::put`](crate::Table::put)).
    pub async fn put<E: Entity + Sync>(self, entity: &E) -> Result<()> {
        if self.dry_run(|| format!("put {} {}", E::ENTITY_NAME, entity.key())) {
            return Ok(());
        }
        self.ctx.table().put(entity).send().await?;
        self.ctx.touched(1);
        Ok(())
    }

    /// Deletes the item of `key` (see [`Table::delete`](crate::Table::delete)).
    pub async fn delete<E: Entity + Send>(self, key: Key<E>) -> Result<()> {
        if self.dry_run(|| format!("delete {} {key}", E::ENTITY_NAME)) {
            return Ok(());
        }
        self.ctx.table().delete(key).send().await?;
        self.ctx.touched(1);
        Ok(())
    }

    /// The table written to.
    pub(super) fn table(self) -> &'c Table {
        self.ctx.table()
    }

    /// Counts a write sent other than through the writer's methods.
    pub(super) fn count_write(self) {
        self.ctx.touched(1);
    }

    /// In a dry run, counts the write (showing it if it is among the first few) and
    /// answers true: not to send it.
    pub(super) fn dry_run(self, write: impl FnOnce() -> String) -> bool {
        if !self.ctx.is_dry_run() {
            return false;
        }
        if self.ctx.count_write() < DRY_RUN_EXAMPLES {
            self.ctx.report_example(write());
        }
        true
    }
}
