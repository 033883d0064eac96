use dynaschema::Entity;

#[derive(Entity)]
#[dynamo(pk = "OPERATION#{id}")]
struct Operation {
    #[dynamo(key_only)]
    id: u64,
    kind: String,
    #[dynamo(rename = "kind")]
    category: String,
    #[dynamo(rename = "PK")]
    partition: String,
}

fn main() {}
