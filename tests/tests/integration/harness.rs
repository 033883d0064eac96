//! The harness itself: how it starts servers and names tables.

use std::path::Path;

use dynaschema_tests::{ningipoints_schema, start_server, ENDPOINT_VAR, SETUP_COMMAND};

#[test]
fn a_missing_venv_fails_at_once_naming_the_setup_command() {
    let message = match start_server(Path::new("/nonexistent/.venv"), "serial") {
        Err(message) => message,
        Ok(_) => panic!("a server started from a missing .venv"),
    };
    assert!(message.contains(SETUP_COMMAND), "{message}");
    assert!(message.contains(ENDPOINT_VAR), "{message}");
}

#[test]
fn table_names_are_unique_and_valid() {
    let a = ningipoints_schema("x").table.name;
    let b = ningipoints_schema("x").table.name;
    assert_ne!(a, b);
}
