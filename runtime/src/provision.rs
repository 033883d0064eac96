//! Creating a table from a [`Schema`], waiting until it is ACTIVE, and reading a live
//! table back into a [`Schema`].

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::operation::describe_table::DescribeTableError;
use aws_sdk_dynamodb::types::{
    self as sdk, AttributeDefinition, BillingMode, GlobalSecondaryIndex, IndexStatus,
    KeySchemaElement, KeyType as SdkKeyRole, ProjectionType, ProvisionedThroughput,
    ScalarAttributeType, TableDescription, TableStatus,
};

use crate::client::Connection;
use crate::error::{Error, Result};
use crate::schema::{
    Billing, GlobalIndex, KeyAttribute, KeyType, Projection, Schema, TableSchema, Throughput,
};

/// How long [`provision`] waits for a table and its indexes to become ACTIVE by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(600);

/// Something [`provision`] did or found, in the order it happened: one line each.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The table was created with these keys and billing.
    CreatedTable(TableSchema),
    /// The index was created along with the table.
    CreatedIndex(GlobalIndex),
    /// The table already existed; nothing was changed.
    Exists {
        /// The table name.
        table: String,
        /// Whether the live table has what the schema declares (see [`describe`]).
        matches_schema: bool,
    },
    /// Still waiting: the table or one of its indexes is not ACTIVE yet.
    Waiting {
        /// The table, or `index X of table Y`.
        what: String,
        /// Its status now.
        status: String,
        /// How long the wait has lasted.
        waited: Duration,
    },
    /// The table and all its indexes are ACTIVE.
    Active {
        /// The table name.
        table: String,
        /// How many global secondary indexes it has.
        indexes: usize,
        /// How long it took to get there.
        waited: Duration,
    },
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::CreatedTable(table) => {
                write!(
                    f,
                    "created table {}: partition key {}",
                    table.name, table.partition_key
                )?;
                if let Some(sort_key) = &table.sort_key {
                    write!(f, ", sort key {sort_key}")?;
                }
                write!(f, ", {}", table.billing)
            }
            Event::CreatedIndex(index) => {
                write!(
                    f,
                    "created index {}: partition key {}",
                    index.name, index.partition_key
                )?;
                if let Some(sort_key) = &index.sort_key {
                    write!(f, ", sort key {sort_key}")?;
                }
                write!(f, ", projection {}", index.projection)
            }
            Event::Exists {
                table,
                matches_schema: true,
            } => write!(
                f,
                "table {table} exists and matches the schema: nothing changed"
            ),
            Event::Exists {
                table,
                matches_schema: false,
            } => write!(
                f,
                "table {table} exists but differs from the schema: nothing changed \
                 (provisioning only creates missing tables)"
            ),
            Event::Waiting {
                what,
                status,
                waited,
            } => write!(
                f,
                "waiting for {what}: {status} after {}s",
                waited.as_secs()
            ),
            Event::Active {
                table,
                indexes,
                waited,
            } => {
                let plural = if *indexes == 1 { "index" } else { "indexes" };
                write!(
                    f,
                    "table {table} and its {indexes} {plural} are ACTIVE (waited {:.1}s)",
                    waited.as_secs_f64()
                )
            }
        }
    }
}

/// What [`provision`] found at the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The table was missing and has been created.
    Created,
    /// The table existed; nothing was changed.
    AlreadyExisted,
}

/// Creates the schema's table with its indexes unless a table of that name exists, then
/// waits up to `wait` until the table and every index are ACTIVE. Reports each step to
/// `on_event` as it happens.
///
/// ```no_run
/// # async fn run() -> dynaschema::Result<()> {
/// use dynaschema::{provision, ClientConfig, Schema};
///
/// let connection = ClientConfig::local_default().connect().await?;
/// let schema = Schema::load("schema.toml")?;
/// provision::provision(&connection, &schema, provision::DEFAULT_WAIT, |event| println!("{event}"))
///     .await?;
/// # Ok(()) }
/// ```
pub async fn provision(
    connection: &Connection,
    schema: &Schema,
    wait: Duration,
    mut on_event: impl FnMut(&Event),
) -> Result<Outcome> {
    let name = &schema.table.name;
    let outcome = match describe_table(connection, name).await? {
        Some(existing) => {
            on_event(&Event::Exists {
                table: name.clone(),
                matches_schema: schema_of(&existing)? == *schema,
            });
            if not_active(&existing).is_none() {
                return Ok(Outcome::AlreadyExisted);
            }
            Outcome::AlreadyExisted
        }
        None => match create_table(connection, schema).await {
            Ok(()) => {
                on_event(&Event::CreatedTable(schema.table.clone()));
                for index in &schema.indexes {
                    on_event(&Event::CreatedIndex(index.clone()));
                }
                Outcome::Created
            }
            // Another runner created it between our describe and create.
            Err(Error::Service { source, .. })
                if matches!(*source, aws_sdk_dynamodb::Error::ResourceInUseException(_)) =>
            {
                on_event(&Event::Exists {
                    table: name.clone(),
                    matches_schema: describe(connection, name).await?.as_ref() == Some(schema),
                });
                Outcome::AlreadyExisted
            }
            Err(err) => return Err(err),
        },
    };
    wait_until_active(connection, name, wait, &mut on_event).await?;
    Ok(outcome)
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
        Some(description) => schema_of(&description).map(Some),
        None => Ok(None),
    }
}

