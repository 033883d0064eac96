//! What an entity declares about its items' lifecycle, enforced by every write: the
//! entity type written on every item, versions, creation and update times, and time
//! to live.

use aws_sdk_dynamodb::types::AttributeValue;
use std::time::Duration;

use dynaschema::{Entity, Error, Expiry, Item, Schema, Timestamp};
use dynaschema_tests::{counting_connection, provisioned, repository_root, unique_table_name};

/// Two entity types whose keys have the same shape, told apart by their type.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(pk = "THING#{id}", sk = "THING", entity_type = "Widget")]
struct Widget {
    #[dynamo(key_only)]
    id: u64,
    color: String,
}

#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(
    pk = "THING#{id}",
    sk = "THING",
    entity_type,
    entity_type_attr = "kind"
)]
struct Gadget {
    #[dynamo(key_only)]
    id: u64,
    power: u32,
}

fn widget(id: u64) -> Widget {
    Widget {
        id,
        color: "red".into(),
    }
}

#[tokio::test]
async fn the_entity_type_keeps_entities_of_one_key_shape_apart() {
    let (table, counter) = dynaschema_tests::counted_table("entity-type").await;
    let gadget = Gadget { id: 2, power: 9 };
    table.put(&widget(1)).await.unwrap();
    table.put(&gadget).await.unwrap();
    table.put(&widget(3)).await.unwrap();

    let item = widget(1).to_item().unwrap();
    assert_eq!(item.get("_type"), Some(&AttributeValue::S("Widget".into())));
    assert_eq!(
        gadget.to_item().unwrap().get("kind"),
        Some(&AttributeValue::S("Gadget".into())),
        "the type is the struct's name, in the attribute named"
    );

    // Scans and queries read each type's items only.
    let mut widgets = table.scan::<Widget>().all().await.unwrap();
    widgets.sort_by_key(|w| w.id);
    assert_eq!(widgets, [widget(1), widget(3)]);
    assert_eq!(
        table.scan::<Gadget>().all().await.unwrap(),
        std::slice::from_ref(&gadget)
    );
    assert_eq!(table.query(Gadget::partition(1)).all().await.unwrap(), []);
    assert_eq!(
        table.query(Gadget::partition(2)).all().await.unwrap(),
        std::slice::from_ref(&gadget)
    );
    assert_eq!(table.get(Gadget::key(2)).await.unwrap(), Some(gadget));

    // A get of a key that holds the other type's item says so.
    let err = table.get(Widget::key(2)).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err}");
    assert!(err.to_string().contains("not a Widget"), "{err}");

    // An item written without the type is no Widget, and reading it names the cure.
    let mut untyped: Item = widget(4).to_item().unwrap();
    untyped.remove("_type");
    assert!(!Widget::matches(&untyped));
    assert!(Widget::from_matching_item(&untyped).is_none());
    let err = Widget::from_item(&untyped).unwrap_err().to_string();
    assert!(err.contains("data migration"), "{err}");

    // The scan's filter keeps the other type's items from being sent back.
    counter.reset();
    table.scan::<Widget>().all().await.unwrap();
    let counts = counter.take();
    assert_eq!(
        (counts.scanned("Scan"), counts.returned("Scan")),
        (3, 2),
        "{counts:?}"
    );
}

/// A versioned entity: every write requires the version read and writes the next.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(pk = "DOC#{id}", sk = "DOC")]
struct Document {
    #[dynamo(key_only)]
    id: u64,
    title: String,
    #[dynamo(version)]
    version: u64,
}

fn document(id: u64, title: &str, version: u64) -> Document {
    Document {
        id,
        title: title.into(),
        version,
    }
}

/// The conflict's versions, or a panic naming the error.
fn conflict(err: Error) -> (u64, Option<u64>) {
    match err {
        Error::VersionConflict {
            expected, found, ..
        } => (expected, found),
        other => panic!("expected a version conflict, got {other}"),
    }
}

