//! The test fixtures' design for index projections and local indexes: a team's tasks
//! (`tests/fixtures/tasks.toml`), in indexes that copy part of them (`ByStatus`, INCLUDE
//! `note` and `team`; `ByPriority`, keys only) or all of them (`ByOwner`, and the local
//! `ByCreated`), with a time to live.
//!
//! ```text
//! Task: PK = TEAM#{team}, SK = TASK#{id}     ByStatus   {status}                  (partial)
//!                                            ByOwner    {owner}
//!                                            ByCreated  PK / {created}            (local)
//!                                            ByPriority PK / PRIORITY#{priority}#{id} (local, partial)
//! ```

use dynaschema::{Entity, Expiry, Schema, Table, Timestamp};

/// A task of a team, checked against the fixture's schema.toml.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(
    pk = "TEAM#{team}",
    sk = "TASK#{id}",
    index(name = "ByStatus", pk = "{status}", partial),
    index(name = "ByOwner", pk = "{owner}"),
    local_index(name = "ByCreated", sk = "{created}"),
    local_index(
        name = "ByPriority",
        sk = "PRIORITY#{priority}#{id}",
        sk_attr = "LSI1SK",
        partial
    ),
    schema = "fixtures/tasks.toml"
)]
pub struct Task {
    pub team: String,
    #[dynamo(key_only)]
    pub id: u64,
    pub status: String,
    pub owner: String,
    pub note: Option<String>,
    pub priority: u32,
    pub created: Timestamp,
    #[dynamo(ttl)]
    pub expires_at: Option<Expiry>,
}

/// Task's items (some of their fields) as a newcomer might declare them without
/// `schema = ..`: `ByStatus` and `ByPriority` as whole-entity indexes, which they are
/// not. Only the run-time check stands between its reads and a put-back that would
/// erase what those indexes do not copy.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(
    pk = "TEAM#{team}",
    sk = "TASK#{id}",
    index(name = "ByStatus", pk = "{status}"),
    local_index(
        name = "ByPriority",
        sk = "PRIORITY#{priority}#{id}",
        sk_attr = "LSI1SK"
    )
)]
pub struct UncheckedTask {
    pub team: String,
    #[dynamo(key_only)]
    pub id: u64,
    pub status: String,
    pub priority: u32,
    #[dynamo(ttl)]
    pub expires_at: Option<Expiry>,
}

/// Task `id` of team `team`, open, owned by ana, created `id` seconds after a fixed
/// time, expiring at `expires_at`.
pub fn task(team: &str, id: u64, expires_at: Option<Expiry>) -> Task {
    Task {
        team: team.to_owned(),
        id,
        status: "open".to_owned(),
        owner: "ana".to_owned(),
        note: Some(format!("note {id}")),
        priority: 5,
        created: Timestamp::from_unix_micros(1_800_000_000_000_000 + id as i64 * 1_000_000),
        expires_at,
    }
}

/// The tasks fixture's schema.toml, for a table of the test's own.
pub fn tasks_schema(purpose: &str) -> Schema {
    Schema::load(crate::repository_root().join("tests/fixtures/tasks.toml"))
        .expect("the tasks fixture's schema.toml is valid")
        .with_table_name(&crate::unique_table_name(purpose))
        .expect("unique table names are valid")
}

/// A tasks table of the test's own, and the counter of the requests sent to it.
pub async fn tasks_table(purpose: &str) -> (Table, crate::counting::RequestCounter) {
    let (connection, counter) = crate::counting_connection().await;
    (
        crate::provisioned(tasks_schema(purpose), connection).await,
        counter,
    )
}
