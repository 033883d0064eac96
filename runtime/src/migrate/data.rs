//! Versioned data migrations: Rust functions over a [`Table`], applied in order, each
//! recorded once with its checksum, under a lease so that two runners never apply one
//! at the same time.

use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use futures::future::BoxFuture;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::outcome::{same_item, Attempts};
use crate::table::Table;
use crate::timestamp::Timestamp;

use super::lease::Lease;
pub use super::records::Record;
use super::records::{items, Checkpoint, Records};
use super::units;

/// The body of a migration: an async function of its [`MigrationContext`].
pub type Up = for<'a> fn(&'a MigrationContext<'a>) -> BoxFuture<'a, Result<()>>;

/// One data migration: an id that orders it, a description, the source text its
/// checksum is taken from, and its body.
///
/// The checksum tells a changed migration from the one that was applied: give as
/// `source` the text of the code that does the work, typically
/// `include_str!("m0001_recompute_balances.rs")` for a migration in a file of its own.
///
/// A migration that fails is not recorded and runs again next time, so it should be
/// safe to run twice (a backfill that skips what is done already).
///
/// ```
/// use dynaschema::migrate::{Migration, MigrationContext};
///
/// fn up<'a>(ctx: &'a MigrationContext<'a>) -> futures::future::BoxFuture<'a, dynaschema::Result<()>> {
///     Box::pin(async move {
///         if !ctx.is_dry_run() {
///             // ... read and write through ctx.table() ...
///         }
///         ctx.touched(0);
///         Ok(())
///     })
/// }
///
/// const MIGRATIONS: &[Migration] = &[Migration::new(1, "backfill nothing", "fn up() {}", up)];
/// assert_eq!(MIGRATIONS[0].checksum().len(), 64);
/// ```
#[derive(Clone, Copy)]
pub struct Migration {
    id: u32,
    description: &'static str,
    source: &'static str,
    up: Up,
}

impl Migration {
    /// A migration; ids order them and must be unique.
    pub const fn new(id: u32, description: &'static str, source: &'static str, up: Up) -> Self {
        Migration {
            id,
            description,
            source,
            up,
        }
    }

    /// Its id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Its description.
    pub fn description(&self) -> &'static str {
        self.description
    }

    /// The SHA-256 of its source, in hex.
    pub fn checksum(&self) -> String {
        Sha256::digest(self.source.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

impl fmt::Debug for Migration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Migration")
            .field("id", &self.id)
            .field("description", &self.description)
            .finish_non_exhaustive()
    }
}

/// What a migration's body works with: the table, whether this is a dry run, and
/// where it reports progress and how many items it touched. Its
/// [`for_each`](Self::for_each) runs the body of a backfill over every item of an entity.
pub struct MigrationContext<'a> {
    table: &'a Table,
    id: u32,
    dry_run: bool,
    touched: AtomicU64,
    on_event: &'a (dyn Fn(&MigrateEvent) + Send + Sync),
    /// The checkpoints of an interrupted run, and where new ones go (not in a dry run).
    resume: Option<Resume<'a>>,
    /// The passes (`for_each` calls) begun so far.
    passes: AtomicU32,
    /// Items a dry run's passes read, and their size in bytes: what its estimate of
    /// capacity units is made from.
    items_read: AtomicU64,
    bytes_read: AtomicU64,
}

/// Where a run's checkpoints are kept, under the lease, and those an earlier run left.
struct Resume<'a> {
    records: &'a Records,
    lease: &'a Lease,
    saved: Vec<Checkpoint>,
}

