// `dynaschema::test` is re-exported with the `local` feature, which these cases leave
// out (they never run); the attribute comes from `dynaschema-macros` either way.
use dynaschema_macros as dynaschema;

#[dynaschema::test]
fn not_async(table: dynaschema::Table) {
    let _ = table;
}

#[dynaschema::test(schema = "schema.toml")]
async fn no_table() {}

#[dynaschema::test(shcema = "schema.toml")]
async fn misspelt(table: dynaschema::Table) {
    let _ = table;
}

#[dynaschema::test(schema = 42)]
async fn not_a_path(table: dynaschema::Table) {
    let _ = table;
}

#[dynaschema::test]
async fn by_reference(table: &dynaschema::Table) {
    let _ = table;
}

fn main() {}
