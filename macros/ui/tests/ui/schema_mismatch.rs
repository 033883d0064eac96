use dynaschema::Entity;

// Checked against the store's schema.toml: a mistyped table key, mistyped index keys,
// an index the schema does not have, and an index without the sort key it needs.
#[derive(Entity)]
#[dynamo(
    pk = "ORDER#{order_id}",
    pk_attr = "Pk",
    sk = "ITEM#{product_id}",
    index(
        name = "GSI1",
        pk = "ORDER#{order_id}",
        pk_attr = "GSI1Pk",
        sk = "ITEM#{product_id}",
        sk_attr = "GSI1Sk"
    ),
    index(name = "GSI9", pk = "ORDER#{order_id}", pk_attr = "GSI9PK"),
    index(name = "GSI2", pk = "PRODUCT#{product_id}", pk_attr = "GSI2PK"),
    schema = "fixtures/store.toml"
)]
struct OrderItem {
    #[dynamo(key_only)]
    order_id: u64,
    #[dynamo(key_only)]
    product_id: String,
    quantity: u32,
}

fn main() {}
