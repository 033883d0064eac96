//! Reads through secondary indexes that cannot lose data, against the server, on the
//! tasks fixture: an index that copies part of an entity reads `Projected` entities
//! (which cannot be put back) or is refused, before any request; `skip_expired()` is
//! refused where the index cannot tell what has expired; local secondary indexes are
//! queried typed, with consistent reads.

use dynaschema::{Entity, Error, Expiry, Projected};
use dynaschema_tests::tasks::{task, tasks_table, Task, UncheckedTask};

/// Task's items as an entity with an entity type, which `ByStatus` does not copy: its
/// partial reads cannot tell its items from others of the same key shape.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(
    pk = "TEAM#{team}",
    sk = "TASK#{id}",
    entity_type = "Task",
    index(name = "ByStatus", pk = "{status}", partial)
)]
struct TypedTask {
    #[dynamo(key_only)]
    team: String,
    #[dynamo(key_only)]
    id: u64,
    status: String,
}

/// A far-off expiry: the item does not expire while the test runs.
fn later() -> Expiry {
    Expiry::from_unix_seconds(4_000_000_000)
}

/// The message of an `Error::Index`, which the read must have answered.
fn index_refusal<T: std::fmt::Debug>(read: dynaschema::Result<T>) -> String {
    match read {
        Err(err @ Error::Index { .. }) => err.to_string(),
        other => panic!("expected Error::Index, got {other:?}"),
    }
}

#[tokio::test]
async fn a_put_back_after_any_index_read_keeps_every_stored_attribute() {
    let (table, counter) = tasks_table("put-back").await;
    let stored = task("core", 1, Some(later()));
    table.put(&stored).await.unwrap();

    // ByStatus copies the note and team only: its builder reads Projected<Task>s, which
    // answer what was read and nothing for what was not.
    let read: Projected<Task> = table
        .query(Task::by_status("open"))
        .first()
        .await
        .unwrap()
        .expect("the task is in ByStatus");
    assert_eq!(read.key(), Task::key("core", 1));
    assert_eq!(
        read.get(Task::NOTE).transpose().unwrap(),
        Some(Some("note 1".to_owned()))
    );
    assert_eq!(
        read.get(Task::TEAM).transpose().unwrap(),
        Some("core".to_owned())
    );
    assert!(read.get(Task::EXPIRES_AT).is_none(), "not copied: unknown");
    assert!(read.get(Task::OWNER).is_none(), "not copied: unknown");
    // The whole task is a read by key away; edited and put back, it keeps its expiry.
    let mut whole = table.batch_get([read.key()]).await.unwrap().entities;
    assert_eq!(whole, std::slice::from_ref(&stored));
    let mut edited = whole.remove(0);
    edited.note = Some("edited".to_owned());
    table.put(&edited).await.unwrap();
    let back = table.get(Task::key("core", 1)).await.unwrap().unwrap();
    assert_eq!(back, edited);
    assert_eq!(back.expires_at, Some(later()));

    // Indexes that copy everything (global ByOwner, local ByCreated) read whole tasks.
    for index_read in [
        table.query(Task::by_owner("ana")).first().await,
        table.query(Task::by_created("core")).first().await,
    ] {
        let mut read = index_read.unwrap().expect("the task is in the index");
        assert_eq!(read, edited, "read whole");
        read.priority = 7;
        table.put(&read).await.unwrap();
        let back = table.get(Task::key("core", 1)).await.unwrap().unwrap();
        assert_eq!(back, read);
        assert_eq!(back.expires_at, Some(later()));
    }
    let stored = table.get(Task::key("core", 1)).await.unwrap().unwrap();
    counter.reset();

    // Whole-entity reads of an index that does not copy everything are refused, naming
    // what it leaves out and the ways out, and send nothing: by name, without a schema
    // check (UncheckedTask declares ByStatus as whole), and of a local index.
    let message = index_refusal(table.index::<Task>("ByStatus").query("open").first().await);
    for part in [
        "ByStatus",
        "INCLUDE [note, team]",
        "`owner`",
        "`priority`",
        "`created`",
        "`expires_at`",
        "declares the index `partial`",
        "Projected<Task>",
        ".projected()",
        ".items()",
    ] {
        assert!(message.contains(part), "{part} in {message}");
    }
    assert!(!message.contains("`note`"), "copied: {message}");
    let message = index_refusal(table.query(UncheckedTask::by_status("open")).all().await);
    for part in [
        "`expires_at`",
        "lose them when put back",
        "mark the index `partial`",
        "Projected<UncheckedTask>",
        ".items()",
    ] {
        assert!(message.contains(part), "{part} in {message}");
    }
    let message = index_refusal(table.query(UncheckedTask::by_priority("core")).all().await);
    assert!(message.contains("KEYS_ONLY"), "{message}");
    let scan = table.index(Task::BY_STATUS).scan().all().await;
    let message = index_refusal(scan);
    assert!(message.contains("`owner`"), "{message}");
    assert!(
        message.contains("declares the index `partial`"),
        "{message}"
    );
    // A filter on what the index does not copy would answer as if every item lacked it.
    let filtered = table
        .query(Task::by_status("open"))
        .filter(Task::OWNER.eq("ana"))
        .all()
        .await;
    let message = index_refusal(filtered);
    assert!(
        message.contains("`owner`, which the filter reads"),
        "{message}"
    );
    let filtered = table
        .index(Task::BY_STATUS)
        .scan()
        .filter(Task::OWNER.exists());
    assert!(index_refusal(filtered.items().await).contains("`owner`"));
    // Projected reads need the entity type, to tell items apart, where there is one.
    let message = index_refusal(table.query(TypedTask::by_status("open")).all().await);
    for part in ["`_type`", "cannot read Projected<TypedTask>s", ".items()"] {
        assert!(message.contains(part), "{part} in {message}");
    }
    assert_eq!(counter.take().total(), 0, "nothing was sent");
    // Untyped, such an index is scanned without the entity-type filter it cannot hold.
    let items = table
        .index(TypedTask::BY_STATUS)
        .scan()
        .items()
        .await
        .unwrap();
    assert_eq!(items.len(), 1);

    // `.projected()` reads the same index as Projected<Task>s; `.items()` untyped.
    let projected = table
        .index::<Task>("ByStatus")
        .query("open")
        .projected()
        .all()
        .await
        .unwrap();
    assert_eq!(projected.len(), 1);
    assert_eq!(projected[0].key(), Task::key("core", 1));
    let filtered = table
        .query(Task::by_status("open"))
        .filter(Task::NOTE.eq(Some("nothing like it".to_owned())))
        .all()
        .await
        .unwrap();
    assert!(filtered.is_empty(), "a filter with the entity's handles");
    let keys = table.query(Task::by_priority("core")).all().await.unwrap();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].get(Task::NOTE).is_none(), "keys only");
    assert_eq!(
        table.get(Task::key("core", 1)).await.unwrap().unwrap(),
        stored,
        "reads change nothing"
    );
}

