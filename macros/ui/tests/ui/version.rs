use dynaschema::Entity;

// A version is one unsigned integer attribute of the entity's own.
#[derive(Entity)]
#[dynamo(pk = "DOC#{id}")]
struct Twice {
    #[dynamo(key_only, version)]
    id: u64,
    #[dynamo(version)]
    first: u64,
    #[dynamo(version)]
    second: u64,
}

#[derive(Entity)]
#[dynamo(pk = "DOC#{id}")]
struct Text {
    #[dynamo(key_only)]
    id: u64,
    #[dynamo(version)]
    version: String,
}

fn main() {}