impl MigrationContext<'_> {
    /// The table to migrate.
    pub fn table(&self) -> &Table {
        self.table
    }

    /// Whether to only count what would change, writing nothing.
    pub fn is_dry_run(&self) -> bool {
        self.dry_run
    }

    /// Adds `n` to the items touched (or, in a dry run, that would be).
    pub fn touched(&self, n: u64) {
        self.touched.fetch_add(n, Ordering::Relaxed);
    }

    /// Reports progress: `done` units of work of `total`, when known.
    pub fn progress(&self, done: u64, total: Option<u64>) {
        self.report_progress(done, total, None);
    }

    pub(super) fn report_progress(&self, done: u64, total: Option<u64>, eta: Option<Duration>) {
        (self.on_event)(&MigrateEvent::Progress {
            id: self.id,
            done,
            total,
            eta,
        });
    }

    pub(super) fn report_resuming(&self, done: u64, total: Option<u64>) {
        (self.on_event)(&MigrateEvent::Resuming {
            id: self.id,
            done,
            total,
        });
    }

    pub(super) fn report_example(&self, write: String) {
        (self.on_event)(&MigrateEvent::WouldWrite { id: self.id, write });
    }

    /// The items touched so far.
    pub(super) fn written(&self) -> u64 {
        self.touched.load(Ordering::Relaxed)
    }

    /// Counts an item a pass read, of `bytes`.
    pub(super) fn count_read(&self, bytes: u64) {
        self.items_read.fetch_add(1, Ordering::Relaxed);
        self.bytes_read.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Counts one item touched, answering how many were before.
    pub(super) fn count_write(&self) -> u64 {
        self.touched.fetch_add(1, Ordering::Relaxed)
    }

    /// Begins a pass, answering its number and the checkpoints an interrupted run left
    /// of it.
    pub(super) fn begin_pass(&self) -> (u32, Vec<Checkpoint>) {
        let pass = self.passes.fetch_add(1, Ordering::Relaxed);
        let saved = self.resume.as_ref().map_or_else(Vec::new, |resume| {
            resume
                .saved
                .iter()
                .filter(|c| c.pass == pass)
                .cloned()
                .collect()
        });
        (pass, saved)
    }

    /// Saves a segment's checkpoint, on condition that the lease is still held; nothing
    /// in a dry run.
    pub(super) async fn save(&self, checkpoint: &Checkpoint) -> Result<()> {
        let Some(resume) = &self.resume else {
            return Ok(());
        };
        let put = resume
            .records
            .checkpoint_put(self.table, self.id, checkpoint);
        match resume.lease.put_while_held(put).await {
            Ok(()) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_transaction_canceled_exception()) =>
            {
                Err(Error::MigrationLeaseLost {
                    id: self.id,
                    holder: resume.lease.holder.clone(),
                })
            }
            Err(err) => Err(self.table.sdk_error("TransactWriteItems", err)),
        }
    }
}

/// Where a known or recorded migration stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrationState {
    /// Applied, as recorded, with an unchanged checksum.
    Applied(Record),
    /// Not applied yet.
    Pending,
    /// Begun and not finished, as its checkpoints say: running now if a runner holds
    /// the lease, else interrupted, and the next run resumes it.
    Started {
        /// Items its scan's segments have read (of its latest pass).
        read: u64,
        /// Segments finished, of [`segments`](Self::Started::segments).
        segments_done: u32,
        /// Segments of its latest pass.
        segments: u32,
        /// The runner holding the lease, if one does.
        runner: Option<String>,
    },
    /// Applied, but its code has changed since: its checksum differs.
    Modified {
        /// What was recorded.
        record: Record,
        /// The checksum of the code now.
        checksum: String,
    },
    /// Recorded as applied, but not among the known migrations.
    Missing(Record),
}

/// A migration's id and description, and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// The migration's id.
    pub id: u32,
    /// Its description (as recorded, for a missing one).
    pub description: String,
    /// Where it stands.
    pub state: MigrationState,
}

/// Something a run did or found, in order: one line each.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MigrateEvent {
    /// Waiting for another runner's lease.
    Waiting {
        /// Who holds it.
        holder: String,
        /// When it expires unless renewed.
        expires_in: Duration,
    },
    /// A migration starts.
    Started {
        /// Its id.
        id: u32,
        /// Its description.
        description: &'static str,
    },
    /// A migration's progress.
    Progress {
        /// Its id.
        id: u32,
        /// Work done.
        done: u64,
        /// Work in all, when known.
        total: Option<u64>,
        /// The time left at this pace, when known.
        eta: Option<Duration>,
    },
    /// A migration an earlier run left unfinished goes on from its checkpoints.
    Resuming {
        /// Its id.
        id: u32,
        /// Items its checkpoints say were read already.
        done: u64,
        /// Items in all, when known.
        total: Option<u64>,
    },
    /// What a dry run estimates the migration's scans and writes would consume, from the
    /// sizes of the items it read.
    Estimate {
        /// The migration's id.
        id: u32,
        /// Read units of its scans (eventually consistent).
        read_units: u64,
        /// Write units of its writes (one per KB of each item written).
        write_units: u64,
    },
    /// A write a dry run would send: the first few of each migration.
    WouldWrite {
        /// The migration's id.
        id: u32,
        /// The write, such as `update Order CUSTOMER#ann/ORDER#7`.
        write: String,
    },
    /// A migration was applied and recorded (or, in a dry run, would be).
    Applied {
        /// Its id.
        id: u32,
        /// Its description.
        description: &'static str,
        /// Items it touched (or would).
        items_touched: u64,
        /// How long it took.
        duration: Duration,
        /// Whether this was a dry run, which writes nothing.
        dry_run: bool,
    },
    /// Nothing to run.
    UpToDate,
}

