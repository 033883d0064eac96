//! The embedded server (`dynaschema::local`) and `#[dynaschema::test]`: a table of each
//! test's own, file-backed data that outlives its server, a server that stops when
//! dropped.

use std::collections::HashSet;
use std::net::{SocketAddr, TcpStream};
use std::sync::Mutex;

use dynaschema::local::{LocalServer, Storage};
use dynaschema::{provision, Table};
use dynaschema_tests::entities::{account, Account};
use dynaschema_tests::ningipoints_schema;
use futures::TryStreamExt;

/// The table names the tests below were given.
static NAMES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Asserts that `table` is empty and named for no other test, then writes to it.
async fn fresh_and_own(table: &Table, test: &str) {
    let name = table.schema().table.name.clone();
    assert!(name.starts_with(&format!("{test}-")), "{name}");
    assert!(!NAMES.lock().unwrap().contains(&name), "{name} given twice");
    NAMES.lock().unwrap().push(name);
    let items: Vec<_> = table.scan_items().stream().try_collect().await.unwrap();
    assert!(items.is_empty(), "a fresh table holds {items:?}");
    table.put(&account(1, test)).await.unwrap();
    assert_eq!(
        table.get(Account::key(1)).await.unwrap(),
        Some(account(1, test))
    );
}

#[dynaschema::test(schema = "../schema.toml")]
async fn a_test_gets_a_fresh_table_of_its_own(table: Table) {
    fresh_and_own(&table, "a_test_gets_a_fresh_table_of_its_own").await;
    assert_eq!(table.schema().indexes[0].name, "EmailIndex");
    let by_email = table
        .index::<Account>("EmailIndex")
        .query("a1@x.org")
        .first()
        .await
        .unwrap();
    assert_eq!(by_email.map(|a| a.id), Some(1));
}

#[dynaschema::test(schema = "../schema.toml")]
async fn another_test_gets_another_table(table: Table) {
    fresh_and_own(&table, "another_test_gets_another_table").await;
}

#[dynaschema::test(schema = "fixtures/store.toml")]
async fn a_test_may_return_a_result(table: Table) -> dynaschema::Result<()> {
    assert!(table.schema().indexes.len() >= 3);
    let names: HashSet<_> = table.schema().indexes.iter().map(|i| &i.name).collect();
    assert!(names.contains(&"GSI1".to_owned()), "{names:?}");
    table.put(&account(5, "five")).await?;
    assert!(table.get(Account::key(5)).await?.is_some());
    Ok(())
}

#[tokio::test]
async fn a_file_backed_server_keeps_its_tables_after_it_stops() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/local.db");
    let schema = ningipoints_schema("file");

    let server = LocalServer::open(&path).await.unwrap();
    assert_eq!(server.storage(), &Storage::File(path.clone()));
    let connection = server.connect().await.unwrap();
    provision::provision(&connection, &schema, provision::DEFAULT_WAIT, |_| {})
        .await
        .unwrap();
    Table::new(connection, schema.clone())
        .put(&account(3, "kept"))
        .await
        .unwrap();
    drop(server);

    let again = LocalServer::open(&path).await.unwrap();
    let table = Table::new(again.connect().await.unwrap(), schema);
    assert_eq!(
        table.get(Account::key(3)).await.unwrap(),
        Some(account(3, "kept"))
    );
}

#[tokio::test]
async fn a_server_stops_when_dropped_and_its_port_cannot_be_taken_while_it_runs() {
    let server = LocalServer::start().await.unwrap();
    let address: SocketAddr = server
        .endpoint()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    assert!(TcpStream::connect(address).is_ok(), "the server listens");

    let taken = LocalServer::serve(Storage::Memory, address)
        .await
        .unwrap_err();
    let message = taken.to_string();
    assert!(message.contains(&address.to_string()), "{message}");
    assert!(message.contains("choose another port"), "{message}");

    let in_memory = server.connect().await.unwrap();
    let schema = ningipoints_schema("memory");
    provision::provision(&in_memory, &schema, provision::DEFAULT_WAIT, |_| {})
        .await
        .unwrap();
    drop(server);
    assert!(
        TcpStream::connect(address).is_err(),
        "the server still listens"
    );

    // A new in-memory server starts empty.
    let fresh = LocalServer::start().await.unwrap();
    let tables = fresh.connect().await.unwrap();
    let names = tables.client().list_tables().send().await.unwrap();
    assert!(names.table_names().is_empty(), "{names:?}");
}
