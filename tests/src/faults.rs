//! The fault harness: a seeded HTTP proxy between a client and a real server that injects
//! DynamoDB's failure modes, which no local server shows, so that tests can check what
//! the toolkit does under them.
//!
//! Each request draws, from one seeded generator, at most one of:
//! - **reset**: the connection closes before the request reaches the server;
//! - **throttling**: a `ThrottlingException` (HTTP 400), the request not forwarded;
//! - **server error**: an `InternalServerError` (HTTP 500), the request not forwarded;
//! - **conflict** (TransactWriteItems only): a `TransactionCanceledException` whose
//!   reasons name one item `TransactionConflict`, as DynamoDB cancels a transaction that
//!   meets another, the request not forwarded;
//! - **lost acknowledgement**: the request is forwarded and applied, then the connection
//!   closes before the answer reaches the client;
//! - **unprocessed items** (BatchWriteItem and BatchGetItem): each request item is held
//!   back at this rate and answered as `UnprocessedItems` / `UnprocessedKeys`; the rest
//!   is forwarded. When every item is held back, the answer is a
//!   `ProvisionedThroughputExceededException`, as DynamoDB's.
//!
//! The proxy runs on a thread of its own, so that it outlives any one test's runtime and
//! serves other processes (a CLI run by a test) as well. It stops when dropped.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use dynaschema::{ClientConfig, Table};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{json, Map, Value};
use tokio::sync::oneshot;

/// How often each fault is injected, as a fraction of requests (of batch items for
/// `unprocessed`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rates {
    /// Connections closed before the request is forwarded.
    pub reset: f64,
    /// `ThrottlingException` answers.
    pub throttle: f64,
    /// `InternalServerError` answers.
    pub server_error: f64,
    /// TransactWriteItems canceled for a `TransactionConflict`.
    pub conflict: f64,
    /// Requests applied whose answer is lost.
    pub lost_ack: f64,
    /// Batch items held back as unprocessed.
    pub unprocessed: f64,
}

impl Rates {
    /// No fault at all.
    pub fn none() -> Rates {
        Rates::default()
    }

    /// The mix the toolkit must withstand: 10% throttling, 5% server errors, 5% resets,
    /// 20% lost acknowledgements, 15% transaction conflicts and 60% unprocessed batch
    /// items.
    pub fn hostile() -> Rates {
        Rates {
            reset: 0.05,
            throttle: 0.10,
            server_error: 0.05,
            conflict: 0.15,
            lost_ack: 0.20,
            unprocessed: 0.60,
        }
    }
}

/// Which faults the proxy injects: rates for every operation, and rates of their own
/// for the operations named.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rates: Rates,
    per_operation: BTreeMap<String, Rates>,
    scripts: BTreeMap<String, VecDeque<Fate>>,
}

impl Faults {
    /// `rates` for every operation.
    pub fn new(rates: Rates) -> Faults {
        Faults {
            rates,
            ..Faults::default()
        }
    }

    /// The fates of the first requests of `operation`, in order, before any is drawn:
    /// `[LostAck, Passed]` loses the first answer and passes the second. Only `Passed`,
    /// `Reset`, `Throttled`, `ServerError`, `AppliedThenServerError`, `Conflict` and
    /// `LostAck` can be scripted.
    pub fn script(mut self, operation: &str, fates: impl IntoIterator<Item = Fate>) -> Faults {
        self.scripts
            .entry(operation.to_owned())
            .or_default()
            .extend(fates);
        self
    }

    /// `rates` for `operation` (such as `DescribeTable`) instead.
    pub fn operation(mut self, operation: &str, rates: Rates) -> Faults {
        self.per_operation.insert(operation.to_owned(), rates);
        self
    }

    fn rates(&self, operation: &str) -> Rates {
        self.per_operation
            .get(operation)
            .copied()
            .unwrap_or(self.rates)
    }
}

