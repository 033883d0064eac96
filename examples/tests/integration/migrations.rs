//! The ningipoints data migrations: every balance recomputed from its operations, every
//! email guarded.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use dynaschema::migrate::MigrationState;
use dynaschema::{provision, Entity};
use dynaschema_tests::{connect, ningipoints_schema};
use futures::TryStreamExt;
use ningipoints::migrations;
use ningipoints::{Account, Ningipoints, OperationType};

async fn points(purpose: &str) -> Ningipoints {
    let schema = ningipoints_schema(purpose);
    let connection = connect().await;
    provision::provision(&connection, &schema, Duration::from_secs(60), |_| {})
        .await
        .unwrap();
    Ningipoints::new(connection).with_table_name(&schema.table.name)
}

/// Sets a balance behind the API's back, as a bug or a hand edit would.
async fn corrupt(points: &Ningipoints, id: u64, balance: i64) {
    let table = points.table();
    table
        .client()
        .update_item()
        .table_name(table.name())
        .set_key(Some(Account::key(id).to_item().unwrap()))
        .update_expression("SET balance = :b")
        .expression_attribute_values(":b", AttributeValue::N(balance.to_string()))
        .send()
        .await
        .unwrap();
}

async fn balances(points: &Ningipoints) -> Vec<(u64, i64)> {
    points
        .get_accounts()
        .await
        .unwrap()
        .iter()
        .map(|a| (a.id, a.balance))
        .collect()
}

#[tokio::test]
async fn recompute_balances_fixes_exactly_the_wrong_ones() {
    let points = points("recompute").await;
    for id in 1..=30_u64 {
        points
            .create_account(id, "x", &format!("x{id}@x.org"))
            .await
            .unwrap();
        points
            .create_operation(id, OperationType::Credit, 10 * id)
            .await
            .unwrap();
        if id % 2 == 0 {
            points
                .create_operation(id, OperationType::Debit, id)
                .await
                .unwrap();
        }
    }
    let right = balances(&points).await;
    for id in [3, 8, 21] {
        corrupt(&points, id, -999).await;
    }
    points
        .create_account(31, "no operations", "x31@x.org")
        .await
        .unwrap();
    corrupt(&points, 31, 5).await;

    let migrator = migrations::migrator(points.table()).unwrap();
    let would = std::sync::Mutex::new(Vec::new());
    migrator
        .run(true, |e| would.lock().unwrap().push(e.to_string()))
        .await
        .unwrap();
    assert!(
        would
            .lock()
            .unwrap()
            .iter()
            .any(|line| line.ends_with("pending, would touch 4 items")),
        "{would:?}"
    );
    assert_eq!(
        points.get_account(3).await.unwrap().unwrap().balance,
        -999,
        "a dry run changes nothing"
    );

    assert_eq!(migrator.run(false, |_| {}).await.unwrap(), [1, 2]);
    let mut expected = right;
    expected.push((31, 0));
    assert_eq!(balances(&points).await, expected);
    let statuses = migrator.status().await.unwrap();
    let MigrationState::Applied(record) = &statuses[0].state else {
        panic!("{statuses:?}")
    };
    assert_eq!(record.items_touched, 4);

    // Recorded once: a second run does nothing, and the records are not accounts.
    assert_eq!(
        migrator.run(false, |_| {}).await.unwrap(),
        Vec::<u32>::new()
    );
    assert_eq!(points.get_accounts().await.unwrap().len(), 31);
}

/// The sum of an account's operations, credits minus debits.
async fn operations_sum(points: &Ningipoints, id: u64) -> i64 {
    points
        .get_operations(id)
        .await
        .unwrap()
        .iter()
        .map(|op| match op.kind {
            OperationType::Credit => op.amount as i64,
            OperationType::Debit => -(op.amount as i64),
        })
        .sum()
}

#[tokio::test]
async fn operations_written_during_the_migration_are_not_lost() {
    let points = points("recompute-concurrent").await;
    let ids = 1..=12_u64;
    for id in ids.clone() {
        points
            .create_account(id, "x", &format!("x{id}@x.org"))
            .await
            .unwrap();
        points
            .create_operation(id, OperationType::Credit, 1_000)
            .await
            .unwrap();
        corrupt(&points, id, -1).await;
    }

    // Credits and debits go on while the migration reads and writes the balances.
    let writer = async {
        for round in 0..6_u64 {
            for id in ids.clone() {
                let kind = if round % 2 == 0 {
                    OperationType::Credit
                } else {
                    OperationType::Debit
                };
                points.create_operation(id, kind, round + id).await.unwrap();
            }
        }
    };
    let migrator = migrations::migrator(points.table()).unwrap();
    let (migrated, ()) = tokio::join!(migrator.run(false, |_| {}), writer);
    assert_eq!(migrated.unwrap(), [1, 2]);

    for id in ids {
        let balance = points.get_account(id).await.unwrap().unwrap().balance;
        assert_eq!(
            balance,
            operations_sum(&points, id).await,
            "account {id}: the balance is not the sum of its operations"
        );
    }
}

