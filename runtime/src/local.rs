//! An embedded DynamoDB-compatible server for local work and tests: nothing to install
//! beyond cargo.
//!
//! [`LocalServer`] runs [dynoxide](https://docs.rs/dynoxide-rs), a DynamoDB emulator
//! backed by SQLite, inside the process, serving DynamoDB's HTTP API on a loopback port
//! of its own thread. The AWS SDK talks to it as it talks to DynamoDB, so the code under
//! test is the code that runs in production. It serves requests concurrently and
//! isolates transactions from each other, as DynamoDB does.
//!
//! A test of your own: start a server, provision your table from your schema.toml,
//! and read back what you wrote. (`#[dynaschema::test]` does the first two for you.)
//!
//! ```
//! use dynaschema::local::LocalServer;
//! use dynaschema::{provision, Entity, Schema, Table};
//!
//! #[derive(Debug, Clone, PartialEq, Entity)]
//! #[dynamo(pk = "USER#{id}", sk = "PROFILE")]
//! struct User {
//!     #[dynamo(key_only)]
//!     id: u64,
//!     name: String,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> dynaschema::Result<()> {
//! let server = LocalServer::start().await?; // in memory, on a free port
//! let connection = server.connect().await?;
//! // In your own tests: Schema::load("schema.toml")?
//! let schema = Schema::parse(
//!     "[table]\nname = \"users\"\npartition_key = { name = \"PK\", type = \"S\" }\n\
//!      sort_key = { name = \"SK\", type = \"S\" }\n",
//!     "schema.toml",
//! )?;
//! provision::provision(&connection, &schema, provision::DEFAULT_WAIT, |_| {}).await?;
//! let table = Table::new(connection, schema);
//!
//! let user = User { id: 7, name: "clara".into() };
//! table.put(&user).await?;
//! assert_eq!(table.get(User::key(7)).await?, Some(user));
//! # Ok(()) }
//! ```
//!
//! [`LocalServer::open`] keeps the data in a file, so it outlives the process; the
//! `dynaschema-local` binary of this crate (`cargo install --path runtime --features
//! local --bin dynaschema-local` in dynaschema's repository) serves such a file on a
//! fixed port for other programs.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::client::{ClientConfig, Connection, LOCAL_REGION};
use crate::error::{Error, Result};

/// Where a [`LocalServer`] keeps its tables.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Storage {
    /// In memory: the tables go with the server.
    Memory,
    /// In an SQLite file, created when missing (with its directory): the tables outlive
    /// the server and the process.
    File(PathBuf),
}

/// A DynamoDB-compatible server running in this process. Stopped when dropped.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> dynaschema::Result<()> {
/// let server = dynaschema::local::LocalServer::start().await?;
/// assert!(server.endpoint().starts_with("http://127.0.0.1:"));
/// let connection = server.connect().await?;
/// let tables = connection.client().list_tables().send().await.expect("the server answers");
/// assert!(tables.table_names().is_empty());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct LocalServer {
    endpoint: String,
    storage: Storage,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl LocalServer {
    /// A server with its tables in memory, on a free loopback port.
    pub async fn start() -> Result<Self> {
        Self::serve(Storage::Memory, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// A server with its tables in the SQLite file at `path` (created when missing), on a
    /// free loopback port. Tables written by an earlier server on the same file are there.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::serve(
            Storage::File(path.as_ref().to_owned()),
            SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        )
        .await
    }

    /// A server with its tables in `storage`, listening on `address` (port 0 for a free
    /// one). An address in use is an error that names it.
    pub async fn serve(storage: Storage, address: SocketAddr) -> Result<Self> {
        Self::launch(storage, address)
    }

    /// The one server of this process that tests share, started in memory on first use
    /// and kept until the process exits. Tests keep apart by using tables of their own
    /// (as `#[dynaschema::test]` does).
    pub fn shared() -> Result<&'static LocalServer> {
        static SHARED: OnceLock<std::result::Result<LocalServer, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                Self::launch(Storage::Memory, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|message| Error::Config(message.clone()))
    }

    /// The server's URL, such as `http://127.0.0.1:41234`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Where the server keeps its tables.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// A connection to this server: region `us-east-1` and dummy credentials, whatever
    /// the environment says.
    pub async fn connect(&self) -> Result<Connection> {
        ClientConfig::new()
            .endpoint(&self.endpoint)
            .region(LOCAL_REGION)
            .with_dummy_credentials()
            .connect()
            .await
    }

    /// Opens the storage, binds the address and serves on a thread of the server's own,
    /// with its own runtime, so that it outlives any caller's runtime (each
    /// `#[tokio::test]` has one).
    fn launch(storage: Storage, address: SocketAddr) -> Result<Self> {
        let database = match &storage {
            Storage::Memory => dynoxide::Database::memory(),
            Storage::File(path) => {
                if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                        path: dir.to_owned(),
                        source,
                    })?;
                }
                let text = path.to_str().ok_or_else(|| {
                    Error::Config(format!(
                        "the local server's file path {} is not UTF-8; choose another",
                        path.display()
                    ))
                })?;
                dynoxide::Database::new(text)
            }
        }
        .map_err(|e| Error::Config(format!("cannot open the local server's storage: {e}")))?;

        let listener = TcpListener::bind(address)
            .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
            .map_err(|e| {
                Error::Config(format!(
                    "the local server cannot listen on {address}: {e}{}",
                    if e.kind() == std::io::ErrorKind::AddrInUse {
                        " (another server is there: stop it, or choose another port)"
                    } else {
                        ""
                    }
                ))
            })?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::Config(format!("the local server has no address: {e}")))?
            .port();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("dynaschema-local")
            .enable_all()
            .build()
            .map_err(|e| Error::Config(format!("cannot start the local server's runtime: {e}")))?;

        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("dynaschema-local".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .expect("a bound non-blocking listener registers with its runtime");
                    tokio::select! {
                        () = dynoxide::server::serve_on(listener, database) => {}
                        _ = stopped => {}
                    }
                });
            })
            .map_err(|e| Error::Config(format!("cannot start the local server's thread: {e}")))?;

        Ok(LocalServer {
            endpoint: format!("http://127.0.0.1:{port}"),
            storage,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // The file, when there is one, is closed once the thread ends.
            let _ = thread.join();
        }
    }
}

/// A table of the test's own on the shared server, named after the test and unique in the
/// process.
pub(crate) async fn test_table(schema_path: &str, test_name: &str) -> Result<crate::Table> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);

    let server = LocalServer::shared()?;
    let base: String = test_name
        .rsplit("::")
        .next()
        .unwrap_or(test_name)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(200)
        .collect();
    let name = format!("{base}-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let schema = crate::Schema::load(schema_path)?.with_table_name(&name)?;
    let connection = server.connect().await?;
    crate::provision::provision(&connection, &schema, crate::provision::DEFAULT_WAIT, |_| {})
        .await?;
    Ok(crate::Table::new(connection, schema))
}
