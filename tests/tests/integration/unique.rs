//! Unique values (`#[dynamo(unique)]`), against the server: guard items written, moved
//! and deleted in the same transaction as the entity's item, violations that change
//! nothing, batch writes refused, concurrent writers of one value.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use dynaschema::unique::Holder;
use dynaschema::{Entity, Error, Item, Table};
use dynaschema_tests::provisioned;
use futures::TryStreamExt;

/// A user whose login, and phone number when it has one, no other user holds.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(pk = "USER#{id}", sk = "USER", entity_type = "User")]
struct User {
    #[dynamo(key_only)]
    id: u64,
    #[dynamo(unique)]
    login: String,
    #[dynamo(unique)]
    phone: Option<u64>,
    name: String,
}

/// A versioned entity with a unique value: both checks in one write.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(pk = "TEAM#{id}", sk = "TEAM")]
struct Team {
    #[dynamo(key_only)]
    id: u64,
    #[dynamo(unique)]
    slug: String,
    #[dynamo(unique)]
    seat: u32,
    #[dynamo(version)]
    version: u32,
}

fn user(id: u64, login: &str) -> User {
    User {
        id,
        login: login.into(),
        phone: None,
        name: format!("user {id}"),
    }
}

/// Every item of the table, read consistently.
async fn all_items(table: &Table) -> Vec<Item> {
    let items = table.scan_items().consistent().stream().try_collect();
    items.await.unwrap()
}

/// Every item of the table, by key text: to see that a refusal changed nothing.
async fn everything(table: &Table) -> BTreeMap<String, Item> {
    all_items(table)
        .await
        .into_iter()
        .map(|item| {
            let text = |name: &str| match item.get(name) {
                Some(AttributeValue::S(text)) => text.clone(),
                other => panic!("{name} is {other:?}"),
            };
            (format!("{} {}", text("PK"), text("SK")), item)
        })
        .collect()
}

/// The guards of `User`'s `attribute`: value, holder's partition key.
async fn guards(table: &Table, attribute: &str) -> BTreeMap<String, String> {
    let prefix = format!("_unique#User#{attribute}#");
    everything(table)
        .await
        .into_values()
        .filter_map(|item| {
            let Some(AttributeValue::S(pk)) = item.get("PK") else {
                return None;
            };
            let value = pk.strip_prefix(&prefix)?.to_owned();
            assert_eq!(item.get("SK"), Some(&AttributeValue::S("_unique".into())));
            assert_eq!(item.len(), 4, "keys and holder only: {item:?}");
            match (item.get("_holder_pk"), item.get("_holder_sk")) {
                (Some(AttributeValue::S(holder)), Some(AttributeValue::S(sk))) => {
                    assert_eq!(sk, "USER");
                    Some((value, holder.clone()))
                }
                other => panic!("a guard without its holder: {other:?}"),
            }
        })
        .collect()
}

fn held(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(value, holder)| ((*value).to_owned(), (*holder).to_owned()))
        .collect()
}

/// Writes `users` as another client (or a version without `unique`) would: their items
/// only, without guards.
async fn write_without_guards(table: &Table, users: &[User]) {
    for user in users {
        dynaschema_tests::put_raw(table, user.to_item().unwrap()).await;
    }
}

/// The violation's field, value and holder, or a panic naming the error.
fn violation(err: Error) -> (&'static str, String, Option<Box<Holder>>) {
    match err {
        Error::UniqueViolation {
            field,
            value,
            holder,
            ..
        } => (field, value, holder),
        other => panic!("expected a unique violation, got {other}"),
    }
}

fn holder(pk: &str) -> Option<Box<Holder>> {
    Some(Box::new(Holder {
        partition_key: ("PK".into(), pk.into()),
        sort_key: Some(("SK".into(), "USER".into())),
    }))
}

