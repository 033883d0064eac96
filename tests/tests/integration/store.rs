//! The store design against a live server: hierarchical sort keys, index keys kept in
//! step with updates, sparse indexes, result limits that are not page limits, serde
//! fields in conditions and updates, projected indexes, missing keys of a batch get,
//! and UUID and chrono keys.

use aws_sdk_dynamodb::types::AttributeValue;
use dynaschema::{Entity, Error, Item, Table, Timestamp};
use dynaschema_tests::store::{
    store_schema, store_table, Cart, Customer, CustomerItems, Order, OrderItem, OrderNote,
    OrderStatus, OrderWithItems, Product,
};
use dynaschema_tests::{counting_connection, get_raw, provisioned, put_raw, RequestCounter};

/// 2026-01-01T00:00:00Z.
const START: i64 = 1_767_225_600_000_000;

fn at(second: i64) -> Timestamp {
    Timestamp::from_unix_micros(START + second * 1_000_000)
}

fn customer(username: &str, tier: &str) -> Customer {
    Customer {
        username: username.to_owned(),
        email: format!("{username}@store.example"),
        name: format!("customer {username}"),
        tier: tier.to_owned(),
    }
}

fn order(username: &str, order_id: u64, total: u64) -> Order {
    Order {
        username: username.to_owned(),
        order_id,
        status: OrderStatus::Placed,
        total,
        placed_at: at(order_id as i64),
        shipped_at: None,
    }
}

fn note(username: &str, order_id: u64, n: u32) -> OrderNote {
    OrderNote {
        username: username.to_owned(),
        order_id,
        n,
        text: format!("note {n} on order {order_id}"),
    }
}

fn product(product_id: &str, category: &str, rank: u32) -> Product {
    Product {
        product_id: product_id.to_owned(),
        name: format!("product {product_id}"),
        category: category.to_owned(),
        rank,
        price: 1_000,
    }
}

/// The item as stored, read with the raw SDK.
async fn stored<E: Entity>(table: &Table, entity: &E) -> Item {
    get_raw(table, entity.key().to_item().unwrap())
        .await
        .expect("the item exists")
}

fn text(item: &Item, attribute: &str) -> Option<String> {
    match item.get(attribute) {
        Some(AttributeValue::S(text)) => Some(text.clone()),
        None => None,
        Some(other) => panic!("{attribute} is not a string: {other:?}"),
    }
}

/// A store table whose requests are counted, the counter started from zero.
async fn counted_store(purpose: &str) -> (Table, RequestCounter) {
    let (connection, counter) = counting_connection().await;
    let table = provisioned(store_schema(purpose), connection).await;
    counter.reset();
    (table, counter)
}

#[tokio::test]
async fn a_partition_of_orders_and_their_notes_reads_back_exactly_the_orders() {
    let table = store_table("hierarchy").await;
    let orders: Vec<_> = [7, 8, 12].map(|id| order("dave", id, id * 10)).into();
    let notes = [note("dave", 7, 1), note("dave", 7, 2), note("dave", 12, 1)];
    table
        .batch_write()
        .put(&customer("dave", "BASIC"))
        .put_all(&orders)
        .put_all(&notes)
        .await
        .unwrap();

    // The notes sort among the orders (ORDER#12, ORDER#12#NOTE#1, ORDER#7, ...), and
    // ORDER#{order_id} would take `7#NOTE#1` as an order id if matching let it.
    let mut expected = orders.clone();
    expected.sort_by_key(|o| o.order_id.to_string());
    assert_eq!(
        table.query(Order::partition("dave")).all().await.unwrap(),
        expected
    );
    assert_eq!(
        table
            .query(OrderNote::partition("dave"))
            .all()
            .await
            .unwrap(),
        [notes[2].clone(), notes[0].clone(), notes[1].clone()]
    );
    assert_eq!(
        table
            .query(Order::partition("dave"))
            .limit(2)
            .all()
            .await
            .unwrap(),
        expected[..2]
    );
    let mut scanned = table.scan::<Order>().all().await.unwrap();
    scanned.sort_by_key(|o| o.order_id);
    assert_eq!(scanned, orders);

    let items = table
        .query(Order::partition("dave").whole())
        .items()
        .await
        .unwrap();
    assert_eq!(items.len(), 1 + orders.len() + notes.len());
    let note_item = items
        .iter()
        .find(|item| text(item, "SK").as_deref() == Some("ORDER#7#NOTE#1"))
        .unwrap();
    assert!(!Order::matches(note_item));
    assert!(Order::from_matching_item(note_item).is_none());
    assert_eq!(
        OrderNote::from_matching_item(note_item).unwrap().unwrap(),
        notes[0]
    );
    let kinds = items.iter().fold([0; 3], |mut kinds, item| {
        kinds[0] += usize::from(Customer::matches(item));
        kinds[1] += usize::from(Order::matches(item));
        kinds[2] += usize::from(OrderNote::matches(item));
        kinds
    });
    assert_eq!(
        kinds,
        [1, orders.len(), notes.len()],
        "each item is of one entity"
    );

    // Deleting the orders leaves their notes and the customer.
    assert_eq!(
        table
            .delete_partition(Order::partition("dave"))
            .await
            .unwrap(),
        orders.len()
    );
    assert!(table
        .query(Order::partition("dave"))
        .all()
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        table
            .query(OrderNote::partition("dave"))
            .all()
            .await
            .unwrap()
            .len(),
        notes.len()
    );
    assert!(table.get(Customer::key("dave")).await.unwrap().is_some());
    assert_eq!(
        table
            .delete_partition(Order::partition("dave").whole())
            .await
            .unwrap(),
        1 + notes.len()
    );
}

