//! The scan engine of data migrations (`MigrationContext::each`, `for_each`) on the store
//! design: every item of one entity handed to the body once among other entities' items,
//! writes counted and not sent in a dry run, bodies in flight bounded, progress up to
//! the items read, and the first error stopping the pass.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use dynaschema::migrate::{MigrateEvent, Migration, MigrationContext, Migrator, Tally};
use dynaschema::{Entity, Error, Table, Timestamp};
use dynaschema_tests::faults::{self, FaultProxy, Faults, Rates};
use dynaschema_tests::store::{
    bump_total, store_table, Customer, Order, OrderStatus, Product, BUMP_TOTALS, RUNNER_APP,
};
use dynaschema_tests::{get_raw, put_raw};
use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt};

const APP: &str = "engine";

/// `customers` customers with `orders_each` placed orders each, and 20 products.
async fn seeded(purpose: &str, customers: u64, orders_each: u64) -> Table {
    let table = store_table(purpose).await;
    let customers: Vec<Customer> = (0..customers)
        .map(|c| Customer {
            username: format!("c{c}"),
            email: format!("c{c}@store.example"),
            name: format!("customer {c}"),
            tier: "BASIC".to_owned(),
        })
        .collect();
    let orders: Vec<Order> = customers
        .iter()
        .flat_map(|c| {
            (1..=orders_each).map(|n| Order {
                username: c.username.clone(),
                order_id: n,
                status: OrderStatus::Placed,
                total: n * 100,
                placed_at: Timestamp::from_unix_micros(1_767_225_600_000_000 + n as i64),
                shipped_at: None,
            })
        })
        .collect();
    let products: Vec<Product> = (0..20)
        .map(|p| Product {
            product_id: format!("p{p}"),
            name: format!("product {p}"),
            category: "TOYS".to_owned(),
            rank: p,
            price: 500,
        })
        .collect();
    table
        .batch_write()
        .put_all(&customers)
        .put_all(&orders)
        .put_all(&products)
        .await
        .unwrap();
    table
}

async fn orders(table: &Table) -> Vec<Order> {
    table.scan::<Order>().consistent().all().await.unwrap()
}

static DELIVERED: Mutex<Option<Tally>> = Mutex::new(None);

/// Every placed order delivered, in 4 segments, 8 bodies at once; orders delivered
/// already are left alone.
fn deliver<'a>(ctx: &'a MigrationContext<'a>) -> BoxFuture<'a, dynaschema::Result<()>> {
    Box::pin(async move {
        let tally = ctx
            .each::<Order>()
            .segments(4)
            .concurrency(8)
            .for_each(|order, writer| async move {
                if order.status == OrderStatus::Placed {
                    writer
                        .update(order.key(), |u| {
                            u.set(Order::STATUS, OrderStatus::Delivered)
                        })
                        .await?;
                }
                Ok(())
            })
            .await?;
        *DELIVERED.lock().unwrap() = Some(tally);
        Ok(())
    })
}