impl fmt::Display for MigrateEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MigrateEvent::Waiting { holder, expires_in } => write!(
                f,
                "waiting for the migration lease held by {holder} (expires in {}s unless renewed)",
                expires_in.as_secs()
            ),
            MigrateEvent::Started { id, description } => {
                write!(f, "migration {id} ({description}): running")
            }
            MigrateEvent::Progress {
                id,
                done,
                total,
                eta,
            } => {
                match total {
                    Some(total) => write!(f, "migration {id}: {done}/{total}")?,
                    None => write!(f, "migration {id}: {done}")?,
                }
                match eta {
                    Some(eta) => write!(f, ", about {}s left", eta.as_secs().max(1)),
                    None => Ok(()),
                }
            }
            MigrateEvent::Resuming { id, done, total } => match total {
                Some(total) if *total > 0 => write!(
                    f,
                    "migration {id}: resuming at {}%",
                    (done * 100 / total).min(99)
                ),
                _ => write!(f, "migration {id}: resuming after {}", items(*done)),
            },
            MigrateEvent::Estimate {
                id,
                read_units,
                write_units,
            } => write!(
                f,
                "migration {id}: would consume about {read_units} read units and \
                 {write_units} write units"
            ),
            MigrateEvent::WouldWrite { id, write } => {
                write!(f, "migration {id}: would {write}")
            }
            MigrateEvent::Applied {
                id,
                description,
                items_touched,
                duration,
                dry_run: false,
            } => write!(
                f,
                "migration {id} ({description}): applied, {} touched in {:.1}s",
                items(*items_touched),
                duration.as_secs_f64()
            ),
            MigrateEvent::Applied {
                id,
                description,
                items_touched,
                dry_run: true,
                ..
            } => write!(
                f,
                "migration {id} ({description}): pending, would touch {}",
                items(*items_touched)
            ),
            MigrateEvent::UpToDate => f.write_str("no pending data migrations"),
        }
    }
}

/// Runs a table's data migrations.
///
/// ```no_run
/// # async fn run(table: dynaschema::Table, migrations: &[dynaschema::migrate::Migration]) -> dynaschema::Result<()> {
/// use dynaschema::migrate::Migrator;
///
/// let migrator = Migrator::new(&table, "billing", migrations)?;
/// for status in migrator.status().await? {
///     println!("{} {:?}", status.id, status.state);
/// }
/// migrator.run(false, |event| println!("{event}")).await?;
/// # Ok(()) }
/// ```
pub struct Migrator<'a> {
    table: &'a Table,
    migrations: Vec<Migration>,
    records: Records,
    holder: String,
    lease_duration: Duration,
    /// `None`: until a stopped runner's lease would have expired.
    lease_wait: Option<Duration>,
}

impl<'a> Migrator<'a> {
    /// A runner of application `app`'s `migrations` on `table`. Ids must be unique; they
    /// are run in id order. The records and the lease are the application's own (1 to 64
    /// letters, digits, `-`, `_` or `.`): another application sharing the table has its
    /// own, and never sees these as missing or modified.
    pub fn new(table: &'a Table, app: &str, migrations: &[Migration]) -> Result<Self> {
        let mut migrations = migrations.to_vec();
        migrations.sort_by_key(Migration::id);
        if let Some(pair) = migrations.windows(2).find(|pair| pair[0].id == pair[1].id) {
            return Err(Error::Config(format!(
                "two data migrations have id {}: `{}` and `{}`; give each its own",
                pair[0].id, pair[0].description, pair[1].description
            )));
        }
        Ok(Migrator {
            table,
            records: Records::for_table(table, app)?,
            migrations,
            holder: default_holder(),
            lease_duration: Duration::from_secs(30),
            lease_wait: None,
        })
    }

    /// Also reads the records written before data migrations belonged to an application
    /// (by dynaschema versions without application names) as this application's: for the
    /// one application that used the table then.
    pub fn adopt_unnamed_records(mut self) -> Self {
        self.records.adopt_unnamed();
        self
    }

    /// How long the lease lasts unless renewed (renewed every third of it while a
    /// migration runs): how long a crashed runner blocks the others. Default 30 s.
    pub fn lease_duration(mut self, duration: Duration) -> Self {
        self.lease_duration = duration.max(Duration::from_millis(300));
        self
    }