#[tokio::test]
async fn an_update_of_tier_moves_the_customer_in_gsi2() {
    let table = store_table("tier").await;
    let dave = customer("dave", "BASIC");
    table.put(&dave).await.unwrap();
    assert_eq!(
        table.query(Customer::gsi2("BASIC")).all().await.unwrap(),
        std::slice::from_ref(&dave)
    );

    let updated = table
        .update(Customer::key("dave"), |u| u.set(Customer::TIER, "GOLD"))
        .await
        .unwrap();
    assert_eq!(updated.tier, "GOLD");
    let item = stored(&table, &dave).await;
    assert_eq!(text(&item, "GSI2PK").as_deref(), Some("TIER#GOLD"));
    assert_eq!(text(&item, "GSI2SK").as_deref(), Some("CUSTOMER#dave"));
    assert_eq!(
        table.query(Customer::gsi2("GOLD")).all().await.unwrap(),
        std::slice::from_ref(&updated)
    );
    assert!(table
        .query(Customer::gsi2("BASIC"))
        .all()
        .await
        .unwrap()
        .is_empty());

    // The same in a transaction.
    table
        .transact()
        .update(Customer::key("dave"), |u| u.set(Customer::TIER, "SILVER"))
        .await
        .unwrap();
    assert_eq!(
        text(&stored(&table, &dave).await, "GSI2PK").as_deref(),
        Some("TIER#SILVER")
    );
    assert_eq!(
        table
            .query(Customer::gsi2("SILVER"))
            .all()
            .await
            .unwrap()
            .len(),
        1
    );
}

/// A shelf of the store's stock room, by aisle and by place in GSI2: its index sort key
/// is made of two fields of its own, so that an update of one of them cannot render it.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(
    pk = "SHELF#{shelf_id}",
    sk = "SHELF",
    index(
        name = "GSI2",
        pk = "AISLE#{aisle}",
        pk_attr = "GSI2PK",
        sk = "ROW#{row}#BIN#{bin}",
        sk_attr = "GSI2SK"
    ),
    schema = "fixtures/store.toml"
)]
struct Shelf {
    #[dynamo(key_only)]
    shelf_id: String,
    aisle: String,
    row: u32,
    bin: u32,
}

