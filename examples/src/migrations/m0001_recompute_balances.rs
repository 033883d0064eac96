//! Sets every account's balance to the sum of its operations: credits minus debits.

use dynaschema::migrate::MigrationContext;
use dynaschema::{Error, Table};
use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt};

use crate::model::{Account, Operation, OperationType};
use crate::points::EMAIL_INDEX;

/// Accounts recomputed at once.
const CONCURRENCY: usize = 16;

pub fn up<'a>(ctx: &'a MigrationContext<'a>) -> BoxFuture<'a, dynaschema::Result<()>> {
    Box::pin(async move {
        // The email index holds every account and nothing else.
        let accounts: Vec<Account> = ctx
            .table()
            .index::<Account>(EMAIL_INDEX)
            .scan()
            .all()
            .await?;
        let total = accounts.len() as u64;
        let done = std::sync::atomic::AtomicU64::new(0);
        futures::stream::iter(accounts)
            .map(|account| {
                let done = &done;
                async move {
                    if recompute(ctx, account.id).await? {
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
    Ok(operations
        .iter()
        .map(|o| match o.kind {
            OperationType::Credit => o.amount as i64,
            OperationType::Debit => -(o.amount as i64),
        })
        .sum())
}
