//! The live table: reading it (DescribeTable, DescribeTimeToLive) back into a
//! [`Schema`], waiting until it is ACTIVE, creating it, and the conversions between the
//! schema model and the SDK's types that creating and changing a table share.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
use aws_sdk_dynamodb::operation::describe_time_to_live::DescribeTimeToLiveError;
use aws_sdk_dynamodb::types::{
    self as sdk, AttributeDefinition, BillingMode, GlobalSecondaryIndex, IndexStatus,
    KeySchemaElement, KeyType as SdkKeyRole, LocalSecondaryIndex, ProjectionType,
    ProvisionedThroughput, ScalarAttributeType, StreamSpecification, StreamViewType,
    TableDescription, TableStatus, TimeToLiveDescription, TimeToLiveSpecification,
    TimeToLiveStatus,
};

use crate::client::Connection;
use crate::error::{Error, Result};
use crate::ops::retry::{resend, RetryPolicy};
use crate::schema::{
    Billing, GlobalIndex, KeyAttribute, KeyType, LocalIndex, Projection, Schema, StreamView,
    TableSchema, Throughput,
};

/// How long [`provision`](crate::provision::provision) waits for a table and its indexes to become ACTIVE by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(600);

/// How a wait for a table to become ACTIVE is going.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Progress {
    /// Still waiting: `what` (the table, or `index X of table Y`) is `status`.
    Waiting {
        what: String,
        status: String,
        waited: Duration,
    },
    /// The table and its `indexes` global secondary indexes are ACTIVE.
    Active {
        table: String,
        indexes: usize,
        waited: Duration,
    },
}

/// Reads the live table back into a [`Schema`], or `None` when there is no such table.
///
/// ```no_run
/// # async fn run(connection: dynaschema::Connection, schema: dynaschema::Schema) -> dynaschema::Result<()> {
/// let live = dynaschema::provision::describe(&connection, &schema.table.name).await?;
/// assert_eq!(live.as_ref(), Some(&schema));
/// # Ok(()) }
/// ```
pub async fn describe(connection: &Connection, table: &str) -> Result<Option<Schema>> {
    match describe_table(connection, table).await? {
        Some(description) => live_schema(connection, &description).await.map(Some),
        None => Ok(None),
    }
}

/// The [`Schema`] of a described table, with its TTL setting, which DescribeTable leaves
/// out.
pub(crate) async fn live_schema(
    connection: &Connection,
    description: &TableDescription,
) -> Result<Schema> {
    let table = description.table_name().unwrap_or_default();
    let ttl = describe_time_to_live(connection, table).await?;
    schema_of(description, ttl.as_ref())
}