#[tokio::test]
async fn updates_that_cannot_render_an_index_key_are_refused_and_change_nothing() {
    let (table, counter) = counted_store("refused-index").await;
    let shelf = Shelf {
        shelf_id: "s1".into(),
        aisle: "A".into(),
        row: 2,
        bin: 5,
    };
    table.put(&shelf).await.unwrap();
    let lamp = product("lamp", "LIGHTING", 3);
    table.put(&lamp).await.unwrap();
    let (shelf_before, lamp_before) = (stored(&table, &shelf).await, stored(&table, &lamp).await);
    counter.reset();

    // GSI2SK = ROW#{row}#BIN#{bin} needs `bin` too.
    let err = table
        .update(Shelf::key("s1"), |u| u.set(Shelf::ROW, 3_u32))
        .await
        .unwrap_err();
    match &err {
        Error::IndexKey { index, message, .. } => {
            assert_eq!(*index, "GSI2");
            assert!(message.contains("`bin`"), "{message}");
            assert!(message.contains("GSI2SK"), "{message}");
        }
        other => panic!("expected Error::IndexKey, got {other}"),
    }
    let err = table
        .transact()
        .update(Shelf::key("s1"), |u| u.set(Shelf::BIN, 1_u32))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::IndexKey { message, .. } if message.contains("`row`")),
        "{err}"
    );
    // A rank DynamoDB would work out cannot be written into the key.
    let err = table
        .update(Product::key("lamp"), |u| u.add(Product::RANK, 1_u32))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::IndexKey { message, .. } if message.contains("add") && message.contains("set the field")),
        "{err}"
    );
    // A value holding the template's delimiter cannot make a key.
    let err = table
        .update(Product::key("lamp"), |u| u.set(Product::CATEGORY, "A#B"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidKey(_)), "{err}");
    assert_eq!(counter.take().total(), 0, "nothing was sent");
    assert_eq!(stored(&table, &shelf).await, shelf_before, "unchanged");
    assert_eq!(stored(&table, &lamp).await, lamp_before, "unchanged");

    // Both fields: the shelf moves in GSI2.
    table
        .update(Shelf::key("s1"), |u| {
            u.set(Shelf::ROW, 3_u32).set(Shelf::BIN, 1_u32)
        })
        .await
        .unwrap();
    let item = stored(&table, &shelf).await;
    assert_eq!(text(&item, "GSI2SK").as_deref(), Some("ROW#3#BIN#1"));
    assert_eq!(text(&item, "GSI2PK").as_deref(), Some("AISLE#A"));
    // An update of other fields leaves the index keys alone.
    table
        .update(Product::key("lamp"), |u| u.set(Product::PRICE, 900_u64))
        .await
        .unwrap();
    let after = stored(&table, &lamp).await;
    assert_eq!(text(&after, "GSI2PK"), text(&lamp_before, "GSI2PK"));
    assert_eq!(text(&after, "GSI2SK"), text(&lamp_before, "GSI2SK"));
}

#[tokio::test]
async fn an_update_writes_the_index_keys_whose_fields_it_changes() {
    let (table, counter) = counted_store("index-key-each").await;
    let lamp = product("lamp", "LIGHTING", 3);
    table.put(&lamp).await.unwrap();
    counter.reset();

    // GSI2PK = CATEGORY#{category} is written again; GSI2SK = RANK#{rank}#PRODUCT#..
    // does not depend on the category, and stays as it is.
    let moved = table
        .update(Product::key("lamp"), |u| u.set(Product::CATEGORY, "DECOR"))
        .await
        .unwrap();
    assert_eq!(counter.take().total(), 1, "one UpdateItem, no read");
    let item = stored(&table, &lamp).await;
    assert_eq!(text(&item, "GSI2PK").as_deref(), Some("CATEGORY#DECOR"));
    assert_eq!(
        text(&item, "GSI2SK").as_deref(),
        Some("RANK#3#PRODUCT#lamp")
    );
    assert_eq!(
        table.query(Product::gsi2("DECOR")).all().await.unwrap(),
        [moved]
    );
    // The rank alone: GSI2SK, in a transaction too.
    table
        .transact()
        .update(Product::key("lamp"), |u| u.set(Product::RANK, 1_u32))
        .await
        .unwrap();
    let item = stored(&table, &lamp).await;
    assert_eq!(text(&item, "GSI2PK").as_deref(), Some("CATEGORY#DECOR"));
    assert_eq!(
        text(&item, "GSI2SK").as_deref(),
        Some("RANK#1#PRODUCT#lamp")
    );

    // An item written before the index existed (by code that did not know it) has none
    // of its keys: an update of the category writes the key it changes and invents
    // nothing; the item enters the index once a backfill writes the rest.
    let mut old = product_item("desk");
    old.remove("GSI2PK");
    old.remove("GSI2SK");
    put_raw(&table, old).await;
    table
        .update(Product::key("desk"), |u| u.set(Product::CATEGORY, "OFFICE"))
        .await
        .unwrap();
    let item = stored(&table, &product("desk", "OFFICE", 3)).await;
    assert_eq!(text(&item, "GSI2PK").as_deref(), Some("CATEGORY#OFFICE"));
    assert_eq!(text(&item, "GSI2SK"), None);
    assert!(table
        .query(Product::gsi2("OFFICE"))
        .all()
        .await
        .unwrap()
        .is_empty());
}