/// What happened to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fate {
    /// Forwarded, and its answer passed on.
    Passed,
    /// Closed before forwarding.
    Reset,
    /// Answered with a ThrottlingException.
    Throttled,
    /// Answered with an InternalServerError.
    ServerError,
    /// Forwarded and applied, then answered with an InternalServerError (scripted only:
    /// DynamoDB's 500s may come after the write was made).
    AppliedThenServerError,
    /// Answered with a TransactionConflict cancellation.
    Conflict,
    /// Forwarded and applied, its answer lost.
    LostAck,
    /// Forwarded in part, the rest answered as unprocessed.
    PartlyUnprocessed,
    /// Held back entirely: a ProvisionedThroughputExceededException.
    AllUnprocessed,
}

/// One request the proxy saw.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The DynamoDB operation, such as `PutItem`.
    pub operation: String,
    /// What the proxy did with it.
    pub fate: Fate,
    /// The request's `ClientRequestToken`, for TransactWriteItems.
    pub token: Option<String>,
}

/// A running proxy; dropping it stops it.
pub struct FaultProxy {
    address: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    seed: u64,
}

struct Shared {
    upstream: String,
    faults: Faults,
    scripts: Mutex<BTreeMap<String, VecDeque<Fate>>>,
    random: Mutex<fastrand::Rng>,
    seen: Arc<Mutex<Vec<Seen>>>,
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port in front of `upstream` (such as
    /// `http://127.0.0.1:8000`), drawing faults from `seed`.
    pub fn start(upstream: &str, faults: Faults, seed: u64) -> FaultProxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let address = listener.local_addr().expect("a bound address");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = oneshot::channel();
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            scripts: Mutex::new(faults.scripts.clone()),
            faults,
            random: Mutex::new(fastrand::Rng::with_seed(seed)),
            seen: seen.clone(),
            client: Client::builder(TokioExecutor::new()).build_http(),
        });
        let thread = std::thread::Builder::new()
            .name("fault-proxy".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("a runtime for the proxy");
                runtime.block_on(serve(listener, shared, stopped));
            })
            .expect("a thread for the proxy");
        FaultProxy {
            address,
            seen,
            stop: Some(stop),
            thread: Some(thread),
            seed,
        }
    }

    /// A proxy in front of the test server (see [`endpoint`](crate::endpoint)).
    pub fn in_front_of_test_server(faults: Faults, seed: u64) -> FaultProxy {
        FaultProxy::start(crate::endpoint(), faults, seed)
    }

    /// `table` reached through the proxy: its name and schema on a client of the
    /// proxy's endpoint.
    pub async fn table(&self, table: &Table) -> Table {
        let connection = ClientConfig::new()
            .endpoint(self.endpoint())
            .connect()
            .await
            .expect("a client for a loopback endpoint always builds");
        Table::new(connection, table.schema().clone()).with_name(table.name())
    }

    /// The proxy's endpoint URL.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The seed the faults are drawn from, for a failing test's message.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Every request seen so far, in the order they arrived.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("not poisoned").clone()
    }

    /// How many requests met each fate, of `operation` or of all when `None`.
    pub fn fates(&self, operation: Option<&str>) -> BTreeMap<Fate, usize> {
        let mut fates = BTreeMap::new();
        for seen in self.seen() {
            if operation.is_none_or(|op| op == seen.operation) {
                *fates.entry(seen.fate).or_default() += 1;
            }
        }
        fates
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A seed from the environment's `DYNASCHEMA_FAULT_SEED`, else from the clock; a failing
/// test prints it, so that its faults can be drawn again.
pub fn seed() -> u64 {
    std::env::var("DYNASCHEMA_FAULT_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |since| since.as_nanos() as u64)
        })
}

async fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    mut stopped: oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(_) => continue,
            },
            _ = &mut stopped => return,
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let shared = shared.clone();
                async move { handle(&shared, request).await }
            });
            // A connection closed on purpose ends with an error: nothing to report.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The error a service answers to close the connection without an answer.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by the fault proxy")
    }
}

impl std::error::Error for Dropped {}

type Answer = Result<Response<Full<Bytes>>, Dropped>;

