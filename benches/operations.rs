//! The client-side cost of a typed operation against the same raw SDK call, with no
//! network: both go through one SDK client whose HTTP client answers canned
//! responses (`Canned`), so what is measured is building the request, the SDK's
//! serialization, signing and orchestration, deserialization, and the conversions. The
//! raw calls do the same conversions by hand, so both sides return the same values.
//! See BENCHMARKS.md.
//!
//! With `DYNASCHEMA_BENCH_REPEAT=<side>:<n>` (a side such as `typed-debit` or
//! `raw-query`, see [`SIDES`]) it runs that side `n` times and exits, without criterion:
//! what `scripts/bench-instructions` counts the instructions of under valgrind.

mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use criterion::{criterion_group, criterion_main, Criterion};
use dynaschema::{Connection, Entity, Schema, Table, Timestamp};

use common::{Account, ByHand, Operation, OperationType};

/// An HTTP client that answers each request with the body its operation's name gets,
/// without a network: what the benchmark measures is the work on either side of it.
#[derive(Clone)]
struct Canned(Arc<dyn Fn(&str) -> String + Send + Sync>);

impl std::fmt::Debug for Canned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Canned")
    }
}

impl HttpConnector for Canned {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let operation = request
            .headers()
            .get("x-amz-target")
            .and_then(|target| target.rsplit('.').next())
            .unwrap_or_default();
        let mut response = HttpResponse::new(
            200.try_into().expect("a valid status"),
            SdkBody::from((self.0)(operation)),
        );
        response
            .headers_mut()
            .insert("content-type", "application/x-amz-json-1.0");
        HttpConnectorFuture::ready(Ok(response))
    }
}

impl HttpClient for Canned {
    fn http_connector(
        &self,
        _: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

/// How many operations the canned Query page holds.
const PAGE: usize = 20;

/// A DynamoDB JSON attribute map of an item.
fn json_item(item: &dynaschema::Item) -> String {
    let fields: Vec<String> = item
        .iter()
        .map(|(name, value)| {
            let value = match value {
                AttributeValue::S(s) => format!("{{\"S\":\"{s}\"}}"),
                AttributeValue::N(n) => format!("{{\"N\":\"{n}\"}}"),
                other => panic!("no JSON for {other:?} in this benchmark"),
            };
            format!("\"{name}\":{value}")
        })
        .collect();
    format!("{{{}}}", fields.join(","))
}

fn operations() -> Vec<Operation> {
    (0..PAGE as i64)
        .map(|i| Operation {
            account_id: 123_456,
            kind: if i % 3 == 0 {
                OperationType::Debit
            } else {
                OperationType::Credit
            },
            amount: 10 + i as u64,
            created_at: Timestamp::from_unix_micros(1_795_900_614_000_000 + i),
        })
        .collect()
}

/// A client whose every request is answered at once with the canned body of its
/// operation (named by the `X-Amz-Target` header).
fn canned_client() -> Client {
    let account = json_item(&Account::sample().to_item().unwrap());
    let get = format!("{{\"Item\":{account}}}");
    let items: Vec<String> = operations()
        .iter()
        .map(|o| json_item(&o.to_item().unwrap()))
        .collect();
    let query = format!(
        "{{\"Count\":{PAGE},\"ScannedCount\":{PAGE},\"Items\":[{}]}}",
        items.join(",")
    );
    let http = Canned(Arc::new(move |operation: &str| match operation {
        "GetItem" => get.clone(),
        "Query" => query.clone(),
        _ => "{}".to_owned(),
    }));
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKID", "SECRET", None, None, "bench"))
        .http_client(http)
        .build();
    Client::from_conf(config)
}

fn table(client: &Client) -> Table {
    let schema = Schema::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.toml"))
        .expect("the repository's schema.toml is valid");
    Table::new(Connection::from_client(client.clone(), "canned"), schema)
}

async fn raw_get(client: &Client, table: &str, id: u64) -> Option<Account> {
    let output = client
        .get_item()
        .table_name(table)
        .key("PK", AttributeValue::S(format!("ACCOUNT#{id}")))
        .key("SK", AttributeValue::S("ACCOUNT".to_owned()))
        .consistent_read(false)
        .send()
        .await
        .expect("canned");
    output
        .item
        .as_ref()
        .map(|item| Account::hand_from_item(item).expect("decodes"))
}

async fn raw_put_new(client: &Client, table: &str, account: &Account) {
    client
        .put_item()
        .table_name(table)
        .set_item(Some(account.hand_to_item()))
        .condition_expression("attribute_not_exists(#n0)")
        .expression_attribute_names("#n0", "PK")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .expect("canned");
}

async fn raw_query(client: &Client, table: &str, account_id: u64) -> Vec<Operation> {
    let output = client
        .query()
        .table_name(table)
        .key_condition_expression("#n0 = :v0 AND begins_with(#n1, :v1)")
        .expression_attribute_names("#n0", "PK")
        .expression_attribute_names("#n1", "SK")
        .expression_attribute_values(":v0", AttributeValue::S(format!("ACCOUNT#{account_id}")))
        .expression_attribute_values(":v1", AttributeValue::S("OPERATION#".to_owned()))
        .scan_index_forward(true)
        .send()
        .await
        .expect("canned");
    output
        .items
        .unwrap_or_default()
        .iter()
        .map(|item| Operation::hand_from_item(item).expect("decodes"))
        .collect()
}

/// The transaction of a debit, as ningipoints makes it: the operation, new, and the
/// balance, required to cover it.
async fn raw_debit(client: &Client, table: &str, operation: &Operation) {
    let amount = operation.amount as i64;
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(operation.hand_to_item()))
        .condition_expression("attribute_not_exists(#n0)")
        .expression_attribute_names("#n0", "PK")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .expect("complete");
    let update = Update::builder()
        .table_name(table)
        .key(
            "PK",
            AttributeValue::S(format!("ACCOUNT#{}", operation.account_id)),
        )
        .key("SK", AttributeValue::S("ACCOUNT".to_owned()))
        .update_expression("ADD #n0 :v0")
        .condition_expression("(attribute_exists(#n1) AND #n0 >= :v1)")
        .expression_attribute_names("#n0", "balance")
        .expression_attribute_names("#n1", "PK")
        .expression_attribute_values(":v0", AttributeValue::N((-amount).to_string()))
        .expression_attribute_values(":v1", AttributeValue::N(amount.to_string()))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .expect("complete");
    client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().put(put).build())
        .transact_items(TransactWriteItem::builder().update(update).build())
        .send()
        .await
        .expect("canned");
}