#[tokio::test]
async fn every_item_of_the_entity_is_handed_to_the_body_once_and_a_dry_run_sends_nothing() {
    // 10 customers, 30 orders each, 20 products: 330 items, of which 300 orders.
    let table = seeded("engine-each", 10, 30).await;
    let migrations = [Migration::new(1, "deliver", "deliver v1", deliver)];
    let migrator = Migrator::new(&table, APP, &migrations).unwrap();

    let events = Mutex::new(Vec::new());
    migrator
        .run(true, |event| events.lock().unwrap().push(event.clone()))
        .await
        .unwrap();
    let tally = DELIVERED.lock().unwrap().take().expect("the body ran");
    assert_eq!(
        tally,
        Tally {
            read: 330,
            matched: 300,
            written: 300
        }
    );
    assert!(
        orders(&table)
            .await
            .iter()
            .all(|o| o.status == OrderStatus::Placed),
        "a dry run writes nothing"
    );
    let events = events.into_inner().unwrap();
    let examples: Vec<String> = events
        .iter()
        .filter_map(|event| match event {
            MigrateEvent::WouldWrite { write, .. } => Some(write.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(examples.len(), 3, "{events:?}");
    assert!(
        examples.iter().all(|e| e.starts_with("update Order ")),
        "{examples:?}"
    );
    assert!(events.iter().any(|event| matches!(
        event,
        MigrateEvent::Applied {
            items_touched: 300,
            dry_run: true,
            ..
        }
    )));
    // Its estimate: 300 writes of items under 1 KB, and a scan of 330 small items.
    let estimate = events.iter().find_map(|event| match event {
        MigrateEvent::Estimate {
            read_units,
            write_units,
            ..
        } => Some((*read_units, *write_units)),
        _ => None,
    });
    assert!(matches!(estimate, Some((1..=20, 300))), "{estimate:?}");
    // The last progress is every item read.
    let last = events.iter().rev().find_map(|event| match event {
        MigrateEvent::Progress { done, .. } => Some(*done),
        _ => None,
    });
    assert_eq!(last, Some(330), "{events:?}");

    migrator.run(false, |_| {}).await.unwrap();
    let tally = DELIVERED.lock().unwrap().take().expect("the body ran");
    assert_eq!(tally.written, 300);
    let orders = orders(&table).await;
    assert_eq!(orders.len(), 300);
    assert!(orders.iter().all(|o| o.status == OrderStatus::Delivered));
    let applied = migrator.status().await.unwrap();
    assert!(matches!(
        applied[0].state,
        dynaschema::migrate::MigrationState::Applied(ref record) if record.items_touched == 300
    ));
}

static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
static MOST_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
static SEEN: AtomicU64 = AtomicU64::new(0);

/// Counts the bodies in flight at once, each taking a millisecond.
fn count_in_flight<'a>(ctx: &'a MigrationContext<'a>) -> BoxFuture<'a, dynaschema::Result<()>> {
    Box::pin(async move {
        ctx.each::<Customer>()
            .concurrency(3)
            .for_each(|_customer, _writer| async {
                let now = IN_FLIGHT.fetch_add(1, Ordering::SeqCst) + 1;
                MOST_IN_FLIGHT.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(1)).await;
                IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
                SEEN.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
            .await?;
        Ok(())
    })
}

#[tokio::test]
async fn bodies_in_flight_are_bounded_by_the_concurrency() {
    let table = seeded("engine-bound", 60, 1).await;
    let migrations = [Migration::new(1, "count", "count v1", count_in_flight)];
    Migrator::new(&table, APP, &migrations)
        .unwrap()
        .run(false, |_| {})
        .await
        .unwrap();
    assert_eq!(SEEN.load(Ordering::SeqCst), 60);
    let most = MOST_IN_FLIGHT.load(Ordering::SeqCst);
    assert!(
        (2..=3).contains(&most),
        "at most 3 at once, and more than one: {most}"
    );
}

/// Fails on order 7 of customer c1; every other order's total goes up by one.
fn fail_on_one<'a>(ctx: &'a MigrationContext<'a>) -> BoxFuture<'a, dynaschema::Result<()>> {
    Box::pin(async move {
        ctx.for_each(|order: Order, writer| async move {
            if order.username == "c1" && order.order_id == 7 {
                return Err(Error::Config("order c1/7 cannot be migrated".to_owned()));
            }
            writer
                .update(order.key(), |u| u.set(Order::TOTAL, order.total + 1))
                .await
        })
        .await?;
        Ok(())
    })
}

#[tokio::test]
async fn the_first_error_stops_the_pass_and_the_migration_is_not_recorded() {
    let table = seeded("engine-error", 3, 10).await;
    let migrations = [Migration::new(1, "fail on one", "fail v1", fail_on_one)];
    let migrator = Migrator::new(&table, APP, &migrations).unwrap();
    let err = migrator.run(false, |_| {}).await.unwrap_err();
    match err {
        Error::MigrationFailed { id: 1, source, .. } => {
            assert!(source.to_string().contains("c1/7"), "{source}");
        }
        other => panic!("expected MigrationFailed, got {other}"),
    }
    assert!(matches!(
        migrator.status().await.unwrap()[0].state,
        dynaschema::migrate::MigrationState::Pending
    ));
    let untouched = table
        .scan::<Order>()
        .consistent()
        .stream()
        .try_filter(|o| futures::future::ready(o.total % 100 == 0))
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    assert!(
        untouched
            .iter()
            .any(|o| o.username == "c1" && o.order_id == 7),
        "the failing order is not written"
    );
}

/// Product `p` as the derive writes it, or, for `old`, as code that did not know GSI2
/// wrote it: without its index keys.
fn product_item(p: u32, old: bool) -> dynaschema::Item {
    let mut item = Product {
        product_id: format!("p{p}"),
        name: format!("product {p}"),
        category: "TOYS".to_owned(),
        rank: p,
        price: 500,
    }
    .to_item()
    .unwrap();
    if old {
        item.remove("GSI2PK");
        item.remove("GSI2SK");
    }
    item
}

const BACKFILL: Migration = Migration::backfill::<Product>(1, "products by category (GSI2)");

#[tokio::test]
async fn a_backfill_writes_index_keys_and_loses_no_live_update() {
    let table = store_table("engine-backfill").await;
    // 500 products written before GSI2 existed, 10 after.
    let items: Vec<_> = (0..510).map(|p| product_item(p, p < 500)).collect();
    futures::stream::iter(items)
        .for_each_concurrent(16, |item| put_raw(&table, item))
        .await;
    let migrations = [BACKFILL];
    let migrator = Migrator::new(&table, APP, &migrations).unwrap();

    // A dry run counts the products that need their keys, and writes nothing.
    let events = Mutex::new(Vec::new());
    migrator
        .run(true, |event| events.lock().unwrap().push(event.clone()))
        .await
        .unwrap();
    let events = events.into_inner().unwrap();
    assert!(
        events.iter().any(|event| matches!(
            event,
            MigrateEvent::Applied {
                items_touched: 500,
                dry_run: true,
                ..
            }
        )),
        "{events:?}"
    );
    assert!(events.iter().any(|event| matches!(
        event,
        MigrateEvent::WouldWrite { write, .. } if write.starts_with("backfill Product PRODUCT#p")
    )), "{events:?}");
    assert!(
        table
            .query(Product::gsi2("TOYS"))
            .all()
            .await
            .unwrap()
            .len()
            == 10
    );

    // The backfill runs while a live writer moves 72 products to other categories:
    // typed updates, which write the GSI2PK they change and no GSI2SK.
    let live = async {
        for p in (0..500).step_by(7) {
            table
                .update(Product::key(&format!("p{p}")), |u| {
                    u.set(Product::CATEGORY, format!("LIVE{p}"))
                })
                .await
                .unwrap();
        }
    };
    let (applied, ()) = tokio::join!(migrator.run(false, |_| {}), live);
    applied.unwrap();

    let mut stale = Vec::new();
    let mut items = table.scan_items().consistent().stream();
    let mut products = 0;
    while let Some(item) = items.try_next().await.unwrap() {
        let Some(product) = Product::from_matching_item(&item) else {
            continue;
        };
        let product = product.unwrap();
        products += 1;
        let p: u32 = product.product_id[1..].parse().unwrap();
        let category = if p < 500 && p.is_multiple_of(7) {
            format!("LIVE{p}")
        } else {
            "TOYS".to_owned()
        };
        assert_eq!(product.category, category, "no live update is lost");
        let text = |attribute: &str| match item.get(attribute) {
            Some(AttributeValue::S(s)) => Some(s.clone()),
            _ => None,
        };
        if text("GSI2PK") != Some(format!("CATEGORY#{category}"))
            || text("GSI2SK") != Some(format!("RANK#{p}#PRODUCT#p{p}"))
        {
            stale.push(product.product_id);
        }
    }
    assert_eq!(products, 510);
    assert!(stale.is_empty(), "products with stale GSI2 keys: {stale:?}");
    assert_eq!(
        table
            .query(Product::gsi2("TOYS"))
            .all()
            .await
            .unwrap()
            .len(),
        438
    );

    // Run again (as a migration of its own): everything is right, nothing is written.
    let again = [Migration::backfill::<Product>(2, "again")];
    let migrator = Migrator::new(&table, "engine-again", &again).unwrap();
    migrator.run(false, |_| {}).await.unwrap();
    match &migrator.status().await.unwrap()[0].state {
        dynaschema::migrate::MigrationState::Applied(record) => {
            assert_eq!(record.items_touched, 0)
        }
        other => panic!("expected applied, got {other:?}"),
    }
}

static BODIES: AtomicU64 = AtomicU64::new(0);
/// Set: the body fails at its 1,000th item.
static CRASH: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Every order's total up by 1 (skipping those done: totals end in 01), in pages of 25
/// and 2 segments; fails at the 300th body while CRASH is set.
fn bump_totals<'a>(ctx: &'a MigrationContext<'a>) -> BoxFuture<'a, dynaschema::Result<()>> {
    Box::pin(async move {
        ctx.each::<Order>()
            .segments(2)
            .page_size(25)
            .concurrency(4)
            .for_each(|order, writer| async move {
                if BODIES.fetch_add(1, Ordering::SeqCst) + 1 == 300 && CRASH.load(Ordering::SeqCst)
                {
                    return Err(Error::Config("crash at the 300th item".to_owned()));
                }
                bump_total(order, writer).await
            })
            .await?;
        Ok(())
    })
}

#[tokio::test]
async fn a_run_after_a_failure_resumes_each_segment_from_its_checkpoint() {
    // 600 orders (and 15 customers, 20 products).
    let table = seeded("engine-resume", 15, 40).await;
    let migrations = [Migration::new(1, "bump totals", "bump v1", bump_totals)];
    let migrator = Migrator::new(&table, APP, &migrations).unwrap();
    let err = migrator.run(false, |_| {}).await.unwrap_err();
    assert!(matches!(err, Error::MigrationFailed { id: 1, .. }), "{err}");
    let first = BODIES.swap(0, Ordering::SeqCst);
    assert!(first >= 300, "{first}");
    // Interrupted: its checkpoints tell how far it got, and no runner holds the lease.
    match &migrator.status().await.unwrap()[0].state {
        dynaschema::migrate::MigrationState::Started {
            read,
            segments,
            runner,
            ..
        } => {
            assert!((50..635).contains(read), "{read}");
            assert_eq!(*segments, 2);
            assert_eq!(*runner, None);
        }
        other => panic!("expected a started migration, got {other:?}"),
    }

    CRASH.store(false, Ordering::SeqCst);
    let events = Mutex::new(Vec::new());
    migrator
        .run(false, |event| {
            events.lock().unwrap().push(event.to_string())
        })
        .await
        .unwrap();
    let second = BODIES.load(Ordering::SeqCst);
    let events = events.into_inner().unwrap();
    let resuming = events
        .iter()
        .find(|line| line.contains("resuming at"))
        .unwrap_or_else(|| panic!("no resuming line: {events:?}"));
    let percent: u64 = resuming
        .rsplit(' ')
        .next()
        .and_then(|p| p.trim_end_matches('%').parse().ok())
        .unwrap();
    assert!((10..=60).contains(&percent), "{resuming}");
    // The second run hands the body the items after each segment's last checkpoint
    // (at most 4 pages of 25 in each of the 2 segments again), not all 600.
    assert!(
        second <= 600 - 300 + 2 * 4 * 25 + 4,
        "{second} bodies the second time"
    );
    assert!(first + second <= 600 + 2 * 4 * 25 + 4, "{first} + {second}");
    let orders = orders(&table).await;
    assert_eq!(orders.len(), 600);
    assert!(
        orders.iter().all(|o| o.total % 100 == 1),
        "every order bumped once"
    );

    // Recorded, its checkpoints are gone: only the record is left in its partition.
    let left = table
        .client()
        .query()
        .table_name(table.name())
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(
            ":pk",
            AttributeValue::S(format!("_dynaschema#migrations#{APP}")),
        )
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    let sort_keys: Vec<_> = left
        .iter()
        .filter_map(|item| item.get("SK").and_then(|v| v.as_s().ok()).cloned())
        .collect();
    assert_eq!(sort_keys, ["MIGRATION#0000000001"], "{sort_keys:?}");
}

/// The items a runner's checkpoints say were read.
async fn checkpointed(table: &Table) -> u64 {
    let items = table
        .client()
        .query()
        .table_name(table.name())
        .consistent_read(true)
        .key_condition_expression("PK = :pk AND begins_with(SK, :checkpoint)")
        .expression_attribute_values(
            ":pk",
            AttributeValue::S(format!("_dynaschema#migrations#{RUNNER_APP}")),
        )
        .expression_attribute_values(":checkpoint", AttributeValue::S("CHECKPOINT#".into()))
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    items
        .iter()
        .filter_map(|item| item.get("items_read")?.as_n().ok()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test]
async fn a_killed_runner_is_taken_over_and_its_migration_resumed() {
    // 1,200 orders, and 30 customers and 20 products.
    let table = seeded("engine-kill", 30, 40).await;
    let mut runner = std::process::Command::new(env!("CARGO_BIN_EXE_migration-runner"))
        .args([dynaschema_tests::endpoint(), table.name()])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed (SIGKILL) once its checkpoints say it read a quarter of the table.
    while checkpointed(&table).await < 300 {
        assert!(
            runner.try_wait().unwrap().is_none(),
            "the runner ended before it was killed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    runner.kill().unwrap();
    runner.wait().unwrap();
    // It died holding the lease.
    let lease = get_raw(
        &table,
        dynaschema::Item::from([
            (
                "PK".to_owned(),
                AttributeValue::S(format!("_dynaschema#migrations#{RUNNER_APP}")),
            ),
            ("SK".to_owned(), AttributeValue::S("LEASE".into())),
        ]),
    )
    .await
    .expect("the dead runner's lease");
    assert_eq!(
        lease
            .get("lease_holder")
            .and_then(|v| v.as_s().ok())
            .map(String::as_str),
        Some("migration-runner")
    );
    let expires_at: u128 = lease["lease_expires_at"].as_n().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();

    // Its status: begun, with the runner's name while its lease lasts.
    let migrations = [BUMP_TOTALS];
    let migrator = Migrator::new(&table, RUNNER_APP, &migrations).unwrap();
    match &migrator.status().await.unwrap()[0].state {
        dynaschema::migrate::MigrationState::Started { read, runner, .. } => {
            assert!(*read >= 300, "{read}");
            if expires_at > now + 500 {
                assert_eq!(runner.as_deref(), Some("migration-runner"));
            }
        }
        other => panic!("expected a started migration, got {other:?}"),
    }

    // Another runner waits out the dead one's lease, takes over, and resumes.
    let events = Mutex::new(Vec::new());
    let applied = migrator
        .holder("successor")
        .run(false, |event| events.lock().unwrap().push(event.clone()))
        .await
        .unwrap();
    assert_eq!(applied, [1]);
    let events = events.into_inner().unwrap();
    if expires_at > now + 500 {
        assert!(
            events.iter().any(
                |e| matches!(e, MigrateEvent::Waiting { holder, .. } if holder == "migration-runner")
            ),
            "{events:?}"
        );
    }
    assert!(
        events
            .iter()
            .any(|e| matches!(e, MigrateEvent::Resuming { done, .. } if *done >= 300)),
        "{events:?}"
    );
    let orders = orders(&table).await;
    assert_eq!(orders.len(), 1_200);
    assert!(
        orders.iter().all(|o| o.total % 100 == 1),
        "every order bumped exactly once"
    );
}

#[tokio::test]
async fn a_backfill_through_the_hostile_mix_ends_right_and_loses_no_live_update() {
    let table = store_table("engine-faults").await;
    let items: Vec<_> = (0..300).map(|p| product_item(p, true)).collect();
    futures::stream::iter(items)
        .for_each_concurrent(16, |item| put_raw(&table, item))
        .await;
    // The migration's every request goes through the fault proxy; the live writer's
    // do not.
    let proxy = FaultProxy::in_front_of_test_server(Faults::new(Rates::hostile()), faults::seed());
    let through = proxy.table(&table).await;
    let migrations = [BACKFILL];
    let migrator = Migrator::new(&through, APP, &migrations).unwrap();
    let live = async {
        for p in (0..300).step_by(5) {
            table
                .update(Product::key(&format!("p{p}")), |u| {
                    u.set(Product::CATEGORY, format!("LIVE{p}"))
                })
                .await
                .unwrap();
        }
    };
    let (applied, ()) = tokio::join!(migrator.run(false, |_| {}), live);
    assert_eq!(applied.unwrap(), [1], "seed {}", proxy.seed());
    let fates = proxy.fates(None);
    assert!(fates.len() > 1, "faults were injected: {fates:?}");

    for product in table.scan::<Product>().consistent().all().await.unwrap() {
        let p: u32 = product.product_id[1..].parse().unwrap();
        let category = if p.is_multiple_of(5) {
            format!("LIVE{p}")
        } else {
            "TOYS".to_owned()
        };
        assert_eq!(product.category, category, "no live update is lost");
        let item = get_raw(&table, product.key().to_item().unwrap())
            .await
            .unwrap();
        assert_eq!(
            item.get("GSI2PK").and_then(|v| v.as_s().ok()).cloned(),
            Some(format!("CATEGORY#{category}")),
            "seed {}",
            proxy.seed()
        );
        assert_eq!(
            item.get("GSI2SK").and_then(|v| v.as_s().ok()).cloned(),
            Some(format!("RANK#{p}#PRODUCT#p{p}"))
        );
    }
}