async fn handle(shared: &Shared, request: Request<Incoming>) -> Answer {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
    let operation = parts
        .headers
        .get("x-amz-target")
        .and_then(|target| target.to_str().ok())
        .and_then(|target| target.rsplit('.').next())
        .unwrap_or("<unknown>")
        .to_owned();
    let rates = shared.faults.rates(&operation);
    let draw = shared.random.lock().expect("not poisoned").f64();
    let token = (operation == "TransactWriteItems")
        .then(|| serde_json::from_slice::<Value>(&body).ok())
        .flatten()
        .and_then(|request| request["ClientRequestToken"].as_str().map(str::to_owned));
    let record = |fate| {
        shared.seen.lock().expect("not poisoned").push(Seen {
            operation: operation.clone(),
            fate,
            token: token.clone(),
        });
    };

    let scripted = shared
        .scripts
        .lock()
        .expect("not poisoned")
        .get_mut(&operation)
        .and_then(VecDeque::pop_front);
    let mut bound = 0.0;
    let mut falls = |rate: f64, fate: Fate| match scripted {
        Some(scripted) => scripted == fate,
        None => {
            bound += rate;
            draw < bound
        }
    };
    if falls(rates.reset, Fate::Reset) {
        record(Fate::Reset);
        return Err(Dropped);
    }
    if falls(rates.throttle, Fate::Throttled) {
        record(Fate::Throttled);
        return Ok(error_answer(
            StatusCode::BAD_REQUEST,
            json!({
                "__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
                "message": "Rate of requests exceeds the allowed throughput."
            }),
        ));
    }
    if falls(rates.server_error, Fate::ServerError) {
        record(Fate::ServerError);
        return Ok(server_error());
    }
    if operation == "TransactWriteItems" && falls(rates.conflict, Fate::Conflict) {
        record(Fate::Conflict);
        return Ok(conflict_answer(shared, &body));
    }
    if falls(rates.lost_ack, Fate::LostAck) {
        record(Fate::LostAck);
        forward(shared, &parts, body).await?;
        return Err(Dropped);
    }
    if scripted == Some(Fate::AppliedThenServerError) {
        record(Fate::AppliedThenServerError);
        forward(shared, &parts, body).await?;
        return Ok(server_error());
    }
    if scripted.is_none()
        && rates.unprocessed > 0.0
        && let Some(answer) = hold_back(
            shared,
            &operation,
            &parts,
            &body,
            rates.unprocessed,
            &record,
        )
        .await
    {
        return answer;
    }
    record(Fate::Passed);
    let (status, headers, body) = forward(shared, &parts, body).await?;
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}

/// Sends the request upstream and answers its status, headers and body; a failure to
/// reach the server closes the client's connection.
async fn forward(
    shared: &Shared,
    parts: &hyper::http::request::Parts,
    body: Bytes,
) -> Result<(StatusCode, hyper::HeaderMap, Bytes), Dropped> {
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = Request::builder()
        .method(parts.method.clone())
        .uri(format!("{}{path}", shared.upstream));
    for (name, value) in &parts.headers {
        if name != hyper::header::HOST && name != hyper::header::CONTENT_LENGTH {
            request = request.header(name, value);
        }
    }
    let request = request.body(Full::new(body)).map_err(|_| Dropped)?;
    let response = shared.client.request(request).await.map_err(|_| Dropped)?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
    let mut headers = parts.headers;
    headers.remove(hyper::header::CONTENT_LENGTH);
    headers.remove(hyper::header::TRANSFER_ENCODING);
    Ok((parts.status, headers, body))
}

/// DynamoDB's answer to a request it failed on.
fn server_error() -> Response<Full<Bytes>> {
    error_answer(
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({
            "__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
            "message": "Internal server error"
        }),
    )
}

fn error_answer(status: StatusCode, body: Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amzn-requestid", "fault-proxy")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a valid answer")
}

