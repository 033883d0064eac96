use dynaschema::{Entity, Timestamp};

// Creation and update times are Timestamps, one field each.
#[derive(Entity)]
#[dynamo(pk = "NOTE#{id}")]
struct Both {
    #[dynamo(key_only)]
    id: u64,
    #[dynamo(created_at, updated_at)]
    at: Timestamp,
}

#[derive(Entity)]
#[dynamo(pk = "NOTE#{id}")]
struct Text {
    #[dynamo(key_only)]
    id: u64,
    #[dynamo(updated_at)]
    at: String,
}

fn main() {}
