//! The `ningipoints` binary as a user runs it: JSON out, exit codes, nothing written on
//! bad input.

use std::process::{Command, Output};
use std::time::Duration;

use dynaschema::provision;
use dynaschema_tests::faults::{FaultProxy, Faults, Rates};
use dynaschema_tests::{connect, endpoint, flags_only, ningipoints_schema};
use serde_json::{json, Value};

/// A provisioned table of the test's own, and a way to run the CLI on it.
struct Cli {
    table: String,
}

impl Cli {
    async fn new(purpose: &str) -> Cli {
        let schema = ningipoints_schema(purpose);
        provision::provision(&connect().await, &schema, Duration::from_secs(60), |_| {})
            .await
            .unwrap();
        Cli {
            table: schema.table.name,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_at(endpoint(), args)
    }

    /// Runs the CLI against `endpoint`.
    fn run_at(&self, endpoint: &str, args: &[&str]) -> Output {
        flags_only(&mut Command::new(env!("CARGO_BIN_EXE_ningipoints")))
            .args(["--endpoint", endpoint, "--table", &self.table])
            .args(args)
            .output()
            .expect("ningipoints runs")
    }

    /// Runs a command that must succeed, and parses its JSON.
    fn json(&self, args: &[&str]) -> Value {
        self.json_at(endpoint(), args)
    }

    /// [`json`](Self::json) against `endpoint`.
    fn json_at(&self, endpoint: &str, args: &[&str]) -> Value {
        let output = self.run_at(endpoint, args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e})"))
    }

    /// Runs a command that must fail with `code`, writing nothing; a refusal (1) is one
    /// line, a usage error (2) may show the usage too.
    async fn fails(&self, args: &[&str], code: i32) -> String {
        let before = self.item_count().await;
        let output = self.run(args);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
        if code == 1 {
            assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        }
        assert!(
            stderr.starts_with("ningipoints: ") || stderr.starts_with("error: "),
            "{args:?}: {stderr}"
        );
        assert_eq!(
            self.item_count().await,
            before,
            "{args:?} changed the table"
        );
        stderr
    }

    async fn item_count(&self) -> usize {
        let connection = connect().await;
        let page = connection
            .client()
            .scan()
            .table_name(&self.table)
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        page.items.unwrap_or_default().len()
    }
}

#[tokio::test]
async fn the_seed_walkthrough_prints_json() {
    let cli = Cli::new("cli-walk").await;
    let account = cli.json(&["create-account", "123", "clara", "clara@42sp.org.br"]);
    assert_eq!(account["id"], 123);
    assert_eq!(account["name"], "clara");
    assert_eq!(account["email"], "clara@42sp.org.br");
    assert_eq!(account["balance"], 0);
    let mut keys: Vec<_> = account.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["balance", "created_at", "email", "id", "name"]);

    assert_eq!(cli.json(&["get-account", "123"]), account);
    let credit = cli.json(&[
        "create-operation",
        "123",
        "credit",
        "100",
        "--at",
        "2026-11-24T10:00:00-03:00",
    ]);
    assert_eq!(
        credit,
        json!({"account_id": 123, "type": "credit", "amount": 100, "created_at": "2026-11-24T13:00:00.000000Z"})
    );
    cli.json(&["create-operation", "123", "debit", "50"]);
    let operations = cli.json(&["get-operations", "123"]);
    assert_eq!(operations.as_array().unwrap().len(), 2);
    assert_eq!(operations[0], credit);
    assert_eq!(operations[1]["type"], "debit");

    let accounts = cli.json(&["get-accounts"]);
    assert_eq!(accounts.as_array().unwrap().len(), 1);
    assert_eq!(accounts[0]["balance"], 50);
    assert_eq!(
        cli.json(&["get-account-by-email", "clara@42sp.org.br"])["id"],
        123
    );
    assert_eq!(
        cli.json(&["delete-account", "123"]),
        json!({"id": 123, "deleted_operations": 2})
    );
    assert_eq!(cli.json(&["get-account", "123"]), Value::Null);
    assert_eq!(
        cli.json(&["get-account-by-email", "clara@42sp.org.br"]),
        Value::Null
    );
    assert_eq!(cli.json(&["get-accounts"]), json!([]));
}

#[tokio::test]
async fn refused_operations_exit_1_and_write_nothing() {
    let cli = Cli::new("cli-refused").await;
    cli.json(&["create-account", "1", "ana", "ana@x.org"]);
    let stderr = cli
        .fails(&["create-account", "1", "other", "other@x.org"], 1)
        .await;
    assert!(stderr.contains("account 1 already exists"), "{stderr}");
    let stderr = cli
        .fails(&["create-account", "2", "other", "ana@x.org"], 1)
        .await;
    assert_eq!(
        stderr,
        "ningipoints: email already in use by account 1: ana@x.org\n"
    );
    let stderr = cli
        .fails(&["create-operation", "2", "credit", "5"], 1)
        .await;
    assert!(stderr.contains("account 2 does not exist"), "{stderr}");
    let stderr = cli.fails(&["create-operation", "1", "debit", "5"], 1).await;
    assert!(stderr.contains("balance of 0"), "{stderr}");
    let stderr = cli.fails(&["delete-account", "2"], 1).await;
    assert!(stderr.contains("account 2 does not exist"), "{stderr}");
}