#[tokio::test]
async fn puts_and_updates_of_a_versioned_entity_require_the_version_read() {
    let (table, counter) = dynaschema_tests::counted_table("versions").await;
    let stored = |table: &dynaschema::Table| {
        let table = table.clone();
        async move { table.get(Document::key(1)).await.unwrap().unwrap() }
    };

    // A new entity (version 0) is written as version 1, once.
    table.put(&document(1, "draft", 0)).await.unwrap();
    assert_eq!(stored(&table).await, document(1, "draft", 1));
    let err = table.put(&document(1, "other", 0)).await.unwrap_err();
    assert_eq!(conflict(err), (0, Some(1)), "it exists already");

    // A put of the version read writes the next; a stale one changes nothing.
    table.put(&document(1, "second", 1)).await.unwrap();
    let err = table.put(&document(1, "stale", 1)).await.unwrap_err();
    assert_eq!(conflict(err), (1, Some(2)));
    assert_eq!(stored(&table).await, document(1, "second", 2));

    // Updates name the version read, or skip the check by name.
    counter.reset();
    let err = table
        .update(Document::key(1), |u| u.set(Document::TITLE, "unchecked"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::VersionMissing { .. }), "{err}");
    assert!(err.to_string().contains("expect_version"), "{err}");
    assert_eq!(counter.take().total(), 0, "refused before sending");
    let updated = table
        .update(Document::key(1), |u| {
            u.set(Document::TITLE, "third").expect_version(2)
        })
        .await
        .unwrap();
    assert_eq!(updated, document(1, "third", 3));
    let err = table
        .update(Document::key(1), |u| {
            u.set(Document::TITLE, "stale").expect_version(2)
        })
        .await
        .unwrap_err();
    assert_eq!(conflict(err), (2, Some(3)));
    let forced = table
        .update(Document::key(1), |u| {
            u.set(Document::TITLE, "forced").skip_version_check()
        })
        .await
        .unwrap();
    assert_eq!(forced, document(1, "forced", 4));
    table
        .put(&document(1, "put over any", 1))
        .skip_version_check()
        .await
        .unwrap();
    assert_eq!(stored(&table).await, document(1, "put over any", 2));

    // An update of a missing item is still NotFound; a put of a version over no item
    // is a conflict.
    let err = table
        .update(Document::key(9), |u| {
            u.set(Document::TITLE, "x").expect_version(1)
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    let err = table.put(&document(9, "x", 3)).await.unwrap_err();
    assert_eq!(conflict(err), (3, None));

    // In a transaction too: a stale write cancels it, and nothing is written.
    let err = table
        .transact()
        .put(&document(2, "new", 0))
        .update(Document::key(1), |u| {
            u.set(Document::TITLE, "stale").expect_version(1)
        })
        .await
        .unwrap_err();
    assert_eq!(conflict(err), (1, Some(2)));
    assert_eq!(table.get(Document::key(2)).await.unwrap(), None);
    table
        .transact()
        .put(&document(2, "new", 0))
        .update(Document::key(1), |u| {
            u.set(Document::TITLE, "both").expect_version(2)
        })
        .await
        .unwrap();
    assert_eq!(stored(&table).await, document(1, "both", 3));
    assert_eq!(
        table.get(Document::key(2)).await.unwrap(),
        Some(document(2, "new", 1))
    );
}

#[tokio::test]
async fn of_concurrent_writers_of_one_version_exactly_one_wins() {
    let table = dynaschema_tests::provisioned_table("version-race").await;
    table.put(&document(1, "start", 0)).await.unwrap();
    let read = table.get(Document::key(1)).await.unwrap().unwrap();
    // Collected, so that all of them are spawned before the first is awaited.
    let writers: Vec<_> = (0..8)
        .map(|n| {
            let table = table.clone();
            let version = read.version;
            tokio::spawn(async move {
                let title = format!("writer {n}");
                let result = table
                    .update(Document::key(1), |u| {
                        u.set(Document::TITLE, title.clone())
                            .expect_version(version)
                    })
                    .await;
                (title, result)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for writer in writers {
        let (title, result) = writer.await.unwrap();
        match result {
            Ok(document) => winners.push((title, document)),
            Err(err) => assert_eq!(conflict(err).0, read.version),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let (title, written) = &winners[0];
    assert_eq!(written, &document(1, title, read.version + 1));
    assert_eq!(
        table.get(Document::key(1)).await.unwrap().as_ref(),
        Some(written)
    );
}

/// An entity whose creation and update times the toolkit keeps.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(pk = "NOTE#{id}", sk = "NOTE")]
struct Note {
    #[dynamo(key_only)]
    id: u64,
    text: String,
    #[dynamo(created_at)]
    created: Timestamp,
    #[dynamo(updated_at)]
    updated: Timestamp,
}

fn note(id: u64, text: &str) -> Note {
    let unset = Timestamp::from_unix_micros(0);
    Note {
        id,
        text: text.into(),
        created: unset,
        updated: unset,
    }
}

#[tokio::test]
async fn writes_stamp_the_creation_and_update_times() {
    let table = dynaschema_tests::provisioned_table("timestamps").await;
    let read = |id| {
        let table = table.clone();
        async move { table.get(Note::key(id)).await.unwrap().unwrap() }
    };
    let within = |at: Timestamp, from: Timestamp| {
        assert!(
            from <= at && at <= Timestamp::now(),
            "{at:?} not after {from:?}"
        );
    };

    // A put that creates the item stamps both.
    let before = Timestamp::now();
    table.put(&note(1, "first")).if_not_exists().await.unwrap();
    let created = read(1).await;
    within(created.created, before);
    assert_eq!(
        created.updated, created.created,
        "one time for the whole write"
    );

    // A put over it keeps the creation time it was given, and stamps the update.
    let before = Timestamp::now();
    let mut changed = created.clone();
    changed.text = "second".into();
    table.put(&changed).await.unwrap();
    let stored = read(1).await;
    assert_eq!(stored.created, created.created);
    within(stored.updated, before);

    // An update stamps the update time only, and answers both.
    let before = Timestamp::now();
    let updated = table
        .update(Note::key(1), |u| u.set(Note::TEXT, "third"))
        .await
        .unwrap();
    assert_eq!(updated.created, created.created);
    within(updated.updated, before);
    assert_eq!(read(1).await, updated);

    // A transaction's put_new creates; an update of an item without a creation time
    // gives it one.
    let before = Timestamp::now();
    table.transact().put_new(&note(2, "new")).await.unwrap();
    within(read(2).await.created, before);
    let mut legacy = note(3, "old").to_item().unwrap();
    legacy.remove("created");
    dynaschema_tests::put_raw(&table, legacy).await;
    let before = Timestamp::now();
    let stamped = table
        .update(Note::key(3), |u| u.set(Note::TEXT, "touched"))
        .await
        .unwrap();
    within(stamped.created, before);
    assert_eq!(stamped.created, stamped.updated);
}

/// A session that expires: the sessions fixture's time-to-live attribute.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(
    pk = "USER#{user}",
    sk = "SESSION#{id}",
    schema = "fixtures/sessions.toml"
)]
struct Session {
    #[dynamo(key_only)]
    user: String,
    #[dynamo(key_only)]
    id: u64,
    #[dynamo(ttl)]
    expires_at: Option<Expiry>,
}

#[tokio::test]
async fn reads_can_leave_out_expired_items_dynamodb_has_not_deleted_yet() {
    let schema = Schema::load(repository_root().join("tests/fixtures/sessions.toml"))
        .unwrap()
        .with_table_name(&unique_table_name("ttl"))
        .unwrap();
    let (connection, counter) = counting_connection().await;
    let table = provisioned(schema, connection).await;
    // Long past (DynamoDB leaves items expired over five years ago alone), in an hour,
    // and never.
    let session = |id, expires_at| Session {
        user: "ann".into(),
        id,
        expires_at,
    };
    let expired = session(1, Some(Expiry::from_unix_seconds(1_000)));
    let live = session(2, Some(Expiry::after(Duration::from_secs(3600))));
    let forever = session(3, None);
    for s in [&expired, &live, &forever] {
        table.put(s).await.unwrap();
    }
    assert_eq!(
        expired.to_item().unwrap().get("expires_at"),
        Some(&AttributeValue::N("1000".into())),
        "epoch seconds, a Number"
    );

    let all = table.query(Session::partition("ann")).all().await.unwrap();
    assert_eq!(all.len(), 3, "still there");
    let unexpired = table
        .query(Session::partition("ann"))
        .skip_expired()
        .all()
        .await
        .unwrap();
    assert_eq!(unexpired, [live.clone(), forever.clone()]);
    let mut scanned = table.scan::<Session>().skip_expired().all().await.unwrap();
    scanned.sort_by_key(|s| s.id);
    assert_eq!(scanned, [live.clone(), forever]);
    assert_eq!(
        table.get(Session::key("ann", 1)).await.unwrap(),
        Some(expired)
    );
    assert_eq!(
        table
            .get(Session::key("ann", 1))
            .skip_expired()
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        table
            .get(Session::key("ann", 2))
            .skip_expired()
            .await
            .unwrap(),
        Some(live)
    );

    // A table without a time to live cannot tell: refused before any request.
    let plain = dynaschema_tests::provisioned_table("no-ttl").await;
    counter.reset();
    let err = plain
        .query(Session::partition("ann"))
        .skip_expired()
        .all()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("ttl_attribute"), "{err}");
    assert!(plain
        .get(Session::key("ann", 1))
        .skip_expired()
        .await
        .is_err());
    assert_eq!(counter.take().total(), 0);
}

/// A counter made by its first upsert.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(pk = "COUNTER#{name}", sk = "COUNTER", entity_type)]
struct Counter {
    #[dynamo(key_only)]
    name: String,
    hits: u64,
    #[dynamo(created_at)]
    first: Timestamp,
    #[dynamo(updated_at)]
    last: Timestamp,
}

#[tokio::test]
async fn an_upsert_creates_the_item_or_changes_it_and_keeps_it_whole() {
    let (table, counter) = dynaschema_tests::counted_table("upsert").await;
    counter.reset();

    // Created by the first, changed by the second: one request each.
    let first = table
        .upsert(Counter::key("home"), |u| u.add(Counter::HITS, 1_u64))
        .await
        .unwrap();
    assert_eq!(first.hits, 1);
    assert_eq!(first.first, first.last);
    let second = table
        .upsert(Counter::key("home"), |u| u.add(Counter::HITS, 1_u64))
        .await
        .unwrap();
    assert_eq!(second.hits, 2);
    assert_eq!(second.first, first.first, "created once");
    assert!(second.last >= first.last);
    assert_eq!(counter.take().requests("UpdateItem"), 2);
    let item = table
        .client()
        .get_item()
        .table_name(table.name())
        .set_key(Some(Counter::key("home").to_item().unwrap()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(
        item.get("_type"),
        Some(&AttributeValue::S("Counter".into()))
    );

    // An upsert that would leave a required field without a value is refused.
    counter.reset();
    let err = table
        .upsert(Document::key(5), |u| u.expect_version(0))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UpsertIncomplete { .. }), "{err}");
    assert!(err.to_string().contains("`title`"), "{err}");
    assert_eq!(counter.take().total(), 0);
    assert_eq!(table.get(Document::key(5)).await.unwrap(), None);

    // A versioned upsert: version 0 creates version 1, once.
    let created = table
        .upsert(Document::key(5), |u| {
            u.set(Document::TITLE, "made").expect_version(0)
        })
        .await
        .unwrap();
    assert_eq!(created, document(5, "made", 1));
    let err = table
        .upsert(Document::key(5), |u| {
            u.set(Document::TITLE, "again").expect_version(0)
        })
        .await
        .unwrap_err();
    assert_eq!(conflict(err), (0, Some(1)));
    let err = table
        .upsert(Document::key(6), |u| {
            u.set(Document::TITLE, "gone").expect_version(3)
        })
        .await
        .unwrap_err();
    assert_eq!(
        conflict(err),
        (3, None),
        "expected an item that is not there"
    );
}

#[tokio::test]
async fn an_upsert_writes_the_index_keys_of_the_item_it_creates() {
    let table = dynaschema_tests::store::store_table("upsert-index").await;
    use dynaschema_tests::store::Customer;
    let err = table
        .upsert(Customer::key("zoe"), |u| {
            u.set(Customer::EMAIL, "zoe@store.example")
                .set(Customer::NAME, "Zoe")
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("`tier`"), "{err}");
    let zoe = table
        .upsert(Customer::key("zoe"), |u| {
            u.set(Customer::EMAIL, "zoe@store.example")
                .set(Customer::NAME, "Zoe")
                .set(Customer::TIER, "GOLD")
        })
        .await
        .unwrap();
    assert_eq!(
        table.query(Customer::gsi2("GOLD")).all().await.unwrap(),
        [zoe]
    );
}

/// Parts of a box, typed: deleting the box's partition deletes them.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(pk = "BOX#{box_id}", sk = "PART#{n}", entity_type)]
struct Part {
    #[dynamo(key_only)]
    box_id: u64,
    #[dynamo(key_only)]
    n: u32,
}

/// A contact address stored through serde, the key of an index on its own attribute.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Contact(String);

#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(
    pk = "TAGGED#{id}",
    sk = "TAGGED",
    index(name = "EmailIndex", pk = "{contact}")
)]
struct Tagged {
    #[dynamo(key_only)]
    id: u64,
    #[dynamo(serde, rename = "email")]
    contact: Contact,
}

#[tokio::test]
async fn typed_and_managed_entities_in_batches_deletes_updates_and_indexes() {
    let (table, counter) = dynaschema_tests::counted_table("managed").await;

    // delete_partition recognises typed items by their type too.
    let parts: Vec<Part> = (1..=3).map(|n| Part { box_id: 1, n }).collect();
    table.batch_write().put_all(&parts).await.unwrap();
    assert_eq!(table.delete_partition(Part::partition(1)).await.unwrap(), 3);
    assert_eq!(table.query(Part::partition(1)).all().await.unwrap(), []);

    // A batch cannot require a version; it stamps update times.
    counter.reset();
    let err = table
        .batch_write()
        .put(&document(7, "batched", 0))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidBatch { .. }), "{err}");
    assert_eq!(counter.take().total(), 0);
    let before = Timestamp::now();
    table.batch_write().put(&note(7, "batched")).await.unwrap();
    let stored = table.get(Note::key(7)).await.unwrap().unwrap();
    assert!(stored.updated >= before, "{stored:?}");

    // Attributes the toolkit writes are not the update's to set.
    table.put(&document(8, "v1", 0)).await.unwrap();
    let err = table
        .update(Document::key(8), |u| {
            u.set(Document::VERSION, 5_u64).expect_version(1)
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidExpression { .. }), "{err}");
    let err = table
        .update(Note::key(7), |u| u.set(Note::UPDATED, Timestamp::now()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidExpression { .. }), "{err}");
    let err = table
        .put(&document(9, "later", 2))
        .if_not_exists()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("version 0"), "{err}");

    // An update of one type's key that holds another type's item changes nothing.
    table.put(&Gadget { id: 20, power: 1 }).await.unwrap();
    let err = table
        .update(Widget::key(20), |u| u.set(Widget::COLOR, "blue"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert_eq!(
        table.get(Gadget::key(20)).await.unwrap(),
        Some(Gadget { id: 20, power: 1 })
    );

    // An index on a serde field's own attribute.
    let tagged = Tagged {
        id: 1,
        contact: Contact("ann@x.org".into()),
    };
    table.put(&tagged).await.unwrap();
    assert_eq!(
        table
            .query(Tagged::email_index(Contact("ann@x.org".into())))
            .all()
            .await
            .unwrap(),
        [tagged]
    );

    // A cursor continues a query read whole, too.
    for n in 1..=5 {
        table.put(&Part { box_id: 2, n }).await.unwrap();
    }
    let first = table.query(Part::partition(2)).page(2).await.unwrap();
    let rest = table
        .query(Part::partition(2))
        .after(first.next.unwrap())
        .all()
        .await
        .unwrap();
    assert_eq!(rest.iter().map(|p| p.n).collect::<Vec<_>>(), [3, 4, 5]);
}

#[tokio::test]
async fn an_upsert_writes_index_keys_made_of_its_key_and_literals() {
    use dynaschema_tests::store::{Order, OrderStatus};
    let table = dynaschema_tests::store::store_table("upsert-key-index").await;
    let order = table
        .upsert(Order::key("dave", 7), |u| {
            u.set(Order::STATUS, OrderStatus::Placed)
                .set(Order::TOTAL, 10_u64)
                .set(Order::PLACED_AT, Timestamp::from_unix_micros(7))
        })
        .await
        .unwrap();
    assert_eq!(table.query(Order::gsi1(7)).all().await.unwrap(), [order]);
    assert!(
        table.query(Order::gsi2()).all().await.unwrap().is_empty(),
        "not shipped"
    );
}
