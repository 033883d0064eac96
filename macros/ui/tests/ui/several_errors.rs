use dynaschema::Entity;

#[derive(Entity)]
#[dynamo(pk = "ACCOUNT#{id}#{missing}", sk = "ACCOUNT#{", colour = "red")]
struct Account {
    #[dynamo(key_only, skip)]
    id: u64,
    #[dynamo(key_only)]
    name: String,
    #[dynamo(default = "String::new")]
    email: String,
}

#[derive(Entity)]
struct NoKey {
    id: u64,
}

#[derive(Entity)]
#[dynamo(pk = "X#{0}")]
struct Tuple(u64);

fn main() {}
