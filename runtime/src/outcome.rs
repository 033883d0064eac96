//! What the attempts of one write may have done.
//!
//! The SDK sends a request again when its answer is lost (a reset connection, a
//! timeout) or is a 5xx: the first attempt may have been applied all the same. An
//! [`Attempts`] tracker, attached to each request of one call, remembers whether any
//! attempt may have been applied, so that the call can recognise its own earlier write
//! when a retry's condition fails on it, and say "outcome unknown" rather than "failed"
//! when it gives up.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::config::interceptors::FinalizerInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_smithy_runtime_api::client::result::ConnectorError;

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
}

impl Intercept for Attempts {
    fn name(&self) -> &'static str {
        "dynaschema::Attempts"
    }

    /// After every attempt, the last one included: a 5xx answer, or no answer from a
    /// request that may have been sent, leaves the outcome open. A 4xx answer is
    /// DynamoDB's refusal: nothing was applied.
    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let open = match (context.response(), context.output_or_error()) {
            (Some(response), _) => response.status().is_server_error(),
            (None, Some(Err(err))) => match err.as_connector_error() {
                Some(connector) => !never_sent(connector),
                None => err.is_timeout_error() || err.is_response_error(),
            },
            (None, _) => false,
        };
        if open {
            self.maybe_applied.store(true, Ordering::Relaxed);
        }
        Ok(())
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
