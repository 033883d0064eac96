use dynaschema::{Entity, Projected, Table};

// A task read through an index that copies part of it is a Projected<Task>, which has
// no put: what the index did not copy cannot be written back as absent.
#[derive(Entity)]
#[dynamo(
    pk = "TEAM#{team}",
    sk = "TASK#{id}",
    index(name = "ByStatus", pk = "{status}", partial)
)]
struct Task {
    team: String,
    #[dynamo(key_only)]
    id: u64,
    status: String,
    owner: String,
}

async fn put_back(table: &Table) -> dynaschema::Result<()> {
    let read: Projected<Task> = table
        .query(Task::by_status("open"))
        .first()
        .await?
        .expect("a task");
    table.put(&read).await
}

fn main() {}
