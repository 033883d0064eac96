use dynaschema::{Entity, Expiry, Timestamp};

// Checked against the tasks' schema.toml: a whole-entity index that copies part of the
// entity (a read from it would lose the rest when put back), a local index declared as
// a global one and the other way round, an undeclared local index, and local indexes
// without their sort key, with a partition key, or with an unknown option.
#[derive(Entity)]
#[dynamo(
    pk = "TEAM#{team}",
    sk = "TASK#{id}",
    index(name = "ByStatus", pk = "{status}"),
    index(name = "ByCreated", pk = "{created}"),
    local_index(name = "ByOwner", sk = "{owner}"),
    local_index(name = "ByNothing", sk = "{owner}"),
    schema = "fixtures/tasks.toml"
)]
struct Task {
    team: String,
    #[dynamo(key_only)]
    id: u64,
    status: String,
    owner: String,
    note: Option<String>,
    priority: u32,
    created: Timestamp,
    #[dynamo(ttl)]
    expires_at: Option<Expiry>,
}

#[derive(Entity)]
#[dynamo(
    pk = "TEAM#{team}",
    sk = "TASK#{id}",
    local_index(name = "ByCreated"),
    local_index(name = "ByPriority", pk = "{team}", sk = "{id}", consistent)
)]
struct Event {
    #[dynamo(key_only)]
    team: String,
    #[dynamo(key_only)]
    id: u64,
}

// A partial index reads Projected entities, told apart by their entity type: one that
// does not copy it cannot read them.
#[derive(Entity)]
#[dynamo(
    pk = "TEAM#{team}",
    sk = "TASK#{id}",
    entity_type = "Task",
    local_index(name = "ByPriority", sk = "PRIORITY#{id}", sk_attr = "LSI1SK", partial),
    schema = "fixtures/tasks.toml"
)]
struct TypedTask {
    #[dynamo(key_only)]
    team: String,
    #[dynamo(key_only)]
    id: u64,
}

fn main() {}
