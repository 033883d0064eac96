//! Versioned data migrations against a live server: order, records, the lease, failures,
//! modified and missing migrations.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use dynaschema::migrate::{MigrateEvent, Migration, MigrationContext, MigrationState, Migrator};
use dynaschema::{Error, Schema, Table};
use dynaschema_tests::entities::{account, Account};
use dynaschema_tests::{connect, provisioned_table, unique_table_name};
use futures::future::BoxFuture;

async fn balance(table: &Table, id: u64) -> i64 {
    table
        .get(Account::key(id))
        .consistent()
        .await
        .unwrap()
        .unwrap()
        .balance
}

/// Adds 10 to account 1's balance.
fn add_ten<'a>(ctx: &'a MigrationContext<'a>) -> BoxFuture<'a, dynaschema::Result<()>> {
    Box::pin(async move {
        ctx.touched(1);
        if !ctx.is_dry_run() {
            ctx.table()
                .update(Account::key(1), |u| u.add(Account::BALANCE, 10_i64))
                .await?;
        }
        Ok(())
    })
}

/// Adds 5 to account 1's balance, and requires add_ten to have run first.
fn add_five_after_ten<'a>(ctx: &'a MigrationContext<'a>) -> BoxFuture<'a, dynaschema::Result<()>> {
    Box::pin(async move {
        ctx.touched(1);
        if !ctx.is_dry_run() {
            ctx.table()
                .update(Account::key(1), |u| {
                    u.add(Account::BALANCE, 5_i64)
                        .require(Account::BALANCE.eq(10_i64))
                })
                .await?;
        }
        Ok(())
    })
}

/// Like add_ten, slowly, so that a second runner meets the lease.
fn add_ten_slowly<'a>(ctx: &'a MigrationContext<'a>) -> BoxFuture<'a, dynaschema::Result<()>> {
    Box::pin(async move {
        for step in 1..=4 {
            tokio::time::sleep(Duration::from_millis(250)).await;
            ctx.progress(step, Some(4));
        }
        add_ten(ctx).await
    })
}

/// Fails while account 1 is named "fail", else adds 10.
fn fails_on_name<'a>(ctx: &'a MigrationContext<'a>) -> BoxFuture<'a, dynaschema::Result<()>> {
    Box::pin(async move {
        let account = ctx
            .table()
            .get(Account::key(1))
            .consistent()
            .await?
            .expect("account 1");
        if account.name == "fail" {
            return Err(Error::Config("account 1 is named fail".to_owned()));
        }
        add_ten(ctx).await
    })
}

/// The application whose migrations the tests run.
const APP: &str = "test-app";

const TEN: Migration = Migration::new(1, "add ten", "add ten, v1", add_ten);
const FIVE: Migration = Migration::new(2, "add five after ten", "add five, v1", add_five_after_ten);

async fn table_with_account(purpose: &str) -> Table {
    let table = provisioned_table(purpose).await;
    table.put(&account(1, "ana")).await.unwrap();
    table
}

#[tokio::test]
async fn migrations_run_in_order_once_and_stay_out_of_entity_reads() {
    let table = table_with_account("dm-order").await;
    // Given out of order: ids order them.
    let migrator = Migrator::new(&table, APP, &[FIVE, TEN]).unwrap();
    let statuses = migrator.status().await.unwrap();
    assert!(
        statuses.iter().all(|s| s.state == MigrationState::Pending),
        "{statuses:?}"
    );

    let events = std::sync::Mutex::new(Vec::new());
    let applied = migrator
        .run(false, |e| events.lock().unwrap().push(e.to_string()))
        .await
        .unwrap();
    assert_eq!(applied, [1, 2]);
    assert_eq!(balance(&table, 1).await, 15);
    let events = events.into_inner().unwrap();
    assert_eq!(events[0], "migration 1 (add ten): running");
    assert!(
        events[1].starts_with("migration 1 (add ten): applied, 1 item touched in "),
        "{events:?}"
    );

    assert_eq!(
        migrator.run(false, |_| {}).await.unwrap(),
        Vec::<u32>::new()
    );
    assert_eq!(balance(&table, 1).await, 15, "nothing ran twice");

    let statuses = migrator.status().await.unwrap();
    for (status, id) in statuses.iter().zip([1, 2]) {
        let MigrationState::Applied(record) = &status.state else {
            panic!("{status:?}")
        };
        assert_eq!((record.id, record.items_touched), (id, 1));
    }

    // The records are items of the table, but no entity read sees them.
    assert_eq!(table.scan::<Account>().all().await.unwrap().len(), 1);
    assert_eq!(
        table
            .index::<Account>("EmailIndex")
            .scan()
            .all()
            .await
            .unwrap()
            .len(),
        1
    );
    let raw = table
        .client()
        .scan()
        .table_name(table.name())
        .send()
        .await
        .unwrap();
    assert_eq!(
        raw.count(),
        3,
        "the account and two records; the lease is released"
    );
}

