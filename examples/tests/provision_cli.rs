//! The `provision` binary as a user runs it.

use std::net::TcpListener;
use std::process::{Command, Output};

use dynaschema_tests::{endpoint, repository_root, unique_table_name};

/// Runs `provision` with `args`, in the repository root, with the AWS settings of the
/// environment removed so that only the flags count.
fn provision(args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_provision"));
    command.args(args).current_dir(repository_root());
    for var in [
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "NINGIPOINTS_TABLE",
    ] {
        command.env_remove(var);
    }
    command.output().expect("provision runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn provision_creates_the_table_then_reports_that_nothing_changed() {
    let table = unique_table_name("cli");
    let first = provision(&["--endpoint", endpoint(), "--table", &table]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let stdout = text(&first.stdout);
    let lines: Vec<_> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert_eq!(
        lines[0],
        format!("created table {table}: partition key PK (S), sort key SK (S), PAY_PER_REQUEST")
    );
    assert_eq!(
        lines[1],
        "created index EmailIndex: partition key email (S), projection ALL"
    );
    assert!(
        lines[2].starts_with(&format!("table {table} and its 1 index are ACTIVE")),
        "{stdout}"
    );

    let second = provision(&["--endpoint", endpoint(), "--table", &table]);
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert_eq!(
        text(&second.stdout),
        format!("table {table} exists and matches the schema: nothing changed\n")
    );
}

#[test]
fn a_malformed_schema_is_reported_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema.toml");
    std::fs::write(
        &path,
        "[table]\nname = \"ningipoints\"\npartition_key = { name = \"PK\", typ = \"S\" }\n",
    )
    .unwrap();
    let table = unique_table_name("malformed");
    let output = provision(&[
        "--schema",
        path.to_str().unwrap(),
        "--endpoint",
        endpoint(),
        "--table",
        &table,
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "provision: {}:3:32: unknown field `typ`, expected `name` or `type`",
            path.display()
        )),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn an_endpoint_where_nothing_listens_is_named() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let output = provision(&["--endpoint", &endpoint]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("cannot reach DynamoDB at {endpoint}")),
        "{stderr}"
    );
}

#[test]
fn an_invalid_table_name_is_refused_before_any_request() {
    // The endpoint is unreachable: the name is checked first.
    let output = provision(&["--endpoint", "http://127.0.0.1:9", "--table", "a b"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("invalid table name `a b`"), "{stderr}");
}

#[test]
fn dummy_credentials_are_never_sent_to_a_remote_endpoint() {
    let home = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_provision"));
    command
        .args(["--endpoint", "https://dynamodb.invalid"])
        .current_dir(repository_root())
        .env("HOME", home.path());
    for (var, _) in std::env::vars() {
        if var.starts_with("AWS_") {
            command.env_remove(var);
        }
    }
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("no AWS credentials are configured for https://dynamodb.invalid"),
        "{stderr}"
    );
    assert!(
        stderr.contains("only ever sent to a loopback endpoint"),
        "{stderr}"
    );
}

#[test]
fn bad_flags_exit_2_and_help_explains() {
    let output = provision(&["--no-such-flag"]);
    assert_eq!(output.status.code(), Some(2));
    let help = provision(&["--help"]);
    assert!(help.status.success());
    let help = text(&help.stdout);
    for flag in ["--schema", "--table", "--endpoint", "--wait"] {
        assert!(help.contains(flag), "{help}");
    }
}
