use dynaschema::Entity;

#[derive(Entity)]
#[dynamo(pk = "ACCOUNT#{account}", sk = "ACCOUNT")]
struct Account {
    #[dynamo(key_only)]
    id: u64,
    name: String,
}

fn main() {}
