//! Retrying what DynamoDB did not process or refused for a while: exponential backoff
//! with full jitter. Transactions retry conflicts a bounded number of times; bulk work
//! (batches, partition deletes, query and scan pages) retries throttling, server errors
//! and lost answers of whole requests, and resends unprocessed items, for as long as it
//! keeps making progress within a time budget.

use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use crate::error::{Error, Result};
use crate::outcome::{may_have_applied, never_sent, Attempts};

/// How often, and after which pauses, the toolkit itself sends a request again, on top
/// of the SDK's own retries (see [`ClientConfig::retry`](crate::ClientConfig::retry)).
///
/// - A transaction canceled only for conflicts with other transactions is sent again,
///   up to `max_attempts` times in all.
/// - Bulk work (batch gets and writes, [`delete_partition`](crate::Table::delete_partition),
///   query and scan pages) resends what DynamoDB left unprocessed, and sends again a
///   request that was throttled, met a server error or lost its answer, until `budget`
///   passes without any progress. `Duration::ZERO` sends each request once.
///
/// The pause before retry `n` is drawn at random between zero and
/// `base_delay × 2ⁿ⁻¹`, capped at `max_delay` ("full jitter"), so that clients throttled
/// together spread out.
///
/// ```
/// use std::time::Duration;
/// use dynaschema::ops::RetryPolicy;
///
/// let policy = RetryPolicy::default();
/// assert!(policy.delay(3) <= policy.ceiling(3));
/// assert_eq!(policy.ceiling(30), policy.max_delay);
/// // Bulk work that gives up after 10 s without progress.
/// let impatient = RetryPolicy { budget: Duration::from_secs(10), ..policy };
/// # let _ = impatient;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times a transaction is sent at most, the first time included.
    pub max_attempts: u32,
    /// The ceiling of the first pause.
    pub base_delay: Duration,
    /// The ceiling of every pause.
    pub max_delay: Duration,
    /// How long bulk work goes on retrying without any progress before it gives up.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    /// Transactions: 8 attempts. Bulk work: 2 minutes without progress. Pauses from at
    /// most 50 ms, growing to at most 5 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(5),
            budget: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The longest pause before retry number `retry` (1 for the first retry).
    pub fn ceiling(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(31);
        self.base_delay
            .saturating_mul(1_u32 << doublings)
            .min(self.max_delay)
    }

    /// The pause before retry number `retry`: between zero and the
    /// [ceiling](Self::ceiling), at random.
    pub fn delay(&self, retry: u32) -> Duration {
        let ceiling = u64::try_from(self.ceiling(retry).as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=ceiling))
    }
}

/// How long bulk work has gone without progress, against its budget.
struct Patience<'a> {
    policy: &'a RetryPolicy,
    since_progress: Instant,
    retries: u32,
}

impl<'a> Patience<'a> {
    fn new(policy: &'a RetryPolicy) -> Self {
        Patience {
            policy,
            since_progress: Instant::now(),
            retries: 0,
        }
    }

    /// Something went through: the budget starts again.
    fn progressed(&mut self) {
        self.since_progress = Instant::now();
        self.retries = 0;
    }

    /// The pause before the next retry, logged, or `None` when the budget is spent.
    fn pause(&mut self, operation: &str, what: &dyn std::fmt::Display) -> Option<Duration> {
        let waited = self.since_progress.elapsed();
        if waited >= self.policy.budget {
            return None;
        }
        self.retries += 1;
        let pause = self
            .policy
            .delay(self.retries)
            .min(self.policy.budget - waited);
        // A short wait is routine under load; one that lasts is worth a word.
        let level_warn = waited >= Duration::from_secs(1);
        if !level_warn {
            tracing::debug!(
                operation,
                retry = self.retries,
                pause_ms = pause.as_millis() as u64,
                "{operation}: {what}; retrying in {pause:.1?}"
            );
            return Some(pause);
        }
        tracing::warn!(
            operation,
            retry = self.retries,
            pause_ms = pause.as_millis() as u64,
            without_progress_ms = waited.as_millis() as u64,
            budget_ms = self.policy.budget.as_millis() as u64,
            "{operation}: {what}; retrying in {pause:.1?} ({waited:.1?} without progress, \
             giving up after {:.0?})",
            self.policy.budget
        );
        Some(pause)
    }
}

