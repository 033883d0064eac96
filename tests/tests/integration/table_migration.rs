//! Planning and applying table changes against a live server: each kind of step, the
//! refusals, and an apply interrupted and run again. Each test has tables of its own.

use std::time::Duration;

use aws_sdk_dynamodb::types::{StreamViewType, TimeToLiveStatus};
use dynaschema::migrate::{self, ApplyOptions, Plan, Step};
use dynaschema::provision::{self, Event};
use dynaschema::{
    Billing, Connection, Error, KeyAttribute, KeyType, Projection, Schema, StreamView, Throughput,
};
use dynaschema_tests::{connect, ningipoints_schema, server_kind, unique_table_name, ServerKind};

const WAIT: Duration = Duration::from_secs(60);

fn options(allow_destructive: bool) -> ApplyOptions {
    ApplyOptions {
        allow_destructive,
        wait: WAIT,
    }
}

/// Applies `schema`, returning the plan run and the events reported.
async fn apply(
    connection: &Connection,
    schema: &Schema,
    allow_destructive: bool,
) -> dynaschema::Result<(Plan, Vec<Event>)> {
    let mut events = Vec::new();
    let plan = migrate::apply(connection, schema, &options(allow_destructive), |e| {
        events.push(e.clone())
    })
    .await?;
    Ok((plan, events))
}

/// The steps applied, as their events report them.
fn applied(events: &[Event]) -> Vec<Step> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Applied(step) => Some(step.clone()),
            _ => None,
        })
        .collect()
}

async fn live(connection: &Connection, schema: &Schema) -> Schema {
    provision::describe(connection, &schema.table.name)
        .await
        .unwrap()
        .expect("the table exists")
}

/// Applies `wanted` and checks that the table then reads back as `wanted` and plans
/// nothing more.
async fn apply_and_check(connection: &Connection, wanted: &Schema, allow: bool) -> Vec<Event> {
    let (plan, events) = apply(connection, wanted, allow).await.unwrap();
    assert!(!plan.is_empty(), "nothing to apply");
    assert_eq!(live(connection, wanted).await, *wanted);
    assert!(Plan::for_table(connection, wanted)
        .await
        .unwrap()
        .is_empty());
    events
}

/// A table created from `schema` by [`provision::provision`].
async fn provisioned(connection: &Connection, schema: &Schema) {
    provision::provision(connection, schema, WAIT, |_| {})
        .await
        .unwrap();
}

#[tokio::test]
async fn apply_creates_a_missing_table_with_every_setting_then_finds_nothing_to_do() {
    let connection = connect().await;
    let schema = Schema::parse(
        &format!(
            r#"[table]
name = "{}"
billing_mode = "PROVISIONED"
throughput = {{ read = 3, write = 2 }}
partition_key = {{ name = "PK", type = "S" }}
sort_key = {{ name = "SK", type = "S" }}
ttl_attribute = "expires_at"
stream = "NEW_AND_OLD_IMAGES"
deletion_protection = true

[[index]]
name = "EmailIndex"
partition_key = {{ name = "email", type = "S" }}
projection = "ALL"

[[local_index]]
name = "ByCreation"
sort_key = {{ name = "created_at", type = "S" }}
projection = "KEYS_ONLY"
"#,
            unique_table_name("apply-create")
        ),
        "inline.toml",
    )
    .unwrap();
    let plan = Plan::for_table(&connection, &schema).await.unwrap();
    assert_eq!(
        plan.summary(),
        "Plan: 2 to add, 0 to change, 0 to remove.",
        "{plan}"
    );

    let (applied_plan, events) = apply(&connection, &schema, false).await.unwrap();
    assert_eq!(applied_plan, plan);
    assert!(
        matches!(
            &events[..],
            [
                Event::CreatedTable(_),
                Event::CreatedIndex(_),
                Event::CreatedLocalIndex(_),
                Event::Active { indexes: 1, .. },
                Event::Applied(Step::EnableTtl(attribute)),
            ] if attribute == "expires_at"
        ),
        "{events:?}"
    );
    assert_eq!(live(&connection, &schema).await, schema);

    let (plan, events) = apply(&connection, &schema, false).await.unwrap();
    assert!(plan.is_empty());
    assert_eq!(
        events,
        [Event::Exists {
            table: schema.table.name.clone(),
            matches_schema: true
        }]
    );
}