#[tokio::test]
async fn a_dry_run_counts_and_writes_nothing() {
    let table = table_with_account("dm-dry").await;
    let migrator = Migrator::new(&table, APP, &[TEN, FIVE]).unwrap();
    let events = std::sync::Mutex::new(Vec::new());
    let would = migrator
        .run(true, |e| events.lock().unwrap().push(e.clone()))
        .await
        .unwrap();
    assert_eq!(would, [1, 2]);
    assert!(events
        .lock()
        .unwrap()
        .iter()
        .any(|e| e.to_string() == "migration 1 (add ten): pending, would touch 1 item"));
    assert_eq!(balance(&table, 1).await, 0);
    assert!(migrator
        .status()
        .await
        .unwrap()
        .iter()
        .all(|s| s.state == MigrationState::Pending));
}

#[tokio::test]
async fn two_concurrent_runners_apply_a_migration_once() {
    let table = table_with_account("dm-concurrent").await;
    let slow = [Migration::new(
        1,
        "add ten slowly",
        "slow v1",
        add_ten_slowly,
    )];
    let run = |holder: &'static str| {
        let table = table.clone();
        tokio::spawn(async move {
            let migrator = Migrator::new(&table, APP, &slow)
                .unwrap()
                .holder(holder)
                .wait_for_lease(Duration::from_secs(30));
            migrator.run(false, |_| {}).await
        })
    };
    let (a, b) = (run("runner-a"), run("runner-b"));
    let (a, b) = (a.await.unwrap().unwrap(), b.await.unwrap().unwrap());
    let mut applied = [a, b].concat();
    applied.sort();
    assert_eq!(applied, [1], "exactly one runner applied it");
    assert_eq!(balance(&table, 1).await, 10);
}

#[tokio::test]
async fn a_runner_that_does_not_wait_names_the_holder() {
    let table = table_with_account("dm-locked").await;
    let slow = [Migration::new(
        1,
        "add ten slowly",
        "slow v1",
        add_ten_slowly,
    )];
    let first = {
        let table = table.clone();
        tokio::spawn(async move {
            Migrator::new(&table, APP, &slow)
                .unwrap()
                .holder("runner-a")
                .run(false, |_| {})
                .await
        })
    };
    // The first runner holds the lease once its migration reports progress.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let err = Migrator::new(&table, APP, &slow)
        .unwrap()
        .holder("runner-b")
        .wait_for_lease(Duration::ZERO)
        .run(false, |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::MigrationLocked { holder, .. } if holder == "runner-a"),
        "{err}"
    );
    assert!(err.to_string().contains("runner-a"), "{err}");
    assert_eq!(first.await.unwrap().unwrap(), [1]);
    assert_eq!(balance(&table, 1).await, 10);
}

