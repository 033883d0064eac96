use dynaschema::{Entity, Expiry};

// A time to live is an Expiry, in the table's ttl_attribute.
#[derive(Entity)]
#[dynamo(pk = "USER#{user}", sk = "SESSION#{id}", schema = "fixtures/sessions.toml")]
struct Renamed {
    #[dynamo(key_only)]
    user: String,
    #[dynamo(key_only)]
    id: u64,
    #[dynamo(ttl)]
    expires: Expiry,
}

#[derive(Entity)]
#[dynamo(pk = "CUSTOMER#{user}", sk = "CUSTOMER", schema = "fixtures/store.toml")]
struct NoTtl {
    #[dynamo(key_only)]
    user: String,
    #[dynamo(ttl)]
    expires_at: Expiry,
}

#[derive(Entity)]
#[dynamo(pk = "USER#{user}")]
struct Seconds {
    #[dynamo(key_only)]
    user: String,
    #[dynamo(ttl)]
    expires_at: u64,
}

fn main() {}
