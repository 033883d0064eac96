//! Counting the requests a client sends: an SDK interceptor that tallies each HTTP
//! request by DynamoDB operation, and what Scan and Query answers say they read, so that
//! tests can assert how many requests a function makes.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::scan::ScanOutput;

/// What a [`RequestCounter`] has seen since it was made or last reset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// HTTP requests sent, by operation (`GetItem`, `Query`, ...), retries included.
    pub requests: BTreeMap<String, usize>,
    /// The sum of `ScannedCount` over the Scan and Query answers, by operation: how
    /// many items DynamoDB read (and bills) before filtering.
    pub scanned: BTreeMap<String, i64>,
    /// The sum of `Count` over the Scan and Query answers, by operation: how many items
    /// were sent back.
    pub returned: BTreeMap<String, i64>,
    /// Scan and Query answers that carried a `LastEvaluatedKey` (a page with more after
    /// it), by operation.
    pub pages_with_more: BTreeMap<String, usize>,
}

impl Counts {
    /// Requests of `operation`.
    pub fn requests(&self, operation: &str) -> usize {
        of(&self.requests, operation)
    }

    /// Requests of every operation.
    pub fn total(&self) -> usize {
        self.requests.values().sum()
    }

    /// Items read by the answers of `operation` (Scan or Query).
    pub fn scanned(&self, operation: &str) -> i64 {
        of(&self.scanned, operation)
    }

    /// Items returned by the answers of `operation` (Scan or Query).
    pub fn returned(&self, operation: &str) -> i64 {
        of(&self.returned, operation)
    }

    /// Answers of `operation` that said more pages follow.
    pub fn pages_with_more(&self, operation: &str) -> usize {
        of(&self.pages_with_more, operation)
    }
}

/// The count of `operation` in `counts`, 0 if none.
fn of<T: Copy + Default>(counts: &BTreeMap<String, T>, operation: &str) -> T {
    counts.get(operation).copied().unwrap_or_default()
}

/// The interceptor: cheap to clone, every clone shares the same counts.
#[derive(Debug, Clone, Default)]
pub struct RequestCounter {
    counts: Arc<Mutex<Counts>>,
}

impl RequestCounter {
    /// What was counted so far.
    pub fn counts(&self) -> Counts {
        self.counts.lock().expect("not poisoned").clone()
    }

    /// What was counted so far, and starts again from zero.
    pub fn take(&self) -> Counts {
        std::mem::take(&mut *self.counts.lock().expect("not poisoned"))
    }

    /// Starts again from zero.
    pub fn reset(&self) {
        self.take();
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    /// Once per HTTP request, retries included. The operation is named by the JSON
    /// protocol's `X-Amz-Target: DynamoDB_20120810.<Operation>` header.
    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = context
            .request()
            .headers()
            .get("x-amz-target")
            .and_then(|target| target.rsplit('.').next())
            .unwrap_or("<unknown>")
            .to_owned();
        let mut counts = self.counts.lock().expect("not poisoned");
        *counts.requests.entry(operation).or_default() += 1;
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Ok(output) = context.output_or_error() else {
            return Ok(());
        };
        let read = if let Some(scan) = output.downcast_ref::<ScanOutput>() {
            Some((
                "Scan",
                scan.scanned_count,
                scan.count,
                scan.last_evaluated_key.is_some(),
            ))
        } else {
            output.downcast_ref::<QueryOutput>().map(|query| {
                (
                    "Query",
                    query.scanned_count,
                    query.count,
                    query.last_evaluated_key.is_some(),
                )
            })
        };
        if let Some((operation, scanned, returned, more)) = read {
            let mut counts = self.counts.lock().expect("not poisoned");
            *counts.scanned.entry(operation.to_owned()).or_default() += i64::from(scanned);
            *counts.returned.entry(operation.to_owned()).or_default() += i64::from(returned);
            if more {
                *counts
                    .pages_with_more
                    .entry(operation.to_owned())
                    .or_default() += 1;
            }
        }
        Ok(())
    }
}

/// `connection`'s client with a [`RequestCounter`] added, and the counter.
pub fn counting(connection: &dynaschema::Connection) -> (dynaschema::Connection, RequestCounter) {
    let counter = RequestCounter::default();
    let config = connection
        .client()
        .config()
        .to_builder()
        .interceptor(counter.clone())
        .build();
    let client = aws_sdk_dynamodb::Client::from_conf(config);
    (
        dynaschema::Connection::from_client(client, connection.endpoint()),
        counter,
    )
}