#[tokio::test]
async fn an_expired_lease_is_taken_over() {
    let table = table_with_account("dm-expired").await;
    // A runner that died holding the lease, long expired.
    table
        .client()
        .put_item()
        .table_name(table.name())
        .item(
            "PK",
            AttributeValue::S(format!("_dynaschema#migrations#{APP}")),
        )
        .item("SK", AttributeValue::S("LEASE".into()))
        .item("lease_holder", AttributeValue::S("ghost:1".into()))
        .item("lease_expires_at", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    let applied = Migrator::new(&table, APP, &[TEN])
        .unwrap()
        .run(false, |_| {})
        .await
        .unwrap();
    assert_eq!(applied, [1]);
}

#[tokio::test]
async fn a_failed_migration_is_not_recorded_and_runs_again_next_time() {
    let table = provisioned_table("dm-failed").await;
    table.put(&account(1, "fail")).await.unwrap();
    let migrations = [
        Migration::new(1, "fails on a name", "fails v1", fails_on_name),
        FIVE,
    ];
    let migrator = Migrator::new(&table, APP, &migrations).unwrap();

    let err = migrator.run(false, |_| {}).await.unwrap_err();
    assert!(matches!(err, Error::MigrationFailed { id: 1, .. }), "{err}");
    assert!(err.to_string().contains("account 1 is named fail"), "{err}");
    assert!(migrator
        .status()
        .await
        .unwrap()
        .iter()
        .all(|s| s.state == MigrationState::Pending));
    assert_eq!(balance(&table, 1).await, 0);

    table
        .update(Account::key(1), |u| u.set(Account::NAME, "ana"))
        .await
        .unwrap();
    assert_eq!(migrator.run(false, |_| {}).await.unwrap(), [1, 2]);
    assert_eq!(balance(&table, 1).await, 15);
}

#[tokio::test]
async fn a_modified_migration_blocks_the_run() {
    let table = table_with_account("dm-modified").await;
    Migrator::new(&table, APP, &[TEN])
        .unwrap()
        .run(false, |_| {})
        .await
        .unwrap();

    let changed = Migration::new(1, "add ten", "add ten, v2", add_ten);
    let migrator = Migrator::new(&table, APP, &[changed, FIVE]).unwrap();
    let err = migrator.run(false, |_| {}).await.unwrap_err();
    assert!(
        matches!(&err, Error::MigrationModified { id: 1, .. }),
        "{err}"
    );
    assert!(err.to_string().contains(&TEN.checksum()), "{err}");
    assert_eq!(balance(&table, 1).await, 10, "nothing ran");
    let statuses = migrator.status().await.unwrap();
    assert!(
        matches!(statuses[0].state, MigrationState::Modified { .. }),
        "{statuses:?}"
    );
    assert_eq!(statuses[1].state, MigrationState::Pending);
}

#[tokio::test]
async fn a_recorded_migration_missing_from_the_code_blocks_the_run() {
    let table = table_with_account("dm-missing").await;
    Migrator::new(&table, APP, &[TEN, FIVE])
        .unwrap()
        .run(false, |_| {})
        .await
        .unwrap();
    let migrator = Migrator::new(&table, APP, &[TEN]).unwrap();
    let err = migrator.run(false, |_| {}).await.unwrap_err();
    assert!(
        matches!(err, Error::MigrationMissing { id: 2, .. }),
        "{err}"
    );
    let statuses = migrator.status().await.unwrap();
    assert!(
        matches!(statuses[1].state, MigrationState::Missing(_)),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn ids_are_unique_and_the_table_needs_string_keys() {
    let table = table_with_account("dm-config").await;
    let err = Migrator::new(
        &table,
        APP,
        &[TEN, Migration::new(1, "again", "x", add_ten)],
    )
    .err()
    .unwrap();
    assert!(
        err.to_string().contains("two data migrations have id 1"),
        "{err}"
    );

    let schema = Schema::parse(
        &format!(
            "[table]\nname = \"{}\"\npartition_key = {{ name = \"PK\", type = \"S\" }}\n",
            unique_table_name("dm-nosk")
        ),
        "inline.toml",
    )
    .unwrap();
    let table = Table::new(connect().await, schema);
    let err = Migrator::new(&table, APP, &[TEN]).err().unwrap();
    assert!(matches!(err, Error::Config(_)), "{err}");
}

#[test]
fn events_read_as_lines() {
    let event = MigrateEvent::Progress {
        id: 3,
        done: 5,
        total: Some(10),
        eta: None,
    };
    assert_eq!(event.to_string(), "migration 3: 5/10");
    let event = MigrateEvent::Progress {
        id: 3,
        done: 5,
        total: Some(10),
        eta: Some(Duration::from_millis(12_400)),
    };
    assert_eq!(event.to_string(), "migration 3: 5/10, about 12s left");
    let event = MigrateEvent::Estimate {
        id: 3,
        read_units: 250,
        write_units: 1_000,
    };
    assert_eq!(
        event.to_string(),
        "migration 3: would consume about 250 read units and 1000 write units"
    );
    let event = MigrateEvent::WouldWrite {
        id: 3,
        write: "update Order CUSTOMER#ann/ORDER#7".to_owned(),
    };
    assert_eq!(
        event.to_string(),
        "migration 3: would update Order CUSTOMER#ann/ORDER#7"
    );
    assert_eq!(
        MigrateEvent::UpToDate.to_string(),
        "no pending data migrations"
    );
}

#[tokio::test]
async fn two_applications_sharing_a_table_keep_their_migrations_apart() {
    let table = table_with_account("dm-apps").await;
    let billing = Migrator::new(&table, "billing", &[TEN]).unwrap();
    assert_eq!(billing.run(false, |_| {}).await.unwrap(), [1]);

    // Another application's migration 1 is its own: neither applied nor modified, and
    // billing's record is not missing from its code.
    let audit_migration = Migration::new(1, "audit", "audit, v1", add_five_after_ten);
    let audit = Migrator::new(&table, "audit", &[audit_migration]).unwrap();
    let statuses = audit.status().await.unwrap();
    assert_eq!(statuses.len(), 1, "{statuses:?}");
    assert_eq!(statuses[0].state, MigrationState::Pending);
    assert_eq!(audit.run(false, |_| {}).await.unwrap(), [1]);
    assert_eq!(balance(&table, 1).await, 15);

    let statuses = billing.status().await.unwrap();
    assert_eq!(statuses.len(), 1, "{statuses:?}");
    assert!(matches!(&statuses[0].state, MigrationState::Applied(r) if r.description == "add ten"));
    assert_eq!(billing.run(false, |_| {}).await.unwrap(), Vec::<u32>::new());
}

#[tokio::test]
async fn records_of_no_application_are_adopted_only_when_asked() {
    let table = table_with_account("dm-unnamed").await;
    // TEN ran before migrations belonged to an application, and recorded it so.
    table
        .update(Account::key(1), |u| u.set(Account::BALANCE, 10_i64))
        .await
        .unwrap();
    let n = |v: u64| AttributeValue::N(v.to_string());
    table
        .client()
        .put_item()
        .table_name(table.name())
        .item("PK", AttributeValue::S("_dynaschema#migrations".into()))
        .item("SK", AttributeValue::S("MIGRATION#0000000001".into()))
        .item("migration_id", n(1))
        .item("description", AttributeValue::S("add ten".into()))
        .item("checksum", AttributeValue::S(TEN.checksum()))
        .item(
            "applied_at",
            AttributeValue::S("2026-11-25T02:30:33.196130Z".into()),
        )
        .item("duration_ms", n(8))
        .item("items_touched", n(1))
        .send()
        .await
        .unwrap();

    let fresh = Migrator::new(&table, APP, &[TEN, FIVE]).unwrap();
    let states: Vec<_> = fresh
        .status()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.state)
        .collect();
    assert_eq!(states, [MigrationState::Pending, MigrationState::Pending]);

    let adopting = Migrator::new(&table, APP, &[TEN, FIVE])
        .unwrap()
        .adopt_unnamed_records();
    let statuses = adopting.status().await.unwrap();
    assert!(
        matches!(&statuses[0].state, MigrationState::Applied(r) if r.duration_ms == 8),
        "{statuses:?}"
    );
    assert_eq!(statuses[1].state, MigrationState::Pending);
    // Only FIVE runs: TEN's old record counts.
    assert_eq!(adopting.run(false, |_| {}).await.unwrap(), [2]);
    assert_eq!(balance(&table, 1).await, 15);
}

#[tokio::test]
async fn an_application_name_that_cannot_name_a_partition_is_refused() {
    let table = provisioned_table("dm-app-name").await;
    for name in ["", "a#b", "with space"] {
        let err = Migrator::new(&table, name, &[TEN]).err().unwrap();
        assert!(
            err.to_string()
                .contains("cannot name an application's data migrations"),
            "{err}"
        );
    }
}