#[tokio::test]
async fn bad_input_exits_2_and_writes_nothing() {
    let cli = Cli::new("cli-bad").await;
    cli.json(&["create-account", "1", "ana", "ana@x.org"]);
    let cases: &[&[&str]] = &[
        &["create-account", "abc", "ana", "ana@x.org"],
        &["create-account", "-1", "ana", "ana@x.org"],
        &["create-account", "2", "", "ana@x.org"],
        &["create-account", "2", "ana", "ana.x.org"],
        &["create-account", "2", "ana", "ana@x@org"],
        &["create-account", "2", "ana", "@x.org"],
        &["create-account", "2", "ana", "ana@"],
        &["get-account", "1.5"],
        &["create-operation", "1", "credit", "0"],
        &["create-operation", "1", "credit", "-5"],
        &["create-operation", "1", "credit", "ten"],
        &["create-operation", "1", "credit", "1.5"],
        &["create-operation", "1", "refund", "5"],
        &["create-operation", "1", "credit", "5", "--at", "yesterday"],
        &["get-account-by-email", "nobody"],
        &["no-such-command"],
        &[],
    ];
    for args in cases {
        cli.fails(args, 2).await;
    }
    assert_eq!(cli.json(&["get-account", "1"])["balance"], 0);
}

#[tokio::test]
async fn an_unreachable_endpoint_is_named() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let output = Command::new(env!("CARGO_BIN_EXE_ningipoints"))
        .args(["--endpoint", &endpoint, "get-account", "1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot reach DynamoDB at {endpoint}")),
        "{stderr}"
    );
}

#[tokio::test]
async fn pages_walk_with_their_cursors_and_a_bad_cursor_exits_2() {
    let cli = Cli::new("cli-pages").await;
    cli.json(&["create-account", "1", "ana", "ana@x.org"]);
    cli.json(&["create-account", "2", "bob", "bob@x.org"]);
    let points = ningipoints::Ningipoints::new(connect().await).with_table_name(&cli.table);
    let start = dynaschema::Timestamp::parse("2026-11-24T21:16:54Z").unwrap();
    for amount in 1..=40_u64 {
        let at = dynaschema::Timestamp::from_unix_micros(start.as_unix_micros() + amount as i64);
        points
            .create_operation_at(1, ningipoints::OperationType::Credit, amount, at)
            .await
            .unwrap();
    }

    // Through a proxy that counts the requests of each page (and injects no fault).
    let proxy = FaultProxy::in_front_of_test_server(Faults::new(Rates::none()), 1);
    let counted = proxy.endpoint();
    let walk = |command: &str, id: Option<&str>, limit: &str| {
        let mut items = Vec::new();
        let mut cursors = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut args = vec![command];
            args.extend(id);
            args.extend(["--limit", limit]);
            if let Some(cursor) = &cursor {
                args.extend(["--cursor", cursor]);
            }
            let before = proxy.seen().len();
            let page = cli.json_at(&counted, &args);
            let requests: Vec<String> = proxy.seen()[before..]
                .iter()
                .map(|seen| seen.operation.clone())
                .collect();
            assert_eq!(requests.len(), 1, "one request per page: {requests:?}");
            let page_items = page["items"].as_array().expect("items").clone();
            assert!(page_items.len() <= limit.parse().unwrap(), "{page}");
            items.extend(page_items);
            match &page["next"] {
                Value::Null => break,
                Value::String(next) => {
                    cursors.push(next.clone());
                    cursor = Some(next.clone());
                }
                other => panic!("next is {other}"),
            }
        }
        (items, cursors)
    };
    let (operations, cursors) = walk("get-operations", Some("1"), "7");
    let amounts: Vec<u64> = operations
        .iter()
        .map(|o| o["amount"].as_u64().unwrap())
        .collect();
    assert_eq!(
        amounts,
        (1..=40).collect::<Vec<_>>(),
        "all 40, once, in order"
    );
    assert_eq!(cursors.len(), 5, "6 pages");
    assert_eq!(operations[0]["type"], "credit");
    let (accounts, _) = walk("get-accounts", None, "1");
    let mut ids: Vec<u64> = accounts.iter().map(|a| a["id"].as_u64().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, [1, 2]);

    // Without --limit, the whole list as before.
    assert_eq!(
        cli.json(&["get-operations", "1"]).as_array().unwrap().len(),
        40
    );

    let cursor = cursors[0].as_str();
    let mut tampered = cursor.to_owned().into_bytes();
    let last = tampered.len() - 3;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for args in [
        &["get-operations", "1", "--limit", "7", "--cursor", &tampered][..],
        &["get-operations", "2", "--limit", "7", "--cursor", cursor],
        &["get-accounts", "--limit", "7", "--cursor", cursor],
        &["get-operations", "1", "--limit", "0"],
        &["get-operations", "1", "--cursor", cursor],
    ] {
        let stderr = cli.fails(args, 2).await;
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    let stderr = cli
        .fails(
            &["get-operations", "1", "--limit", "7", "--cursor", &tampered],
            2,
        )
        .await;
    assert!(stderr.contains("cursor"), "{stderr}");
}
