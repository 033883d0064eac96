//! Provisioning against a live server: create, find, describe, and the errors around them.

use std::net::TcpListener;
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    BillingMode, KeyType as Role, ProjectionType, ScalarAttributeType, TableStatus,
};
use dynaschema::provision::{self, Event, Outcome};
use dynaschema::{ClientConfig, Error, Schema};
use dynaschema_tests::{connect, ningipoints_schema, unique_table_name};

const WAIT: Duration = Duration::from_secs(60);

async fn provision_collecting(schema: &Schema) -> (Outcome, Vec<Event>) {
    let connection = connect().await;
    let mut events = Vec::new();
    let outcome = provision::provision(&connection, schema, WAIT, |e| events.push(e.clone()))
        .await
        .expect("provisioning succeeds");
    (outcome, events)
}

#[tokio::test]
async fn creates_the_ningipoints_table_as_declared() {
    let schema = ningipoints_schema("create");
    let (outcome, events) = provision_collecting(&schema).await;
    assert_eq!(outcome, Outcome::Created);
    assert!(
        matches!(
            &events[..],
            [
                Event::CreatedTable(_),
                Event::CreatedIndex(_),
                Event::Active { indexes: 1, .. }
            ]
        ),
        "{events:?}"
    );

    // Read back with the plain SDK, field by field.
    let connection = connect().await;
    let table = connection
        .client()
        .describe_table()
        .table_name(&schema.table.name)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(table.table_status(), Some(&TableStatus::Active));
    let keys: Vec<_> = table
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type().clone()))
        .collect();
    assert_eq!(keys, [("PK", Role::Hash), ("SK", Role::Range)]);
    let mut attributes: Vec<_> = table
        .attribute_definitions()
        .iter()
        .map(|a| (a.attribute_name(), a.attribute_type().clone()))
        .collect();
    attributes.sort_by_key(|(name, _)| name.to_string());
    assert_eq!(
        attributes,
        [
            ("PK", ScalarAttributeType::S),
            ("SK", ScalarAttributeType::S),
            ("email", ScalarAttributeType::S)
        ]
    );
    assert_eq!(
        table.billing_mode_summary().and_then(|b| b.billing_mode()),
        Some(&BillingMode::PayPerRequest)
    );
    let [index] = table.global_secondary_indexes() else {
        panic!("expected one index: {:?}", table.global_secondary_indexes());
    };
    assert_eq!(index.index_name(), Some("EmailIndex"));
    let keys: Vec<_> = index
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type().clone()))
        .collect();
    assert_eq!(keys, [("email", Role::Hash)]);
    assert_eq!(
        index.projection().and_then(|p| p.projection_type()),
        Some(&ProjectionType::All)
    );
    assert!(table.local_secondary_indexes().is_empty());
}

#[tokio::test]
async fn a_second_run_finds_the_table_and_changes_nothing() {
    let schema = ningipoints_schema("twice");
    let connection = connect().await;
    provision_collecting(&schema).await;
    let created_at = |connection: dynaschema::Connection, name: String| async move {
        connection
            .client()
            .describe_table()
            .table_name(name)
            .send()
            .await
            .unwrap()
            .table
            .unwrap()
            .creation_date_time
    };
    let before = created_at(connection.clone(), schema.table.name.clone()).await;

    let (outcome, events) = provision_collecting(&schema).await;
    assert_eq!(outcome, Outcome::AlreadyExisted);
    assert_eq!(
        events,
        [Event::Exists {
            table: schema.table.name.clone(),
            matches_schema: true
        }]
    );
    assert_eq!(
        created_at(connection, schema.table.name.clone()).await,
        before
    );
}

#[tokio::test]
async fn describe_reads_back_the_schema_it_was_created_from() {
    let connection = connect().await;
    let on_demand = ningipoints_schema("describe");
    provision_collecting(&on_demand).await;
    assert_eq!(
        provision::describe(&connection, &on_demand.table.name)
            .await
            .unwrap(),
        Some(on_demand)
    );

    let provisioned = Schema::parse(
        &format!(
            r#"[table]
name = "{}"
billing_mode = "PROVISIONED"
throughput = {{ read = 4, write = 2 }}
partition_key = {{ name = "id", type = "N" }}

[[index]]
name = "ByBlob"
partition_key = {{ name = "blob", type = "B" }}
sort_key = {{ name = "id", type = "N" }}
projection = "KEYS_ONLY"

[[index]]
name = "ByName"
partition_key = {{ name = "name", type = "S" }}
projection = "INCLUDE"
non_key_attributes = ["email", "balance"]
throughput = {{ read = 1, write = 1 }}
"#,
            unique_table_name("describe-provisioned")
        ),
        "inline.toml",
    )
    .unwrap();
    provision_collecting(&provisioned).await;
    assert_eq!(
        provision::describe(&connection, &provisioned.table.name)
            .await
            .unwrap(),
        Some(provisioned)
    );
}

