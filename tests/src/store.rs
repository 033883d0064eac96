//! The second design of the test fixtures, an online store in one table
//! (`tests/fixtures/store.toml`): hierarchical sort keys, overloaded and sparse global
//! indexes, a serde enum field, and indexes that project less than the whole item.
//!
//! ```text
//! Customer:  PK = CUSTOMER#{username}, SK = CUSTOMER                   GSI2 TIER#{tier} / CUSTOMER#{username}
//! Order:     PK = CUSTOMER#{username}, SK = ORDER#{order_id}           GSI1 ORDER#{order_id} / ORDER#{order_id}
//!                                                                      GSI2 SHIPPED / SHIPPED#{shipped_at} (sparse)
//! OrderNote: PK = CUSTOMER#{username}, SK = ORDER#{order_id}#NOTE#{n}
//! OrderItem: PK = ORDER#{order_id},    SK = ITEM#{product_id}          GSI1 ORDER#{order_id} / ITEM#{product_id}
//! Product:   PK = PRODUCT#{product_id}, SK = PRODUCT                    GSI2 CATEGORY#{category} / RANK#{rank}#PRODUCT#{product_id}
//!                                                                      ProductNames PRODUCT
//! Cart:      PK = CART#{cart_id},       SK = CREATED#{created_at}       (a UUID and a chrono date-time)
//! ```

use dynaschema::{Collection, Entity, Schema, Table, Timestamp};
use serde::{Deserialize, Serialize};

/// A customer, found by tier through GSI2 and by email through `EmailKeys` (keys only).
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(
    pk = "CUSTOMER#{username}",
    sk = "CUSTOMER",
    index(
        name = "GSI2",
        pk = "TIER#{tier}",
        pk_attr = "GSI2PK",
        sk = "CUSTOMER#{username}",
        sk_attr = "GSI2SK"
    ),
    index(name = "EmailKeys", pk = "{email}", partial),
    schema = "fixtures/store.toml"
)]
pub struct Customer {
    #[dynamo(key_only)]
    pub username: String,
    pub email: String,
    pub name: String,
    pub tier: String,
}

/// Where an order stands: stored through serde, as its variant's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderStatus {
    Placed,
    Shipped,
    Delivered,
}

/// An order, in its customer's partition; with its items in GSI1, and in the sparse
/// GSI2 `SHIPPED` partition once it has shipped.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(
    pk = "CUSTOMER#{username}",
    sk = "ORDER#{order_id}",
    index(
        name = "GSI1",
        pk = "ORDER#{order_id}",
        pk_attr = "GSI1PK",
        sk = "ORDER#{order_id}",
        sk_attr = "GSI1SK"
    ),
    index(
        name = "GSI2",
        pk = "SHIPPED",
        pk_attr = "GSI2PK",
        sk = "SHIPPED#{shipped_at}",
        sk_attr = "GSI2SK"
    ),
    schema = "fixtures/store.toml"
)]
pub struct Order {
    #[dynamo(key_only)]
    pub username: String,
    #[dynamo(key_only)]
    pub order_id: u64,
    #[dynamo(serde)]
    pub status: OrderStatus,
    pub total: u64,
    pub placed_at: Timestamp,
    pub shipped_at: Option<Timestamp>,
}

/// A note on an order, under the order's sort key: `ORDER#7#NOTE#1` in the customer's
/// partition, beside `ORDER#7`.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(
    pk = "CUSTOMER#{username}",
    sk = "ORDER#{order_id}#NOTE#{n}",
    schema = "fixtures/store.toml"
)]
pub struct OrderNote {
    #[dynamo(key_only)]
    pub username: String,
    #[dynamo(key_only)]
    pub order_id: u64,
    #[dynamo(key_only)]
    pub n: u32,
    pub text: String,
}

