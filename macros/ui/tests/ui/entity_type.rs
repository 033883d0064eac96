use dynaschema::Entity;

// The entity type's attribute is given without the type, or is a field's too.
#[derive(Entity)]
#[dynamo(pk = "THING#{id}", entity_type_attr = "kind")]
struct Untyped {
    #[dynamo(key_only)]
    id: u64,
}

#[derive(Entity)]
#[dynamo(pk = "THING#{id}", entity_type = "Thing")]
struct Clash {
    #[dynamo(key_only)]
    id: u64,
    #[dynamo(rename = "_type")]
    kind: String,
}

fn main() {}
