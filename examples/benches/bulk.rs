//! Bulk work with bounded concurrency against two references, on a local server started
//! for this benchmark (the embedded dynoxide server, or moto with
//! `DYNASCHEMA_TEST_SERVER=moto`):
//!
//! - `delete_account` of an account with 10,000 operations, against a DeleteItem per
//!   item one after another (the baseline is even given the keys, so it reads nothing),
//!   and against a hand-written keys-only Query and BatchWriteItems of the keys it
//!   returns (also shown: the same BatchWriteItems given the keys, reading nothing);
//! - the data migration m0001 (recompute balances) over 10,000 items (1,000 accounts of 9
//!   operations, every balance wrong), against reading every item with its own GetItem
//!   and writing each balance with its own UpdateItem, one after another, and against a
//!   hand-written parallel Scan followed by the same conditional UpdateItems.
//!
//! The hand-written versions use the raw SDK at the concurrency (and, for the scan, the
//! number of segments) that was fastest in a sweep made first, which the output shows.
//! Each round makes fresh data for each side, untimed, then times the side; rounds
//! alternate the sides so that drift in the machine's load hits all of them. Prints the
//! median of each and their ratios. `BULK_ITEMS` (default 10000) and `BULK_ROUNDS`
//! (default 5) change the size and the number of rounds; `BULK_SWEEP=0` skips the sweep
//! and takes the first candidate, for a quick check that the benchmark runs (as CI
//! does). See BENCHMARKS.md.
//!
//! The server serves requests concurrently ([`dynaschema_tests::endpoint_threaded`]):
//! the point is how many requests are in flight, and nothing here runs a transaction.

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};
use dynaschema::migrate::{MigrateEvent, Migrator};
use dynaschema::{provision, ClientConfig, Connection, Entity, Item, Table, Timestamp};
use dynaschema_tests::{endpoint_threaded, ningipoints_schema, server_kind};
use futures::StreamExt;
use ningipoints::migrations;
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
    ClientConfig::new()
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

/// The keys of the account and its operations.
fn account_keys(operations: &[Operation]) -> Vec<Item> {
    std::iter::once(Account::key(1).into_item().expect("valid"))
        .chain(
            operations
                .iter()
                .map(|o| o.key().into_item().expect("valid")),
        )
        .collect()
}

/// The baseline: a DeleteItem per item, one after another.
async fn delete_one_by_one(table: &Table, keys: Vec<Item>) {
    let client = table.client();
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

/// The keys of every item of account 1's partition, read as a user would by hand: a
/// Query of the key attributes only, page by page.
async fn query_keys_by_hand(table: &Table) -> Vec<Item> {
    let mut keys = Vec::new();
    let mut start = None;
    loop {
        let page = table
            .client()
            .query()
            .table_name(table.name())
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S("ACCOUNT#1".into()))
            .projection_expression("PK, SK")
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("queried");
        keys.extend(page.items().iter().cloned());
        start = page.last_evaluated_key;
        if start.is_none() {
            return keys;
        }
    }
}