/// A line of an order, in the order's own partition; with its order in GSI1.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(
    pk = "ORDER#{order_id}",
    sk = "ITEM#{product_id}",
    index(
        name = "GSI1",
        pk = "ORDER#{order_id}",
        pk_attr = "GSI1PK",
        sk = "ITEM#{product_id}",
        sk_attr = "GSI1SK"
    ),
    schema = "fixtures/store.toml"
)]
pub struct OrderItem {
    #[dynamo(key_only)]
    pub order_id: u64,
    #[dynamo(key_only)]
    pub product_id: String,
    pub quantity: u32,
    pub price: u64,
}

/// A product, by category and rank in GSI2 and by name in `ProductNames` (which
/// projects the name only).
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(
    pk = "PRODUCT#{product_id}",
    sk = "PRODUCT",
    index(
        name = "GSI2",
        pk = "CATEGORY#{category}",
        pk_attr = "GSI2PK",
        sk = "RANK#{rank}#PRODUCT#{product_id}",
        sk_attr = "GSI2SK"
    ),
    index(name = "ProductNames", pk = "PRODUCT", pk_attr = "GSI3PK", partial),
    schema = "fixtures/store.toml"
)]
pub struct Product {
    #[dynamo(key_only)]
    pub product_id: String,
    pub name: String,
    pub category: String,
    pub rank: u32,
    pub price: u64,
}

/// A shopping cart, keyed by a UUID and the time it was made.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(
    pk = "CART#{cart_id}",
    sk = "CREATED#{created_at}",
    schema = "fixtures/store.toml"
)]
pub struct Cart {
    #[dynamo(key_only)]
    pub cart_id: uuid::Uuid,
    /// In the sort key and stored as an attribute too.
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub session: Option<uuid::Uuid>,
}

/// An order with its lines, read together from GSI1's partition `ORDER#<order_id>`.
#[derive(Debug, Clone, PartialEq, Collection)]
pub enum OrderWithItems {
    Order(Order),
    Item(OrderItem),
}

/// A customer's partition read as the customer and their orders; the orders' notes,
/// in the same partition, are no members.
#[derive(Debug, Clone, PartialEq, Collection)]
pub enum CustomerItems {
    Customer(Customer),
    Order(Order),
}

/// The store's schema.toml, for a table of the test's own.
pub fn store_schema(purpose: &str) -> Schema {
    store_schema_named(&crate::unique_table_name(purpose))
}

/// The store fixture's schema for the table named `name`.
pub fn store_schema_named(name: &str) -> Schema {
    Schema::load(crate::repository_root().join("tests/fixtures/store.toml"))
        .expect("the store fixture's schema.toml is valid")
        .with_table_name(name)
        .expect("the table name is valid")
}

/// A store table of the test's own, ready for operations.
pub async fn store_table(purpose: &str) -> Table {
    crate::provisioned(store_schema(purpose), crate::connect().await).await
}

/// The application the store's data migrations belong to in the runner tests.
pub const RUNNER_APP: &str = "store-runner";

/// Data migration 1 of [`RUNNER_APP`]: every order's total up by one (orders whose total
/// ends in 01 are done already), in pages of 50, 4 orders at a time, each taking 2 ms:
/// slow enough that a runner can be stopped half-way. Run by the `migration-runner`
/// program and by the tests that resume it.
pub const BUMP_TOTALS: dynaschema::migrate::Migration = dynaschema::migrate::Migration::new(
    1,
    "bump every order's total",
    "bump totals v1",
    bump_totals,
);

fn bump_totals<'a>(
    ctx: &'a dynaschema::migrate::MigrationContext<'a>,
) -> futures::future::BoxFuture<'a, dynaschema::Result<()>> {
    Box::pin(async move {
        ctx.each::<Order>()
            .page_size(50)
            .concurrency(4)
            .for_each(|order, writer| async move {
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                bump_total(order, writer).await
            })
            .await?;
        Ok(())
    })
}

/// The body of a migration bumping totals: the order's total up by one, unless it ends
/// in 01 already (done by an earlier run).
pub async fn bump_total(
    order: Order,
    writer: dynaschema::migrate::Writer<'_>,
) -> dynaschema::Result<()> {
    if order.total.is_multiple_of(100) {
        writer
            .update(order.key(), |u| u.set(Order::TOTAL, order.total + 1))
            .await?;
    }
    Ok(())
}