/// Waits until the table and all its indexes are ACTIVE, reporting progress to
/// `on_event` at most every few seconds. A missing table is [`Error::TableMissing`].
pub async fn wait_until_active(
    connection: &Connection,
    table: &str,
    wait: Duration,
    on_event: &mut impl FnMut(&Event),
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
        let Some((what, status)) = not_active(&description) else {
            on_event(&Event::Active {
                table: table.to_owned(),
                indexes: description.global_secondary_indexes().len(),
                waited,
            });
            return Ok(());
        };
        if status == "DELETING" {
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
            on_event(&Event::Waiting {
                what,
                status,
                waited,
            });
        }
        tokio::time::sleep(pause.min(wait.saturating_sub(waited))).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

/// The first of the table and its indexes that is not ACTIVE, and its status.
fn not_active(description: &TableDescription) -> Option<(String, String)> {
    let table = description.table_name().unwrap_or_default();
    match description.table_status() {
        Some(TableStatus::Active) => {}
        status => {
            let status = status.map_or("UNKNOWN", |s| s.as_str());
            return Some((format!("table {table}"), status.to_owned()));
        }
    }
    description
        .global_secondary_indexes()
        .iter()
        .find_map(|index| match index.index_status() {
            Some(IndexStatus::Active) => None,
            status => Some((
                format!(
                    "index {} of table {table}",
                    index.index_name().unwrap_or_default()
                ),
                status.map_or("UNKNOWN", |s| s.as_str()).to_owned(),
            )),
        })
}

async fn describe_table(connection: &Connection, table: &str) -> Result<Option<TableDescription>> {
    match connection
        .client()
        .describe_table()
        .table_name(table)
        .send()
        .await
    {
        Ok(output) => Ok(output.table),
        Err(err) => match err.as_service_error() {
            Some(DescribeTableError::ResourceNotFoundException(_)) => Ok(None),
            _ => Err(Error::from_sdk("DescribeTable", connection.endpoint(), err)),
        },
    }
}

async fn create_table(connection: &Connection, schema: &Schema) -> Result<()> {
    let table = &schema.table;
    let mut request = connection
        .client()
        .create_table()
        .table_name(&table.name)
        .set_key_schema(Some(key_schema(
            &table.partition_key,
            table.sort_key.as_ref(),
        )))
        .set_attribute_definitions(Some(
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
                .collect(),
        ));
    request = match table.billing {
        Billing::PayPerRequest => request.billing_mode(BillingMode::PayPerRequest),
        Billing::Provisioned(throughput) => request
            .billing_mode(BillingMode::Provisioned)
            .provisioned_throughput(provisioned(throughput)),
    };
    for index in &schema.indexes {
        let mut projection = sdk::Projection::builder();
        projection = match &index.projection {
            Projection::All => projection.projection_type(ProjectionType::All),
            Projection::KeysOnly => projection.projection_type(ProjectionType::KeysOnly),
            Projection::Include(attributes) => projection
                .projection_type(ProjectionType::Include)
                .set_non_key_attributes(Some(attributes.clone())),
        };
        let gsi = GlobalSecondaryIndex::builder()
            .index_name(&index.name)
            .set_key_schema(Some(key_schema(
                &index.partition_key,
                index.sort_key.as_ref(),
            )))
            .projection(projection.build())
            .set_provisioned_throughput(index.throughput.map(provisioned))
            .build()
            .expect("name, keys and projection are set");
        request = request.global_secondary_indexes(gsi);
    }
    request
        .send()
        .await
        .map(|_| ())
        .map_err(|err| Error::from_sdk("CreateTable", connection.endpoint(), err))
}

fn key_schema(
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

fn provisioned(throughput: Throughput) -> ProvisionedThroughput {
    ProvisionedThroughput::builder()
        .read_capacity_units(throughput.read)
        .write_capacity_units(throughput.write)
        .build()
        .expect("both capacities are set")
}

/// The [`Schema`] a live table has.
fn schema_of(description: &TableDescription) -> Result<Schema> {
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
    let mut indexes = description
        .global_secondary_indexes()
        .iter()
        .map(|index| {
            let (partition_key, sort_key) = keys(index.key_schema())?;
            let projection = index.projection();
            let projection = match projection.and_then(|p| p.projection_type()) {
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
            Ok(GlobalIndex {
                name: index.index_name().unwrap_or_default().to_owned(),
                partition_key,
                sort_key,
                projection,
                throughput: match billing {
                    Billing::PayPerRequest => None,
                    Billing::Provisioned(_) => throughput_of(index.provisioned_throughput()),
                },
            })
        })
        .collect::<Result<Vec<_>>>()?;
    indexes.sort_by(|a, b| a.name.cmp(&b.name));

    Ok(Schema {
        table: TableSchema {
            name: table_name.to_owned(),
            billing,
            partition_key,
            sort_key,
        },
        indexes,
    })
}
