use dynaschema::{Entity, Timestamp};

// A unique value is one the application gives, stored as an attribute of its own, as a
// string or a number that a guard item's key can hold.
#[derive(Entity)]
#[dynamo(pk = "USER#{id}")]
struct NotStored {
    #[dynamo(key_only, unique)]
    id: u64,
    #[dynamo(skip, unique)]
    cache: String,
    #[dynamo(updated_at, unique)]
    updated: Timestamp,
}

#[derive(Entity)]
#[dynamo(pk = "USER#{id}")]
struct Tags {
    #[dynamo(key_only)]
    id: u64,
    #[dynamo(unique)]
    tags: Vec<String>,
    #[dynamo(unique)]
    active: bool,
}

// A scope is a field of the primary key, which every write of the item knows.
#[derive(Entity)]
#[dynamo(pk = "TENANT#{tenant}", sk = "MEMBER#{id}")]
struct Member {
    #[dynamo(key_only)]
    tenant: String,
    #[dynamo(key_only)]
    id: u64,
    team: String,
    #[dynamo(unique(scope = "team"))]
    email: String,
    #[dynamo(unique(scope = "tenat"))]
    login: String,
    #[dynamo(unique(within = "tenant"))]
    badge: String,
}

fn main() {}
