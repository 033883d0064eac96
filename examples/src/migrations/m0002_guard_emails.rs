//! Writes the guard item of every account's email, so that no account can be opened
//! with an email another has: for tables whose accounts were opened before emails were
//! unique.

use std::sync::atomic::{AtomicU64, Ordering};

use dynaschema::migrate::MigrationContext;
use dynaschema::Error;
use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt};

use crate::model::Account;

/// Accounts guarded at once.
const CONCURRENCY: usize = 16;

pub fn up<'a>(ctx: &'a MigrationContext<'a>) -> BoxFuture<'a, dynaschema::Result<()>> {
    Box::pin(async move {
        // A consistent scan of the table itself, not of the email index, which may not
        // show the newest accounts yet.
        let accounts: Vec<Account> = ctx.table().scan::<Account>().consistent().all().await?;
        let progress = (AtomicU64::new(0), accounts.len() as u64);
        let progress = &progress;
        let conflicts: Vec<Option<String>> = futures::stream::iter(accounts)
            .map(|account| async move { guard(ctx, &account, progress).await })
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        let mut conflicts: Vec<String> = conflicts.into_iter().flatten().collect();
        if conflicts.is_empty() {
            return Ok(());
        }
        conflicts.sort();
        Err(Error::DataConflict {
            message: format!(
                "{} account(s) have an email another account has, which unique emails do \
                 not allow: {}; give each its own email (or delete it), then migrate again",
                conflicts.len(),
                conflicts.join("; ")
            ),
        })
    })
}

/// Writes the guard of `account`'s email, unless this is a dry run: the conflict if
/// another account's guard holds it.
async fn guard(
    ctx: &MigrationContext<'_>,
    account: &Account,
    (done, total): &(AtomicU64, u64),
) -> dynaschema::Result<Option<String>> {
    // The transaction requires the account to still have the email read: a write that
    // changed it since moved its guard itself.
    let written = match ctx.is_dry_run() {
        true => Ok(true),
        false => ctx.table().write_guards(account).await,
    };
    let conflict = match written {
        Ok(written) => {
            ctx.touched(u64::from(written));
            None
        }
        Err(Error::UniqueViolation { holder, .. }) => Some(format!(
            "account {} has email {}, as {} does",
            account.id,
            account.email,
            holder.map_or_else(|| "another".to_owned(), |h| h.to_string())
        )),
        Err(err) => return Err(err),
    };
    ctx.progress(done.fetch_add(1, Ordering::Relaxed) + 1, Some(*total));
    Ok(conflict)
}
