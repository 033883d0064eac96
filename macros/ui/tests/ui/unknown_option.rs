use dynaschema::Entity;

#[derive(Entity)]
#[dynamo(pk = "ACCOUNT#{id}", sort_key = "ACCOUNT")]
struct Account {
    #[dynamo(key_only)]
    id: u64,
    #[dynamo(renamed = "nome")]
    name: String,
}

fn main() {}
