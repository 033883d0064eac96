//! Creates the ningipoints table from schema.toml, and brings it to the schema when the
//! schema changes: `plan` shows the changes, `apply` (also without a command) makes them,
//! `status` shows the table, `migrate` runs ningipoints' data migrations. It is the
//! dynaschema command line with ningipoints' migrations compiled in.

use std::process::ExitCode;

use dynaschema_cli::app::{run, App};
use ningipoints::migrations::{APP, MIGRATIONS};
use ningipoints::target::{repository_schema_path, TABLE_VARIABLE};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let app = App::new("provision")
        .migrations(APP, MIGRATIONS)
        .adopt_unnamed_records()
        .table_variable(TABLE_VARIABLE)
        .fallback_schema(repository_schema_path())
        .apply_by_default();
    run(app).await
}
