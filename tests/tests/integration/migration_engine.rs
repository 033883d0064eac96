//! The scan engine of data migrations (`MigrationContext::each`, `for_each`) on the store
//! design: every item of one entity handed to the body once among other entities' items,
//! writes counted and not sent in a dry run, bodies in flight bounded, progress up to
//! the items read, and the first error stopping the pass.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use dynaschema::migrate::{MigrateEvent, Migration, MigrationContext, Migrator, Tally};
use dynaschema::{Entity, Error, Table, Timestamp};
use dynaschema_tests::store::{store_table, Customer, Order, OrderStatus, Product};
use futures::future::BoxFuture;
use futures::TryStreamExt;

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
    // 30 customers, 40 orders each, 20 products: 1,250 items, of which 1,200 orders.
    let table = seeded("engine-each", 30, 40).await;
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
            read: 1_250,
            matched: 1_200,
            written: 1_200
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
            items_touched: 1_200,
            dry_run: true,
            ..
        }
    )));
    // The last progress is every item read.
    let last = events.iter().rev().find_map(|event| match event {
        MigrateEvent::Progress { done, .. } => Some(*done),
        _ => None,
    });
    assert_eq!(last, Some(1_250), "{events:?}");

    migrator.run(false, |_| {}).await.unwrap();
    let tally = DELIVERED.lock().unwrap().take().expect("the body ran");
    assert_eq!(tally.written, 1_200);
    let orders = orders(&table).await;
    assert_eq!(orders.len(), 1_200);
    assert!(orders.iter().all(|o| o.status == OrderStatus::Delivered));
    let applied = migrator.status().await.unwrap();
    assert!(matches!(
        applied[0].state,
        dynaschema::migrate::MigrationState::Applied(ref record) if record.items_touched == 1_200
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