#[tokio::test]
async fn a_unique_value_is_held_by_one_item_and_a_second_changes_nothing() {
    let (table, counter) = dynaschema_tests::counted_table("unique-puts").await;
    counter.reset();
    table.put(&user(1, "clara")).if_not_exists().await.unwrap();
    // A put that creates the item reads nothing: one transaction.
    assert_eq!(counter.take().requests("TransactWriteItems"), 1);
    assert_eq!(guards(&table, "login").await, held(&[("clara", "USER#1")]));
    assert_eq!(guards(&table, "phone").await, held(&[]));

    let before = everything(&table).await;
    counter.reset();
    let err = table
        .put(&user(2, "clara"))
        .if_not_exists()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "User login \"clara\" is already in use by PK=USER#1, SK=USER, in table `{}`: \
             nothing was written",
            table.name()
        )
    );
    assert_eq!(
        violation(err),
        ("login", "clara".to_owned(), holder("USER#1"))
    );
    // A put that may replace an item reads its values first. Each refusal reads the
    // holder, which still holds the value.
    let err = table.put(&user(2, "clara")).await.unwrap_err();
    assert_eq!(violation(err).2, holder("USER#1"));
    let counts = counter.take();
    assert_eq!(
        (
            counts.requests("TransactWriteItems"),
            counts.requests("GetItem")
        ),
        (2, 3)
    );

    // Refused before anything is sent: batches, and one value given twice.
    let refusals = [
        table.batch_write().put(&user(3, "ana")).await.unwrap_err(),
        table.batch_write().delete(User::key(1)).await.unwrap_err(),
        table
            .delete_partition(User::partition(1))
            .await
            .unwrap_err(),
    ];
    for err in refusals {
        assert!(matches!(err, Error::InvalidBatch { .. }), "{err}");
        assert!(err.to_string().contains("table.delete(..)"), "{err}");
        assert!(err.to_string().contains("(login, phone)"), "{err}");
    }
    let (three, four) = (user(3, "ana"), user(4, "ana"));
    let err = table
        .transact()
        .put_new(&three)
        .put_new(&four)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid transaction, nothing was sent: two of its writes give User login \"ana\" (to \
         PK=USER#3, SK=USER and to PK=USER#4, SK=USER), and a unique value is one item's"
    );
    // A value too long for its guard's key, and an absent value set, are refused too.
    let long = "x".repeat(2040);
    let err = table
        .put(&user(7, &long))
        .if_not_exists()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("a unique value is at most 2029 bytes"),
        "{err}"
    );
    let err = table
        .update(User::key(1), |u| u.set(User::PHONE, None))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("u.remove(..)"), "{err}");
    assert_eq!(counter.take().total(), 0);
    assert_eq!(everything(&table).await, before);

    // Typed reads never see the guards.
    assert_eq!(
        table.scan::<User>().all().await.unwrap(),
        [user(1, "clara")]
    );
    assert_eq!(
        table.query(User::partition(1)).all().await.unwrap().len(),
        1
    );

    // Numbers are guarded by their text; optional values only when present.
    let mut five = user(5, "eve");
    five.phone = Some(5550100);
    table.put(&five).await.unwrap();
    let mut six = user(6, "frank");
    six.phone = Some(5550100);
    let err = table.put(&six).if_not_exists().await.unwrap_err();
    assert_eq!(
        violation(err),
        ("phone", "5550100".into(), holder("USER#5"))
    );
    assert_eq!(
        guards(&table, "phone").await,
        held(&[("5550100", "USER#5")])
    );
}

