//! Bulk work with bounded concurrency against a one-request-per-item sequential
//! baseline, on a local moto server started for this benchmark:
//!
//! - `delete_account` of an account with 10,000 operations, against a DeleteItem per
//!   item, one after another (the baseline is even given the keys, so it reads nothing);
//! - the data migration m0001 (recompute balances) over 10,000 items (1,000 accounts of 9
//!   operations, every balance wrong), against reading every item with its own GetItem
//!   and writing each balance with its own UpdateItem, one after another.
//!
//! Each round makes fresh data for each side, untimed, then times the side; rounds
//! alternate the sides so that drift in the machine's load hits both. Prints the median
//! of each and their ratio. `BULK_ITEMS` (default 10000) and `BULK_ROUNDS` (default 3)
//! change the size and the number of rounds. See BENCHMARKS.md.
//!
//! The server serves requests concurrently ([`dynaschema_tests::endpoint_threaded`]):
//! the point is how many requests are in flight, and nothing here runs a transaction.

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use dynaschema::migrate::{MigrateEvent, Migrator};
use dynaschema::{provision, ClientConfig, Connection, Entity, Table, Timestamp};
use dynaschema_tests::{endpoint_threaded, ningipoints_schema};
use ningipoints::migrations::MIGRATIONS;
use ningipoints::{Account, Ningipoints, Operation, OperationType};

/// Operations per account in the migration's data.
const OPERATIONS_PER_ACCOUNT: usize = 9;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn connection() -> Connection {
    ClientConfig::local_default()
        .endpoint(endpoint_threaded())
        .connect()
        .await
        .expect("a client for a loopback endpoint always builds")
}

/// A fresh table of the ningipoints schema.
async fn fresh(connection: &Connection, purpose: &str) -> Ningipoints {
    let schema = ningipoints_schema(purpose);
    provision::provision(connection, &schema, Duration::from_secs(60), |_| {})
        .await
        .expect("the table is provisioned");
    Ningipoints::new(connection.clone()).with_table_name(&schema.table.name)
}

fn operations(account_id: u64, n: usize) -> Vec<Operation> {
    let start = Timestamp::parse("2026-11-24T21:16:54Z")
        .expect("valid")
        .as_unix_micros();
    (0..n)
        .map(|i| Operation {
            account_id,
            kind: if i % 3 == 2 {
                OperationType::Debit
            } else {
                OperationType::Credit
            },
            amount: 1 + (i % 7) as u64,
            created_at: Timestamp::from_unix_micros(start + i as i64),
        })
        .collect()
}

async fn timed<F: Future<Output = ()>>(work: F) -> Duration {
    let start = Instant::now();
    work.await;
    start.elapsed()
}

/// An account with `n` operations, written in batches.
async fn account_with_operations(points: &Ningipoints, n: usize) -> Vec<Operation> {
    points
        .create_account(1, "bulk", "bulk@example.org")
        .await
        .expect("created");
    let operations = operations(1, n);
    points
        .table()
        .batch_write()
        .put_all(&operations)
        .await
        .expect("written");
    operations
}

/// The baseline: a DeleteItem per item, one after another.
async fn delete_one_by_one(table: &Table, operations: &[Operation]) {
    let client = table.client();
    let keys = std::iter::once(Account::key(1).into_item().expect("valid")).chain(
        operations
            .iter()
            .map(|o| o.key().into_item().expect("valid")),
    );
    for key in keys {
        client
            .delete_item()
            .table_name(table.name())
            .set_key(Some(key))
            .send()
            .await
            .expect("deleted");
    }
}

/// 1,000 accounts (for 10,000 items) with their operations, every balance off by 1000.
async fn accounts_with_wrong_balances(points: &Ningipoints, items: usize) -> Vec<Account> {
    let n_accounts = items / (OPERATIONS_PER_ACCOUNT + 1);
    let accounts: Vec<Account> = (1..=n_accounts as u64)
        .map(|id| Account {
            id,
            name: format!("account {id}"),
            email: format!("a{id}@example.org"),
            balance: 1_000,
            created_at: Timestamp::from_unix_micros(1_795_900_000_000_000),
        })
        .collect();
    let operations: Vec<Operation> = accounts
        .iter()
        .flat_map(|a| operations(a.id, OPERATIONS_PER_ACCOUNT))
        .collect();
    points
        .table()
        .batch_write()
        .put_all(&accounts)
        .put_all(&operations)
        .await
        .expect("written");
    accounts
}

