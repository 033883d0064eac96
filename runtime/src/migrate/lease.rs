//! A lease on a table's data migrations: a conditional write with an expiry that its
//! holder renews, so that two runners never apply one migration at the same time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use crate::error::{Error, Result};
use crate::ops::retry::{resend, resend_if, transient, RetryPolicy};
use crate::table::Table;

use super::records::{Records, HOLDER, LEASE_SORT_KEY};

const EXPIRES_AT: &str = "lease_expires_at";

/// Who holds the lease `item`, and for how much longer as of `now`.
fn holder_of(item: &std::collections::HashMap<String, AttributeValue>, now: i64) -> Holder {
    let holder = match item.get(HOLDER) {
        Some(AttributeValue::S(h)) => h.clone(),
        _ => "an unknown runner".to_owned(),
    };
    let expires = match item.get(EXPIRES_AT) {
        Some(AttributeValue::N(n)) => n.parse().unwrap_or(now),
        _ => now,
    };
    Holder {
        holder,
        expires_in: Duration::from_millis((expires - now).max(0) as u64),
    }
}

/// Milliseconds since 1970, the lease's clock.
fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A held lease; renewed in the background until [`Lease::release`]. If a renewal
/// fails, the lease is marked lost, and recording a migration under it then fails.
pub(crate) struct Lease {
    pub(crate) holder: String,
    lost: Arc<AtomicBool>,
    renewal: tokio::task::JoinHandle<()>,
    records: Records,
    table: Table,
}

/// Who holds the lease and for how much longer: what a runner that cannot get it says.
#[derive(Debug, Clone)]
pub(crate) struct Holder {
    pub(crate) holder: String,
    pub(crate) expires_in: Duration,
}

impl Lease {
    /// Takes the lease if it is free or expired (or already ours), waiting up to `wait`
    /// for another holder to release it. Still held after the wait: an error naming the
    /// holder.
    pub(crate) async fn acquire(
        table: &Table,
        records: &Records,
        holder: &str,
        duration: Duration,
        wait: Duration,
        mut on_wait: impl FnMut(&str, Duration),
    ) -> Result<Lease> {
        let start = std::time::Instant::now();
        loop {
            match Self::try_acquire(table, records, holder, duration).await? {
                None => break,
                Some(other) if start.elapsed() >= wait => {
                    return Err(Error::MigrationLocked {
                        table: table.name().to_owned(),
                        holder: other.holder,
                        expires_in: other.expires_in,
                    })
                }
                Some(other) => {
                    on_wait(&other.holder, other.expires_in);
                    let pause = other
                        .expires_in
                        .min(Duration::from_secs(1))
                        .max(Duration::from_millis(50));
                    tokio::time::sleep(pause).await;
                }
            }
        }
        let lost = Arc::new(AtomicBool::new(false));
        let renewal = tokio::spawn(renew(
            table.clone(),
            records.clone(),
            holder.to_owned(),
            duration,
            lost.clone(),
        ));
        Ok(Lease {
            holder: holder.to_owned(),
            lost,
            renewal,
            records: records.clone(),
            table: table.clone(),
        })
    }

    /// Who holds the lease now, if anyone does (an expired lease is no one's).
    pub(crate) async fn holder(table: &Table, records: &Records) -> Result<Option<Holder>> {
        let request = table
            .client()
            .get_item()
            .table_name(table.name())
            .set_key(Some(records.key(LEASE_SORT_KEY)))
            .consistent_read(true);
        let item = resend(table.retry_policy(), "GetItem", || request.clone().send())
            .await
            .map_err(|err| table.sdk_error("GetItem", err))?
            .item;
        Ok(item
            .map(|item| holder_of(&item, now_millis()))
            .filter(|holder| !holder.expires_in.is_zero()))
    }