    /// How long to wait for another runner's lease before failing with
    /// [`Error::MigrationLocked`]. By default, the lease's duration and 5 s more: long
    /// enough for the lease of a runner that stopped (crashed, was killed) to expire, so
    /// that this run takes over from it (and resumes its migration from its checkpoints);
    /// a runner still at work keeps renewing its lease, and this one then fails naming it.
    pub fn wait_for_lease(mut self, wait: Duration) -> Self {
        self.lease_wait = Some(wait);
        self
    }

    /// The name this runner holds the lease under (default: host and process id).
    pub fn holder(mut self, holder: impl Into<String>) -> Self {
        self.holder = holder.into();
        self
    }

    /// Every known and every recorded migration, in id order, with where it stands: a
    /// pending one that has begun (a runner is at it, or one was interrupted) with its
    /// checkpoints' progress.
    pub async fn status(&self) -> Result<Vec<MigrationStatus>> {
        let records = self.records.read(self.table).await?;
        let mut statuses = self.states(&records);
        let mut runner = None;
        for status in &mut statuses {
            if status.state != MigrationState::Pending {
                continue;
            }
            let checkpoints = self.records.checkpoints(self.table, status.id).await?;
            let Some(pass) = checkpoints.iter().map(|c| c.pass).max() else {
                continue;
            };
            let latest: Vec<_> = checkpoints.iter().filter(|c| c.pass == pass).collect();
            if runner.is_none() {
                runner = Some(Lease::holder(self.table, &self.records).await?);
            }
            status.state = MigrationState::Started {
                read: latest.iter().map(|c| c.read).sum(),
                segments_done: latest.iter().filter(|c| c.start.is_none()).count() as u32,
                segments: latest[0].segments,
                runner: runner.clone().flatten().map(|holder| holder.holder),
            };
        }
        Ok(statuses)
    }

    fn states(&self, records: &[Record]) -> Vec<MigrationStatus> {
        let mut statuses: Vec<MigrationStatus> = self
            .migrations
            .iter()
            .map(|migration| {
                let state = match records.iter().find(|r| r.id == migration.id) {
                    None => MigrationState::Pending,
                    Some(record) if record.checksum == migration.checksum() => {
                        MigrationState::Applied(record.clone())
                    }
                    Some(record) => MigrationState::Modified {
                        record: record.clone(),
                        checksum: migration.checksum(),
                    },
                };
                MigrationStatus {
                    id: migration.id,
                    description: migration.description.to_owned(),
                    state,
                }
            })
            .collect();
        for record in records {
            if !self.migrations.iter().any(|m| m.id == record.id) {
                statuses.push(MigrationStatus {
                    id: record.id,
                    description: record.description.clone(),
                    state: MigrationState::Missing(record.clone()),
                });
            }
        }
        statuses.sort_by_key(|s| s.id);
        statuses
    }

    /// The pending migrations, or the error that blocks running them: a modified or
    /// missing migration.
    fn pending(&self, records: &[Record]) -> Result<Vec<Migration>> {
        let mut pending = Vec::new();
        for status in self.states(records) {
            match status.state {
                MigrationState::Modified { record, checksum } => {
                    return Err(Error::MigrationModified {
                        id: record.id,
                        description: record.description,
                        recorded: record.checksum,
                        current: checksum,
                    })
                }
                MigrationState::Missing(record) => {
                    return Err(Error::MigrationMissing {
                        id: record.id,
                        description: record.description,
                    })
                }
                MigrationState::Pending | MigrationState::Started { .. } => {
                    pending.extend(self.migrations.iter().find(|m| m.id == status.id))
                }
                MigrationState::Applied(_) => {}
            }
        }
        Ok(pending)
    }