/// Waits until the table and all its indexes are ACTIVE, reporting progress to
/// `on_progress` at most every few seconds. An index being deleted is waited for until it is
/// gone; a table being deleted is an error, and a missing table is [`Error::TableMissing`].
pub async fn wait_until_active(
    connection: &Connection,
    table: &str,
    wait: Duration,
    on_progress: &mut impl FnMut(Progress),
) -> Result<()> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(100);
    let mut last_report = start;
    loop {
        let description =
            describe_table(connection, table)
                .await?
                .ok_or_else(|| Error::TableMissing {
                    table: table.to_owned(),
                    endpoint: connection.endpoint().to_owned(),
                })?;
        let waited = start.elapsed();
        let Some(NotActive {
            what,
            status,
            is_table,
        }) = not_active(&description)
        else {
            on_progress(Progress::Active {
                table: table.to_owned(),
                indexes: description.global_secondary_indexes().len(),
                waited,
            });
            return Ok(());
        };
        if status == "DELETING" && is_table {
            return Err(Error::Config(format!(
                "{what} is being deleted; run again once it is gone"
            )));
        }
        if waited >= wait {
            return Err(Error::Timeout {
                what,
                status,
                waited,
            });
        }
        if last_report.elapsed() >= Duration::from_secs(5) {
            last_report = Instant::now();
            on_progress(Progress::Waiting {
                what,
                status,
                waited,
            });
        }
        tokio::time::sleep(pause.min(wait.saturating_sub(waited))).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

/// The table or index a wait is for: what it is, and its status.
pub(crate) struct NotActive {
    /// `table X` or `index Y of table X`.
    pub(crate) what: String,
    /// Its status now.
    pub(crate) status: String,
    /// Whether it is the table rather than one of its indexes.
    pub(crate) is_table: bool,
}

/// The first of the table and its indexes that is not ACTIVE, and its status.
pub(crate) fn not_active(description: &TableDescription) -> Option<NotActive> {
    let table = description.table_name().unwrap_or_default();
    match description.table_status() {
        Some(TableStatus::Active) => {}
        status => {
            let status = status.map_or("UNKNOWN", |s| s.as_str());
            return Some(NotActive {
                what: format!("table {table}"),
                status: status.to_owned(),
                is_table: true,
            });
        }
    }
    description
        .global_secondary_indexes()
        .iter()
        .find_map(|index| match index.index_status() {
            Some(IndexStatus::Active) => None,
            status => Some(NotActive {
                what: format!(
                    "index {} of table {table}",
                    index.index_name().unwrap_or_default()
                ),
                status: match (
                    status.map_or("UNKNOWN", |s| s.as_str()),
                    index.backfilling(),
                ) {
                    (status, Some(true)) => format!("{status} (backfilling)"),
                    (status, _) => status.to_owned(),
                },
                is_table: false,
            }),
        })
}

/// The table as DescribeTable tells it, or `None` when there is no such table.
pub(crate) async fn describe_table(
    connection: &Connection,
    table: &str,
) -> Result<Option<TableDescription>> {
    let request = connection.client().describe_table().table_name(table);
    let policy = RetryPolicy::default();
    match resend(&policy, "DescribeTable", || request.clone().send()).await {
        Ok(output) => Ok(output.table),
        Err(err) => match err.as_service_error() {
            Some(DescribeTableError::ResourceNotFoundException(_)) => Ok(None),
            _ => Err(Error::from_sdk("DescribeTable", connection.endpoint(), err)),
        },
    }
}

/// The table's TTL setting as DescribeTimeToLive tells it, or `None` when there is no
/// such table.
pub(crate) async fn describe_time_to_live(
    connection: &Connection,
    table: &str,
) -> Result<Option<TimeToLiveDescription>> {
    let request = connection
        .client()
        .describe_time_to_live()
        .table_name(table);
    let policy = RetryPolicy::default();
    match resend(&policy, "DescribeTimeToLive", || request.clone().send()).await {
        Ok(output) => Ok(Some(output.time_to_live_description.unwrap_or_else(|| {
            TimeToLiveDescription::builder()
                .time_to_live_status(TimeToLiveStatus::Disabled)
                .build()
        }))),
        Err(err) => match err.as_service_error() {
            Some(DescribeTimeToLiveError::ResourceNotFoundException(_)) => Ok(None),
            _ => Err(Error::from_sdk(
                "DescribeTimeToLive",
                connection.endpoint(),
                err,
            )),
        },
    }
}

/// The TTL attribute of a TTL description, when TTL is enabled or being enabled.
pub(crate) fn ttl_attribute(ttl: &TimeToLiveDescription) -> Option<String> {
    match ttl.time_to_live_status() {
        Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling) => {
            ttl.attribute_name().map(str::to_owned)
        }
        _ => None,
    }
}

/// Sends the CreateTable request of a schema: keys, billing, indexes, stream and deletion
/// protection. TTL is not part of CreateTable; it is enabled once the table is ACTIVE.
pub(crate) async fn create_table(connection: &Connection, schema: &Schema) -> Result<()> {
    let table = &schema.table;
    let mut request = connection
        .client()
        .create_table()
        .table_name(&table.name)
        .set_key_schema(Some(key_schema(
            &table.partition_key,
            table.sort_key.as_ref(),
        )))
        .set_attribute_definitions(Some(attribute_definitions(schema)))
        .deletion_protection_enabled(table.deletion_protection);
    request = match table.billing {
        Billing::PayPerRequest => request.billing_mode(BillingMode::PayPerRequest),
        Billing::Provisioned(throughput) => request
            .billing_mode(BillingMode::Provisioned)
            .provisioned_throughput(provisioned(throughput)),
    };
    if let Some(view) = table.stream {
        request = request.stream_specification(stream_specification(Some(view)));
    }
    for index in &schema.indexes {
        let gsi = GlobalSecondaryIndex::builder()
            .index_name(&index.name)
            .set_key_schema(Some(key_schema(
                &index.partition_key,
                index.sort_key.as_ref(),
            )))
            .projection(projection(&index.projection))
            .set_provisioned_throughput(index.throughput.map(provisioned))
            .build()
            .expect("name, keys and projection are set");
        request = request.global_secondary_indexes(gsi);
    }
    for index in &schema.local_indexes {
        let lsi = LocalSecondaryIndex::builder()
            .index_name(&index.name)
            .set_key_schema(Some(key_schema(
                &table.partition_key,
                Some(&index.sort_key),
            )))
            .projection(projection(&index.projection))
            .build()
            .expect("name, keys and projection are set");
        request = request.local_secondary_indexes(lsi);
    }
    request
        .send()
        .await
        .map(|_| ())
        .map_err(|err| Error::from_sdk("CreateTable", connection.endpoint(), err))
}