/// The hand-written reference: BatchWriteItems of 25 of the keys, `concurrency` at once,
/// each resending what is left unprocessed.
async fn delete_by_hand(table: &Table, keys: Vec<Item>, concurrency: usize) {
    let client = table.client();
    let name = table.name();
    let batches: Vec<Vec<WriteRequest>> = keys
        .chunks(25)
        .map(|chunk| {
            chunk
                .iter()
                .map(|key| {
                    let delete = DeleteRequest::builder()
                        .set_key(Some(key.clone()))
                        .build()
                        .expect("the key is set");
                    WriteRequest::builder().delete_request(delete).build()
                })
                .collect()
        })
        .collect();
    futures::stream::iter(batches)
        .for_each_concurrent(concurrency, |mut requests| async move {
            while !requests.is_empty() {
                let output = client
                    .batch_write_item()
                    .request_items(name, requests)
                    .send()
                    .await
                    .expect("written");
                requests = output
                    .unprocessed_items
                    .and_then(|mut u| u.remove(name))
                    .unwrap_or_default();
            }
        })
        .await;
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
    // An account's email is unique: its guard is written with it, in a transaction of
    // its own, which a batch cannot do.
    let table = points.table();
    futures::stream::iter(&accounts)
        .map(|account| table.put(account).if_not_exists().send())
        .buffer_unordered(16)
        .for_each(|written| async move { written.expect("written") })
        .await;
    table
        .batch_write()
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

/// The hand-written reference: a consistent Scan in `segments` parallel segments that
/// sums each account's operations, then, `concurrency` at once, an UpdateItem per wrong
/// balance on the condition that it is still the balance read.
async fn recompute_by_hand(table: &Table, segments: u32, concurrency: usize) {
    let client = table.client();
    let name = table.name();
    let text = |item: &Item, attribute: &str| match item.get(attribute) {
        Some(AttributeValue::S(value)) => value.clone(),
        other => panic!("{attribute} is {other:?}"),
    };
    let number = |item: &Item, attribute: &str| match item.get(attribute) {
        Some(AttributeValue::N(value)) => value.parse::<i64>().expect("an integer"),
        other => panic!("{attribute} is {other:?}"),
    };
    let scanned = futures::future::join_all((0..segments).map(|segment| async move {
        let (mut balances, mut sums) = (HashMap::new(), HashMap::<String, i64>::new());
        let mut start = None;
        loop {
            let page = client
                .scan()
                .table_name(name)
                .consistent_read(true)
                .segment(segment as i32)
                .total_segments(segments as i32)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scanned");
            for item in page.items() {
                let (pk, sk) = (text(item, "PK"), text(item, "SK"));
                if sk == "ACCOUNT" {
                    balances.insert(pk, number(item, "balance"));
                } else if sk.starts_with("OPERATION#") {
                    let amount = number(item, "amount");
                    let signed = if text(item, "type") == "debit" {
                        -amount
                    } else {
                        amount
                    };
                    *sums.entry(pk).or_default() += signed;
                }
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                return (balances, sums);
            }
        }
    }))
    .await;
    let (mut balances, mut sums) = (HashMap::new(), HashMap::<String, i64>::new());
    for (segment_balances, segment_sums) in scanned {
        balances.extend(segment_balances);
        for (pk, sum) in segment_sums {
            *sums.entry(pk).or_default() += sum;
        }
    }
    futures::stream::iter(balances)
        .for_each_concurrent(concurrency, |(pk, balance)| {
            let sum = sums.get(&pk).copied().unwrap_or(0);
            async move {
                if sum == balance {
                    return;
                }
                client
                    .update_item()
                    .table_name(name)
                    .key("PK", AttributeValue::S(pk))
                    .key("SK", AttributeValue::S("ACCOUNT".into()))
                    .update_expression("SET balance = :sum")
                    .condition_expression("balance = :read")
                    .expression_attribute_values(":sum", AttributeValue::N(sum.to_string()))
                    .expression_attribute_values(":read", AttributeValue::N(balance.to_string()))
                    .send()
                    .await
                    .expect("updated");
            }
        })
        .await;
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

/// The fastest of `candidates`, each timed twice on fresh data (its better time counts),
/// the two passes in turn so that drift in the machine's load hits every candidate.
async fn fastest<C, S, SF, W, WF>(what: &str, candidates: &[C], setup: S, work: W) -> C
where
    C: Copy + std::fmt::Debug,
    S: Fn() -> SF,
    SF: Future<Output = Table>,
    W: Fn(Table, C) -> WF,
    WF: Future<Output = ()>,
{
    if env_number("BULK_SWEEP", 1) == 0 {
        eprintln!(
            "{what} by hand: {:?}, unswept (BULK_SWEEP=0)",
            candidates[0]
        );
        return candidates[0];
    }
    let mut best: Option<(Duration, C)> = None;
    for _pass in 0..2 {
        for &candidate in candidates {
            let table = setup().await;
            let time = timed(work(table, candidate)).await;
            eprintln!("{what} by hand, {candidate:?}: {time:?}");
            if best.is_none_or(|(fastest, _)| time < fastest) {
                best = Some((time, candidate));
            }
        }
    }
    let (time, candidate) = best.expect("candidates");
    eprintln!("{what} by hand: fastest with {candidate:?} ({time:?})");
    candidate
}

/// The medians of the three sides and the toolkit's ratios to the references.
fn report(
    name: &str,
    items: usize,
    baseline: &[Duration],
    toolkit: &[Duration],
    by_hand: &[Duration],
) {
    let [baseline, toolkit, by_hand] =
        [baseline, toolkit, by_hand].map(|times| median(times.to_vec()).as_secs_f64());
    println!(
        "{name} on {:?}: {items} items; one request per item {baseline:.2} s, by hand {by_hand:.3} s, \
         dynaschema {toolkit:.3} s: {:.1}x the baseline's speed, {:.2}x the hand-written time",
        server_kind(),
        baseline / toolkit,
        toolkit / by_hand,
    );
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; a filter naming neither benchmark skips them.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wanted = |name: &str| filter.as_ref().is_none_or(|f| name.contains(f.as_str()));
    let items = env_number("BULK_ITEMS", 10_000);
    let rounds = env_number("BULK_ROUNDS", 5).max(1);
    let connection = connection().await;

    if wanted("delete_account") {
        let account = |purpose: &'static str| {
            let connection = &connection;
            async move {
                let points = fresh(connection, purpose).await;
                let operations = account_with_operations(&points, items - 1).await;
                (points, account_keys(&operations))
            }
        };
        let concurrency = fastest(
            "delete_account",
            &[2, 4, 8, 16, 32],
            || async { account("bulk-delete-sweep").await.0.table().clone() },
            |table, concurrency| async move {
                let keys = query_keys_by_hand(&table).await;
                delete_by_hand(&table, keys, concurrency).await
            },
        )
        .await;
        let (mut baseline, mut toolkit, mut by_hand) = (Vec::new(), Vec::new(), Vec::new());
        let mut keys_given = Vec::new();
        for round in 0..rounds {
            let (points, keys) = account("bulk-delete-baseline").await;
            baseline.push(timed(delete_one_by_one(points.table(), keys)).await);

            let (points, _) = account("bulk-delete-by-hand").await;
            by_hand.push(
                timed(async {
                    let keys = query_keys_by_hand(points.table()).await;
                    delete_by_hand(points.table(), keys, concurrency).await
                })
                .await,
            );
            assert!(points.get_operations(1).await.expect("read").is_empty());

            let (points, keys) = account("bulk-delete-keys-given").await;
            keys_given.push(timed(delete_by_hand(points.table(), keys, concurrency)).await);

            let (points, _) = account("bulk-delete").await;
            toolkit.push(
                timed(async {
                    assert_eq!(points.delete_account(1).await.expect("deleted"), items - 1);
                })
                .await,
            );
            assert!(points.get_operations(1).await.expect("read").is_empty());
            eprintln!(
                "delete_account round {}: baseline {:?}, by hand {:?} (keys given {:?}), dynaschema {:?}",
                round + 1,
                baseline[round],
                by_hand[round],
                keys_given[round],
                toolkit[round]
            );
        }
        report("delete_account", items, &baseline, &toolkit, &by_hand);
        println!(
            "  by hand with the keys given (no query): {:.3} s",
            median(keys_given).as_secs_f64()
        );
    }

    if wanted("migration") {
        let wrong = |purpose: &'static str| {
            let connection = &connection;
            async move {
                let points = fresh(connection, purpose).await;
                let accounts = accounts_with_wrong_balances(&points, items).await;
                (points, accounts)
            }
        };
        let (segments, concurrency) = fastest(
            "migration m0001",
            &[(1, 16), (2, 16), (4, 16), (2, 8), (2, 32)],
            || async { wrong("bulk-migrate-sweep").await.0.table().clone() },
            |table, (segments, concurrency)| async move {
                recompute_by_hand(&table, segments, concurrency).await
            },
        )
        .await;
        let (mut baseline, mut toolkit, mut by_hand) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            let (points, accounts) = wrong("bulk-migrate-baseline").await;
            baseline.push(timed(recompute_one_by_one(points.table(), &accounts)).await);
            check_balances(&points).await;

            let (points, _) = wrong("bulk-migrate-by-hand").await;
            by_hand.push(timed(recompute_by_hand(points.table(), segments, concurrency)).await);
            check_balances(&points).await;

            let (points, _) = wrong("bulk-migrate").await;
            // m0001 alone: the migrations after it (guarding emails) are not what is
            // compared with the hand-written recompute.
            let m0001 = &migrations::MIGRATIONS[..1];
            let migrator = Migrator::new(points.table(), migrations::APP, m0001).expect("valid");
            toolkit.push(
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
                "migration round {}: baseline {:?}, by hand {:?}, dynaschema {:?}",
                round + 1,
                baseline[round],
                by_hand[round],
                toolkit[round]
            );
        }
        report("migration m0001", items, &baseline, &toolkit, &by_hand);
    }
}