/// A cancellation naming one item, drawn at random, `TransactionConflict`.
fn conflict_answer(shared: &Shared, body: &[u8]) -> Response<Full<Bytes>> {
    let items = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|request| request["TransactItems"].as_array().map(Vec::len))
        .unwrap_or(1)
        .max(1);
    let conflicting = shared.random.lock().expect("not poisoned").usize(..items);
    let reasons: Vec<Value> = (0..items)
        .map(|index| {
            if index == conflicting {
                json!({ "Code": "TransactionConflict", "Message": "Transaction is ongoing for the item" })
            } else {
                json!({ "Code": "None" })
            }
        })
        .collect();
    let codes: Vec<&str> = (0..items)
        .map(|index| {
            if index == conflicting {
                "TransactionConflict"
            } else {
                "None"
            }
        })
        .collect();
    error_answer(
        StatusCode::BAD_REQUEST,
        json!({
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "message": format!(
                "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                codes.join(", ")
            ),
            "CancellationReasons": reasons
        }),
    )
}

/// Where a batch request's items are, in the requests of one table.
type ItemsOf = fn(&mut Value) -> Option<&mut Vec<Value>>;

/// For a batch, holds back each item at `rate`, forwards the rest and answers the
/// server's answer with the held-back items added as unprocessed; `None` for other
/// operations or when nothing is held back.
async fn hold_back(
    shared: &Shared,
    operation: &str,
    parts: &hyper::http::request::Parts,
    body: &Bytes,
    rate: f64,
    record: &impl Fn(Fate),
) -> Option<Answer> {
    let (unprocessed_field, items_of): (&str, ItemsOf) = match operation {
        "BatchWriteItem" => ("UnprocessedItems", |requests| requests.as_array_mut()),
        "BatchGetItem" => ("UnprocessedKeys", |requests| {
            requests.get_mut("Keys").and_then(Value::as_array_mut)
        }),
        _ => return None,
    };
    let mut request: Value = serde_json::from_slice(body).ok()?;
    let mut held = Map::new();
    let mut kept_any = false;
    {
        let mut random = shared.random.lock().expect("not poisoned");
        let tables = request["RequestItems"].as_object_mut()?;
        for (table, requests) in tables.iter_mut() {
            let mut held_requests = requests.clone();
            let all = std::mem::take(items_of(requests)?);
            let (held_items, kept): (Vec<Value>, Vec<Value>) =
                all.into_iter().partition(|_| random.f64() < rate);
            kept_any |= !kept.is_empty();
            *items_of(requests)? = kept;
            if !held_items.is_empty() {
                *items_of(&mut held_requests)? = held_items;
                held.insert(table.clone(), held_requests);
            }
        }
        tables.retain(|_, requests| items_of(requests).is_some_and(|items| !items.is_empty()));
    }
    if held.is_empty() {
        return None;
    }
    if !kept_any {
        record(Fate::AllUnprocessed);
        return Some(Ok(error_answer(
            StatusCode::BAD_REQUEST,
            json!({
                "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "message": "The level of configured provisioned throughput for the table was exceeded."
            }),
        )));
    }
    record(Fate::PartlyUnprocessed);
    let forwarded = Bytes::from(request.to_string());
    let (status, mut headers, answer) = match forward(shared, parts, forwarded).await {
        Ok(answer) => answer,
        Err(dropped) => return Some(Err(dropped)),
    };
    let mut answer: Value = match serde_json::from_slice(&answer) {
        Ok(answer) if status.is_success() => answer,
        // An error answer is passed on as it is.
        _ => {
            let mut response = Response::new(Full::new(answer));
            *response.status_mut() = status;
            *response.headers_mut() = headers;
            return Some(Ok(response));
        }
    };
    let unprocessed = answer
        .as_object_mut()?
        .entry(unprocessed_field)
        .or_insert_with(|| json!({}));
    let unprocessed = unprocessed.as_object_mut()?;
    for (table, requests) in held {
        let mut requests = requests;
        match unprocessed.get_mut(&table).and_then(items_of) {
            Some(existing) => existing.extend(std::mem::take(items_of(&mut requests)?)),
            None => {
                unprocessed.insert(table, requests);
            }
        }
    }
    // The body changed: its checksum no longer holds.
    headers.remove("x-amz-crc32");
    let mut response = Response::new(Full::new(Bytes::from(answer.to_string())));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Some(Ok(response))
}