async fn typed_get(table: &Table, id: u64) -> Option<Account> {
    table.get(Account::key(id)).await.expect("canned")
}

async fn typed_put_new(table: &Table, account: &Account) {
    table.put(account).if_not_exists().await.expect("canned")
}

async fn typed_query(table: &Table, account_id: u64) -> Vec<Operation> {
    table
        .query(Operation::partition(account_id))
        .all()
        .await
        .expect("canned")
}

async fn typed_debit(table: &Table, operation: &Operation) {
    let amount = operation.amount as i64;
    table
        .transact()
        .put_new(operation)
        .update(Account::key(operation.account_id), |u| {
            u.add(Account::BALANCE, -amount)
                .require(Account::BALANCE.ge(amount))
        })
        .await
        .expect("canned");
}

/// The sides `DYNASCHEMA_BENCH_REPEAT` can repeat, typed and raw for each operation.
const SIDES: [&str; 8] = [
    "typed-get",
    "raw-get",
    "typed-put",
    "raw-put",
    "typed-query",
    "raw-query",
    "typed-debit",
    "raw-debit",
];

/// Runs one side `n` times, as the criterion groups below do once per iteration.
async fn repeat(side: &str, n: usize, client: &Client, table: &Table) {
    let name = table.name();
    let (account, operation) = (Account::sample(), Operation::sample());
    for _ in 0..n {
        match side {
            "typed-get" => drop(black_box(typed_get(table, 123_456).await)),
            "raw-get" => drop(black_box(raw_get(client, name, 123_456).await)),
            "typed-put" => typed_put_new(table, black_box(&account)).await,
            "raw-put" => raw_put_new(client, name, black_box(&account)).await,
            "typed-query" => drop(black_box(typed_query(table, 123_456).await)),
            "raw-query" => drop(black_box(raw_query(client, name, 123_456).await)),
            "typed-debit" => typed_debit(table, black_box(&operation)).await,
            "raw-debit" => raw_debit(client, name, black_box(&operation)).await,
            _ => panic!("unknown side {side:?}: one of {SIDES:?}"),
        }
    }
}

fn client_side_cost(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let client = canned_client();
    let table = table(&client);
    let name = table.name().to_owned();
    let account = Account::sample();
    let operation = Operation::sample();

    if let Some((side, n)) = common::repeat_spec() {
        runtime.block_on(repeat(&side, n, &client, &table));
        std::process::exit(0);
    }

    // Both sides answer the same.
    runtime.block_on(async {
        let typed = typed_get(&table, 123_456).await;
        assert_eq!(typed, raw_get(&client, &name, 123_456).await);
        let typed = typed_query(&table, 123_456).await;
        assert_eq!(typed, raw_query(&client, &name, 123_456).await);
        assert_eq!(typed, operations());
    });

    let mut group = c.benchmark_group("operation/GetItem");
    group.bench_function("typed", |b| {
        b.to_async(&runtime)
            .iter(|| typed_get(&table, black_box(123_456)))
    });
    group.bench_function("raw SDK", |b| {
        b.to_async(&runtime)
            .iter(|| raw_get(&client, &name, black_box(123_456)))
    });
    group.finish();

    let mut group = c.benchmark_group("operation/PutItem if_not_exists");
    group.bench_function("typed", |b| {
        b.to_async(&runtime)
            .iter(|| typed_put_new(&table, black_box(&account)))
    });
    group.bench_function("raw SDK", |b| {
        b.to_async(&runtime)
            .iter(|| raw_put_new(&client, &name, black_box(&account)))
    });
    group.finish();

    let mut group = c.benchmark_group(format!("operation/Query of {PAGE} operations"));
    group.bench_function("typed", |b| {
        b.to_async(&runtime)
            .iter(|| typed_query(&table, black_box(123_456)))
    });
    group.bench_function("raw SDK", |b| {
        b.to_async(&runtime)
            .iter(|| raw_query(&client, &name, black_box(123_456)))
    });
    group.finish();

    let mut group = c.benchmark_group("operation/TransactWriteItems debit");
    group.bench_function("typed", |b| {
        b.to_async(&runtime)
            .iter(|| typed_debit(&table, black_box(&operation)))
    });
    group.bench_function("raw SDK", |b| {
        b.to_async(&runtime)
            .iter(|| raw_debit(&client, &name, black_box(&operation)))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion(Duration::from_secs(3));
    targets = client_side_cost
}
criterion_main!(benches);
