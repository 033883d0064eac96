//! Retrying what DynamoDB did not process: exponential backoff with jitter, a bounded
//! number of attempts.

use std::future::Future;
use std::time::Duration;

use crate::error::Result;

/// How often, and after which pauses, batches and transactions resend what DynamoDB did
/// not process (throttled batch items, conflicting transactions).
///
/// The pause before retry `n` lies between half and all of `base_delay × 2ⁿ⁻¹`, capped
/// at `max_delay`, chosen at random so that concurrent clients spread out.
///
/// ```
/// use std::time::Duration;
/// use dynaschema::ops::RetryPolicy;
///
/// let policy = RetryPolicy::default();
/// let pause = policy.delay(3);
/// assert!(pause >= policy.ceiling(3) / 2 && pause <= policy.ceiling(3));
/// assert_eq!(policy.ceiling(30), policy.max_delay);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times a request is sent at most, the first time included.
    pub max_attempts: u32,
    /// The ceiling of the first pause.
    pub base_delay: Duration,
    /// The ceiling of every pause.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 8 attempts, pauses from 50 ms growing to at most 5 s: about 10 s in all at worst.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(5),
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

    /// The pause before retry number `retry`: between half the [ceiling](Self::ceiling)
    /// and all of it, at random.
    pub fn delay(&self, retry: u32) -> Duration {
        let ceiling = self.ceiling(retry);
        let half = ceiling / 2;
        let spread = u64::try_from((ceiling - half).as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(fastrand::u64(0..=spread))
    }
}

/// What [`until_processed`] ends with.
#[derive(Debug)]
pub(crate) struct Drained<T, O> {
    /// What the sends produced, such as the items a batch read.
    pub done: Vec<O>,
    /// What was still unprocessed after the last attempt: empty when all went through.
    pub unprocessed: Vec<T>,
    /// How many sends there were.
    pub attempts: u32,
}

/// Sends `pending` with `send`, which answers what it produced and what it left
/// unprocessed, and resends the rest after a pause, until nothing is left or the policy's
/// attempts are spent. An error of `send` ends it at once.
pub(crate) async fn until_processed<T, O, F, Fut>(
    policy: &RetryPolicy,
    pending: Vec<T>,
    mut send: F,
) -> Result<Drained<T, O>>
where
    F: FnMut(Vec<T>) -> Fut,
    Fut: Future<Output = Result<(Vec<O>, Vec<T>)>>,
{
    let mut drained = Drained {
        done: Vec::new(),
        unprocessed: pending,
        attempts: 0,
    };
    while !drained.unprocessed.is_empty() && drained.attempts < policy.max_attempts.max(1) {
        if drained.attempts > 0 {
            tokio::time::sleep(policy.delay(drained.attempts)).await;
        }
        drained.attempts += 1;
        let (done, rest) = send(std::mem::take(&mut drained.unprocessed)).await?;
        drained.done.extend(done);
        drained.unprocessed = rest;
    }
    Ok(drained)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn quick(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
        }
    }

    #[test]
    fn pauses_double_up_to_the_cap_and_stay_within_their_bounds() {
        let policy = RetryPolicy::default();
        let ceilings: Vec<_> = (1..=9).map(|n| policy.ceiling(n).as_millis()).collect();
        assert_eq!(ceilings, [50, 100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        assert_eq!(policy.ceiling(u32::MAX), policy.max_delay, "no overflow");
        for retry in 1..=12 {
            for _ in 0..200 {
                let pause = policy.delay(retry);
                let ceiling = policy.ceiling(retry);
                assert!(
                    pause >= ceiling / 2 && pause <= ceiling,
                    "{pause:?} {ceiling:?}"
                );
            }
        }
        let zero = RetryPolicy {
            base_delay: Duration::ZERO,
            ..policy
        };
        assert_eq!(zero.delay(3), Duration::ZERO);
    }

    #[tokio::test]
    async fn resends_only_what_was_left_until_done() {
        let mut sent = Vec::new();
        let drained = until_processed(&quick(5), (0..10).collect(), |batch: Vec<u32>| {
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
    async fn attempts_are_bounded_and_the_rest_reported() {
        let mut calls = 0;
        let drained = until_processed(&quick(3), vec![1, 2], |batch: Vec<u8>| {
            calls += 1;
            async move { Ok((Vec::<()>::new(), batch)) }
        })
        .await
        .unwrap();
        assert_eq!((calls, drained.attempts), (3, 3));
        assert_eq!(drained.unprocessed, [1, 2]);

        let none = until_processed(&quick(0), vec![1], |batch: Vec<u8>| async move {
            Ok((Vec::<()>::new(), batch))
        })
        .await
        .unwrap();
        assert_eq!(none.attempts, 1, "at least one attempt");
    }

    #[tokio::test]
    async fn an_error_ends_at_once() {
        let mut calls = 0;
        let result = until_processed(&quick(5), vec![1], |_: Vec<u8>| {
            calls += 1;
            async { Err::<(Vec<()>, Vec<u8>), _>(Error::Config("boom".into())) }
        })
        .await;
        assert!(matches!(result, Err(Error::Config(_))));
        assert_eq!(calls, 1);
    }
}