/// Writes `email`'s account `id` as a version without unique emails did: no guard.
async fn unguarded_account(points: &Ningipoints, id: u64, email: &str) {
    let account = Account {
        id,
        name: format!("holder {id}"),
        email: email.to_owned(),
        balance: 0,
        created_at: dynaschema::Timestamp::now(),
    };
    dynaschema_tests::put_raw(points.table(), account.to_item().unwrap()).await;
}

/// The emails whose guards the table holds, with the id of the account holding each.
async fn guarded_emails(points: &Ningipoints) -> Vec<(String, u64)> {
    let items: Vec<dynaschema::Item> = points
        .table()
        .scan_items()
        .consistent()
        .stream()
        .try_collect()
        .await
        .unwrap();
    let text = |item: &dynaschema::Item, name: &str| match item.get(name) {
        Some(AttributeValue::S(text)) => text.clone(),
        other => panic!("{name} is {other:?}"),
    };
    let mut guarded: Vec<(String, u64)> = items
        .iter()
        .filter_map(|item| {
            let email = text(item, "PK")
                .strip_prefix("_unique#Account#email#")?
                .to_owned();
            let holder = text(item, "_holder_pk");
            Some((email, holder["ACCOUNT#".len()..].parse().unwrap()))
        })
        .collect();
    guarded.sort();
    guarded
}

#[tokio::test]
async fn guard_emails_guards_the_accounts_opened_before_unless_they_share_one() {
    let points = points("guard-emails").await;
    unguarded_account(&points, 1, "ana@x.org").await;
    unguarded_account(&points, 2, "bia@x.org").await;
    unguarded_account(&points, 3, "ana@x.org").await;
    points.create_account(4, "x", "dan@x.org").await.unwrap();
    let guarded = |pairs: &[(&str, u64)]| -> Vec<(String, u64)> {
        pairs.iter().map(|(e, id)| (e.to_string(), *id)).collect()
    };
    let migrator = migrations::migrator(points.table()).unwrap();
    // The dry run and the run both name the accounts sharing an email; neither writes.
    for dry_run in [true, false] {
        let err = migrator.run(dry_run, |_| {}).await.unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("data migration 2 (write the guard of every account's email"),
            "{message}"
        );
        assert!(
            message.contains("one email is shared: accounts 1, 3 have email ana@x.org;"),
            "{message}"
        );
        assert!(message.contains("then migrate again"), "{message}");
        assert_eq!(guarded_emails(&points).await, guarded(&[("dan@x.org", 4)]));
    }
    let statuses = migrator.status().await.unwrap();
    assert!(matches!(statuses[0].state, MigrationState::Applied(_)));
    assert!(matches!(statuses[1].state, MigrationState::Pending));

    // Given its own email, the third account is guarded with the others; the account
    // opened with its guard is counted as one the migration leaves alone.
    unguarded_account(&points, 3, "cai@x.org").await;
    let would = std::sync::Mutex::new(Vec::new());
    migrator
        .run(true, |e| would.lock().unwrap().push(e.to_string()))
        .await
        .unwrap();
    let would = would.into_inner().unwrap();
    assert!(
        would
            .iter()
            .any(|line| line.starts_with("migration 2 ") && line.ends_with("would touch 3 items")),
        "{would:?}"
    );
    assert_eq!(guarded_emails(&points).await, guarded(&[("dan@x.org", 4)]));
    assert_eq!(migrator.run(false, |_| {}).await.unwrap(), [2]);
    let all = [
        ("ana@x.org", 1),
        ("bia@x.org", 2),
        ("cai@x.org", 3),
        ("dan@x.org", 4),
    ];
    assert_eq!(guarded_emails(&points).await, guarded(&all));
    match points.create_account(9, "x", "ana@x.org").await {
        Err(ningipoints::Error::EmailInUse { id, .. }) => assert_eq!(id, 1),
        other => panic!("expected the email in use, got {other:?}"),
    }
    let MigrationState::Applied(record) = &migrator.status().await.unwrap()[1].state else {
        panic!("migration 2 applied")
    };
    assert_eq!(record.items_touched, 3);
    assert_eq!(points.get_accounts().await.unwrap().len(), 4);
}

#[test]
fn the_applied_migration_keeps_its_checksum() {
    // Tables record m0001 with this checksum: a change to its file would make every
    // runner stop with MigrationModified. Changes go into a new migration.
    assert_eq!(
        migrations::MIGRATIONS[0].checksum(),
        "b347df34d5580e7c7fb0cf35f5e3e3bcb12927d54bd5012e61a6917a9809c7c0"
    );
}