#[tokio::test]
async fn adds_an_index() {
    let connection = connect().await;
    let full = ningipoints_schema("add-index");
    let mut bare = full.clone();
    bare.indexes.clear();
    provisioned(&connection, &bare).await;

    let events = apply_and_check(&connection, &full, false).await;
    assert_eq!(applied(&events), [Step::AddIndex(full.indexes[0].clone())]);
    assert!(
        matches!(events.last(), Some(Event::Active { indexes: 1, .. })),
        "{events:?}"
    );
}

#[tokio::test]
async fn removes_an_index_only_when_destructive_steps_are_allowed() {
    let connection = connect().await;
    let full = ningipoints_schema("remove-index");
    let mut bare = full.clone();
    bare.indexes.clear();
    provisioned(&connection, &full).await;

    match apply(&connection, &bare, false).await {
        Err(Error::Destructive { table, steps }) => {
            assert_eq!(table, full.table.name);
            assert_eq!(
                steps,
                ["- index EmailIndex: partition key email (S), projection ALL"]
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(live(&connection, &full).await, full, "nothing changed");

    let events = apply_and_check(&connection, &bare, true).await;
    assert_eq!(
        applied(&events),
        [Step::RemoveIndex(full.indexes[0].clone())]
    );
}

#[tokio::test]
async fn replaces_an_index_whose_keys_or_projection_change() {
    let connection = connect().await;
    let full = ningipoints_schema("replace-index");
    provisioned(&connection, &full).await;
    let mut changed = full.clone();
    changed.indexes[0].projection = Projection::Include(vec!["name".into()]);
    changed.indexes[0].sort_key = Some(KeyAttribute {
        name: "created_at".into(),
        kind: KeyType::S,
    });

    let plan = Plan::for_table(&connection, &changed).await.unwrap();
    assert_eq!(
        plan.to_string(),
        "~ index EmailIndex: sort key none -> created_at (S), projection ALL -> INCLUDE [name] \
         (removed, then added again)  (destructive)\n\
         Plan: 0 to add, 1 to change, 0 to remove.\n"
    );
    let events = apply_and_check(&connection, &changed, true).await;
    assert_eq!(
        applied(&events),
        [
            Step::RemoveIndex(full.indexes[0].clone()),
            Step::AddIndex(changed.indexes[0].clone())
        ]
    );
}

#[tokio::test]
async fn switches_billing_both_ways_and_changes_capacity() {
    let connection = connect().await;
    let on_demand = ningipoints_schema("billing");
    provisioned(&connection, &on_demand).await;

    let provisioned_schema = |table: Throughput, index: Throughput| {
        let mut schema = on_demand.clone();
        schema.table.billing = Billing::Provisioned(table);
        schema.indexes[0].throughput = Some(index);
        schema
    };
    let small = provisioned_schema(
        Throughput { read: 5, write: 5 },
        Throughput { read: 2, write: 1 },
    );
    let larger = provisioned_schema(
        Throughput { read: 10, write: 5 },
        Throughput { read: 3, write: 1 },
    );
    if server_kind() == ServerKind::Dynoxide {
        // DynamoDB keeps a capacity for each global secondary index of a provisioned
        // table and reports it in DescribeTable (GlobalSecondaryIndexDescription
        // .ProvisionedThroughput; UpdateTable requires it when a table turns
        // provisioned), as moto does. dynoxide accepts the request but keeps no index
        // capacity, so here only the table's own billing is asserted.
        for wanted in [&small, &larger] {
            apply(&connection, wanted, false).await.unwrap();
            assert_eq!(
                live(&connection, wanted).await.table.billing,
                wanted.table.billing
            );
        }
        apply_and_check(&connection, &on_demand, false).await;
        return;
    }
    let events = apply_and_check(&connection, &small, false).await;
    assert!(
        matches!(&applied(&events)[..], [Step::ChangeBilling { indexes, .. }] if indexes.len() == 1),
        "{events:?}"
    );

    apply_and_check(&connection, &larger, false).await;
    let index_only = provisioned_schema(
        Throughput { read: 10, write: 5 },
        Throughput { read: 4, write: 2 },
    );
    let plan = Plan::for_table(&connection, &index_only).await.unwrap();
    assert_eq!(
        plan.to_string(),
        "~ capacity: index EmailIndex: read 3, write 1 -> read 4, write 2\n\
         Plan: 0 to add, 1 to change, 0 to remove.\n"
    );
    apply_and_check(&connection, &index_only, false).await;

    apply_and_check(&connection, &on_demand, false).await;
}

#[tokio::test]
async fn enables_moves_and_disables_ttl() {
    let connection = connect().await;
    let none = ningipoints_schema("ttl");
    provisioned(&connection, &none).await;
    let with = |attribute: &str| {
        let mut schema = none.clone();
        schema.table.ttl_attribute = Some(attribute.to_owned());
        schema
    };

    apply_and_check(&connection, &with("expires_at"), false).await;
    let ttl = connection
        .client()
        .describe_time_to_live()
        .table_name(&none.table.name)
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .unwrap();
    assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));
    assert_eq!(ttl.attribute_name(), Some("expires_at"));

    assert!(matches!(
        apply(&connection, &with("valid_until"), false).await,
        Err(Error::Destructive { .. })
    ));
    let events = apply_and_check(&connection, &with("valid_until"), true).await;
    assert_eq!(
        applied(&events),
        [
            Step::DisableTtl("expires_at".into()),
            Step::EnableTtl("valid_until".into())
        ]
    );

    apply_and_check(&connection, &none, true).await;
}

// Only enabling and disabling: moto refuses to enable a stream on a table that had one
// ("Cannot enable stream"), which DynamoDB allows, so a change of view (disable, then
// enable) is covered by the plan's unit tests only.
#[tokio::test]
async fn enables_and_disables_the_stream() {
    let connection = connect().await;
    let none = ningipoints_schema("stream");
    provisioned(&connection, &none).await;
    let mut with = none.clone();
    with.table.stream = Some(StreamView::NewAndOldImages);

    let events = apply_and_check(&connection, &with, false).await;
    assert_eq!(
        applied(&events),
        [Step::EnableStream(StreamView::NewAndOldImages)]
    );
    let table = connection
        .client()
        .describe_table()
        .table_name(&none.table.name)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let stream = table.stream_specification().unwrap();
    assert!(stream.stream_enabled());
    assert_eq!(
        stream.stream_view_type(),
        Some(&StreamViewType::NewAndOldImages)
    );

    assert!(matches!(
        apply(&connection, &none, false).await,
        Err(Error::Destructive { .. })
    ));
    apply_and_check(&connection, &none, true).await;
}

#[tokio::test]
async fn turns_deletion_protection_on_and_off() {
    let connection = connect().await;
    let plain = ningipoints_schema("protection");
    provisioned(&connection, &plain).await;
    let mut protected = plain.clone();
    protected.table.deletion_protection = true;

    let events = apply_and_check(&connection, &protected, false).await;
    assert_eq!(applied(&events), [Step::EnableDeletionProtection]);
    let delete = || {
        connection
            .client()
            .delete_table()
            .table_name(&plain.table.name)
            .send()
    };
    assert!(
        delete().await.is_err(),
        "a protected table cannot be deleted"
    );

    assert!(matches!(
        apply(&connection, &plain, false).await,
        Err(Error::Destructive { .. })
    ));
    let events = apply_and_check(&connection, &plain, true).await;
    assert_eq!(applied(&events), [Step::DisableDeletionProtection]);
    delete().await.expect("an unprotected table can be deleted");
}

#[tokio::test]
async fn key_schema_and_local_index_changes_are_refused_before_anything_changes() {
    let connection = connect().await;
    let full = ningipoints_schema("not-in-place");
    let mut bare = full.clone();
    bare.indexes.clear();
    provisioned(&connection, &bare).await;

    // An index to add, and a sort key DynamoDB cannot change: nothing is applied.
    let mut wanted = full.clone();
    wanted.table.sort_key = Some(KeyAttribute {
        name: "SK".into(),
        kind: KeyType::N,
    });
    match apply(&connection, &wanted, true).await {
        Err(err @ Error::NotInPlace { .. }) => {
            let message = err.to_string();
            assert!(message.contains("its sort key is SK (S)"), "{message}");
            assert!(message.contains("create a new table"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(live(&connection, &bare).await, bare, "nothing changed");

    let with_local = Schema::parse(
        &format!(
            "[table]\nname = \"{}\"\npartition_key = {{ name = \"PK\", type = \"S\" }}\nsort_key = {{ name = \"SK\", type = \"S\" }}\n\n[[local_index]]\nname = \"ByDate\"\nsort_key = {{ name = \"date\", type = \"S\" }}\nprojection = \"ALL\"\n",
            bare.table.name
        ),
        "inline.toml",
    )
    .unwrap();
    assert!(matches!(
        Plan::for_table(&connection, &with_local).await,
        Err(Error::NotInPlace { .. })
    ));
}

#[tokio::test]
async fn an_interrupted_apply_finishes_when_run_again() {
    let connection = connect().await;
    let full = ningipoints_schema("interrupted");
    let mut bare = full.clone();
    bare.indexes.clear();
    provisioned(&connection, &bare).await;
    let mut wanted = full.clone();
    wanted.table.deletion_protection = true;
    wanted.table.ttl_attribute = Some("expires_at".into());
    assert_eq!(
        Plan::for_table(&connection, &wanted).await.unwrap().steps,
        [
            Step::EnableDeletionProtection,
            Step::AddIndex(full.indexes[0].clone()),
            Step::EnableTtl("expires_at".into())
        ]
    );

    // Stop the apply as a killed process would: drop it once its first step is done.
    let (done, first_step_done) = futures::channel::oneshot::channel();
    let mut done = Some(done);
    let options = options(false);
    let run = migrate::apply(&connection, &wanted, &options, |event| {
        if let (Event::Applied(_), Some(done)) = (event, done.take()) {
            let _ = done.send(());
        }
    });
    tokio::select! {
        biased;
        _ = first_step_done => {}
        outcome = run => panic!("the apply finished before it was stopped: {outcome:?}"),
    }

    let remaining = Plan::for_table(&connection, &wanted).await.unwrap();
    assert_eq!(
        remaining.steps,
        [
            Step::AddIndex(full.indexes[0].clone()),
            Step::EnableTtl("expires_at".into())
        ]
    );
    let events = apply_and_check(&connection, &wanted, false).await;
    assert_eq!(applied(&events), remaining.steps);
    // Leave the table deletable.
    let mut unprotected = wanted.clone();
    unprotected.table.deletion_protection = false;
    apply(&connection, &unprotected, true).await.unwrap();
}

#[tokio::test]
async fn concurrent_applies_create_the_table_once() {
    let schema = ningipoints_schema("apply-race");
    let connection = connect().await;
    // Collected, so that all of them are spawned before the first is awaited.
    let runs: Vec<_> = (0..3)
        .map(|_| {
            let schema = schema.clone();
            let connection = connection.clone();
            tokio::spawn(async move { apply(&connection, &schema, false).await.unwrap().1 })
        })
        .collect();
    let mut created = 0;
    for run in runs {
        let events = run.await.unwrap();
        created += events
            .iter()
            .filter(|e| matches!(e, Event::CreatedTable(_)))
            .count();
    }
    assert_eq!(created, 1);
    assert_eq!(live(&connection, &schema).await, schema);
}
