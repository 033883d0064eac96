//! What the attempts of one write may have done.
//!
//! The SDK sends a request again when its answer is lost (a reset connection, a
//! timeout) or is a 5xx: the first attempt may have been applied all the same. An
//! [`Attempts`] tracker, given to each request of one call, remembers whether any
//! attempt may have been applied, so that the call can recognise its own earlier write
//! when a retry's condition fails on it, and say "outcome unknown" rather than "failed"
//! when it gives up.
//!
//! Every client of the toolkit carries one retry classifier, [`AttemptWatch`], which
//! notes what it sees in the tracker of the write being sent: the write runs its
//! request in [`Attempts::watch`], which makes its tracker the task's own for that time.
//! That costs less than an interceptor, which the SDK calls at every step of every
//! request.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction};

/// Whether any attempt of one call may have been applied. Cheap to clone: clones share
/// what they saw.
#[derive(Debug, Clone, Default)]
pub(crate) struct Attempts {
    maybe_applied: Arc<AtomicBool>,
}

impl Attempts {
    /// A tracker that has seen nothing yet.
    pub(crate) fn new() -> Attempts {
        Attempts::default()
    }

    /// Whether an attempt seen so far reached DynamoDB without a definite answer.
    pub(crate) fn maybe_applied(&self) -> bool {
        self.maybe_applied.load(Ordering::Relaxed)
    }

    /// `send`, a request's future, with its attempts noted in this tracker. Not an
    /// `async fn`: the request's future, kilobytes large, is moved once less.
    pub(crate) fn watch<F: Future>(&self, send: F) -> impl Future<Output = F::Output> {
        CURRENT.scope(self.clone(), send)
    }
}

tokio::task_local! {
    /// The tracker of the write whose request the task is sending.
    static CURRENT: Attempts;
}

/// What every toolkit client carries, as a retry classifier (which the SDK consults
/// once after each attempt, the last included): it notes each attempt's outcome in the
/// tracker of the write being sent, if any, and leaves the decision to retry to the
/// SDK's own classifiers.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct AttemptWatch;

/// `client` with an [`AttemptWatch`] among its retry classifiers.
pub(crate) fn watched(client: &aws_sdk_dynamodb::Client) -> aws_sdk_dynamodb::Client {
    let config = client
        .config()
        .to_builder()
        .retry_classifier(AttemptWatch)
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

impl ClassifyRetry for AttemptWatch {
    fn name(&self) -> &'static str {
        "dynaschema::AttemptWatch"
    }

    /// A 5xx answer, or no answer from a request that may have been sent, leaves the
    /// outcome open. A 4xx answer is DynamoDB's refusal: nothing was applied.
    fn classify_retry(&self, context: &InterceptorContext) -> RetryAction {
        // The error first: an answer whose headers came (even a 200) and whose body
        // was then cut off or timed out is a response or timeout error.
        let open = match context.output_or_error() {
            Some(Err(err)) if err.is_response_error() || err.is_timeout_error() => true,
            Some(Err(err)) if err.is_connector_error() => err
                .as_connector_error()
                .is_none_or(|connector| !never_sent(connector)),
            _ => context
                .response()
                .is_some_and(|response| response.status().is_server_error()),
        };
        if open {
            let _ =
                CURRENT.try_with(|attempts| attempts.maybe_applied.store(true, Ordering::Relaxed));
        }
        RetryAction::NoActionIndicated
    }
}

/// Whether the request that failed with `err` may have been applied all the same: a
/// 5xx answer, or no answer from a request that may have left. What the classifier
/// notes for every attempt, for the last one of a request sent without the SDK's
/// retries.
pub(crate) fn may_have_applied<E>(err: &SdkError<E, HttpResponse>) -> bool {
    match err {
        SdkError::DispatchFailure(failure) => failure
            .as_connector_error()
            .is_none_or(|connector| !never_sent(connector)),
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(service) => service.raw().status().is_server_error(),
        _ => false,
    }
}

