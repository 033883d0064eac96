//! The harness of the integration tests: a live DynamoDB-compatible server and a table
//! name of each test's own.
//!
//! Which server, in order:
//! - `DYNASCHEMA_TEST_ENDPOINT` set: that endpoint (any server, real DynamoDB included);
//! - `DYNASCHEMA_TEST_SERVER=moto`: a moto server of the test binary's own, started from
//!   the repository's `.venv/` on a free loopback port, stopped when the test binary
//!   exits (it watches its standard input, which closes with the test process); without
//!   `.venv/` a test fails at once, naming the command that creates it;
//! - otherwise (`DYNASCHEMA_TEST_SERVER` unset or `dynoxide`): the embedded dynoxide
//!   server of `dynaschema::local`, one per test binary, shared by its tests.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use dynaschema::local::LocalServer;
use dynaschema::{ClientConfig, Connection, Item, Schema, Table};

pub mod counting;
pub mod entities;
pub mod faults;
pub mod store;
pub mod tasks;

pub use counting::{Counts, RequestCounter};

/// The environment variable naming an endpoint to test against instead of a server of
/// the test binary's own.
pub const ENDPOINT_VAR: &str = "DYNASCHEMA_TEST_ENDPOINT";

/// The environment variable choosing the server of the test binary's own: `dynoxide`
/// (the default) or `moto`.
pub const SERVER_VAR: &str = "DYNASCHEMA_TEST_SERVER";

/// The command that installs moto.
pub const SETUP_COMMAND: &str = "scripts/dynamodb-local install";

/// The implementation the tests talk to, for the few behaviours in which
/// DynamoDB-compatible servers differ from DynamoDB and from each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// The embedded dynoxide server.
    Dynoxide,
    /// moto.
    Moto,
    /// Whatever `DYNASCHEMA_TEST_ENDPOINT` names: real DynamoDB, or a server whose kind
    /// is not known; tests assert DynamoDB's behaviour on it.
    Endpoint,
}

/// The server the tests use, from the environment. Panics on an unknown
/// `DYNASCHEMA_TEST_SERVER`, naming the choices.
pub fn server_kind() -> ServerKind {
    if std::env::var_os(ENDPOINT_VAR).is_some() {
        return ServerKind::Endpoint;
    }
    match std::env::var(SERVER_VAR).as_deref() {
        Err(_) | Ok("") | Ok("dynoxide") => ServerKind::Dynoxide,
        Ok("moto") => ServerKind::Moto,
        Ok(other) => panic!("{SERVER_VAR}={other} is not a server: use `dynoxide` or `moto`"),
    }
}

/// Runs moto in-process and stops it when standard input closes: when the test binary
/// exits, however it exits, the server goes with it. Its argument is `serial` or
/// `threaded`.
///
/// Tests use `serial`: requests are served one at a time. DynamoDB isolates
/// transactions from each other; moto serving requests on several threads does not (a
/// canceled transaction restores a snapshot of the whole table, undoing concurrent
/// writes), so concurrency tests would test moto rather than the code under test.
/// `threaded` serves a request per thread: for the bulk benchmarks, whose point is how
/// many requests are in flight at once, and which run no transactions.
const SERVER_SCRIPT: &str = r#"
import logging, sys, threading
from werkzeug.serving import make_server
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication, MotoRequestHandler, create_backend_app)
logging.getLogger("werkzeug").setLevel(logging.ERROR)
app = DomainDispatcherApplication(create_backend_app)
threaded = sys.argv[1] == "threaded"
server = make_server("127.0.0.1", 0, app, threaded=threaded, request_handler=MotoRequestHandler)
threading.Thread(target=server.serve_forever, daemon=True).start()
print(server.server_port, flush=True)
sys.stdin.read()
server.shutdown()
"#;

/// The server the tests use: its endpoint and, when this process started it, the
/// process and the pipe whose closing stops it.
pub struct Server {
    endpoint: String,
    _process: Option<(ChildStdin, Child)>,
}

/// The repository root.
pub fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The endpoint of the server the tests use, started on first use.
///
/// Panics when the server cannot start, saying why (for moto without `.venv/`, naming
/// the setup command).
pub fn endpoint() -> &'static str {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    shared_endpoint(&SERVER, "serial")
}

/// The endpoint of a server that serves requests concurrently, started on first use:
/// for benchmarks of bounded concurrency only. It is [`endpoint`]'s server, except with
/// moto, where it is a second moto server serving a request per thread (see
/// the harness's moto script, mode `threaded`).
pub fn endpoint_threaded() -> &'static str {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    shared_endpoint(&SERVER, "threaded")
}

