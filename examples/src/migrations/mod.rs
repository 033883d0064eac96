//! The data migrations of the ningipoints table, in id order: run by `provision migrate`.

use dynaschema::migrate::Migration;

mod m0001_recompute_balances;

/// Every data migration of ningipoints.
///
/// ```
/// assert_eq!(ningipoints::migrations::MIGRATIONS[0].id(), 1);
/// ```
pub const MIGRATIONS: &[Migration] = &[Migration::new(
    1,
    "recompute every account's balance from its operations",
    include_str!("m0001_recompute_balances.rs"),
    m0001_recompute_balances::up,
)];