/// Product `product_id`'s item as the derive writes it.
fn product_item(product_id: &str) -> Item {
    product(product_id, "LIGHTING", 3).to_item().unwrap()
}

#[tokio::test]
async fn an_optional_field_in_an_index_key_makes_the_index_sparse() {
    let table = store_table("sparse").await;
    let placed = order("erin", 1, 100);
    let shipped = Order {
        shipped_at: Some(at(60)),
        status: OrderStatus::Shipped,
        ..order("erin", 2, 200)
    };
    table
        .batch_write()
        .put(&placed)
        .put(&shipped)
        .await
        .unwrap();

    // No GSI2 key at all for the order that has not shipped; GSI1 is written for both.
    let item = stored(&table, &placed).await;
    assert_eq!((text(&item, "GSI2PK"), text(&item, "GSI2SK")), (None, None));
    assert_eq!(text(&item, "GSI1PK").as_deref(), Some("ORDER#1"));
    let item = stored(&table, &shipped).await;
    assert_eq!(text(&item, "GSI2PK").as_deref(), Some("SHIPPED"));
    assert_eq!(text(&item, "GSI2SK"), Some(format!("SHIPPED#{}", at(60))));
    let gsi2 = table.index(Order::GSI2);
    assert_eq!(
        table.query(Order::gsi2()).all().await.unwrap(),
        std::slice::from_ref(&shipped)
    );
    assert_eq!(
        gsi2.scan().all().await.unwrap(),
        std::slice::from_ref(&shipped)
    );

    // Setting the field adds the order to the index; removing it takes it out.
    let now_shipped = table
        .update(placed.key(), |u| u.set(Order::SHIPPED_AT, at(90)))
        .await
        .unwrap();
    assert_eq!(
        table.query(Order::gsi2()).all().await.unwrap(),
        [shipped.clone(), now_shipped]
    );
    table
        .update(shipped.key(), |u| u.remove(Order::SHIPPED_AT))
        .await
        .unwrap();
    let item = stored(&table, &shipped).await;
    assert_eq!((text(&item, "GSI2PK"), text(&item, "GSI2SK")), (None, None));
    let left = table.query(Order::gsi2()).all().await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].order_id, 1);
}

#[tokio::test]
async fn a_filtered_first_or_limit_over_120_orders_is_one_request() {
    let (table, counter) = counted_store("limits").await;
    let orders: Vec<_> = (1..=120).map(|id| order("fay", id, id)).collect();
    table.batch_write().put_all(&orders).await.unwrap();
    counter.reset();

    let expensive = || {
        table
            .query(Order::partition("fay"))
            .filter(Order::TOTAL.ge(100_u64))
    };
    let first = expensive().first().await.unwrap().unwrap();
    assert_eq!(first.order_id, 100, "ORDER#100 sorts first among 100..=120");
    assert_eq!(counter.take().requests("Query"), 1);

    let ten = expensive().limit(10).all().await.unwrap();
    assert_eq!(ten.len(), 10);
    assert!(ten.iter().all(|o| o.total >= 100));
    assert_eq!(counter.take().requests("Query"), 1);

    let unfiltered = table
        .query(Order::partition("fay"))
        .limit(10)
        .all()
        .await
        .unwrap();
    assert_eq!(unfiltered.len(), 10);
    assert_eq!(counter.take().requests("Query"), 1);

    // A page size is DynamoDB's Limit: 120 orders in pages of 50, 50 and 20.
    let paged = table
        .query(Order::partition("fay"))
        .page_size(50)
        .all()
        .await
        .unwrap();
    assert_eq!(paged.len(), 120);
    let counts = counter.take();
    assert_eq!(counts.requests("Query"), 3);
    assert_eq!(counts.returned("Query"), 120);
}

