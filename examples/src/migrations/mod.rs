//! The data migrations of the ningipoints table, in id order: run by `provision migrate`.

use dynaschema::migrate::{Migration, Migrator};
use dynaschema::Table;

mod m0001_recompute_balances;
mod m0002_guard_emails;

/// Every data migration of ningipoints.
///
/// ```
/// assert_eq!(ningipoints::migrations::MIGRATIONS[0].id(), 1);
/// assert_eq!(ningipoints::migrations::MIGRATIONS[1].id(), 2);
/// ```
pub const MIGRATIONS: &[Migration] = &[
    Migration::new(
        1,
        "recompute every account's balance from its operations",
        include_str!("m0001_recompute_balances.rs"),
        m0001_recompute_balances::up,
    ),
    Migration::new(
        2,
        "write the guard of every account's email, which no other account may have",
        include_str!("m0002_guard_emails.rs"),
        m0002_guard_emails::up,
    ),
];

/// The application name ningipoints' migrations are recorded under.
pub const APP: &str = "ningipoints";

/// The runner of ningipoints' migrations on `table`. Records written before migrations
/// belonged to an application are ningipoints': it was the only one then.
///
/// ```no_run
/// # async fn run(table: dynaschema::Table) -> dynaschema::Result<()> {
/// let statuses = ningipoints::migrations::migrator(&table)?.status().await?;
/// # let _ = statuses; Ok(()) }
/// ```
pub fn migrator(table: &Table) -> dynaschema::Result<Migrator<'_>> {
    Ok(Migrator::new(table, APP, MIGRATIONS)?.adopt_unnamed_records())
}
