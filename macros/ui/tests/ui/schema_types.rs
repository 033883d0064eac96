use dynaschema::Entity;

// Checked against the store's schema.toml: an index keyed on a number field where the
// schema declares a string, and an index that does not project every field the entity
// stores.
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

// A field stored as the key attribute of an index the entity does not declare puts its
// items in that index, so it must be written as that key's type.
#[derive(Entity)]
#[dynamo(pk = "NOTE#{id}", sk = "NOTE", schema = "fixtures/store.toml")]
struct Note {
    #[dynamo(key_only)]
    id: u64,
    #[dynamo(rename = "GSI2SK")]
    rank: u64,
    #[dynamo(rename = "GSI1PK")]
    order: String,
}

#[derive(Entity)]
#[dynamo(pk = "CUSTOMER#{username}", sk = "CUSTOMER", schema = "fixtures/missing.toml")]
struct Missing {
    #[dynamo(key_only)]
    username: String,
}

fn main() {}
