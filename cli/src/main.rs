//! `dynaschema`: plan, apply, show and export the DynamoDB table a schema.toml describes,
//! and write a schema.toml from a live table.

use std::process::ExitCode;

use dynaschema_cli::app::{run, App};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    run(App::new("dynaschema")).await
}
