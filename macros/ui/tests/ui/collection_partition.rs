use dynaschema::{Collection, Entity};

#[derive(Entity)]
#[dynamo(pk = "ACCOUNT#{id}", sk = "ACCOUNT")]
struct Account {
    #[dynamo(key_only)]
    id: u64,
}

#[derive(Entity)]
#[dynamo(pk = "PRODUCT#{id}", sk = "PRODUCT")]
struct Product {
    #[dynamo(key_only)]
    id: String,
}

// Accounts and products are never in one partition.
#[derive(Collection)]
enum Unrelated {
    Account(Account),
    Product(Product),
}

fn main() {}