#[tokio::test]
async fn updates_and_puts_move_guards_and_deletes_remove_them() {
    let (table, counter) = dynaschema_tests::counted_table("unique-moves").await;
    table.put(&user(1, "clara")).if_not_exists().await.unwrap();
    table.put(&user(2, "bruno")).if_not_exists().await.unwrap();

    // An update that changes the value moves the guard, and answers the item after.
    counter.reset();
    let updated = table
        .update(User::key(1), |u| u.set(User::LOGIN, "clara.b"))
        .await
        .unwrap();
    assert_eq!(updated, user(1, "clara.b"));
    let counts = counter.take();
    assert_eq!(
        (
            counts.requests("GetItem"),
            counts.requests("TransactWriteItems")
        ),
        (2, 1),
        "the values read, the transaction, the item after"
    );
    assert_eq!(
        guards(&table, "login").await,
        held(&[("bruno", "USER#2"), ("clara.b", "USER#1")])
    );
    // An update that changes no unique field is one UpdateItem, as without guards.
    table
        .update(User::key(1), |u| u.set(User::NAME, "Clara"))
        .apply()
        .await
        .unwrap();
    assert_eq!(counter.take().requests("UpdateItem"), 1);

    // The freed value is free; the taken one refused, the item left as it was.
    table
        .update(User::key(2), |u| u.set(User::LOGIN, "clara"))
        .apply()
        .await
        .unwrap();
    let before = everything(&table).await;
    let err = table
        .update(User::key(2), |u| u.set(User::LOGIN, "clara.b"))
        .await
        .unwrap_err();
    assert_eq!(violation(err).2, holder("USER#1"));
    assert_eq!(everything(&table).await, before);

    // Setting and removing an optional unique value puts and deletes its guard.
    table
        .update(User::key(1), |u| u.set(User::PHONE, Some(42)))
        .apply()
        .await
        .unwrap();
    assert_eq!(guards(&table, "phone").await, held(&[("42", "USER#1")]));
    table
        .update(User::key(1), |u| u.remove(User::PHONE))
        .apply()
        .await
        .unwrap();
    assert_eq!(guards(&table, "phone").await, held(&[]));

    // A put over the item moves its guards too.
    let mut replaced = user(1, "clara.c");
    replaced.phone = Some(7);
    table.put(&replaced).await.unwrap();
    assert_eq!(
        guards(&table, "login").await,
        held(&[("clara", "USER#2"), ("clara.c", "USER#1")])
    );
    assert_eq!(guards(&table, "phone").await, held(&[("7", "USER#1")]));

    // An update of a missing item is NotFound, and writes no guard.
    let err = table
        .update(User::key(9), |u| u.set(User::LOGIN, "ghost"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    // A delete takes the item's guards with it, in a transaction of its own or another.
    table.delete(User::key(1)).await.unwrap();
    assert_eq!(guards(&table, "login").await, held(&[("clara", "USER#2")]));
    assert_eq!(guards(&table, "phone").await, held(&[]));
    table.transact().delete(User::key(2)).await.unwrap();
    assert_eq!(guards(&table, "login").await, held(&[]));
    // Deleting what is gone succeeds and changes nothing.
    table.delete(User::key(2)).await.unwrap();
    assert!(everything(&table).await.is_empty());
}

#[tokio::test]
async fn versions_and_unique_values_are_checked_in_one_write() {
    let table = dynaschema_tests::provisioned_table("unique-versions").await;
    let team = |id, slug: &str, version| Team {
        id,
        slug: slug.into(),
        seat: id as u32,
        version,
    };
    table.put(&team(1, "red", 0)).await.unwrap();
    let err = table.put(&team(2, "red", 0)).await.unwrap_err();
    assert!(matches!(err, Error::UniqueViolation { .. }), "{err}");
    let err = table
        .put(&team(1, "green", 0))
        .if_not_exists()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
    let green = team(1, "green", 0);
    let err = table.transact().put_new(&green).await.unwrap_err();
    assert!(matches!(err, Error::TransactionCanceled { .. }), "{err}");
    // A stale version is a version conflict, and moves no guard.
    let err = table.put(&team(1, "blue", 0)).await.unwrap_err();
    assert!(matches!(err, Error::VersionConflict { .. }), "{err}");
    let moved = table
        .update(Team::key(1), |u| {
            u.set(Team::SLUG, "blue").expect_version(1)
        })
        .await
        .unwrap();
    assert_eq!(moved, team(1, "blue", 2));
    table.put(&team(2, "red", 0)).await.unwrap();
    let err = table
        .update(Team::key(2), |u| {
            u.set(Team::SLUG, "blue").expect_version(1)
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UniqueViolation { .. }), "{err}");

    // A unique value changed by arithmetic cannot be guarded: refused before sending.
    let err = table
        .update(Team::key(1), |u| {
            u.increment(Team::SEAT, 1_u32).expect_version(2)
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("set the field"), "{err}");
    assert_eq!(
        table.get(Team::key(1)).await.unwrap(),
        Some(team(1, "blue", 2))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_writers_of_one_value_exactly_one_wins() {
    let (table, counter) = dynaschema_tests::counted_table("unique-race").await;
    // Collected, so that all of them are spawned before the first is awaited.
    let creators: Vec<_> = (0..8)
        .map(|n| {
            let table = table.clone();
            tokio::spawn(async move {
                let result = table.put(&user(n, "taken")).if_not_exists().await;
                (n, result)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for creator in creators {
        let (n, result) = creator.await.unwrap();
        match result {
            Ok(()) => winners.push(n),
            Err(err) => assert_eq!(violation(err).1, "taken"),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let winner = format!("USER#{}", winners[0]);
    assert_eq!(
        guards(&table, "login").await,
        held(&[("taken", winner.as_str())])
    );
    assert_eq!(table.scan::<User>().all().await.unwrap().len(), 1);

    // Eight writers changing one user's value at once: whoever wins, the user holds
    // exactly one guard, of the value it holds.
    counter.reset();
    // Collected, so that all of them are spawned before the first is awaited.
    let writers: Vec<_> = (0..8)
        .map(|n| {
            let table = table.clone();
            let id = winners[0];
            tokio::spawn(async move {
                table
                    .update(User::key(id), |u| u.set(User::LOGIN, format!("login {n}")))
                    .apply()
                    .await
            })
        })
        .collect();
    let mut succeeded = 0;
    for writer in writers {
        match writer.await.unwrap() {
            Ok(()) => succeeded += 1,
            Err(err) => assert!(
                matches!(
                    err,
                    Error::TransactionCanceled { .. } | Error::OutcomeUnknown { .. }
                ),
                "{err}"
            ),
        }
    }
    assert!(succeeded >= 1);
    // Each attempt read the values it moves the guard from, again after another
    // writer changed them.
    let counts = counter.counts();
    assert_eq!(
        counts.requests("GetItem"),
        counts.requests("TransactWriteItems")
    );
    let stored = table.get(User::key(winners[0])).await.unwrap().unwrap();
    assert_eq!(
        guards(&table, "login").await,
        held(&[(stored.login.as_str(), winner.as_str())])
    );
}

#[tokio::test]
async fn guards_of_items_written_before_are_written_by_write_guards() {
    let (table, counter) = dynaschema_tests::counted_table("unique-backfill").await;
    // Items written without their guards, as by a version without `unique`.
    write_without_guards(
        &table,
        &[user(1, "clara"), user(2, "bruno"), user(3, "clara")],
    )
    .await;
    assert!(!table.holds_guards(&user(1, "clara")).await.unwrap());
    assert!(table.write_guards(&user(1, "clara")).await.unwrap());
    assert!(table.write_guards(&user(2, "bruno")).await.unwrap());
    assert!(table.holds_guards(&user(2, "bruno")).await.unwrap());
    // Again: the guards are the items' own already, and only read.
    counter.reset();
    assert!(!table.write_guards(&user(2, "bruno")).await.unwrap());
    let counts = counter.take();
    assert_eq!(
        (
            counts.requests("GetItem"),
            counts.requests("TransactWriteItems")
        ),
        (1, 0),
        "{counts:?}"
    );
    let err = table.write_guards(&user(3, "clara")).await.unwrap_err();
    assert_eq!(violation(err).2, holder("USER#1"));
    // An item that holds other values now is left to whatever changed it.
    assert!(!table.write_guards(&user(2, "bruno.old")).await.unwrap());
    assert!(!table.write_guards(&user(7, "nobody")).await.unwrap());
    assert_eq!(
        guards(&table, "login").await,
        held(&[("bruno", "USER#2"), ("clara", "USER#1")])
    );
}

#[tokio::test]
async fn a_guard_left_behind_by_an_item_changed_without_the_toolkit_is_released() {
    let (table, counter) = dynaschema_tests::counted_table("unique-left-behind").await;
    table.put(&user(1, "clara")).if_not_exists().await.unwrap();
    table.put(&user(2, "dora")).if_not_exists().await.unwrap();
    table.put(&user(3, "eva")).if_not_exists().await.unwrap();
    // Deleted, and changed, by another client: their guards stay behind.
    table
        .client()
        .delete_item()
        .table_name(table.name())
        .set_key(Some(User::key(1).to_item().unwrap()))
        .send()
        .await
        .unwrap();
    write_without_guards(&table, &[user(2, "dora.b")]).await;

    counter.reset();
    table.put(&user(4, "clara")).if_not_exists().await.unwrap();
    let counts = counter.take();
    assert_eq!(
        (
            counts.requests("TransactWriteItems"),
            counts.requests("GetItem")
        ),
        (3, 1),
        "refused, the guard released after reading its holder, written: {counts:?}"
    );
    table.put(&user(5, "dora")).if_not_exists().await.unwrap();
    // A holder that still holds its value keeps it.
    let err = table
        .put(&user(6, "eva"))
        .if_not_exists()
        .await
        .unwrap_err();
    assert_eq!(violation(err).2, holder("USER#3"));
    assert_eq!(
        guards(&table, "login").await,
        held(&[("clara", "USER#4"), ("dora", "USER#5"), ("eva", "USER#3")])
    );
}

#[tokio::test]
async fn one_transaction_can_hand_a_value_from_one_item_to_another() {
    let table = dynaschema_tests::provisioned_table("unique-handover").await;
    table.put(&user(1, "clara")).if_not_exists().await.unwrap();
    table.put(&user(2, "dora")).if_not_exists().await.unwrap();
    let heir = user(3, "clara");
    table
        .transact()
        .delete(User::key(1))
        .put_new(&heir)
        .await
        .unwrap();
    assert_eq!(
        guards(&table, "login").await,
        held(&[("clara", "USER#3"), ("dora", "USER#2")])
    );
    // Two items swap their values.
    table
        .transact()
        .update(User::key(2), |u| u.set(User::LOGIN, "clara"))
        .update(User::key(3), |u| u.set(User::LOGIN, "dora"))
        .await
        .unwrap();
    assert_eq!(
        guards(&table, "login").await,
        held(&[("clara", "USER#2"), ("dora", "USER#3")])
    );
    // A value given up by one item and taken by two is still one item's.
    let (four, five) = (user(4, "clara"), user(5, "clara"));
    let err = table
        .transact()
        .delete(User::key(2))
        .put_new(&four)
        .put_new(&five)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidTransaction { .. }), "{err}");
}

#[tokio::test]
async fn items_that_shared_a_value_before_it_was_unique_can_still_change_it() {
    let table = dynaschema_tests::provisioned_table("unique-shared-before").await;
    write_without_guards(&table, &[user(1, "dup"), user(2, "dup"), user(3, "dup")]).await;
    assert!(table.write_guards(&user(1, "dup")).await.unwrap());
    // The others leave the value's guard to its holder.
    table
        .update(User::key(2), |u| u.set(User::LOGIN, "second"))
        .await
        .unwrap();
    table.delete(User::key(3)).await.unwrap();
    assert_eq!(
        guards(&table, "login").await,
        held(&[("dup", "USER#1"), ("second", "USER#2")])
    );
}

/// A table with a partition key only.
fn handles_schema() -> dynaschema::Schema {
    let text = r#"
        [table]
        name = "handles"
        billing_mode = "PAY_PER_REQUEST"
        partition_key = { name = "id", type = "S" }
    "#;
    dynaschema::Schema::parse(text, "handles.toml")
        .unwrap()
        .with_table_name(&dynaschema_tests::unique_table_name("unique-no-sort-key"))
        .unwrap()
}

#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(pk = "HANDLE#{n}", pk_attr = "id")]
struct Handle {
    #[dynamo(key_only)]
    n: u32,
    #[dynamo(unique)]
    name: String,
    #[dynamo(unique)]
    score: f64,
}

#[tokio::test]
async fn a_table_without_a_sort_key_guards_strings_and_numbers() {
    let table = provisioned(handles_schema(), dynaschema_tests::connect().await).await;
    let handle = |n, name: &str, score| Handle {
        n,
        name: name.into(),
        score,
    };
    table
        .put(&handle(1, "ana", 1.5))
        .if_not_exists()
        .await
        .unwrap();
    let err = table
        .put(&handle(2, "ana", 2.0))
        .if_not_exists()
        .await
        .unwrap_err();
    assert_eq!(
        violation(err),
        (
            "name",
            "ana".into(),
            Some(Box::new(Holder {
                partition_key: ("id".into(), "HANDLE#1".into()),
                sort_key: None,
            }))
        )
    );
    let err = table
        .put(&handle(2, "bia", 1.50))
        .if_not_exists()
        .await
        .unwrap_err();
    assert_eq!(violation(err).1, "1.5");
    table
        .update(Handle::key(1), |u| u.set(Handle::SCORE, 3.25))
        .await
        .unwrap();
    table
        .put(&handle(2, "bia", 1.5))
        .if_not_exists()
        .await
        .unwrap();
    table.delete(Handle::key(1)).await.unwrap();
    table
        .put(&handle(3, "ana", 3.25))
        .if_not_exists()
        .await
        .unwrap();
    let mut stored = all_items(&table).await;
    stored.retain(
        |item| matches!(item.get("id"), Some(AttributeValue::S(id)) if id.starts_with("_unique#")),
    );
    let mut guards: Vec<(String, String)> = stored
        .iter()
        .map(|item| match (&item["id"], &item["_holder_pk"]) {
            (AttributeValue::S(id), AttributeValue::S(holder)) => (id.clone(), holder.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    guards.sort();
    assert_eq!(
        guards,
        [
            ("_unique#Handle#name#ana".to_owned(), "HANDLE#3".to_owned()),
            ("_unique#Handle#name#bia".to_owned(), "HANDLE#2".to_owned()),
            ("_unique#Handle#score#1.5".to_owned(), "HANDLE#2".to_owned()),
            (
                "_unique#Handle#score#3.25".to_owned(),
                "HANDLE#3".to_owned()
            ),
        ]
    );
    assert!(stored.iter().all(|item| item.len() == 2), "{stored:?}");
}

#[tokio::test]
async fn a_value_stored_as_null_by_another_client_is_no_value() {
    let table = dynaschema_tests::provisioned_table("unique-null").await;
    // As a client writing `None` as NULL (serde's default) would store it.
    for id in [1, 2] {
        let mut item = user(id, &format!("n{id}")).to_item().unwrap();
        item.insert("phone".into(), AttributeValue::Null(true));
        dynaschema_tests::put_raw(&table, item).await;
    }
    table
        .update(User::key(1), |u| u.set(User::PHONE, Some(555)))
        .await
        .unwrap();
    let mut replacing = user(2, "n2");
    replacing.phone = Some(556);
    table.put(&replacing).await.unwrap();
    assert_eq!(
        guards(&table, "phone").await,
        held(&[("555", "USER#1"), ("556", "USER#2")])
    );
}

#[tokio::test]
async fn an_item_is_found_by_its_unique_value_through_its_guard() {
    let (table, counter) = dynaschema_tests::counted_table("unique-lookup").await;
    let mut clara = user(1, "clara");
    clara.phone = Some(5_551_234);
    table.put(&clara).if_not_exists().await.unwrap();
    table.put(&user(2, "dora")).if_not_exists().await.unwrap();

    counter.reset();
    let found = table.get_by_unique(User::LOGIN, "clara").await.unwrap();
    assert_eq!(found, Some(clara.clone()));
    let counts = counter.take();
    assert_eq!(
        (counts.requests("GetItem"), counts.total()),
        (2, 2),
        "the guard, then its holder: {counts:?}"
    );
    let found = table
        .get_by_unique(User::PHONE, 5_551_234_u64)
        .await
        .unwrap();
    assert_eq!(found, Some(clara));
    assert_eq!(
        table.get_by_unique(User::LOGIN, "nobody").await.unwrap(),
        None
    );
    assert_eq!(
        table.get_by_unique(User::PHONE, None::<u64>).await.unwrap(),
        None
    );

    // A guard left behind by an item changed without the toolkit holds nothing.
    write_without_guards(&table, &[user(1, "clara.b")]).await;
    assert_eq!(
        table.get_by_unique(User::LOGIN, "clara").await.unwrap(),
        None
    );
    let found = table.get_by_unique(User::LOGIN, "dora").await.unwrap();
    assert_eq!(found.map(|u| u.id), Some(2));

    let err = table.get_by_unique(User::NAME, "user 2").await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidExpression {
                attribute: "name",
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("not a unique field of User"),
        "{err}"
    );
}

/// A member of a tenant, whose email no other member of that tenant holds.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(pk = "TENANT#{tenant}", sk = "MEMBER#{id}")]
struct Member {
    #[dynamo(key_only)]
    tenant: String,
    #[dynamo(key_only)]
    id: u64,
    #[dynamo(unique(scope = "tenant"))]
    email: String,
}

fn member(tenant: &str, id: u64, email: &str) -> Member {
    Member {
        tenant: tenant.into(),
        id,
        email: email.into(),
    }
}

/// The keys of `Member`'s guards.
async fn member_guards(table: &Table) -> Vec<String> {
    everything(table)
        .await
        .into_keys()
        .filter(|key| key.starts_with("_unique#Member#"))
        .collect()
}

#[tokio::test]
async fn values_unique_within_a_scope_are_held_once_in_each() {
    let table = dynaschema_tests::provisioned_table("unique-scoped").await;
    table
        .put(&member("acme", 1, "ana@x.org"))
        .if_not_exists()
        .await
        .unwrap();
    // Another tenant's member may hold it too; one of the same tenant may not.
    table
        .put(&member("globex", 1, "ana@x.org"))
        .if_not_exists()
        .await
        .unwrap();
    let err = table
        .put(&member("acme", 2, "ana@x.org"))
        .if_not_exists()
        .await
        .unwrap_err();
    let (field, value, holder) = violation(err);
    assert_eq!((field, value.as_str()), ("email", "ana@x.org"));
    assert_eq!(
        holder.map(|h| h.to_string()).as_deref(),
        Some("PK=TENANT#acme, SK=MEMBER#1")
    );
    assert_eq!(
        member_guards(&table).await,
        [
            "_unique#Member#email#acme#ana@x.org _unique",
            "_unique#Member#email#globex#ana@x.org _unique"
        ]
    );

    // Moved within its tenant by an update, read back by tenant, gone with its holder.
    table
        .update(Member::key("acme", 1), |u| {
            u.set(Member::EMAIL, "ana.b@x.org")
        })
        .await
        .unwrap();
    table
        .put(&member("acme", 2, "ana@x.org"))
        .if_not_exists()
        .await
        .unwrap();
    let read = |tenant: &'static str| {
        let table = &table;
        async move {
            let found = table.get_by_unique_in(tenant, Member::EMAIL, "ana@x.org");
            found.await.unwrap().map(|m| (m.tenant, m.id))
        }
    };
    assert_eq!(read("acme").await, Some(("acme".into(), 2)));
    assert_eq!(read("globex").await, Some(("globex".into(), 1)));
    assert_eq!(read("initech").await, None);
    table.delete(Member::key("acme", 2)).await.unwrap();
    assert_eq!(read("acme").await, None);
    assert_eq!(
        member_guards(&table).await,
        [
            "_unique#Member#email#acme#ana.b@x.org _unique",
            "_unique#Member#email#globex#ana@x.org _unique"
        ]
    );

    // Each lookup is for its kind of field.
    let err = table
        .get_by_unique(Member::EMAIL, "ana@x.org")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("get_by_unique_in(tenant, .."),
        "{err}"
    );
    let err = table
        .get_by_unique_in("acme", User::LOGIN, "clara")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("with no scope"), "{err}");
}

/// A member whose keys are delimited by `-`, so that a tenant may hold `#`.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(pk = "ORG-{tenant}", sk = "MEMBER-{id}")]
struct OrgMember {
    #[dynamo(key_only)]
    tenant: String,
    #[dynamo(key_only)]
    id: u64,
    #[dynamo(unique(scope = "tenant"))]
    email: String,
}

#[tokio::test]
async fn a_scope_holding_the_guards_delimiter_takes_no_value_but_its_item_can_go() {
    let table = dynaschema_tests::provisioned_table("unique-scope-hash").await;
    let member = OrgMember {
        tenant: "a#b".into(),
        id: 1,
        email: "c".into(),
    };
    let err = table.put(&member).if_not_exists().await.unwrap_err();
    assert!(
        matches!(&err, Error::Encode { attribute: "email", message, .. } if message.contains("holds `#`")),
        "{err}"
    );
    assert_eq!(all_items(&table).await, []);
    // Written by another client, it is deleted, and its (absent) guard with it.
    dynaschema_tests::put_raw(&table, member.to_item().unwrap()).await;
    table.delete(OrgMember::key("a#b", 1)).await.unwrap();
    assert_eq!(all_items(&table).await, []);
}