#[tokio::test]
async fn a_serde_enum_field_works_in_conditions_updates_and_filters() {
    let table = store_table("serde").await;
    let placed = order("gus", 1, 100);
    table.put(&placed).await.unwrap();

    let shipped = table
        .update(placed.key(), |u| {
            u.set(Order::STATUS, OrderStatus::Shipped)
                .require(Order::STATUS.eq(OrderStatus::Placed))
        })
        .await
        .unwrap();
    assert_eq!(shipped.status, OrderStatus::Shipped);
    let item = stored(&table, &placed).await;
    assert_eq!(
        item["status"],
        AttributeValue::S("Shipped".into()),
        "as to_item writes it"
    );

    // Not placed any more: the condition fails and nothing changes.
    let err = table
        .update(placed.key(), |u| {
            u.set(Order::STATUS, OrderStatus::Delivered)
                .require(Order::STATUS.eq(OrderStatus::Placed))
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ConditionFailed { .. }), "{err}");
    assert_eq!(stored(&table, &placed).await, item);

    table.put(&order("gus", 2, 50)).await.unwrap();
    let shipped_only = table
        .query(Order::partition("gus"))
        .filter(Order::STATUS.ne(OrderStatus::Placed))
        .all()
        .await
        .unwrap();
    assert_eq!(shipped_only, [shipped]);
    table
        .delete(placed.key())
        .when(Order::STATUS.eq(OrderStatus::Shipped))
        .await
        .unwrap();
    assert!(table.get(placed.key()).await.unwrap().is_none());
}

fn line(order_id: u64, product_id: &str) -> OrderItem {
    OrderItem {
        order_id,
        product_id: product_id.to_owned(),
        quantity: 1,
        price: 250,
    }
}

#[tokio::test]
async fn index_builders_take_typed_keys_and_sort_key_ranges() {
    let (table, counter) = counted_store("index-builders").await;
    let placed = order("dave", 7, 750);
    let lines = vec![line(7, "desk"), line(7, "lamp"), line(7, "rug")];
    let mut batch = table.batch_write().put(&placed).put(&line(8, "lamp"));
    for l in &lines {
        batch = batch.put(l);
    }
    batch.await.unwrap();
    counter.reset();

    // GSI1's partition ORDER#7 holds the order and its lines; each builder reads its own.
    assert_eq!(
        table.query(Order::gsi1(7)).all().await.unwrap(),
        std::slice::from_ref(&placed)
    );
    assert_eq!(table.query(OrderItem::gsi1(7)).all().await.unwrap(), lines);
    assert_eq!(counter.take().requests("Query"), 2, "one request each");
    assert_eq!(
        table
            .query(Order::gsi1(7).whole())
            .items()
            .await
            .unwrap()
            .len(),
        4
    );

    // Sort-key ranges are the text after the entity's index sort-key prefix (`ITEM#`).
    async fn ranged(query: dynaschema::ops::Query<'_, OrderItem>) -> Vec<String> {
        let read = query.all().await.unwrap();
        read.into_iter().map(|l| l.product_id).collect()
    }
    assert_eq!(
        ranged(table.query(OrderItem::gsi1(7)).sk_ge("lamp")).await,
        ["lamp", "rug"]
    );
    assert_eq!(
        ranged(table.query(OrderItem::gsi1(7)).sk_gt("lamp")).await,
        ["rug"]
    );
    assert_eq!(
        ranged(table.query(OrderItem::gsi1(7)).sk_lt("lamp")).await,
        ["desk"]
    );
    assert_eq!(
        ranged(table.query(OrderItem::gsi1(7)).sk_between("d", "m")).await,
        ["desk", "lamp"]
    );
    assert_eq!(
        ranged(table.query(OrderItem::gsi1(7)).newest_first().limit(2)).await,
        ["rug", "lamp"]
    );
}

