//! Where a table keeps the record of its applied data migrations: items of the table
//! itself, in a partition of each application's own that no entity's keys can reach, so
//! that two applications sharing a table never see each other's migrations.

use std::collections::HashMap;
use std::fmt;

use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValuesOnConditionCheckFailure};

use crate::error::{Error, Result};
use crate::ops::retry::resend;
use crate::schema::KeyType;
use crate::table::Table;
use crate::timestamp::Timestamp;

/// The partition key value of the migration records and the lease, followed by `#` and
/// the application's name. Without a name, it is the partition of records written before
/// migrations belonged to an application ([`Migrator::adopt_unnamed_records`]).
///
/// [`Migrator::adopt_unnamed_records`]: crate::migrate::Migrator::adopt_unnamed_records
pub const PARTITION: &str = "_dynaschema#migrations";
/// The sort key prefix of the records; the lease's sort key.
pub(crate) const RECORD_PREFIX: &str = "MIGRATION#";
pub(crate) const LEASE_SORT_KEY: &str = "LEASE";
/// The sort key prefix of a running migration's checkpoints.
const CHECKPOINT_PREFIX: &str = "CHECKPOINT#";
pub(crate) const HOLDER: &str = "lease_holder";

const ID: &str = "migration_id";
const DESCRIPTION: &str = "description";
const CHECKSUM: &str = "checksum";
const APPLIED_AT: &str = "applied_at";
const DURATION_MS: &str = "duration_ms";
const ITEMS: &str = "items_touched";

/// A migration as it was recorded when it was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The migration's id.
    pub id: u32,
    /// Its description then.
    pub description: String,
    /// The checksum of its source then.
    pub checksum: String,
    /// When it finished.
    pub applied_at: Timestamp,
    /// How long it ran, in milliseconds.
    pub duration_ms: u64,
    /// How many items it reported touching.
    pub items_touched: u64,
}

impl fmt::Display for Record {
    /// `applied 2026-11-25T02:30:33.196130Z in 8 ms, 1 item touched`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "applied {} in {} ms, {} touched",
            self.applied_at,
            self.duration_ms,
            items(self.items_touched)
        )
    }
}

/// `1 item`, `2 items`.
pub(crate) fn items(n: u64) -> String {
    if n == 1 {
        "1 item".to_owned()
    } else {
        format!("{n} items")
    }
}

/// The key attributes the records are written under.
#[derive(Debug, Clone)]
pub(crate) struct Records {
    partition_key: String,
    sort_key: String,
    /// The application's partition.
    partition: String,
    /// Whether the records of no application are read as this one's too.
    adopt_unnamed: bool,
}

impl Records {
    /// The records of application `app` in `table`, which needs string partition and sort
    /// keys to hold them. An application's name is 1 to 64 letters, digits, `-`, `_` or
    /// `.`.
    pub(crate) fn for_table(table: &Table, app: &str) -> Result<Records> {
        let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if app.is_empty() || app.len() > 64 || !app.chars().all(valid) {
            return Err(Error::Config(format!(
                "`{app}` cannot name an application's data migrations: use 1 to 64 letters, \
                 digits, `-`, `_` or `.`"
            )));
        }
        let schema = &table.schema().table;
        match (&schema.partition_key.kind, &schema.sort_key) {
            (KeyType::S, Some(sort_key)) if sort_key.kind == KeyType::S => Ok(Records {
                partition_key: schema.partition_key.name.clone(),
                sort_key: sort_key.name.clone(),
                partition: format!("{PARTITION}#{app}"),
                adopt_unnamed: false,
            }),
            _ => Err(Error::Config(format!(
                "data migrations keep their records in the table, under string partition and \
                 sort keys; table {} does not have both",
                table.name()
            ))),
        }
    }

    /// Also reads the records written before migrations belonged to an application as
    /// this application's.
    pub(crate) fn adopt_unnamed(&mut self) {
        self.adopt_unnamed = true;
    }

    pub(crate) fn partition_key_name(&self) -> &str {
        &self.partition_key
    }