    /// One attempt: `None` when the lease is now ours, else who holds it.
    async fn try_acquire(
        table: &Table,
        records: &Records,
        holder: &str,
        duration: Duration,
    ) -> Result<Option<Holder>> {
        let now = now_millis();
        let mut item = records.key(LEASE_SORT_KEY);
        item.insert(HOLDER.to_owned(), AttributeValue::S(holder.to_owned()));
        item.insert(
            EXPIRES_AT.to_owned(),
            AttributeValue::N((now + duration.as_millis() as i64).to_string()),
        );
        // Sent again when throttled or unanswered: the condition lets this holder write
        // the lease again.
        let request = table
            .client()
            .put_item()
            .table_name(table.name())
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(#pk) OR #expires < :now OR #holder = :holder",
            )
            .expression_attribute_names("#pk", records.partition_key_name())
            .expression_attribute_names("#expires", EXPIRES_AT)
            .expression_attribute_names("#holder", HOLDER)
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(":holder", AttributeValue::S(holder.to_owned()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let result = resend(table.retry_policy(), "PutItem", || request.clone().send()).await;
        match result {
            Ok(_) => Ok(None),
            Err(err) => match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => Ok(Some(holder_of(
                    &failed.item.clone().unwrap_or_default(),
                    now,
                ))),
                _ => Err(table.sdk_error("PutItem", err)),
            },
        }
    }

    /// Whether a renewal failed: another runner may hold the lease now.
    pub(crate) fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// Writes `put` in one transaction with a check that the lease is still ours, so
    /// that a runner that lost it writes nothing: sent again when throttled, unanswered
    /// or in conflict (a put that is the same at each attempt, and a check that only
    /// reads, each attempt as of its own time).
    pub(crate) async fn put_while_held(
        &self,
        put: Put,
    ) -> std::result::Result<(), SdkError<TransactWriteItemsError, HttpResponse>> {
        let request = || {
            self.table
                .client()
                .transact_write_items()
                .transact_items(TransactWriteItem::builder().put(put.clone()).build())
                .transact_items(
                    TransactWriteItem::builder()
                        .condition_check(self.check_held())
                        .build(),
                )
                .send()
        };
        let retryable = |err: &SdkError<TransactWriteItemsError, HttpResponse>| {
            transient(err) || only_conflicts(err)
        };
        resend_if(
            self.table.retry_policy(),
            "TransactWriteItems",
            retryable,
            request,
        )
        .await
        .map(|_| ())
    }

    /// A transaction's check that the lease is still ours and unexpired, so that a
    /// runner that lost it records nothing.
    pub(crate) fn check_held(&self) -> ConditionCheck {
        ConditionCheck::builder()
            .table_name(self.table.name())
            .set_key(Some(self.records.key(LEASE_SORT_KEY)))
            .condition_expression("#holder = :holder AND #expires >= :now")
            .expression_attribute_names("#holder", HOLDER)
            .expression_attribute_names("#expires", EXPIRES_AT)
            .expression_attribute_values(":holder", AttributeValue::S(self.holder.clone()))
            .expression_attribute_values(":now", AttributeValue::N(now_millis().to_string()))
            .build()
            .expect("the table name, key and condition are set")
    }

    /// Stops renewing and deletes the lease if it is still ours.
    pub(crate) async fn release(self) -> Result<()> {
        self.renewal.abort();
        let request = self
            .table
            .client()
            .delete_item()
            .table_name(self.table.name())
            .set_key(Some(self.records.key(LEASE_SORT_KEY)))
            .condition_expression("#holder = :holder")
            .expression_attribute_names("#holder", HOLDER)
            .expression_attribute_values(":holder", AttributeValue::S(self.holder.clone()));
        let policy = self.table.retry_policy();
        let result = resend(policy, "DeleteItem", || request.clone().send()).await;
        match result {
            Ok(_) => Ok(()),
            // Someone else holds it now: theirs to release.
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(self.table.sdk_error("DeleteItem", err)),
        }
    }
}

/// Extends the lease every third of its duration while the migration runs.
async fn renew(
    table: Table,
    records: Records,
    holder: String,
    duration: Duration,
    lost: Arc<AtomicBool>,
) {
    loop {
        tokio::time::sleep(duration / 3).await;
        // Each attempt extends the lease from its own time, and the attempts stop with a
        // third of the lease left: past that, the lease is as good as lost.
        let request = || {
            table
                .client()
                .update_item()
                .table_name(table.name())
                .set_key(Some(records.key(LEASE_SORT_KEY)))
                .update_expression("SET #expires = :expires")
                .condition_expression("#holder = :holder")
                .expression_attribute_names("#expires", EXPIRES_AT)
                .expression_attribute_names("#holder", HOLDER)
                .expression_attribute_values(
                    ":expires",
                    AttributeValue::N((now_millis() + duration.as_millis() as i64).to_string()),
                )
                .expression_attribute_values(":holder", AttributeValue::S(holder.clone()))
                .send()
        };
        let policy = RetryPolicy {
            budget: duration / 3,
            ..*table.retry_policy()
        };
        let result = resend(&policy, "UpdateItem", request).await;
        if result.is_err() {
            lost.store(true, Ordering::SeqCst);
            return;
        }
    }
}

/// Whether a transaction was canceled only because it met another.
fn only_conflicts(err: &SdkError<TransactWriteItemsError, HttpResponse>) -> bool {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(canceled)) => {
            let codes: Vec<_> = canceled
                .cancellation_reasons()
                .iter()
                .filter_map(|reason| reason.code().filter(|code| *code != "None"))
                .collect();
            !codes.is_empty() && codes.iter().all(|code| *code == "TransactionConflict")
        }
        _ => false,
    }
}