#[tokio::test]
async fn an_order_and_its_items_read_as_one_collection_through_gsi1() {
    let (table, counter) = counted_store("collection-gsi1").await;
    let placed = order("dave", 7, 750);
    let lines = vec![line(7, "desk"), line(7, "lamp"), line(7, "rug")];
    let mut batch = table.batch_write().put(&placed).put(&order("dave", 8, 1));
    for l in &lines {
        batch = batch.put(l);
    }
    batch.await.unwrap();
    // An item in the same GSI1 partition that is neither an order nor an order line.
    let stranger = Item::from([
        ("PK".to_owned(), AttributeValue::S("RETURN#1".into())),
        ("SK".to_owned(), AttributeValue::S("RETURN".into())),
        ("GSI1PK".to_owned(), AttributeValue::S("ORDER#7".into())),
        ("GSI1SK".to_owned(), AttributeValue::S("RETURN#1".into())),
    ]);
    dynaschema_tests::put_raw(&table, stranger).await;
    counter.reset();

    let read = table
        .query(OrderWithItems::partition(Order::gsi1(7)))
        .all()
        .await
        .unwrap();
    let mut expected = vec![OrderWithItems::Item(lines[0].clone())];
    expected.extend(lines[1..].iter().cloned().map(OrderWithItems::Item));
    expected.insert(3, OrderWithItems::Order(placed.clone()));
    // GSI1SK order: ITEM#desk, ITEM#lamp, ITEM#rug, ORDER#7 (the stranger, RETURN#1, skipped).
    assert_eq!(read, expected);
    assert_eq!(counter.take().requests("Query"), 1, "one request");

    // The same from either member's builder, and in pages that count the stranger.
    let page = table
        .query(OrderWithItems::partition(OrderItem::gsi1(7)))
        .page(10)
        .await
        .unwrap();
    assert_eq!(page.items, expected);
    assert_eq!((page.skipped, page.next), (1, None));
    let first = table
        .query(OrderWithItems::partition(Order::gsi1(7)))
        .page(2)
        .await
        .unwrap();
    assert_eq!(first.items, expected[..2]);
    let rest = table
        .query(OrderWithItems::partition(Order::gsi1(7)))
        .after(first.next.expect("more follow"))
        .page(10)
        .await
        .unwrap();
    assert_eq!(rest.items, expected[2..]);
    counter.reset();

    // In the table, an order's partition is its customer's, where no order line is.
    let err = table
        .query(OrderWithItems::partition(Order::partition("dave")))
        .all()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Collection { .. }), "{err}");
    assert!(err.to_string().contains("OrderItem"), "{err}");
    assert_eq!(counter.take().total(), 0, "nothing was sent");
}

#[tokio::test]
async fn a_customer_partition_reads_as_a_collection_skipping_what_is_no_member() {
    let table = store_table("collection-customer").await;
    let dave = customer("dave", "GOLD");
    let orders = [order("dave", 1, 10), order("dave", 2, 20)];
    table
        .batch_write()
        .put(&dave)
        .put_all(&orders)
        .put(&note("dave", 1, 1))
        .put(&note("dave", 1, 2))
        .put(&customer("erin", "GOLD"))
        .await
        .unwrap();
    let page = table
        .query(CustomerItems::partition(Customer::partition("dave")))
        .page(10)
        .await
        .unwrap();
    // SK order: CUSTOMER, ORDER#1, ORDER#1#NOTE#1, ORDER#1#NOTE#2, ORDER#2.
    assert_eq!(
        page.items,
        [
            CustomerItems::Customer(dave),
            CustomerItems::Order(orders[0].clone()),
            CustomerItems::Order(orders[1].clone()),
        ]
    );
    assert_eq!(page.skipped, 2, "the two notes");
    assert_eq!(page.next, None);
}

#[tokio::test]
async fn a_full_page_followed_only_by_other_entities_is_the_last() {
    let table = store_table("page-then-notes").await;
    let orders = [order("dave", 1, 10), order("dave", 2, 20)];
    table
        .batch_write()
        .put_all(&orders)
        .put(&note("dave", 2, 1))
        .put(&note("dave", 2, 2))
        .await
        .unwrap();
    // The notes of order 2 come after it: no order follows the page, so no cursor.
    let page = table.query(Order::partition("dave")).page(2).await.unwrap();
    assert_eq!(page.items, orders);
    assert_eq!((page.skipped, page.next), (2, None));

    // A page that ends before another order has a cursor past the notes it read.
    table.put(&order("dave", 3, 30)).await.unwrap();
    let first = table.query(Order::partition("dave")).page(2).await.unwrap();
    assert_eq!(first.skipped, 2);
    let rest = table
        .query(Order::partition("dave"))
        .after(first.next.expect("order 3 follows"))
        .page(2)
        .await
        .unwrap();
    assert_eq!(rest.items, [order("dave", 3, 30)]);
    assert_eq!(
        (rest.skipped, rest.next),
        (0, None),
        "the notes are not read again"
    );
}

/// An entity whose GSI1 partition key attribute is misspelt, with no schema check.
#[derive(Debug, Entity)]
#[dynamo(
    pk = "ORDER#{order_id}",
    sk = "ITEM#{product_id}",
    index(
        name = "GSI1",
        pk = "ORDER#{order_id}",
        pk_attr = "GSI1Pk",
        sk = "ITEM#{product_id}",
        sk_attr = "GSI1SK"
    ),
    index(name = "GSI9", pk = "LINE#{order_id}", pk_attr = "GSI9PK")
)]
struct MisspeltItem {
    #[dynamo(key_only)]
    order_id: u64,
    #[dynamo(key_only)]
    product_id: String,
    quantity: u32,
}

