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

// A key would not follow a time the toolkit writes after making it.
#[derive(Entity)]
#[dynamo(pk = "NOTE#{id}", sk = "AT#{at}")]
struct InKey {
    #[dynamo(key_only)]
    id: u64,
    #[dynamo(created_at)]
    at: Timestamp,
}

fn main() {}