/// Whether sending a request again may succeed where it failed: DynamoDB throttled it,
/// or the request may have reached it without a definite answer (a 5xx, a lost or
/// timed-out answer; not a refused connection, which is no server at all and is said at
/// once). Only for requests that are safe to repeat.
pub(crate) fn transient<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    throttled(err) || may_have_applied(err)
}

/// Whether DynamoDB refused a request without applying it, for a while (throttling), or
/// the connection was refused before it left: what a request that must not be applied
/// twice may still be sent again for.
pub(crate) fn refused_unapplied<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    throttled(err)
        || matches!(err, SdkError::DispatchFailure(failure)
            if failure.as_connector_error().is_some_and(never_sent))
}

/// Whether DynamoDB turned the request away for now, applying nothing.
fn throttled<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    matches!(
        err.as_service_error().and_then(|service| service.code()),
        Some(
            "ThrottlingException"
                | "ProvisionedThroughputExceededException"
                | "RequestLimitExceeded"
        )
    )
}

/// Sends a request with `send` until it succeeds, fails for good, or the policy's budget
/// passes while it keeps failing transiently (see [`transient`]).
pub(crate) async fn resend<T, E, F, Fut>(
    policy: &RetryPolicy,
    operation: &'static str,
    send: F,
) -> std::result::Result<T, SdkError<E, HttpResponse>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    resend_if(policy, operation, transient, send).await
}

/// What [`resend`] does after a first attempt failed with `err`, each further attempt
/// made by `again`: for callers that send the first attempt themselves, so that no copy
/// of a request is made for a retry that rarely comes. Callers box this future, so that
/// theirs stays as small as a plain send's (it holds further requests' futures,
/// kilobytes each). A lasting error is `err` itself when it is not transient.
pub(crate) async fn resend_after<T, E, F, Again>(
    policy: &RetryPolicy,
    operation: &'static str,
    err: SdkError<E, HttpResponse>,
    again: F,
) -> std::result::Result<T, SdkError<E, HttpResponse>>
where
    F: FnMut() -> Again,
    Again: Future<Output = std::result::Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    retry_after(policy, operation, transient, err, again).await
}

/// Sends a write that is harmless to repeat (its own earlier result is recognised when a
/// retry's condition fails on it): with the SDK's retries, then, when they end throttled
/// or unanswered, again within the budget; every attempt noted in `attempts`.
pub(crate) async fn send_repeatable<T, E, F, Fut>(
    policy: &RetryPolicy,
    operation: &'static str,
    attempts: &Attempts,
    mut send: F,
) -> std::result::Result<T, SdkError<E, HttpResponse>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match attempts.watch(send()).await {
        Err(err) => {
            let again = || attempts.watch(send());
            Box::pin(resend_after(policy, operation, err, again)).await
        }
        result => result,
    }
}

/// [`resend`], retrying the errors `retryable` picks.
pub(crate) async fn resend_if<T, E, F, Fut>(
    policy: &RetryPolicy,
    operation: &'static str,
    retryable: impl Fn(&SdkError<E, HttpResponse>) -> bool,
    mut send: F,
) -> std::result::Result<T, SdkError<E, HttpResponse>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match send().await {
        Err(err) => retry_after(policy, operation, retryable, err, send).await,
        result => result,
    }
}