#[tokio::test]
async fn an_index_key_the_schema_does_not_have_is_refused_before_any_request() {
    let (table, counter) = counted_store("misspelt-index").await;
    // A value without its template's prefix, which would read nothing.
    let err = table
        .index(Customer::GSI2)
        .query("GOLD")
        .all()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Index { .. }), "{err}");
    assert!(err.to_string().contains("TIER#{tier}"), "{err}");
    // Strongly consistent reads, which global indexes do not offer.
    for err in [
        table
            .query(Customer::gsi2("GOLD"))
            .consistent()
            .all()
            .await
            .unwrap_err(),
        table
            .index(Customer::GSI2)
            .scan()
            .consistent()
            .all()
            .await
            .unwrap_err(),
    ] {
        assert!(err.to_string().contains("consistent"), "{err}");
    }
    let err = table.query(MisspeltItem::gsi1(7)).all().await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::Index { .. }), "{message}");
    assert!(
        message.contains("`GSI1PK`") && message.contains("`GSI1Pk`"),
        "{message}"
    );
    let message = table
        .query(MisspeltItem::gsi9(7))
        .all()
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("GSI9") && message.contains("no such index"),
        "{message}"
    );
    assert_eq!(counter.take().total(), 0, "nothing was sent");
}

#[tokio::test]
async fn indexes_that_project_too_little_refuse_typed_reads_before_any_request() {
    let (table, counter) = counted_store("projection").await;
    let dave = customer("dave", "BASIC");
    let lamp = product("lamp", "LIGHTING", 1);
    table.batch_write().put(&dave).put(&lamp).await.unwrap();
    counter.reset();

    let by_email = table.index(Customer::EMAIL_KEYS);
    let err = by_email.query(&dave.email).first().await.unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::Index { .. }), "{message}");
    for part in [
        "EmailKeys",
        "KEYS_ONLY",
        "`name`",
        "`tier`",
        "Customer",
        "items()",
    ] {
        assert!(message.contains(part), "{part} in {message}");
    }
    assert!(
        !message.contains("`email`"),
        "the index key is projected: {message}"
    );
    assert!(by_email.query(&dave.email).all().await.is_err());
    assert!(by_email.scan().all().await.is_err());
    use futures::TryStreamExt;
    assert!(by_email
        .query(&dave.email)
        .stream()
        .try_next()
        .await
        .is_err());

    let message = table
        .index(Product::PRODUCT_NAMES)
        .query("PRODUCT")
        .all()
        .await
        .unwrap_err()
        .to_string();
    assert!(message.contains("INCLUDE [name]"), "{message}");
    assert!(message.contains("`category`, `rank`, `price`"), "{message}");
    assert!(!message.contains("`name`"), "{message}");
    assert_eq!(counter.take().total(), 0, "nothing was sent");

    // Untyped reads of the same index go ahead, and indexes projecting ALL read typed.
    let scanned = by_email.scan().items().await.unwrap();
    assert_eq!(scanned.len(), 1, "the customer's keys and email");
    assert_eq!(text(&scanned[0], "email"), Some(dave.email.clone()));
    let keys = by_email.query(&dave.email).items().await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(text(&keys[0], "PK").as_deref(), Some("CUSTOMER#dave"));
    assert_eq!(text(&keys[0], "name"), None, "not projected");
    // The `partial` indexes' builders read what they copy, as Projected entities.
    let found = table.query(Customer::email_keys(&dave.email)).first();
    let found = found.await.unwrap().expect("dave is in EmailKeys");
    assert_eq!(found.key(), Customer::key("dave"));
    assert!(found.get(Customer::NAME).is_none(), "not projected");
    let names = table.query(Product::product_names()).all().await.unwrap();
    let names: Vec<String> = names
        .iter()
        .map(|product| product.get(Product::NAME).unwrap().unwrap())
        .collect();
    assert_eq!(names, std::slice::from_ref(&lamp.name));
    assert_eq!(
        table
            .index::<Customer>("GSI2")
            .query("TIER#BASIC")
            .all()
            .await
            .unwrap(),
        [dave]
    );
}

