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

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::error::SdkError;
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
        let open = match (context.response(), context.output_or_error()) {
            (Some(response), _) => response.status().is_server_error(),
            (None, Some(Err(err))) => match err.as_connector_error() {
                Some(connector) => !never_sent(connector),
                None => err.is_timeout_error() || err.is_response_error(),
            },
            (None, _) => false,
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

/// Whether a connection failure happened before the request could leave: the server
/// refused the connection, or the address could not be used.
pub(crate) fn never_sent(err: &ConnectorError) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(error) = cause {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(io.kind(), ConnectionRefused | AddrNotAvailable | AddrInUse) {
                return true;
            }
        }
        cause = error.source();
    }
    false
}
