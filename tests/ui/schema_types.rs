use dynaschema::Entity;

// Checked against the store's schema.toml: an index keyed on a number field where the
// schema declares a string, and an index that does not project a field the entity
// cannot do without.
#[derive(Entity)]
#[dynamo(
    pk = "CUSTOMER#{username}",
    sk = "CUSTOMER",
    index(name = "EmailKeys", pk = "{email}", partial),
    index(name = "ProductNames", pk = "PRODUCT", pk_attr = "GSI3PK"),
    schema = "fixtures/store.toml"
)]
struct Customer {
    #[dynamo(key_only)]
    username: String,
    email: u64,
    name: String,
    tier: String,
    nickname: Option<String>,
}

#[derive(Entity)]
#[dynamo(pk = "CUSTOMER#{username}", sk = "CUSTOMER", schema = "fixtures/missing.toml")]
struct Missing {
    #[dynamo(key_only)]
    username: String,
}

fn main() {}