/// Whether a connection failure happened before the request could leave: the host name
/// did not resolve, the connection was refused or timed out, or the address or network
/// could not be used.
pub(crate) fn never_sent(err: &ConnectorError) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(error) = cause {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                ConnectionRefused
                    | AddrNotAvailable
                    | AddrInUse
                    | HostUnreachable
                    | NetworkUnreachable
            ) {
                return true;
            }
        }
        // The HTTP client's own words for the connect phase: its connect timeout
        // ("HTTP connect timeout occurred after 3s") and a failed name lookup
        // ("dns error"). Its error types are not this crate's to name.
        let text = error.to_string();
        if text.contains("HTTP connect timeout") || text.starts_with("dns error") {
            return true;
        }
        cause = error.source();
    }
    false
}

/// Whether `stored`, an item DynamoDB returned, is `written`, the item this call wrote:
/// sets compare as sets (DynamoDB keeps its own order) and numbers as numbers
/// (`"1.50"` is `"1.5"`).
pub(crate) fn same_item(
    stored: &HashMap<String, AttributeValue>,
    written: &HashMap<String, AttributeValue>,
) -> bool {
    stored.len() == written.len()
        && written
            .iter()
            .all(|(name, value)| stored.get(name).is_some_and(|s| same_value(s, value)))
}

/// Whether two attribute values are the same value (see [`same_item`]).
pub(crate) fn same_value(a: &AttributeValue, b: &AttributeValue) -> bool {
    use AttributeValue::*;
    let sorted = |mut values: Vec<String>| {
        values.sort();
        values
    };
    match (a, b) {
        (N(a), N(b)) => number(a) == number(b),
        (Ss(a), Ss(b)) => sorted(a.clone()) == sorted(b.clone()),
        (Ns(a), Ns(b)) => {
            sorted(a.iter().map(|n| number(n)).collect())
                == sorted(b.iter().map(|n| number(n)).collect())
        }
        (Bs(a), Bs(b)) => {
            let bytes = |values: &Vec<aws_sdk_dynamodb::primitives::Blob>| {
                let mut bytes: Vec<_> = values.iter().map(|b| b.as_ref().to_vec()).collect();
                bytes.sort();
                bytes
            };
            bytes(a) == bytes(b)
        }
        (L(a), L(b)) => a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_value(a, b)),
        (M(a), M(b)) => same_item(a, b),
        (a, b) => a == b,
    }
}

/// A number's text without what does not change its value: a sign `+`, leading zeros,
/// trailing zeros of a fraction.
fn number(text: &str) -> String {
    let text = text.trim();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let whole = whole.trim_start_matches('0');
    let fraction = fraction.trim_end_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    if whole == "0" && fraction.is_empty() {
        return "0".to_owned();
    }
    match fraction {
        "" => format!("{sign}{whole}"),
        fraction => format!("{sign}{whole}.{fraction}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_compare_sets_as_sets_and_numbers_as_numbers() {
        let item = |tags: &[&str], amount: &str| {
            HashMap::from([
                (
                    "tags".to_owned(),
                    AttributeValue::Ss(tags.iter().map(|t| t.to_string()).collect()),
                ),
                ("amount".to_owned(), AttributeValue::N(amount.to_owned())),
            ])
        };
        assert!(same_item(
            &item(&["b", "a"], "1.50"),
            &item(&["a", "b"], "1.5")
        ));
        assert!(same_item(&item(&["a"], "-0"), &item(&["a"], "0.00")));
        assert!(same_item(&item(&["a"], "+007"), &item(&["a"], "7")));
        assert!(!same_item(&item(&["a", "b"], "1"), &item(&["a"], "1")));
        assert!(!same_item(&item(&["a"], "1"), &item(&["a"], "10")));
        let mut more = item(&["a"], "1");
        more.insert("x".to_owned(), AttributeValue::Bool(true));
        assert!(!same_item(&more, &item(&["a"], "1")));
    }
}