/// Sends again with `again` while the error is one `retryable` picks and the budget
/// lasts, after a first attempt that failed with `err`.
async fn retry_after<T, E, F, Again>(
    policy: &RetryPolicy,
    operation: &'static str,
    retryable: impl Fn(&SdkError<E, HttpResponse>) -> bool,
    mut err: SdkError<E, HttpResponse>,
    mut again: F,
) -> std::result::Result<T, SdkError<E, HttpResponse>>
where
    F: FnMut() -> Again,
    Again: Future<Output = std::result::Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let mut patience = Patience::new(policy);
    while retryable(&err) {
        let cause = aws_sdk_dynamodb::error::DisplayErrorContext(&err);
        match patience.pause(operation, &cause) {
            Some(pause) => tokio::time::sleep(pause).await,
            None => break,
        }
        err = match again().await {
            Err(err) => err,
            ok => return ok,
        };
    }
    Err(err)
}

/// What one send of a batch did: what it produced, and what it left unprocessed; or the
/// request failed, as a whole, transiently (worth sending again) or for good.
pub(crate) type Sent<T, O> = std::result::Result<(Vec<O>, Vec<T>), Failure>;

/// A batch request that failed as a whole.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Throttled, a server error, or a lost answer: the same request may go through.
    Transient(Error),
    /// Refused for good.
    Fatal(Error),
}

impl Failure {
    /// The failure of an SDK error: transient or not, as [`transient`] says, mapped by
    /// `map`.
    pub(crate) fn of<E: ProvideErrorMetadata>(
        err: SdkError<E, HttpResponse>,
        map: impl FnOnce(SdkError<E, HttpResponse>) -> Error,
    ) -> Self {
        if transient(&err) {
            Failure::Transient(map(err))
        } else {
            Failure::Fatal(map(err))
        }
    }
}

/// What [`until_processed`] ends with.
#[derive(Debug)]
pub(crate) struct Drained<T, O> {
    /// What the sends produced, such as the items a batch read.
    pub done: Vec<O>,
    /// What was still unprocessed when the budget ran out: empty when all went through.
    pub unprocessed: Vec<T>,
    /// How many sends there were.
    pub attempts: u32,
}