    /// Applies the pending migrations in order, each recorded as it succeeds. A dry run
    /// runs each pending migration's body in dry-run mode, to count what it would touch,
    /// and records nothing. Returns the migrations applied (or that would be).
    ///
    /// A modified or missing migration stops the run before anything runs. A migration
    /// that fails stops the run unrecorded: the next run starts with it.
    pub async fn run(
        &self,
        dry_run: bool,
        on_event: impl Fn(&MigrateEvent) + Send + Sync,
    ) -> Result<Vec<u32>> {
        let pending = self.pending(&self.records.read(self.table).await?)?;
        if pending.is_empty() {
            on_event(&MigrateEvent::UpToDate);
            return Ok(Vec::new());
        }
        if dry_run {
            let mut ids = Vec::new();
            for migration in pending {
                self.apply_one(&migration, None, &on_event).await?;
                ids.push(migration.id);
            }
            return Ok(ids);
        }

        let lease = Lease::acquire(
            self.table,
            &self.records,
            &self.holder,
            self.lease_duration,
            self.lease_wait
                .unwrap_or(self.lease_duration + Duration::from_secs(5)),
            |holder, expires_in| {
                on_event(&MigrateEvent::Waiting {
                    holder: holder.to_owned(),
                    expires_in,
                })
            },
        )
        .await?;
        // Another runner may have applied some while this one waited.
        let result = async {
            let pending = self.pending(&self.records.read(self.table).await?)?;
            if pending.is_empty() {
                on_event(&MigrateEvent::UpToDate);
            }
            let mut ids = Vec::new();
            for migration in pending {
                self.apply_one(&migration, Some(&lease), &on_event).await?;
                ids.push(migration.id);
            }
            Ok::<_, Error>(ids)
        }
        .await;
        let released = lease.release().await;
        let ids = result?;
        released?;
        Ok(ids)
    }

    /// Runs one migration's body and, unless this is a dry run (no lease), records it
    /// together with a check that the lease is still held.
    async fn apply_one(
        &self,
        migration: &Migration,
        lease: Option<&Lease>,
        on_event: &(impl Fn(&MigrateEvent) + Send + Sync),
    ) -> Result<()> {
        on_event(&MigrateEvent::Started {
            id: migration.id,
            description: migration.description,
        });
        let id = migration.id;
        let resume = match lease {
            Some(lease) => Some(Resume {
                records: &self.records,
                lease,
                saved: self.records.checkpoints(self.table, id).await?,
            }),
            None => None,
        };
        let context = MigrationContext {
            table: self.table,
            id,
            dry_run: lease.is_none(),
            touched: AtomicU64::new(0),
            on_event,
            resume,
            passes: AtomicU32::new(0),
            items_read: AtomicU64::new(0),
            bytes_read: AtomicU64::new(0),
        };
        let start = Instant::now();
        (migration.up)(&context)
            .await
            .map_err(|source| Error::MigrationFailed {
                id,
                description: migration.description,
                source: Box::new(source),
            })?;
        let duration = start.elapsed();
        let items_touched = context.touched.load(Ordering::Relaxed);

        if let Some(lease) = lease {
            if lease.is_lost() {
                return Err(Error::MigrationLeaseLost {
                    id,
                    holder: lease.holder.clone(),
                });
            }
            let record = Record {
                id,
                description: migration.description.to_owned(),
                checksum: migration.checksum(),
                applied_at: Timestamp::now(),
                duration_ms: duration.as_millis() as u64,
                items_touched,
            };
            // The record is the same at each attempt.
            let put = self.records.put(self.table, &record);
            let written = put.item().clone();
            if let Err(err) = lease.put_while_held(put).await {
                let reasons = match err.as_service_error() {
                    Some(TransactWriteItemsError::TransactionCanceledException(canceled)) => {
                        Some(canceled.cancellation_reasons())
                    }
                    _ => None,
                };
                // The record already there is this very one: an earlier attempt whose
                // answer was lost wrote it.
                let own = reasons
                    .and_then(|reasons| reasons.first())
                    .and_then(|reason| reason.item())
                    .is_some_and(|stored| same_item(stored, &written));
                if !own {
                    return Err(if reasons.is_some() {
                        Error::MigrationLeaseLost {
                            id,
                            holder: lease.holder.clone(),
                        }
                    } else {
                        // A lost answer: the record may be stored.
                        let key = format!("the record of migration {id}");
                        self.table
                            .write_error("TransactWriteItems", key, &Attempts::new(), err)
                    });
                }
            }
        }
        // Only a dry run's passes count what they read.
        let bytes = context.bytes_read.load(Ordering::Relaxed);
        if let Some(average) = bytes.checked_div(context.items_read.load(Ordering::Relaxed)) {
            on_event(&MigrateEvent::Estimate {
                id,
                read_units: units::scan_read_units(bytes),
                write_units: units::write_units(items_touched, average),
            });
        }
        if lease.is_some() {
            // Recorded: nothing resumes it.
            self.records.delete_checkpoints(self.table, id).await?;
        }
        on_event(&MigrateEvent::Applied {
            id,
            description: migration.description,
            items_touched,
            duration,
            dry_run: lease.is_none(),
        });
        Ok(())
    }
}

/// `host:pid`, so that a runner waiting for the lease can say who holds it.
fn default_holder() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".to_owned());
    format!("{host}:{}", std::process::id())
}