#[tokio::test]
async fn skip_expired_through_an_index_that_does_not_copy_the_expiry_is_refused() {
    let (table, counter) = tasks_table("skip-expired").await;
    let expired = task("core", 1, Some(Expiry::from_unix_seconds(1)));
    let live = task("core", 2, Some(later()));
    table.batch_write().put(&expired).put(&live).await.unwrap();
    counter.reset();

    let message = index_refusal(
        table
            .query(Task::by_status("open"))
            .skip_expired()
            .all()
            .await,
    );
    for part in ["ByStatus", "`expires_at`", "ttl_attribute", "unexpired"] {
        assert!(message.contains(part), "{part} in {message}");
    }
    let scan = table
        .index(Task::BY_STATUS)
        .scan()
        .skip_expired()
        .items()
        .await;
    assert!(index_refusal(scan).contains("`expires_at`"));
    let by_priority = table.query(Task::by_priority("core")).skip_expired();
    assert!(index_refusal(by_priority.all().await).contains("ByPriority"));
    assert_eq!(counter.take().total(), 0, "nothing was sent");

    // Indexes that copy the expiry leave the expired task out; without skip_expired,
    // DynamoDB's own pace shows it.
    let unexpired = |read: Vec<Task>| read.into_iter().map(|t| t.id).collect::<Vec<_>>();
    let by_owner = table.query(Task::by_owner("ana")).skip_expired();
    assert_eq!(unexpired(by_owner.all().await.unwrap()), [2]);
    let by_created = table.query(Task::by_created("core")).skip_expired();
    assert_eq!(unexpired(by_created.all().await.unwrap()), [2]);
    let scanned = table.index(Task::BY_OWNER).scan().skip_expired();
    assert_eq!(unexpired(scanned.all().await.unwrap()), [2]);
    let all = table.query(Task::by_created("core")).all().await.unwrap();
    assert_eq!(unexpired(all), [1, 2]);
}

