//! Runs the store's [`BUMP_TOTALS`] data migration on a store table, as a process of its
//! own that a test can kill: `migration-runner ENDPOINT TABLE`. Its lease lasts 2 s, so
//! that a runner taking over from it once it is killed waits little.

use std::time::Duration;

use dynaschema::migrate::Migrator;
use dynaschema::{ClientConfig, Table};
use dynaschema_tests::store::{store_schema_named, BUMP_TOTALS, RUNNER_APP};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, endpoint, table] = &args[..] else {
        eprintln!("usage: migration-runner ENDPOINT TABLE");
        return std::process::ExitCode::from(2);
    };
    let connection = ClientConfig::new()
        .endpoint(endpoint)
        .connect()
        .await
        .expect("a client for a loopback endpoint builds");
    let table = Table::new(connection, store_schema_named(table));
    let migrations = [BUMP_TOTALS];
    let result = Migrator::new(&table, RUNNER_APP, &migrations)
        .expect("the store table holds migration records")
        .lease_duration(Duration::from_secs(2))
        .holder("migration-runner")
        .run(false, |event| println!("{event}"))
        .await;
    match result {
        Ok(_) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("migration-runner: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
