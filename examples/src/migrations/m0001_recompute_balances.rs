//! Sets every account's balance to the sum of its operations: credits minus debits.

use std::collections::HashMap;

use dynaschema::migrate::MigrationContext;
use dynaschema::{Error, Table};
use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt};

use crate::model::{Account, Operation, OperationType};

/// Accounts written at once.
const CONCURRENCY: usize = 16;

/// Parallel segments of each scan of the table.
const SEGMENTS: u32 = 4;

pub fn up<'a>(ctx: &'a MigrationContext<'a>) -> BoxFuture<'a, dynaschema::Result<()>> {
    Box::pin(async move {
        // The whole table in two reads, page by page, instead of a read and a query per
        // account: accounts first, then operations. An operation added in between shows
        // in its account's sum but not in the balance read, and then the conditional
        // write below refuses and that account is recomputed on its own.
        let table = ctx.table();
        let accounts: Vec<Account> = table
            .scan::<Account>()
            .consistent()
            .segments(SEGMENTS)
            .all()
            .await?;
        let mut sums: HashMap<u64, i64> = HashMap::with_capacity(accounts.len());
        let mut operations = table
            .scan::<Operation>()
            .consistent()
            .segments(SEGMENTS)
            .stream();
        while let Some(operation) = operations.try_next().await? {
            *sums.entry(operation.account_id).or_default() += signed(&operation);
        }
        let total = accounts.len() as u64;
        let done = std::sync::atomic::AtomicU64::new(0);
        futures::stream::iter(accounts)
            .map(|account| {
                let (sums, done) = (&sums, &done);
                async move {
                    let sum = sums.get(&account.id).copied().unwrap_or(0);
                    if sum != account.balance && settle(ctx, &account, sum).await? {
                        ctx.touched(1);
                    }
                    let done = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    ctx.progress(done, Some(total));
                    Ok::<_, Error>(())
                }
            })
            .buffer_unordered(CONCURRENCY)
            .try_collect::<()>()
            .await
    })
}

fn signed(operation: &Operation) -> i64 {
    match operation.kind {
        OperationType::Credit => operation.amount as i64,
        OperationType::Debit => -(operation.amount as i64),
    }
}

/// Writes `sum` as the account's balance if the balance is still the one read; if it
/// changed since, recomputes the account on its own. `true` if it was (or, in a dry
/// run, would be) changed.
async fn settle(
    ctx: &MigrationContext<'_>,
    account: &Account,
    sum: i64,
) -> dynaschema::Result<bool> {
    if ctx.is_dry_run() {
        return Ok(true);
    }
    let updated = ctx
        .table()
        .update(Account::key(account.id), |u| {
            u.set(Account::BALANCE, sum)
                .require(Account::BALANCE.eq(account.balance))
        })
        .await;
    match updated {
        Ok(_) => Ok(true),
        Err(Error::ConditionFailed { .. }) => recompute(ctx, account.id).await,
        Err(Error::NotFound { .. }) => Ok(false),
        Err(err) => Err(err),
    }
}

/// Brings one account's balance to the sum of its operations; `true` if it was (or, in
/// a dry run, would be) changed.
async fn recompute(ctx: &MigrationContext<'_>, id: u64) -> dynaschema::Result<bool> {
    let table = ctx.table();
    loop {
        let Some(account) = table.get(Account::key(id)).consistent().await? else {
            return Ok(false);
        };
        let sum = operations_sum(table, id).await?;
        if sum == account.balance {
            return Ok(false);
        }
        if ctx.is_dry_run() {
            return Ok(true);
        }
        // Only if no operation changed the balance since it was read: else read again.
        let updated = table
            .update(Account::key(id), |u| {
                u.set(Account::BALANCE, sum)
                    .require(Account::BALANCE.eq(account.balance))
            })
            .await;
        match updated {
            Ok(_) => return Ok(true),
            Err(Error::ConditionFailed { .. }) => continue,
            Err(Error::NotFound { .. }) => return Ok(false),
            Err(err) => return Err(err),
        }
    }
}

async fn operations_sum(table: &Table, id: u64) -> dynaschema::Result<i64> {
    let operations = table
        .query(Operation::partition(id))
        .consistent()
        .all()
        .await?;
    Ok(operations.iter().map(signed).sum())
}