/// Sends `pending` with `send` (given a copy, so that a request that failed as a whole
/// can be sent again), and resends what is left after a pause, until
/// nothing is left or the policy's budget passes without progress. A transient failure
/// of the whole request is retried the same way; a lasting one is the error when the
/// budget runs out, and a fatal one at once.
pub(crate) async fn until_processed<T, O, F, Fut>(
    policy: &RetryPolicy,
    operation: &'static str,
    pending: Vec<T>,
    mut send: F,
) -> Result<Drained<T, O>>
where
    T: Clone,
    F: FnMut(Vec<T>) -> Fut,
    Fut: Future<Output = Sent<T, O>>,
{
    let mut drained = Drained {
        done: Vec::new(),
        unprocessed: pending,
        attempts: 0,
    };
    let mut patience = Patience::new(policy);
    while !drained.unprocessed.is_empty() {
        drained.attempts += 1;
        match send(drained.unprocessed.clone()).await {
            Ok((done, rest)) => {
                let progressed = rest.len() < drained.unprocessed.len();
                drained.done.extend(done);
                drained.unprocessed = rest;
                if drained.unprocessed.is_empty() {
                    break;
                }
                if progressed {
                    patience.progressed();
                }
                let what = format!("{} item(s) left unprocessed", drained.unprocessed.len());
                match patience.pause(operation, &what) {
                    Some(pause) => tokio::time::sleep(pause).await,
                    None => break,
                }
            }
            Err(Failure::Transient(err)) => match patience.pause(operation, &err) {
                Some(pause) => tokio::time::sleep(pause).await,
                None => return Err(err),
            },
            Err(Failure::Fatal(err)) => return Err(err),
        }
    }
    Ok(drained)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick(budget: Duration) -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
            budget,
        }
    }

    #[test]
    fn pauses_double_up_to_the_cap_and_stay_within_their_bounds() {
        let policy = RetryPolicy::default();
        let ceilings: Vec<_> = (1..=9).map(|n| policy.ceiling(n).as_millis()).collect();
        assert_eq!(ceilings, [50, 100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        assert_eq!(policy.ceiling(u32::MAX), policy.max_delay, "no overflow");
        let mut below_half = 0;
        for retry in 1..=12 {
            for _ in 0..200 {
                let pause = policy.delay(retry);
                let ceiling = policy.ceiling(retry);
                assert!(pause <= ceiling, "{pause:?} {ceiling:?}");
                below_half += usize::from(pause < ceiling / 2);
            }
        }
        // Full jitter: about half the pauses are below half their ceiling.
        assert!((900..=1500).contains(&below_half), "{below_half}");
        let zero = RetryPolicy {
            base_delay: Duration::ZERO,
            ..policy
        };
        assert_eq!(zero.delay(3), Duration::ZERO);
    }

    #[tokio::test]
    async fn resends_only_what_was_left_until_done() {
        let mut sent = Vec::new();
        let policy = quick(Duration::from_secs(5));
        let drained = until_processed(&policy, "Test", (0..10).collect(), |batch: Vec<u32>| {
            sent.push(batch.clone());
            // Process the first half of each batch, rounding up.
            let keep = batch.len().div_ceil(2);
            let (done, rest) = batch.split_at(keep);
            let (done, rest) = (done.to_vec(), rest.to_vec());
            async move { Ok((done, rest)) }
        })
        .await
        .unwrap();
        assert!(drained.unprocessed.is_empty());
        assert_eq!(drained.done, (0..10).collect::<Vec<_>>());
        assert_eq!(drained.attempts, 4);
        assert_eq!(sent[1], [5, 6, 7, 8, 9]);
        assert_eq!(sent[3], [9]);
    }

    #[tokio::test]
    async fn without_progress_the_budget_ends_it_and_the_rest_is_reported() {
        let mut calls = 0;
        let policy = quick(Duration::from_millis(30));
        let drained = until_processed(&policy, "Test", vec![1, 2], |batch: Vec<u8>| {
            calls += 1;
            async move { Ok((Vec::<()>::new(), batch)) }
        })
        .await
        .unwrap();
        assert_eq!(drained.unprocessed, [1, 2]);
        assert_eq!(drained.attempts, calls);
        assert!(calls > 2, "retried until the budget ran out: {calls}");

        let once = until_processed(
            &quick(Duration::ZERO),
            "Test",
            vec![1],
            |batch: Vec<u8>| async move { Ok((Vec::<()>::new(), batch)) },
        )
        .await
        .unwrap();
        assert_eq!(once.attempts, 1, "a zero budget sends once");
    }

    #[tokio::test]
    async fn transient_failures_are_retried_and_fatal_ones_end_at_once() {
        let mut calls = 0;
        let policy = quick(Duration::from_secs(5));
        let drained = until_processed(&policy, "Test", vec![7, 8], |batch: Vec<u8>| {
            calls += 1;
            let call = calls;
            async move {
                match call {
                    // Throttled twice, then through.
                    1 | 2 => Err(Failure::Transient(Error::Config("throttled".into()))),
                    _ => Ok((batch, Vec::new())),
                }
            }
        })
        .await
        .unwrap();
        assert_eq!((drained.done, drained.attempts), (vec![7, 8], 3));

        let mut calls = 0;
        let result = until_processed(&policy, "Test", vec![1], |_: Vec<u8>| {
            calls += 1;
            async { Err::<(Vec<()>, Vec<u8>), _>(Failure::Fatal(Error::Config("boom".into()))) }
        })
        .await;
        assert!(matches!(result, Err(Error::Config(_))));
        assert_eq!(calls, 1);

        let lasting = until_processed(
            &quick(Duration::from_millis(20)),
            "Test",
            vec![1],
            |_: Vec<u8>| async {
                Err::<(Vec<()>, Vec<u8>), _>(Failure::Transient(Error::Config("down".into())))
            },
        )
        .await;
        assert!(matches!(lasting, Err(Error::Config(message)) if message == "down"));
    }
}