#[tokio::test]
async fn a_batch_get_names_the_keys_it_did_not_find() {
    let table = store_table("batch-get").await;
    let orders: Vec<_> = (1..=3).map(|id| order("hal", id, id)).collect();
    table.batch_write().put_all(&orders).await.unwrap();

    let fetched = table
        .batch_get([
            Order::key("hal", 3),
            Order::key("hal", 9),
            Order::key("hal", 1),
            Order::key("ida", 1),
        ])
        .await
        .unwrap();
    assert_eq!(fetched.entities, [orders[2].clone(), orders[0].clone()]);
    assert_eq!(
        fetched.missing,
        [Order::key("hal", 9), Order::key("ida", 1)]
    );
    assert_eq!(
        fetched.missing[0].to_string(),
        "PK=CUSTOMER#hal, SK=ORDER#9"
    );
}

#[tokio::test]
async fn uuid_and_chrono_values_are_key_parts_and_attributes() {
    use chrono::TimeZone;
    let table = store_table("foreign").await;
    let cart_id = uuid::Uuid::from_u128(0x1f2e_3d4c_5b6a_7980_8f9e_adbc_cbda_e9f8);
    let cart = Cart {
        cart_id,
        created_at: chrono::Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).unwrap()
            + chrono::Duration::nanoseconds(123_456_789),
        session: Some(uuid::Uuid::from_u128(7)),
    };
    table.put(&cart).await.unwrap();
    let item = stored(&table, &cart).await;
    assert_eq!(
        text(&item, "PK").as_deref(),
        Some("CART#1f2e3d4c-5b6a-7980-8f9e-adbccbdae9f8")
    );
    assert_eq!(
        text(&item, "SK").as_deref(),
        Some("CREATED#2026-12-01T09:30:00.123456789Z")
    );
    assert_eq!(
        text(&item, "session").as_deref(),
        Some("00000000-0000-0000-0000-000000000007")
    );
    assert_eq!(
        table
            .get(Cart::key(cart_id, cart.created_at))
            .await
            .unwrap(),
        Some(cart.clone())
    );
    assert_eq!(
        table.query(Cart::partition(cart_id)).all().await.unwrap(),
        [cart]
    );
}

#[test]
fn an_order_item_and_its_order_share_gsi1_and_other_keys_do_not_match() {
    let line = OrderItem {
        order_id: 7,
        product_id: "lamp".into(),
        quantity: 2,
        price: 1_000,
    };
    let item = line.to_item().unwrap();
    assert_eq!(text(&item, "GSI1PK").as_deref(), Some("ORDER#7"));
    assert_eq!(text(&item, "GSI1SK").as_deref(), Some("ITEM#lamp"));
    let order_item = order("dave", 7, 1).to_item().unwrap();
    assert_eq!(text(&order_item, "GSI1PK").as_deref(), Some("ORDER#7"));

    // Keys whose trailing value would hold the delimiter belong to no entity here.
    let with_sk = |sk: &str| {
        let mut item = order_item.clone();
        item.insert("SK".into(), AttributeValue::S(sk.into()));
        item
    };
    assert!(Order::matches(&with_sk("ORDER#7")));
    for sk in ["ORDER#7#NOTE#1", "ORDER#7#", "ORDER#7#X#NOTE#1"] {
        assert!(!Order::matches(&with_sk(sk)), "{sk}");
        assert!(Order::from_matching_item(&with_sk(sk)).is_none(), "{sk}");
    }
    let mut note_item = note("dave", 7, 1).to_item().unwrap();
    assert!(OrderNote::matches(&note_item));
    note_item.insert("SK".into(), AttributeValue::S("ORDER#7#X#NOTE#1".into()));
    assert!(!OrderNote::matches(&note_item), "`7#X` is no order id");
}

#[test]
fn entities_list_their_index_keys_and_required_attributes() {
    let keys: Vec<_> = Order::INDEX_KEYS
        .iter()
        .map(|k| {
            (
                k.index,
                k.template.attribute(),
                k.template.to_string(),
                k.attributes,
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("GSI1", "GSI1PK", "ORDER#{order_id}".to_owned(), &[None][..]),
            ("GSI1", "GSI1SK", "ORDER#{order_id}".to_owned(), &[None][..]),
            ("GSI2", "GSI2PK", "SHIPPED".to_owned(), &[][..]),
            (
                "GSI2",
                "GSI2SK",
                "SHIPPED#{shipped_at}".to_owned(),
                &[Some("shipped_at")][..]
            ),
        ]
    );
    assert_eq!(
        Order::required_attributes(),
        ["status", "total", "placed_at"],
        "shipped_at may be absent"
    );
    assert!(
        Customer::INDEX_KEYS.iter().all(|k| k.index == "GSI2"),
        "EmailKeys is keyed on a field"
    );
}
