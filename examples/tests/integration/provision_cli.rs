//! The `provision` binary as a user runs it.

use std::net::TcpListener;
use std::process::{Command, Output};

use aws_sdk_dynamodb::types::AttributeValue;
use dynaschema::migrate::{Migration, MigrationContext, MigrationState, Migrator};
use dynaschema::Table;
use futures::future::BoxFuture;

use dynaschema_tests::{
    connect, endpoint, flags_only, repository_root, server_kind, unique_table_name, ServerKind,
};

/// Runs `provision` with `args`, in the repository root, with the AWS settings of the
/// environment removed so that only the flags count.
fn provision(args: &[&str]) -> Output {
    flags_only(&mut Command::new(env!("CARGO_BIN_EXE_provision")))
        .args(args)
        .current_dir(repository_root())
        .output()
        .expect("provision runs")
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
    // Where it was about to change something, then why it could not.
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert_eq!(
        lines[0],
        format!("provision: apply to table ningipoints at {endpoint} (region us-east-1)")
    );
    assert!(
        lines[1].contains(&format!("cannot reach DynamoDB at {endpoint}")),
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
        .args([
            "--endpoint",
            "https://dynamodb.invalid",
            "--region",
            "eu-west-1",
        ])
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

// A bad command line exits 1, not clap's usual 2: `plan` exits 2 for "changes pending",
// and a mistyped flag in CI must not read as drift.
#[test]
fn bad_flags_exit_1_and_help_explains() {
    for args in [
        &["--no-such-flag"][..],
        &["plan", "--no-such-flag"],
        &["drop"],
    ] {
        let output = provision(args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(output.stdout.is_empty());
        assert!(text(&output.stderr).contains("error:"), "{args:?}");
    }
    let help = provision(&["--help"]);
    assert!(help.status.success());
    let help = text(&help.stdout);
    for flag in [
        "--schema",
        "--table",
        "--endpoint",
        "--wait",
        "--allow-destructive",
        "plan",
        "apply",
        "status",
    ] {
        assert!(help.contains(flag), "{help}");
    }
}

#[test]
fn each_subcommand_says_what_it_does_and_its_exit_codes() {
    for (subcommand, says) in [
        (
            "plan",
            &[
                "change nothing",
                "`+` adds, `~` changes, `-` removes",
                "0 when the table matches the schema, 2 when changes are pending, 1 on error",
            ][..],
        ),
        (
            "apply",
            &[
                "one index per request",
                "--allow-destructive",
                "safe to run again",
                "Exit status: 0",
            ],
        ),
        (
            "status",
            &[
                "item counts",
                "Changes nothing",
                "Exit status: 0 when the table exists, 1 on error",
            ],
        ),
    ] {
        let output = provision(&[subcommand, "--help"]);
        assert_eq!(output.status.code(), Some(0), "{subcommand}");
        let help = text(&output.stdout).replace('\n', " ");
        for phrase in says {
            assert!(
                help.contains(phrase),
                "{subcommand} --help lacks {phrase:?}: {help}"
            );
        }
    }
}

/// Runs `provision` against the test server with the table of the test's own.
fn provision_at(table: &str, args: &[&str]) -> Output {
    let mut all = args.to_vec();
    all.extend(["--endpoint", endpoint(), "--table", table]);
    provision(&all)
}

/// The repository's schema.toml without its EmailIndex, written to a file of its own.
fn schema_without_email_index(dir: &tempfile::TempDir) -> String {
    let full = std::fs::read_to_string(repository_root().join("schema.toml")).unwrap();
    let bare = &full[..full.find("[[index]]").expect("schema.toml has an index")];
    let path = dir.path().join("schema-without-index.toml");
    std::fs::write(&path, bare).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn plan_exits_2_while_changes_are_pending_and_0_once_they_are_applied() {
    let table = unique_table_name("cli-plan");
    let pending = provision_at(&table, &["plan"]);
    assert_eq!(pending.status.code(), Some(2), "{}", text(&pending.stderr));
    assert_eq!(
        text(&pending.stdout),
        format!(
            "+ table {table}: partition key PK (S), sort key SK (S), PAY_PER_REQUEST, with index \
             EmailIndex\nPlan: 1 to add, 0 to change, 0 to remove.\n"
        )
    );

    let applied = provision_at(&table, &["apply"]);
    assert_eq!(applied.status.code(), Some(0), "{}", text(&applied.stderr));
    assert_eq!(
        text(&applied.stdout).lines().next(),
        Some(
            format!(
                "created table {table}: partition key PK (S), sort key SK (S), PAY_PER_REQUEST"
            )
            .as_str()
        )
    );

    let clean = provision_at(&table, &["plan"]);
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean.stderr));
    assert_eq!(
        text(&clean.stdout),
        format!("No changes: table {table} matches the schema.\n")
    );
    // The flags count as well before the subcommand.
    let before = provision(&["--endpoint", endpoint(), "--table", &table, "plan"]);
    assert_eq!(before.status.code(), Some(0), "{}", text(&before.stderr));
    assert_eq!(before.stdout, clean.stdout);
}

#[test]
fn plan_exits_1_on_error_with_the_cause() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = provision(&["plan", "--endpoint", &format!("http://127.0.0.1:{port}")]);
    assert_eq!(unreachable.status.code(), Some(1));
    assert!(text(&unreachable.stderr).contains("cannot reach DynamoDB"));
    assert!(unreachable.stdout.is_empty());

    // A sort key of another type: DynamoDB cannot change it in place.
    let table = unique_table_name("cli-not-in-place");
    assert!(provision_at(&table, &[]).status.success());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema.toml");
    let full = std::fs::read_to_string(repository_root().join("schema.toml")).unwrap();
    std::fs::write(
        &path,
        full.replace(
            "{ name = \"SK\", type = \"S\" }",
            "{ name = \"SK\", type = \"N\" }",
        ),
    )
    .unwrap();
    let refused = provision_at(&table, &["plan", "--schema", path.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("its sort key is SK (S) and the schema's is SK (N)"),
        "{stderr}"
    );
    assert!(stderr.contains("create a new table"), "{stderr}");
}

/// The seed's ex06 done in place: a table made without EmailIndex, holding accounts, is
/// brought to the full schema by `provision apply`, and the index finds the accounts that
/// were there before.
#[tokio::test]
async fn apply_adds_the_email_index_to_a_table_holding_accounts_and_the_index_finds_them() {
    let table = unique_table_name("cli-email-index");
    let dir = tempfile::tempdir().unwrap();
    let bare = schema_without_email_index(&dir);
    let created = provision_at(&table, &["--schema", &bare]);
    assert!(created.status.success(), "{}", text(&created.stderr));
    let stdout = text(&created.stdout);
    assert!(stdout.contains("and its 0 indexes are ACTIVE"), "{stdout}");

    let connection = dynaschema_tests::connect().await;
    let accounts = [
        (1, "Clara", "clara@42.fr", 120),
        (2, "Ana", "ana@42.fr", 0),
        (3, "Bruno", "bruno@42.fr", -15),
    ];
    for (id, name, email, balance) in accounts {
        connection
            .client()
            .put_item()
            .table_name(&table)
            .item("PK", AttributeValue::S(format!("ACCOUNT#{id}")))
            .item("SK", AttributeValue::S("ACCOUNT".into()))
            .item("name", AttributeValue::S(name.into()))
            .item("email", AttributeValue::S(email.into()))
            .item("balance", AttributeValue::N(balance.to_string()))
            .item(
                "created_at",
                AttributeValue::S("2024-05-01T10:00:00Z".into()),
            )
            .send()
            .await
            .unwrap();
    }

    let plan = provision_at(&table, &["plan"]);
    assert_eq!(plan.status.code(), Some(2), "{}", text(&plan.stderr));
    assert_eq!(
        text(&plan.stdout),
        "+ index EmailIndex: partition key email (S), projection ALL\n\
         Plan: 1 to add, 0 to change, 0 to remove.\n"
    );
    let applied = provision_at(&table, &["apply"]);
    assert!(applied.status.success(), "{}", text(&applied.stderr));
    let stdout = text(&applied.stdout);
    let lines: Vec<_> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(
        lines[0],
        "added index EmailIndex: partition key email (S), projection ALL"
    );
    assert!(
        lines[1].starts_with(&format!("table {table} and its 1 index are ACTIVE")),
        "{stdout}"
    );

    for (id, name, email, balance) in accounts {
        let found = connection
            .client()
            .query()
            .table_name(&table)
            .index_name("EmailIndex")
            .key_condition_expression("email = :email")
            .expression_attribute_values(":email", AttributeValue::S(email.into()))
            .send()
            .await
            .unwrap();
        let [item] = found.items() else {
            panic!("expected one account for {email}: {:?}", found.items());
        };
        assert_eq!(item["PK"], AttributeValue::S(format!("ACCOUNT#{id}")));
        assert_eq!(item["name"], AttributeValue::S(name.into()));
        assert_eq!(item["balance"], AttributeValue::N(balance.to_string()));
    }

    let again = provision_at(&table, &[]);
    assert_eq!(
        text(&again.stdout),
        format!("table {table} exists and matches the schema: nothing changed\n")
    );
}

#[test]
fn apply_refuses_destructive_steps_without_the_flag_and_changes_nothing() {
    let table = unique_table_name("cli-destructive");
    assert!(provision_at(&table, &[]).status.success());
    let dir = tempfile::tempdir().unwrap();
    let bare = schema_without_email_index(&dir);

    for args in [&["apply", "--schema", &bare][..], &["--schema", &bare]] {
        let refused = provision_at(&table, args);
        assert_eq!(refused.status.code(), Some(1), "{args:?}");
        assert!(refused.stdout.is_empty(), "{}", text(&refused.stdout));
        let stderr = text(&refused.stderr);
        assert!(
            stderr.contains("- index EmailIndex: partition key email (S), projection ALL"),
            "{stderr}"
        );
        assert!(stderr.contains("nothing was changed"), "{stderr}");
        assert!(stderr.contains("--allow-destructive"), "{stderr}");
    }
    let plan = provision_at(&table, &["plan", "--schema", &bare]);
    assert_eq!(plan.status.code(), Some(2));
    assert_eq!(
        text(&plan.stdout),
        "- index EmailIndex: partition key email (S), projection ALL  (destructive)\n\
         Plan: 0 to add, 0 to change, 1 to remove.\n"
    );

    let applied = provision_at(&table, &["apply", "--allow-destructive", "--schema", &bare]);
    assert!(applied.status.success(), "{}", text(&applied.stderr));
    assert_eq!(
        text(&applied.stdout).lines().next(),
        Some("removed index EmailIndex: partition key email (S), projection ALL")
    );
    let clean = provision_at(&table, &["plan", "--schema", &bare]);
    assert_eq!(clean.status.code(), Some(0));
}

#[test]
fn status_shows_the_table_its_indexes_settings_and_schema_drift() {
    let table = unique_table_name("cli-status");
    let missing = provision_at(&table, &["status"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing.stderr).contains(&format!("table `{table}` does not exist")),
        "{}",
        text(&missing.stderr)
    );

    assert!(provision_at(&table, &[]).status.success());
    let status = provision_at(&table, &["status"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
    let stdout = text(&status.stdout);
    let lines: Vec<_> = stdout.lines().collect();
    // DynamoDB reports each global secondary index's ItemCount in DescribeTable
    // (GlobalSecondaryIndexDescription, API reference), as dynoxide does; moto leaves it out.
    let index_count = match server_kind() {
        ServerKind::Moto => "item count not reported",
        ServerKind::Dynoxide | ServerKind::Endpoint => "0 items",
    };
    let index_line = format!(
        "  index EmailIndex: ACTIVE, {index_count}; partition key email (S), projection ALL"
    );
    assert_eq!(
        lines,
        [
            format!("table {table}: ACTIVE, 0 items, 0 bytes (as DynamoDB last counted them)")
                .as_str(),
            "  keys: partition key PK (S), sort key SK (S)",
            "  billing: PAY_PER_REQUEST",
            "  stream: none",
            "  TTL: DISABLED",
            "  deletion protection: off",
            index_line.as_str(),
            "schema: the table matches it",
            "data migrations:",
            "     1 recompute every account's balance from its operations: pending",
            "     2 write the guard of every account's email, which no other account may have: pending",
        ],
        "{stdout}"
    );

    let dir = tempfile::tempdir().unwrap();
    let bare = schema_without_email_index(&dir);
    let drift = provision_at(&table, &["status", "--schema", &bare]);
    assert!(
        text(&drift.stdout).contains(
            "schema: changes pending, 0 to add, 0 to change, 1 to remove: `provision plan` lists them"
        ),
        "{}",
        text(&drift.stdout)
    );
}

/// Writes an account whose balance disagrees with its (absent) operations.
async fn account_with_wrong_balance(table: &str, id: u64) {
    let connection = dynaschema_tests::connect().await;
    connection
        .client()
        .put_item()
        .table_name(table)
        .item("PK", AttributeValue::S(format!("ACCOUNT#{id}")))
        .item("SK", AttributeValue::S("ACCOUNT".into()))
        .item("name", AttributeValue::S("ana".into()))
        .item("email", AttributeValue::S(format!("ana{id}@x.org")))
        .item("balance", AttributeValue::N("70".into()))
        .item(
            "created_at",
            AttributeValue::S("2026-01-01T00:00:00.000000Z".into()),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn migrate_runs_the_pending_data_migrations_once_and_dry_run_changes_nothing() {
    let table = unique_table_name("cli-migrate");
    assert!(provision_at(&table, &[]).status.success());
    account_with_wrong_balance(&table, 1).await;
    account_with_wrong_balance(&table, 2).await;

    let dry = provision_at(&table, &["migrate", "--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry.stderr));
    let stdout = text(&dry.stdout);
    assert!(
        stdout.contains("migration 1 (recompute every account's balance from its operations): pending, would touch 2 items"),
        "{stdout}"
    );
    let status = text(&provision_at(&table, &["status"]).stdout);
    assert!(
        status.contains("balance from its operations: pending"),
        "{status}"
    );

    let run = provision_at(&table, &["migrate"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let stdout = text(&run.stdout);
    assert!(
        stdout.contains(
            "migration 1 (recompute every account's balance from its operations): running"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("): applied, 2 items touched in "),
        "{stdout}"
    );
    assert!(
        stdout.contains("migration 2 (write the guard of every account's email, which no other account may have): running"),
        "{stdout}"
    );
    // Progress goes to plain lines off a terminal: a few, not one per item.
    assert!(stdout.contains("migration 1: 2/2"), "{stdout}");

    let status = text(&provision_at(&table, &["status"]).stdout);
    assert!(
        status.contains("balance from its operations: applied "),
        "{status}"
    );
    assert!(status.contains(", 2 items touched"), "{status}");
    let again = provision_at(&table, &["migrate"]);
    assert_eq!(text(&again.stdout), "no pending data migrations\n");

    // The accounts written before emails were unique now hold theirs.
    let taken = flags_only(&mut Command::new(env!("CARGO_BIN_EXE_ningipoints")))
        .args(["--endpoint", endpoint(), "--table", &table])
        .args(["create-account", "3", "other", "ana1@x.org"])
        .output()
        .unwrap();
    assert_eq!(taken.status.code(), Some(1));
    assert_eq!(
        text(&taken.stderr),
        "ningipoints: email already in use by account 1: ana1@x.org\n"
    );

    let missing = provision_at(&unique_table_name("cli-migrate-missing"), &["migrate"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing.stderr).contains("create it from its schema.toml first (`apply`)"),
        "{}",
        text(&missing.stderr)
    );
}

#[tokio::test]
async fn another_application_on_the_same_table_keeps_its_migrations_apart() {
    let table_name = unique_table_name("cli-two-apps");
    assert!(provision_at(&table_name, &[]).status.success());

    // Another application's migration 1, run on the ningipoints table by its own code.
    fn noop<'a>(ctx: &'a MigrationContext<'a>) -> BoxFuture<'a, dynaschema::Result<()>> {
        Box::pin(async move {
            ctx.touched(0);
            Ok(())
        })
    }
    let schema = ningipoints::schema().with_table_name(&table_name).unwrap();
    let table = Table::new(connect().await, schema);
    let theirs = [Migration::new(1, "index the audit log", "audit v1", noop)];
    let audit = Migrator::new(&table, "audit", &theirs).unwrap();
    assert_eq!(audit.run(false, |_| {}).await.unwrap(), [1]);

    // ningipoints' status lists its own migration only, still pending, not modified.
    let status = text(&provision_at(&table_name, &["status"]).stdout);
    let migrations = &status[status.find("data migrations:").expect("listed")..];
    assert_eq!(
        migrations,
        "data migrations:\n     1 recompute every account's balance from its operations: pending\n     \
         2 write the guard of every account's email, which no other account may have: pending\n"
    );
    let run = provision_at(&table_name, &["migrate"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));

    // And theirs is still theirs alone: applied, nothing missing.
    let statuses = audit.status().await.unwrap();
    assert_eq!(statuses.len(), 1, "{statuses:?}");
    assert!(
        matches!(statuses[0].state, MigrationState::Applied(_)),
        "{statuses:?}"
    );
}
