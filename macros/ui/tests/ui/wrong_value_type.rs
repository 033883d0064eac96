use dynaschema::{Entity, Timestamp, Update};

#[derive(Entity)]
#[dynamo(pk = "ACCOUNT#{id}", sk = "ACCOUNT")]
struct Account {
    #[dynamo(key_only)]
    id: u64,
    name: String,
    balance: i64,
    created_at: Timestamp,
}

#[derive(Entity)]
#[dynamo(pk = "OTHER#{id}")]
struct Other {
    #[dynamo(key_only)]
    id: u64,
    size: u32,
}

fn main() {
    // A value of the wrong type.
    let _ = Account::NAME.eq(50_i64);
    // A handle of another entity in a condition on Account.
    let _ = Update::<Account>::new().add(Account::BALANCE, 5_i64).require(Other::SIZE.gt(1_u32));
    // An attribute that does not exist.
    let _ = Account::BALANCES;
    // Only optional attributes can be removed.
    let _ = Update::<Account>::new().remove(Account::NAME);
}