/// The `AttributeDefinitions` of a table shaped as `schema`: each key attribute once.
pub(crate) fn attribute_definitions(schema: &Schema) -> Vec<AttributeDefinition> {
    schema
        .key_attributes()
        .into_iter()
        .map(|key| {
            AttributeDefinition::builder()
                .attribute_name(&key.name)
                .attribute_type(scalar_type(key.kind))
                .build()
                .expect("name and type are set")
        })
        .collect()
}

/// The SDK's projection of an index.
pub(crate) fn projection(projection: &Projection) -> sdk::Projection {
    let builder = sdk::Projection::builder();
    match projection {
        Projection::All => builder.projection_type(ProjectionType::All),
        Projection::KeysOnly => builder.projection_type(ProjectionType::KeysOnly),
        Projection::Include(attributes) => builder
            .projection_type(ProjectionType::Include)
            .set_non_key_attributes(Some(attributes.clone())),
    }
    .build()
}

/// The stream setting that enables a stream of this view, or disables the stream.
pub(crate) fn stream_specification(view: Option<StreamView>) -> StreamSpecification {
    let builder = StreamSpecification::builder().stream_enabled(view.is_some());
    match view {
        Some(view) => builder.stream_view_type(StreamViewType::from(view.as_str())),
        None => builder,
    }
    .build()
    .expect("stream_enabled is set")
}

/// The TTL setting that enables or disables TTL on an attribute.
pub(crate) fn ttl_specification(attribute: &str, enabled: bool) -> TimeToLiveSpecification {
    TimeToLiveSpecification::builder()
        .attribute_name(attribute)
        .enabled(enabled)
        .build()
        .expect("attribute and enabled are set")
}

pub(crate) fn key_schema(
    partition_key: &KeyAttribute,
    sort_key: Option<&KeyAttribute>,
) -> Vec<KeySchemaElement> {
    let element = |key: &KeyAttribute, role| {
        KeySchemaElement::builder()
            .attribute_name(&key.name)
            .key_type(role)
            .build()
            .expect("name and role are set")
    };
    std::iter::once(element(partition_key, SdkKeyRole::Hash))
        .chain(sort_key.map(|key| element(key, SdkKeyRole::Range)))
        .collect()
}

fn scalar_type(kind: KeyType) -> ScalarAttributeType {
    match kind {
        KeyType::S => ScalarAttributeType::S,
        KeyType::N => ScalarAttributeType::N,
        KeyType::B => ScalarAttributeType::B,
    }
}

pub(crate) fn provisioned(throughput: Throughput) -> ProvisionedThroughput {
    ProvisionedThroughput::builder()
        .read_capacity_units(throughput.read)
        .write_capacity_units(throughput.write)
        .build()
        .expect("both capacities are set")
}