/// The baseline: every item read with its own GetItem, each balance written with its
/// own UpdateItem, one request after another.
async fn recompute_one_by_one(table: &Table, accounts: &[Account]) {
    let client = table.client();
    let get = |key: HashMap<String, AttributeValue>| {
        client
            .get_item()
            .table_name(table.name())
            .set_key(Some(key))
            .consistent_read(true)
            .send()
    };
    for account in accounts {
        let item = get(Account::key(account.id).into_item().expect("valid"))
            .await
            .expect("read")
            .item
            .expect("the account exists");
        let stored = Account::from_item(&item).expect("an account");
        let mut sum = 0;
        for operation in operations(account.id, OPERATIONS_PER_ACCOUNT) {
            let item = get(operation.key().into_item().expect("valid"))
                .await
                .expect("read")
                .item
                .expect("the operation exists");
            sum += Operation::from_item(&item)
                .expect("an operation")
                .signed_amount();
        }
        if sum != stored.balance {
            table
                .update(Account::key(account.id), |u| {
                    u.set(Account::BALANCE, sum)
                        .require(Account::BALANCE.eq(stored.balance))
                })
                .await
                .expect("updated");
        }
    }
}

/// Every balance is the sum of its account's operations.
async fn check_balances(points: &Ningipoints) {
    let table = points.table();
    let mut sums: HashMap<u64, i64> = HashMap::new();
    for operation in table.scan::<Operation>().all().await.expect("read") {
        *sums.entry(operation.account_id).or_default() += operation.signed_amount();
    }
    for account in table.scan::<Account>().all().await.expect("read") {
        let sum = sums.get(&account.id).copied().unwrap_or(0);
        assert_eq!(account.balance, sum, "account {}", account.id);
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn report(name: &str, items: usize, baseline: Vec<Duration>, bulk: Vec<Duration>) {
    let (baseline, bulk) = (median(baseline), median(bulk));
    println!(
        "{name}: {items} items, one request per item {:.2} s, bounded concurrency {:.2} s: {:.1}x faster",
        baseline.as_secs_f64(),
        bulk.as_secs_f64(),
        baseline.as_secs_f64() / bulk.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; a filter naming neither benchmark skips them.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wanted = |name: &str| filter.as_ref().is_none_or(|f| name.contains(f.as_str()));
    let items = env_number("BULK_ITEMS", 10_000);
    let rounds = env_number("BULK_ROUNDS", 3).max(1);
    let connection = connection().await;

    if wanted("delete_account") {
        let (mut baseline, mut bulk) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            let points = fresh(&connection, "bulk-delete-baseline").await;
            let operations = account_with_operations(&points, items - 1).await;
            baseline.push(timed(delete_one_by_one(points.table(), &operations)).await);

            let points = fresh(&connection, "bulk-delete").await;
            account_with_operations(&points, items - 1).await;
            bulk.push(
                timed(async {
                    assert_eq!(points.delete_account(1).await.expect("deleted"), items - 1);
                })
                .await,
            );
            assert!(points.get_operations(1).await.expect("read").is_empty());
            eprintln!(
                "delete_account round {}: baseline {:?}, bulk {:?}",
                round + 1,
                baseline[round],
                bulk[round]
            );
        }
        report("delete_account", items, baseline, bulk);
    }

    if wanted("migration") {
        let (mut baseline, mut bulk) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            let points = fresh(&connection, "bulk-migrate-baseline").await;
            let accounts = accounts_with_wrong_balances(&points, items).await;
            baseline.push(timed(recompute_one_by_one(points.table(), &accounts)).await);
            check_balances(&points).await;

            let points = fresh(&connection, "bulk-migrate").await;
            accounts_with_wrong_balances(&points, items).await;
            let migrator = Migrator::new(points.table(), MIGRATIONS).expect("valid");
            bulk.push(
                timed(async {
                    let body = std::sync::Mutex::new(None);
                    let applied = migrator
                        .run(false, |event| {
                            if let MigrateEvent::Applied { duration, .. } = event {
                                *body.lock().expect("not poisoned") = Some(*duration);
                            }
                        })
                        .await
                        .expect("applied");
                    assert_eq!(applied, [1]);
                    eprintln!(
                        "  the migration's body: {:?}",
                        body.lock().expect("not poisoned")
                    );
                })
                .await,
            );
            check_balances(&points).await;
            eprintln!(
                "migration round {}: baseline {:?}, bulk {:?}",
                round + 1,
                baseline[round],
                bulk[round]
            );
        }
        report("migration m0001", items, baseline, bulk);
    }
}
