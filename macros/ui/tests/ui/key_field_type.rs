use dynaschema::Entity;

#[derive(Entity)]
#[dynamo(pk = "POINT#{x}", sk = "POINT")]
struct Point {
    #[dynamo(key_only)]
    x: f64,
    tags: Vec<String>,
}

#[derive(Entity)]
#[dynamo(pk = "TAGGED#{tags}")]
struct Tagged {
    tags: Vec<String>,
}

fn main() {}