#[tokio::test]
async fn local_indexes_are_queried_typed_with_consistent_reads() {
    let (table, counter) = tasks_table("local").await;
    let mut tasks: Vec<Task> = (1..=4).map(|id| task("core", id, None)).collect();
    for (task, priority) in tasks.iter_mut().zip([3, 1, 4, 2]) {
        task.priority = priority;
    }
    let other_team = task("web", 9, None);
    let mut batch = table.batch_write().put(&other_team);
    for task in &tasks {
        batch = batch.put(task);
    }
    batch.await.unwrap();
    let ids = |read: &[Task]| read.iter().map(|t| t.id).collect::<Vec<_>>();

    // ByCreated: the team's partition in creation order, read consistently.
    counter.reset();
    let by_created = table
        .query(Task::by_created("core"))
        .consistent()
        .all()
        .await
        .unwrap();
    assert_eq!(by_created, tasks);
    let counts = counter.take();
    assert_eq!((counts.total(), counts.requests("Query")), (1, 1));
    let newest = table
        .query(Task::by_created("core"))
        .newest_first()
        .limit(2);
    assert_eq!(ids(&newest.all().await.unwrap()), [4, 3]);
    let (second, third) = (tasks[1].created, tasks[2].created);
    let between = table
        .query(Task::by_created("core"))
        .sk_between(second, third)
        .all()
        .await
        .unwrap();
    assert_eq!(ids(&between), [2, 3]);
    let after = table.query(Task::by_created("core")).sk_gt(third);
    assert_eq!(ids(&after.all().await.unwrap()), [4]);
    let by_name = table
        .index::<Task>("ByCreated")
        .query("TEAM#core")
        .consistent()
        .all()
        .await
        .unwrap();
    assert_eq!(by_name, tasks);
    let page = table.query(Task::by_created("core")).page(3).await.unwrap();
    assert_eq!(ids(&page.items), [1, 2, 3]);
    let rest = table.query(Task::by_created("core")).after(page.next);
    assert_eq!(ids(&rest.page(3).await.unwrap().items), [4]);
    let scanned = table.index(Task::BY_CREATED).scan().consistent().all();
    assert_eq!(scanned.await.unwrap().len(), 5, "both teams");

    // ByPriority (keys only, partial): a computed sort key, kept in step by updates.
    let order = |read: Vec<Projected<Task>>| {
        read.iter()
            .map(|task| task.key().to_string())
            .collect::<Vec<_>>()
    };
    let key = |id| Task::key("core", id).to_string();
    let by_priority = table.query(Task::by_priority("core")).consistent();
    assert_eq!(
        order(by_priority.all().await.unwrap()),
        [key(2), key(4), key(1), key(3)]
    );
    table
        .update(Task::key("core", 3), |u| u.set(Task::PRIORITY, 0_u32))
        .await
        .unwrap();
    let by_priority = table.query(Task::by_priority("core")).consistent();
    assert_eq!(
        order(by_priority.all().await.unwrap())[0],
        key(3),
        "LSI1SK moved with the priority"
    );

    // A global index still refuses consistent reads, and empty key values are refused
    // in key conditions as DynamoDB refuses them: before any request.
    counter.reset();
    let message = index_refusal(table.query(Task::by_owner("ana")).consistent().all().await);
    assert!(message.contains("global secondary index"), "{message}");
    let message = index_refusal(table.query(Task::by_owner("")).all().await);
    assert!(message.contains("empty value"), "{message}");
    let message = index_refusal(table.index::<Task>("ByOwner").query("").all().await);
    assert!(message.contains("empty value"), "{message}");
    let empty_bound = table.query(Task::by_created("core")).sk_gt("").all().await;
    assert!(index_refusal(empty_bound).contains("empty value"));
    assert_eq!(counter.take().total(), 0);
}
