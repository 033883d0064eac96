//! The `dynaschema` binary as a user runs it, on a design that is not ningipoints (the
//! test fixtures' online store), against the test server.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dynaschema_tests::{endpoint, flags_only, repository_root, unique_table_name};

fn store_schema() -> PathBuf {
    repository_root().join("tests/fixtures/store.toml")
}

/// `dynaschema ARGS` run in `dir`, against the test server.
fn dynaschema_in(dir: &Path, args: &[&str]) -> Output {
    flags_only(&mut Command::new(env!("CARGO_BIN_EXE_dynaschema")))
        .current_dir(dir)
        .args(args)
        .args(["--endpoint", endpoint()])
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn plan_apply_plan_status_on_a_table_of_another_design() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(store_schema(), dir.path().join("schema.toml")).unwrap();
    let table = unique_table_name("cli-store");
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--table", table.as_str()]);
        dynaschema_in(dir.path(), &all)
    };

    let plan = run(&["plan"]);
    assert_eq!(plan.status.code(), Some(2), "{}", text(&plan.stderr));
    let stdout = text(&plan.stdout);
    assert!(stdout.starts_with(&format!("+ table {table}")), "{stdout}");
    assert!(stdout.contains("Plan: 1 to add"), "{stdout}");

    let apply = run(&["apply"]);
    assert_eq!(apply.status.code(), Some(0), "{}", text(&apply.stderr));
    assert!(
        text(&apply.stdout).contains(&table),
        "{}",
        text(&apply.stdout)
    );

    let again = run(&["plan"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert!(
        text(&again.stdout).starts_with("No changes"),
        "{}",
        text(&again.stdout)
    );

    let status = run(&["status"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
    let stdout = text(&status.stdout);
    assert!(
        stdout.starts_with(&format!("table {table}: ACTIVE")),
        "{stdout}"
    );
    for index in ["EmailKeys", "GSI1", "GSI2", "ProductNames"] {
        assert!(
            stdout.contains(&format!("index {index}: ACTIVE")),
            "{stdout}"
        );
    }
    assert!(
        stdout.ends_with("schema: the table matches it\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("migration"), "{stdout}");
}

#[test]
fn the_schema_comes_from_the_flag_the_environment_or_the_directory_and_nowhere_else() {
    let empty = tempfile::tempdir().unwrap();
    let missing = dynaschema_in(empty.path(), &["plan"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(missing.stdout.is_empty());
    let stderr = text(&missing.stderr);
    assert!(
        stderr.starts_with("dynaschema: no schema file at schema.toml"),
        "{stderr}"
    );
    assert!(stderr.contains("--schema PATH"), "{stderr}");

    let schema = store_schema();
    let by_flag = dynaschema_in(
        empty.path(),
        &[
            "export",
            "--format",
            "terraform",
            "--schema",
            schema.to_str().unwrap(),
        ],
    );
    assert_eq!(by_flag.status.code(), Some(0), "{}", text(&by_flag.stderr));
    assert!(text(&by_flag.stdout).contains("name = \"store\""));

    let by_environment = Command::new(env!("CARGO_BIN_EXE_dynaschema"))
        .current_dir(empty.path())
        .args(["export", "--format", "terraform"])
        .env("DYNASCHEMA_SCHEMA", &schema)
        .env("DYNASCHEMA_TABLE", "store-dev")
        .output()
        .unwrap();
    assert_eq!(
        by_environment.status.code(),
        Some(0),
        "{}",
        text(&by_environment.stderr)
    );
    assert!(text(&by_environment.stdout).contains("name = \"store-dev\""));
}

#[test]
fn export_prints_each_format_from_the_schema_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(store_schema(), dir.path().join("schema.toml")).unwrap();
    // No server is asked: an endpoint that answers nothing does not matter.
    let export = |format: &str| {
        Command::new(env!("CARGO_BIN_EXE_dynaschema"))
            .current_dir(dir.path())
            .args([
                "export",
                "--format",
                format,
                "--endpoint",
                "http://127.0.0.1:9",
            ])
            .output()
            .unwrap()
    };
    let json = export("cloudformation");
    assert_eq!(json.status.code(), Some(0), "{}", text(&json.stderr));
    let template: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let properties = &template["Resources"]["StoreTable"]["Properties"];
    assert_eq!(properties["TableName"], "store");
    assert_eq!(
        properties["GlobalSecondaryIndexes"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    let yaml = text(&export("cloudformation-yaml").stdout);
    assert!(
        yaml.contains("    Type: \"AWS::DynamoDB::Table\"\n"),
        "{yaml}"
    );
    let hcl = text(&export("terraform").stdout);
    assert!(
        hcl.starts_with("resource \"aws_dynamodb_table\" \"store\" {"),
        "{hcl}"
    );

    // A reproducible stamp, so that a committed model only changes with the schema.
    let workbench = Command::new(env!("CARGO_BIN_EXE_dynaschema"))
        .current_dir(dir.path())
        .args(["export", "--format", "workbench"])
        .env("SOURCE_DATE_EPOCH", "1796083200")
        .output()
        .unwrap();
    assert_eq!(
        workbench.status.code(),
        Some(0),
        "{}",
        text(&workbench.stderr)
    );
    let model: serde_json::Value = serde_json::from_slice(&workbench.stdout).unwrap();
    assert_eq!(
        model["ModelMetadata"]["DateCreated"],
        "Dec 01, 2026, 12:00 AM"
    );
    let table = &model["DataModel"][0];
    assert_eq!(table["TableName"], "store");
    assert_eq!(table["GlobalSecondaryIndexes"].as_array().unwrap().len(), 4);
    assert_eq!(
        text(&workbench.stderr),
        "dynaschema: note: schema.toml gives no type for the projected attributes name; the \
         model has them as strings (S)\n"
    );

    let unknown = export("pulumi");
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr).contains("cloudformation-yaml"),
        "{}",
        text(&unknown.stderr)
    );
}

#[test]
fn init_adopts_a_live_table_and_plan_then_finds_nothing_to_change() {
    let dir = tempfile::tempdir().unwrap();
    let table = unique_table_name("cli-init");
    let schema = store_schema();
    let created = dynaschema_in(
        dir.path(),
        &[
            "apply",
            "--schema",
            schema.to_str().unwrap(),
            "--table",
            &table,
        ],
    );
    assert_eq!(created.status.code(), Some(0), "{}", text(&created.stderr));

    let init = dynaschema_in(dir.path(), &["init", "--from-table", &table]);
    assert_eq!(init.status.code(), Some(0), "{}", text(&init.stderr));
    assert_eq!(
        text(&init.stdout),
        format!("wrote the schema of table {table} to schema.toml\n")
    );
    let written = std::fs::read_to_string(dir.path().join("schema.toml")).unwrap();
    assert!(
        written.contains(&format!("name = \"{table}\"")),
        "{written}"
    );
    assert!(
        written.contains("projection = \"INCLUDE\"\nnon_key_attributes = [\"name\"]"),
        "{written}"
    );

    let plan = dynaschema_in(dir.path(), &["plan"]);
    assert_eq!(
        plan.status.code(),
        Some(0),
        "{}{}",
        text(&plan.stdout),
        text(&plan.stderr)
    );

    // The file is there now: left alone without --force.
    let again = dynaschema_in(dir.path(), &["init"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("schema.toml exists already"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("schema.toml")).unwrap(),
        written
    );

    let starter = dynaschema_in(dir.path(), &["init", "--force"]);
    assert_eq!(starter.status.code(), Some(0), "{}", text(&starter.stderr));
    let text_written = std::fs::read_to_string(dir.path().join("schema.toml")).unwrap();
    assert_eq!(text_written, dynaschema_cli::init::STARTER);

    let missing = dynaschema_in(
        dir.path(),
        &[
            "init",
            "--from-table",
            "no-such-table",
            "--schema",
            "other.toml",
        ],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing.stderr).contains("`no-such-table` does not exist"),
        "{}",
        text(&missing.stderr)
    );
    assert!(!dir.path().join("other.toml").exists());
}

#[test]
fn without_migrations_there_is_no_migrate_and_without_a_command_no_action() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(store_schema(), dir.path().join("schema.toml")).unwrap();
    let migrate = dynaschema_in(dir.path(), &["migrate"]);
    assert_eq!(migrate.status.code(), Some(1));
    assert!(
        text(&migrate.stderr).contains("dynaschema has no data migrations"),
        "{}",
        text(&migrate.stderr)
    );
    let help = dynaschema_in(dir.path(), &["--help"]);
    assert!(
        !text(&help.stdout).contains("migrate"),
        "{}",
        text(&help.stdout)
    );

    // Nothing is created by a bare `dynaschema`: it shows the usage and fails.
    let bare = dynaschema_in(dir.path(), &[]);
    assert_eq!(bare.status.code(), Some(1));
    assert!(
        text(&bare.stdout).contains("Usage: dynaschema"),
        "{}",
        text(&bare.stdout)
    );
}

#[test]
fn apply_flags_belong_to_apply_before_or_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let table = unique_table_name("cli-flags");
    std::fs::copy(store_schema(), dir.path().join("schema.toml")).unwrap();
    for args in [
        &["plan", "--allow-destructive"][..],
        &["--wait", "5", "status"],
        &[
            "export",
            "--format",
            "terraform",
            "--wait",
            "1",
            "--allow-destructive",
        ],
    ] {
        let refused = dynaschema_in(dir.path(), &[args, &["--table", &table]].concat());
        assert_eq!(refused.status.code(), Some(1), "{args:?}");
        assert!(refused.stdout.is_empty(), "{args:?}");
        assert!(
            text(&refused.stderr).contains("belongs to `dynaschema apply`"),
            "{args:?}: {}",
            text(&refused.stderr)
        );
    }
    // Nothing was created by the refusals; the flags work on either side of `apply`.
    let plan = dynaschema_in(dir.path(), &["plan", "--table", &table]);
    assert_eq!(plan.status.code(), Some(2), "{}", text(&plan.stderr));
    for args in [
        &["--wait", "60", "apply"][..],
        &["apply", "--allow-destructive"],
    ] {
        let applied = dynaschema_in(dir.path(), &[args, &["--table", &table]].concat());
        assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stderr));
    }
    let plan = dynaschema_in(dir.path(), &["plan", "--table", &table]);
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan.stdout));
}
