//! Where a live table stands: its status, item counts, indexes, billing, stream, TTL and
//! deletion protection, as DynamoDB reports them.

use std::fmt;

use aws_sdk_dynamodb::types::TimeToLiveStatus;

use crate::client::Connection;
use crate::error::{Error, Result};
use crate::live;
use crate::schema::Schema;

/// A live table as DynamoDB reports it now.
///
/// Item counts and sizes are DynamoDB's: it refreshes them about every six hours, and
/// some DynamoDB-compatible servers leave the index counts out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The table's shape, read back as [`live::describe`] reads it.
    pub schema: Schema,
    /// `ACTIVE`, `CREATING`, `UPDATING`...
    pub table_status: String,
    /// How many items the table holds, when reported.
    pub item_count: Option<i64>,
    /// How many bytes the table holds, when reported.
    pub size_bytes: Option<i64>,
    /// TTL, with the states in between that [`Schema`] leaves out.
    pub ttl: TtlState,
    /// The global secondary indexes, ordered by name.
    pub indexes: Vec<IndexState>,
    /// The local secondary indexes, ordered by name (their status is the table's).
    pub local_indexes: Vec<IndexState>,
}

/// The TTL setting as DescribeTimeToLive reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TtlState {
    /// `ENABLED`, `ENABLING`, `DISABLING` or `DISABLED`.
    pub status: String,
    /// The attribute, when one is set.
    pub attribute: Option<String>,
}

/// A secondary index as DescribeTable reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexState {
    /// The index name.
    pub name: String,
    /// `ACTIVE`, `CREATING`, `UPDATING`, `DELETING`; a local index has the table's.
    pub status: String,
    /// Whether DynamoDB is still filling the index from the table's items.
    pub backfilling: bool,
    /// How many items the index holds, when reported.
    pub item_count: Option<i64>,
}

/// The live table's [`Status`]; a missing table is [`Error::TableMissing`].
///
/// ```no_run
/// # async fn run(connection: dynaschema::Connection) -> dynaschema::Result<()> {
/// print!("{}", dynaschema::migrate::status(&connection, "ningipoints").await?);
/// # Ok(()) }
/// ```
pub async fn status(connection: &Connection, table: &str) -> Result<Status> {
    let missing = || Error::TableMissing {
        table: table.to_owned(),
        endpoint: connection.endpoint().to_owned(),
    };
    let description = live::describe_table(connection, table)
        .await?
        .ok_or_else(missing)?;
    let schema = live::live_schema(connection, &description).await?;
    let ttl = live::describe_time_to_live(connection, table)
        .await?
        .ok_or_else(missing)?;
    let table_status = description
        .table_status()
        .map_or("UNKNOWN", |s| s.as_str())
        .to_owned();
    let mut indexes: Vec<_> = description
        .global_secondary_indexes()
        .iter()
        .map(|index| IndexState {
            name: index.index_name().unwrap_or_default().to_owned(),
            status: index
                .index_status()
                .map_or("UNKNOWN", |s| s.as_str())
                .to_owned(),
            backfilling: index.backfilling().unwrap_or(false),
            item_count: index.item_count(),
        })
        .collect();
    indexes.sort_by(|a, b| a.name.cmp(&b.name));
    let mut local_indexes: Vec<_> = description
        .local_secondary_indexes()
        .iter()
        .map(|index| IndexState {
            name: index.index_name().unwrap_or_default().to_owned(),
            status: table_status.clone(),
            backfilling: false,
            item_count: index.item_count(),
        })
        .collect();
    local_indexes.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Status {
        schema,
        table_status,
        item_count: description.item_count(),
        size_bytes: description.table_size_bytes(),
        ttl: TtlState {
            status: ttl
                .time_to_live_status()
                .unwrap_or(&TimeToLiveStatus::Disabled)
                .as_str()
                .to_owned(),
            attribute: ttl.attribute_name().map(str::to_owned),
        },
        indexes,
        local_indexes,
    })
}

fn items(count: Option<i64>) -> String {
    match count {
        Some(1) => "1 item".to_owned(),
        Some(n) => format!("{n} items"),
        None => "item count not reported".to_owned(),
    }
}

impl fmt::Display for Status {
    /// Several lines: the table, its keys, billing, stream, TTL, deletion protection, then
    /// one line per index.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let table = &self.schema.table;
        write!(
            f,
            "table {}: {}, {}",
            table.name,
            self.table_status,
            items(self.item_count)
        )?;
        if let Some(bytes) = self.size_bytes {
            write!(f, ", {bytes} bytes")?;
        }
        writeln!(f, " (as DynamoDB last counted them)")?;
        write!(f, "  keys: partition key {}", table.partition_key)?;
        if let Some(sort_key) = &table.sort_key {
            write!(f, ", sort key {sort_key}")?;
        }
        writeln!(f)?;
        writeln!(f, "  billing: {}", table.billing)?;
        match table.stream {
            Some(view) => writeln!(f, "  stream: {view}")?,
            None => writeln!(f, "  stream: none")?,
        }
        match &self.ttl.attribute {
            Some(attribute) => writeln!(f, "  TTL: {} on attribute {attribute}", self.ttl.status)?,
            None => writeln!(f, "  TTL: {}", self.ttl.status)?,
        }
        let protection = if table.deletion_protection {
            "on"
        } else {
            "off"
        };
        writeln!(f, "  deletion protection: {protection}")?;
        if self.indexes.is_empty() {
            writeln!(f, "  global indexes: none")?;
        }
        for state in &self.indexes {
            write!(f, "  index {}: {}", state.name, state.status)?;
            if state.backfilling {
                f.write_str(" (backfilling)")?;
            }
            write!(f, ", {}", items(state.item_count))?;
            if let Some(index) = self.schema.index(&state.name) {
                write!(f, "; partition key {}", index.partition_key)?;
                if let Some(sort_key) = &index.sort_key {
                    write!(f, ", sort key {sort_key}")?;
                }
                write!(f, ", projection {}", index.projection)?;
            }
            writeln!(f)?;
        }
        for state in &self.local_indexes {
            write!(
                f,
                "  local index {}: {}",
                state.name,
                items(state.item_count)
            )?;
            if let Some(index) = self.schema.local_index(&state.name) {
                write!(
                    f,
                    "; sort key {}, projection {}",
                    index.sort_key, index.projection
                )?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