/// The [`Schema`] a live table has, given its TTL description.
fn schema_of(
    description: &TableDescription,
    ttl: Option<&TimeToLiveDescription>,
) -> Result<Schema> {
    let table_name = description.table_name().unwrap_or_default();
    let unexpected = |what: String| {
        Error::Config(format!(
            "table {table_name} as DynamoDB describes it cannot be read: {what}"
        ))
    };
    let kind_of = |name: &str| -> Result<KeyType> {
        let definition = description
            .attribute_definitions()
            .iter()
            .find(|d| d.attribute_name() == name)
            .ok_or_else(|| unexpected(format!("key attribute {name} has no definition")))?;
        match definition.attribute_type() {
            ScalarAttributeType::S => Ok(KeyType::S),
            ScalarAttributeType::N => Ok(KeyType::N),
            ScalarAttributeType::B => Ok(KeyType::B),
            other => Err(unexpected(format!("attribute {name} has type {other}"))),
        }
    };
    let keys = |elements: &[KeySchemaElement]| -> Result<(KeyAttribute, Option<KeyAttribute>)> {
        let find = |role: SdkKeyRole| -> Result<Option<KeyAttribute>> {
            elements
                .iter()
                .find(|e| *e.key_type() == role)
                .map(|e| {
                    Ok(KeyAttribute {
                        name: e.attribute_name().to_owned(),
                        kind: kind_of(e.attribute_name())?,
                    })
                })
                .transpose()
        };
        let hash = find(SdkKeyRole::Hash)?
            .ok_or_else(|| unexpected("a key schema has no HASH key".to_owned()))?;
        Ok((hash, find(SdkKeyRole::Range)?))
    };
    let throughput_of = |t: Option<&sdk::ProvisionedThroughputDescription>| {
        t.and_then(|t| {
            let read = t.read_capacity_units().unwrap_or(0);
            let write = t.write_capacity_units().unwrap_or(0);
            (read > 0 || write > 0).then_some(Throughput { read, write })
        })
    };

    let on_demand = description
        .billing_mode_summary()
        .and_then(|summary| summary.billing_mode())
        == Some(&BillingMode::PayPerRequest);
    let billing = match throughput_of(description.provisioned_throughput()) {
        Some(throughput) if !on_demand => Billing::Provisioned(throughput),
        _ => Billing::PayPerRequest,
    };

    let (partition_key, sort_key) = keys(description.key_schema())?;
    let projection_of =
        |projection: Option<&sdk::Projection>| match projection.and_then(|p| p.projection_type()) {
            Some(ProjectionType::KeysOnly) => Projection::KeysOnly,
            Some(ProjectionType::Include) => {
                let mut attributes = projection
                    .map(|p| p.non_key_attributes().to_vec())
                    .unwrap_or_default();
                attributes.sort();
                Projection::Include(attributes)
            }
            _ => Projection::All,
        };
    let mut indexes = description
        .global_secondary_indexes()
        .iter()
        .map(|index| {
            let (partition_key, sort_key) = keys(index.key_schema())?;
            Ok(GlobalIndex {
                name: index.index_name().unwrap_or_default().to_owned(),
                partition_key,
                sort_key,
                projection: projection_of(index.projection()),
                throughput: match billing {
                    Billing::PayPerRequest => None,
                    Billing::Provisioned(_) => throughput_of(index.provisioned_throughput()),
                },
            })
        })
        .collect::<Result<Vec<_>>>()?;
    indexes.sort_by(|a, b| a.name.cmp(&b.name));
    let mut local_indexes = description
        .local_secondary_indexes()
        .iter()
        .map(|index| {
            let name = index.index_name().unwrap_or_default();
            let (_, sort_key) = keys(index.key_schema())?;
            Ok(LocalIndex {
                name: name.to_owned(),
                sort_key: sort_key
                    .ok_or_else(|| unexpected(format!("local index {name} has no sort key")))?,
                projection: projection_of(index.projection()),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    local_indexes.sort_by(|a, b| a.name.cmp(&b.name));

    let stream = description
        .stream_specification()
        .filter(|spec| spec.stream_enabled())
        .and_then(|spec| spec.stream_view_type())
        .map(|view| match view {
            StreamViewType::KeysOnly => Ok(StreamView::KeysOnly),
            StreamViewType::NewImage => Ok(StreamView::NewImage),
            StreamViewType::OldImage => Ok(StreamView::OldImage),
            StreamViewType::NewAndOldImages => Ok(StreamView::NewAndOldImages),
            other => Err(unexpected(format!("stream view type {other}"))),
        })
        .transpose()?;

    Ok(Schema {
        table: TableSchema {
            name: table_name.to_owned(),
            billing,
            partition_key,
            sort_key,
            ttl_attribute: ttl.and_then(ttl_attribute),
            stream,
            deletion_protection: description.deletion_protection_enabled().unwrap_or(false),
        },
        indexes,
        local_indexes,
    })
}