/// The endpoint of the server kept in `server`: `DYNASCHEMA_TEST_ENDPOINT`'s, the shared
/// embedded server, or a moto server in `mode` started on first use and kept for the
/// process.
fn shared_endpoint(server: &'static OnceLock<Result<Server, String>>, mode: &str) -> &'static str {
    let server = server.get_or_init(|| match server_kind() {
        ServerKind::Endpoint => Ok(Server {
            endpoint: std::env::var(ENDPOINT_VAR).unwrap_or_default(),
            _process: None,
        }),
        ServerKind::Dynoxide => LocalServer::shared()
            .map(|local| Server {
                endpoint: local.endpoint().to_owned(),
                _process: None,
            })
            .map_err(|e| e.to_string()),
        ServerKind::Moto => start_server(&repository_root().join(".venv"), mode),
    });
    match server {
        Ok(server) => &server.endpoint,
        Err(message) => panic!("{message}"),
    }
}

/// Starts moto from the virtual environment `venv`, `serial` or `threaded` as `mode`
/// says, on a port the OS picks.
pub fn start_server(venv: &Path, mode: &str) -> Result<Server, String> {
    let python = venv.join("bin").join("python");
    if !venv.join("bin").join("moto_server").is_file() {
        return Err(format!(
            "no local DynamoDB server to test against: {} has no moto. Run `{SETUP_COMMAND}` \
             in the repository root, or set {ENDPOINT_VAR} to the URL of a running server",
            venv.display()
        ));
    }
    let mut child = Command::new(&python)
        .args(["-c", SERVER_SCRIPT, mode])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", python.display()))?;
    let stdin = child.stdin.take().expect("stdin is piped");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout is piped"))
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the moto server's port: {e}"))?;
    let port: u16 = line.trim().parse().map_err(|_| {
        format!(
            "the moto server did not start (it printed {line:?} instead of its port); \
             reinstall it with `rm -rf .venv && {SETUP_COMMAND}`"
        )
    })?;
    Ok(Server {
        endpoint: format!("http://127.0.0.1:{port}"),
        _process: Some((stdin, child)),
    })
}

/// `command` without the settings of the environment that would choose another
/// endpoint, table or schema than its flags (`AWS_ENDPOINT_URL`,
/// `AWS_ENDPOINT_URL_DYNAMODB`, `DYNASCHEMA_SCHEMA`, `DYNASCHEMA_TABLE`,
/// `NINGIPOINTS_TABLE`): for tests that run a binary.
pub fn flags_only(command: &mut Command) -> &mut Command {
    for var in [
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "DYNASCHEMA_SCHEMA",
        "DYNASCHEMA_TABLE",
        "NINGIPOINTS_TABLE",
    ] {
        command.env_remove(var);
    }
    command
}

/// A connection to the test server.
pub async fn connect() -> Connection {
    ClientConfig::new()
        .endpoint(endpoint())
        .connect()
        .await
        .expect("a client for a loopback endpoint always builds")
}

/// A connection to the test server whose requests are counted, and the counter.
///
/// ```no_run
/// # async fn run() {
/// let (connection, counter) = dynaschema_tests::counting_connection().await;
/// // ... requests through `connection` ...
/// assert_eq!(counter.take().requests("GetItem"), 1);
/// # }
/// ```
pub async fn counting_connection() -> (Connection, RequestCounter) {
    counting::counting(&connect().await)
}

/// A table name no other test uses, in this run or another against the same server.
pub fn unique_table_name(purpose: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "t-{purpose}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The repository's schema.toml for a table of the test's own.
pub fn ningipoints_schema(purpose: &str) -> Schema {
    Schema::load(repository_root().join("schema.toml"))
        .expect("the repository's schema.toml is valid")
        .with_table_name(&unique_table_name(purpose))
        .expect("unique table names are valid")
}

/// A table of the test's own, created from the repository's schema.toml, ready for
/// operations.
pub async fn provisioned_table(purpose: &str) -> Table {
    provisioned(ningipoints_schema(purpose), connect().await).await
}

/// A table of the test's own, as [`provisioned_table`], and the counter of the
/// requests sent to it.
pub async fn counted_table(purpose: &str) -> (Table, RequestCounter) {
    let (connection, counter) = counting_connection().await;
    (
        provisioned(ningipoints_schema(purpose), connection).await,
        counter,
    )
}

/// Writes `item` with a plain PutItem, as another client (or an older version of an
/// application) would: none of the toolkit's conditions, guards or stamps.
pub async fn put_raw(table: &Table, item: Item) {
    table
        .client()
        .put_item()
        .table_name(table.name())
        .set_item(Some(item))
        .send()
        .await
        .expect("the item is written");
}

/// The item of `key` as stored, read with a plain consistent GetItem.
pub async fn get_raw(table: &Table, key: Item) -> Option<Item> {
    table
        .client()
        .get_item()
        .table_name(table.name())
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .expect("the item is read")
        .item
}

/// The table of `schema`, created through `connection` and ready for operations.
pub async fn provisioned(schema: Schema, connection: Connection) -> Table {
    dynaschema::provision::provision(
        &connection,
        &schema,
        std::time::Duration::from_secs(60),
        |_| {},
    )
    .await
    .expect("provisioning succeeds");
    Table::new(connection, schema)
}
