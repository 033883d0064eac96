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
