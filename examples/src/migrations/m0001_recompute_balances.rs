//! Sets every account's balance to the sum of its operations: credits minus debits.

use std::collections::HashMap;

use dynaschema::migrate::MigrationContext;
use dynaschema::{Entity, Error, Item, Table};
use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt};

use crate::model::{Account, Operation};

/// Accounts written at once.
const CONCURRENCY: usize = 16;

/// What the scan found of one account.
#[derive(Default)]
struct Tally {
    /// The balance, once the account item is read.
    balance: Option<i64>,
    /// The sum of the operations read.
    sum: i64,
    /// Whether an operation was read before the account item.
    early: bool,
}

/// What the scan found, by account id.
#[derive(Default)]
struct Tallies(HashMap<u64, Tally>);

impl Tallies {
    /// Counts one item of the scan: an account's balance, an operation's amount, or
    /// nothing for another entity's item.
    fn read(&mut self, item: &Item) -> dynaschema::Result<()> {
        if let Some(operation) = Operation::from_matching_item(item) {
            let operation = operation?;
            let tally = self.0.entry(operation.account_id).or_default();
            tally.sum += operation.signed_amount();
            tally.early |= tally.balance.is_none();
        } else if let Some(account) = Account::from_matching_item(item) {
            let account = account?;
            self.0.entry(account.id).or_default().balance = Some(account.balance);
        }
        Ok(())
    }

    /// Each account read, with its balance and tally; operations of no account read are
    /// left out.
    fn accounts(self) -> Vec<(u64, i64, Tally)> {
        self.0
            .into_iter()
            .filter_map(|(id, tally)| Some((id, tally.balance?, tally)))
            .collect()
    }
}

pub fn up<'a>(ctx: &'a MigrationContext<'a>) -> BoxFuture<'a, dynaschema::Result<()>> {
    Box::pin(async move {
        // The whole table in one read, page by page, instead of a read and a query per
        // account (and instead of a scan per entity, each of which DynamoDB would bill
        // for the whole table). An account's items come in sort-key order, the account
        // before its operations: an operation added in between shows in its account's
        // sum but not in the balance read, and then the conditional write below refuses
        // and that account is recomputed on its own. An account whose operations came
        // first (an order DynamoDB does not promise) is recomputed on its own as well.
        let mut tallies = Tallies::default();
        let mut items = ctx.table().scan_items().consistent().stream();
        while let Some(item) = items.try_next().await? {
            tallies.read(&item)?;
        }
        let accounts = tallies.accounts();
        let total = accounts.len() as u64;
        let done = std::sync::atomic::AtomicU64::new(0);
        futures::stream::iter(accounts)
            .map(|(id, balance, tally)| {
                let done = &done;
                async move {
                    let read = (!tally.early).then_some((balance, tally.sum));
                    if settle(ctx, id, read).await? {
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

/// Brings account `id`'s balance to the sum of its operations, from `read`, the
/// balance and sum the scan found, or else from the account read again; reads again
/// whenever the balance has changed since it was read. `true` if it was (or, in a dry
/// run, would be) changed.
async fn settle(
    ctx: &MigrationContext<'_>,
    id: u64,
    mut read: Option<(i64, i64)>,
) -> dynaschema::Result<bool> {
    loop {
        let (balance, sum) = match read.take() {
            Some(read) => read,
            None => match balance_and_sum(ctx.table(), id).await? {
                Some(current) => current,
                None => return Ok(false),
            },
        };
        if sum == balance {
            return Ok(false);
        }
        if ctx.is_dry_run() {
            return Ok(true);
        }
        match write_if_unchanged(ctx.table(), id, balance, sum).await? {
            Written::Done => return Ok(true),
            Written::Gone => return Ok(false),
            // An operation changed the balance since it was read: read again.
            Written::Changed => continue,
        }
    }
}

/// What became of a conditional write of a balance.
enum Written {
    Done,
    /// The account no longer exists.
    Gone,
    /// The balance was no longer the one read: nothing was written.
    Changed,
}

/// Writes `sum` as account `id`'s balance only if the balance is still `balance`.
async fn write_if_unchanged(
    table: &Table,
    id: u64,
    balance: i64,
    sum: i64,
) -> dynaschema::Result<Written> {
    let written = table
        .update(Account::key(id), |u| {
            u.set(Account::BALANCE, sum)
                .require(Account::BALANCE.eq(balance))
        })
        .apply()
        .await;
    match written {
        Ok(()) => Ok(Written::Done),
        Err(Error::NotFound { .. }) => Ok(Written::Gone),
        Err(Error::ConditionFailed { .. }) => Ok(Written::Changed),
        Err(err) => Err(err),
    }
}

/// Account `id`'s balance and the sum of its operations, read now; `None` if the account
/// no longer exists.
async fn balance_and_sum(table: &Table, id: u64) -> dynaschema::Result<Option<(i64, i64)>> {
    let Some(account) = table.get(Account::key(id)).consistent().await? else {
        return Ok(None);
    };
    let operations = table
        .query(Operation::partition(id))
        .consistent()
        .all()
        .await?;
    Ok(Some((
        account.balance,
        operations.iter().map(Operation::signed_amount).sum(),
    )))
}

#[cfg(test)]
mod tests {
    use dynaschema::Timestamp;

    use crate::model::OperationType;

    use super::*;

    fn operation(account_id: u64, kind: OperationType, amount: u64, micros: i64) -> Item {
        Operation {
            account_id,
            kind,
            amount,
            created_at: Timestamp::from_unix_micros(micros),
        }
        .to_item()
        .unwrap()
    }

    fn account(id: u64, balance: i64) -> Item {
        Account {
            id,
            name: "x".to_owned(),
            email: format!("x{id}@x.org"),
            balance,
            created_at: Timestamp::from_unix_micros(0),
        }
        .to_item()
        .unwrap()
    }

    fn tally(items: &[Item]) -> Vec<(u64, i64, i64, bool)> {
        let mut tallies = Tallies::default();
        for item in items {
            tallies.read(item).unwrap();
        }
        let mut accounts: Vec<_> = tallies
            .accounts()
            .into_iter()
            .map(|(id, balance, t)| (id, balance, t.sum, t.early))
            .collect();
        accounts.sort();
        accounts
    }

    #[test]
    fn sums_each_account_and_marks_those_read_after_their_operations() {
        let items = [
            account(1, 7),
            operation(1, OperationType::Credit, 10, 1),
            operation(1, OperationType::Debit, 3, 2),
            operation(2, OperationType::Credit, 5, 1),
            account(2, 5),
            account(3, 0),
            operation(4, OperationType::Credit, 1, 1),
        ];
        assert_eq!(
            tally(&items),
            [(1, 7, 7, false), (2, 5, 5, true), (3, 0, 0, false)],
            "account 4 was not read: its operations alone are left out"
        );
    }
}
