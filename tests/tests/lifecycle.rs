//! What an entity declares about its items' lifecycle, enforced by every write: the
//! entity type written on every item.

use aws_sdk_dynamodb::types::AttributeValue;
use dynaschema::{Entity, Error, Item};
use dynaschema_tests::{counting_connection, ningipoints_schema, provisioned};

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
    let (connection, counter) = counting_connection().await;
    let table = provisioned(ningipoints_schema("entity-type"), connection).await;
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
    let (connection, counter) = counting_connection().await;
    let table = provisioned(ningipoints_schema("versions"), connection).await;
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
    let writers = (0..8).map(|n| {
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
    });
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