    /// The key of the item with this sort key in the application's partition.
    pub(crate) fn key(&self, sort_key: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (
                self.partition_key.clone(),
                AttributeValue::S(self.partition.clone()),
            ),
            (
                self.sort_key.clone(),
                AttributeValue::S(sort_key.to_owned()),
            ),
        ])
    }

    fn record_sort_key(id: u32) -> String {
        // Zero-padded, so that the records sort by id.
        format!("{RECORD_PREFIX}{id:010}")
    }

    /// Every record of the application, in id order, read consistently: with
    /// [`adopt_unnamed`](Self::adopt_unnamed), those of no application too, unless the
    /// application has one of the same id.
    pub(crate) async fn read(&self, table: &Table) -> Result<Vec<Record>> {
        let mut records = self.read_partition(table, &self.partition).await?;
        if self.adopt_unnamed {
            for record in self.read_partition(table, PARTITION).await? {
                if !records.iter().any(|r| r.id == record.id) {
                    records.push(record);
                }
            }
            records.sort_by_key(|r| r.id);
        }
        Ok(records)
    }

    /// The records in `partition`, in id order.
    async fn read_partition(&self, table: &Table, partition: &str) -> Result<Vec<Record>> {
        self.query_prefix(table, partition, RECORD_PREFIX)
            .await?
            .iter()
            .map(|item| self.decode(table, item))
            .collect()
    }

    /// A write of `record` that fails if the migration is recorded already.
    pub(crate) fn put(&self, table: &Table, record: &Record) -> Put {
        let mut item = self.key(&Self::record_sort_key(record.id));
        let n = |v: u64| AttributeValue::N(v.to_string());
        item.insert(ID.to_owned(), n(u64::from(record.id)));
        item.insert(
            DESCRIPTION.to_owned(),
            AttributeValue::S(record.description.clone()),
        );
        item.insert(
            CHECKSUM.to_owned(),
            AttributeValue::S(record.checksum.clone()),
        );
        item.insert(
            APPLIED_AT.to_owned(),
            AttributeValue::S(record.applied_at.to_string()),
        );
        item.insert(DURATION_MS.to_owned(), n(record.duration_ms));
        item.insert(ITEMS.to_owned(), n(record.items_touched));
        Put::builder()
            .table_name(table.name())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", &self.partition_key)
            // The record there, to tell this runner's own earlier write from another's.
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .expect("the table name and item are set")
    }
}

/// Where one segment of one pass of a running migration's scan stands, saved in the
/// application's partition under the lease, so that a run after a crash goes on from it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Checkpoint {
    /// Which `for_each` of the migration's body, counted from 0.
    pub(crate) pass: u32,
    pub(crate) segment: u32,
    /// The pass's number of segments.
    pub(crate) segments: u32,
    /// The key to read on from; `None` once the segment is done.
    pub(crate) start: Option<HashMap<String, AttributeValue>>,
    /// Items the segment has read.
    pub(crate) read: u64,
}

const PASS: &str = "pass";
const SEGMENT: &str = "segment";
const SEGMENTS: &str = "segments";
const START: &str = "start";
const READ: &str = "items_read";

impl Records {
    fn checkpoint_prefix(id: u32) -> String {
        format!("{CHECKPOINT_PREFIX}{id:010}#")
    }

    /// A put of `checkpoint` of migration `id`, replacing the segment's last one.
    pub(crate) fn checkpoint_put(&self, table: &Table, id: u32, checkpoint: &Checkpoint) -> Put {
        let sort_key = format!(
            "{}{:06}#{:07}",
            Self::checkpoint_prefix(id),
            checkpoint.pass,
            checkpoint.segment
        );
        let mut item = self.key(&sort_key);
        let n = |v: u64| AttributeValue::N(v.to_string());
        item.insert(PASS.to_owned(), n(checkpoint.pass.into()));
        item.insert(SEGMENT.to_owned(), n(checkpoint.segment.into()));
        item.insert(SEGMENTS.to_owned(), n(checkpoint.segments.into()));
        item.insert(READ.to_owned(), n(checkpoint.read));
        if let Some(start) = &checkpoint.start {
            item.insert(START.to_owned(), AttributeValue::M(start.clone()));
        }
        Put::builder()
            .table_name(table.name())
            .set_item(Some(item))
            .build()
            .expect("the table name and item are set")
    }

