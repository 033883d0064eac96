use dynaschema::{Collection, Entity};

#[derive(Entity)]
#[dynamo(pk = "ACCOUNT#{id}", sk = "ACCOUNT")]
struct Account {
    #[dynamo(key_only)]
    id: u64,
}

// A collection is an enum of one-entity variants, each entity once.
#[derive(Collection)]
struct NotAnEnum {
    account: Account,
}

#[derive(Collection)]
enum Shapes {
    Account(Account),
    Named { account: Account },
    Twice(Account, Account),
    Again(Account),
}

fn main() {}