#[tokio::test]
async fn ttl_stream_deletion_protection_and_local_indexes_are_created_and_read_back() {
    let connection = connect().await;
    let schema = Schema::parse(
        &format!(
            r#"[table]
name = "{}"
partition_key = {{ name = "PK", type = "S" }}
sort_key = {{ name = "SK", type = "S" }}
ttl_attribute = "expires_at"
stream = "KEYS_ONLY"
deletion_protection = true

[[local_index]]
name = "ByAmount"
sort_key = {{ name = "amount", type = "N" }}
projection = "INCLUDE"
non_key_attributes = ["type"]
"#,
            unique_table_name("describe-settings")
        ),
        "inline.toml",
    )
    .unwrap();
    let (outcome, events) = provision_collecting(&schema).await;
    assert_eq!(outcome, Outcome::Created);
    assert_eq!(
        events
            .iter()
            .map(ToString::to_string)
            .take(2)
            .collect::<Vec<_>>(),
        [
            format!(
                "created table {}: partition key PK (S), sort key SK (S), PAY_PER_REQUEST, \
                 stream KEYS_ONLY, deletion protection",
                schema.table.name
            ),
            "created local index ByAmount: sort key amount (N), projection INCLUDE [type]"
                .to_owned()
        ]
    );
    assert_eq!(
        events.last().map(ToString::to_string).as_deref(),
        Some("enabled TTL on attribute expires_at")
    );
    assert_eq!(
        provision::describe(&connection, &schema.table.name)
            .await
            .unwrap(),
        Some(schema.clone())
    );
    let deleted = connection
        .client()
        .delete_table()
        .table_name(&schema.table.name)
        .send()
        .await;
    assert!(deleted.is_err(), "deletion protection is on");
}

#[tokio::test]
async fn describe_of_a_missing_table_is_none() {
    let connection = connect().await;
    assert_eq!(
        provision::describe(&connection, &unique_table_name("missing"))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn an_existing_table_that_differs_is_reported_and_left_alone() {
    let full = ningipoints_schema("differs");
    let mut without_index = full.clone();
    without_index.indexes.clear();
    provision_collecting(&without_index).await;

    let (outcome, events) = provision_collecting(&full).await;
    assert_eq!(outcome, Outcome::AlreadyExisted);
    assert_eq!(
        events,
        [Event::Exists {
            table: full.table.name.clone(),
            matches_schema: false
        }]
    );
    let connection = connect().await;
    assert_eq!(
        provision::describe(&connection, &full.table.name)
            .await
            .unwrap(),
        Some(without_index)
    );
}

#[tokio::test]
async fn concurrent_runs_create_the_table_once() {
    let schema = ningipoints_schema("race");
    // Collected, so that all of them are spawned before the first is awaited.
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let schema = schema.clone();
            tokio::spawn(async move { provision_collecting(&schema).await.0 })
        })
        .collect();
    let mut outcomes = Vec::new();
    for run in runs {
        outcomes.push(run.await.unwrap());
    }
    assert_eq!(
        outcomes.iter().filter(|o| **o == Outcome::Created).count(),
        1,
        "{outcomes:?}"
    );
    let connection = connect().await;
    assert_eq!(
        provision::describe(&connection, &schema.table.name)
            .await
            .unwrap(),
        Some(schema)
    );
}

#[tokio::test]
async fn an_endpoint_where_nothing_listens_is_named_in_the_error() {
    // A port that was free a moment ago: nothing listens there now.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let connection = ClientConfig::new()
        .endpoint(&endpoint)
        .connect()
        .await
        .unwrap();
    let schema = ningipoints_schema("unreachable");
    let result = tokio::time::timeout(
        Duration::from_secs(60),
        provision::provision(&connection, &schema, WAIT, |_| {}),
    )
    .await
    .expect("an unreachable endpoint fails rather than hangs");
    match result {
        Err(err @ Error::Unreachable { .. }) => {
            let message = err.to_string();
            assert!(message.contains(&endpoint), "{message}");
            assert!(message.contains("run dynaschema-local"), "{message}");
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
}