    /// The checkpoints of migration `id`, read consistently.
    pub(crate) async fn checkpoints(&self, table: &Table, id: u32) -> Result<Vec<Checkpoint>> {
        let mut checkpoints = Vec::new();
        for item in self
            .query_prefix(table, &self.partition, &Self::checkpoint_prefix(id))
            .await?
        {
            let number = |attribute: &str| match item.get(attribute) {
                Some(AttributeValue::N(n)) => n.parse::<u64>().ok(),
                _ => None,
            };
            let (Some(pass), Some(segment), Some(segments), Some(read)) = (
                number(PASS),
                number(SEGMENT),
                number(SEGMENTS),
                number(READ),
            ) else {
                return Err(Error::Config(format!(
                    "a checkpoint of data migration {id} in table {} is not one dynaschema                      wrote: delete the items whose sort key begins with {}",
                    table.name(),
                    Self::checkpoint_prefix(id)
                )));
            };
            checkpoints.push(Checkpoint {
                pass: pass as u32,
                segment: segment as u32,
                segments: segments as u32,
                start: match item.get(START) {
                    Some(AttributeValue::M(start)) => Some(start.clone()),
                    _ => None,
                },
                read,
            });
        }
        Ok(checkpoints)
    }

    /// Deletes the checkpoints of migration `id`: once it is recorded, nothing resumes it.
    pub(crate) async fn delete_checkpoints(&self, table: &Table, id: u32) -> Result<()> {
        for item in self
            .query_prefix(table, &self.partition, &Self::checkpoint_prefix(id))
            .await?
        {
            let key: HashMap<String, AttributeValue> = item
                .into_iter()
                .filter(|(name, _)| *name == self.partition_key || *name == self.sort_key)
                .collect();
            let request = table
                .client()
                .delete_item()
                .table_name(table.name())
                .set_key(Some(key));
            resend(table.retry_policy(), "DeleteItem", || {
                request.clone().send()
            })
            .await
            .map_err(|err| table.sdk_error("DeleteItem", err))?;
        }
        Ok(())
    }

    /// The items of `partition` whose sort key begins with `prefix`, read consistently.
    async fn query_prefix(
        &self,
        table: &Table,
        partition: &str,
        prefix: &str,
    ) -> Result<Vec<HashMap<String, AttributeValue>>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let request = table
                .client()
                .query()
                .table_name(table.name())
                .consistent_read(true)
                .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expression_attribute_names("#pk", &self.partition_key)
                .expression_attribute_names("#sk", &self.sort_key)
                .expression_attribute_values(":pk", AttributeValue::S(partition.to_owned()))
                .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned()))
                .set_exclusive_start_key(start);
            let page = resend(table.retry_policy(), "Query", || request.clone().send())
                .await
                .map_err(|err| table.sdk_error("Query", err))?;
            items.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }
}

impl Records {
    fn decode(&self, table: &Table, item: &HashMap<String, AttributeValue>) -> Result<Record> {
        let invalid = |attribute: &str| {
            Error::Config(format!(
                "the data migration record {:?} in table {} has no valid `{attribute}`; \
             it was not written by dynaschema, or was edited",
                item.get(&self.sort_key),
                table.name()
            ))
        };
        let text = |attribute: &'static str| match item.get(attribute) {
            Some(AttributeValue::S(s)) => Ok(s.clone()),
            _ => Err(invalid(attribute)),
        };
        let number = |attribute: &'static str| match item.get(attribute) {
            Some(AttributeValue::N(n)) => n.parse::<u64>().map_err(|_| invalid(attribute)),
            _ => Err(invalid(attribute)),
        };
        Ok(Record {
            id: u32::try_from(number(ID)?).map_err(|_| invalid(ID))?,
            description: text(DESCRIPTION)?,
            checksum: text(CHECKSUM)?,
            applied_at: Timestamp::parse(&text(APPLIED_AT)?).map_err(|_| invalid(APPLIED_AT))?,
            duration_ms: number(DURATION_MS)?,
            items_touched: number(ITEMS)?,
        })
    }
}
