//! Writes the guard item of every account's email, so that no account can be opened
//! with an email another has: for tables whose accounts were opened before emails were
//! unique.

use std::collections::BTreeMap;
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
        // Refused before any guard is written, in a dry run as well.
        shared_emails(&accounts)?;
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
        // Only an account opened or given the email during the run holds it now.
        conflicts.sort();
        Err(conflict(&conflicts))
    })
}

/// The conflict of the accounts read sharing an email, if any do.
fn shared_emails(accounts: &[Account]) -> dynaschema::Result<()> {
    let mut ids_by_email: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for account in accounts {
        ids_by_email
            .entry(&account.email)
            .or_default()
            .push(account.id);
    }
    let shared: Vec<String> = ids_by_email
        .into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|(email, mut ids)| {
            ids.sort_unstable();
            let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
            format!("accounts {} have email {email}", ids.join(", "))
        })
        .collect();
    match shared.is_empty() {
        true => Ok(()),
        false => Err(conflict(&shared)),
    }
}

fn conflict(conflicts: &[String]) -> Error {
    Error::DataConflict {
        message: format!(
            "unique emails do not allow accounts to share one, and {}: {}; give each \
             account its own email (or delete it), then migrate again",
            match conflicts.len() {
                1 => "one email is shared".to_owned(),
                n => format!("{n} emails are shared"),
            },
            conflicts.join("; ")
        ),
    }
}

/// Writes the guard of `account`'s email, or in a dry run counts it as one to write
/// when the account does not hold it yet: the conflict if another account's guard holds
/// the email.
async fn guard(
    ctx: &MigrationContext<'_>,
    account: &Account,
    (done, total): &(AtomicU64, u64),
) -> dynaschema::Result<Option<String>> {
    // The transaction requires the account to still have the email read: a write that
    // changed it since moved its guard itself.
    let written = match ctx.is_dry_run() {
        true => ctx.table().holds_guards(account).await.map(|held| !held),
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
