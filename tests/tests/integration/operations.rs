//! Single-item operations against a live server: get, put, delete, update, and their
//! conditions and errors.

use aws_sdk_dynamodb::types::AttributeValue;
use dynaschema::{Condition, Entity, Error, Table, Timestamp, Update};
use dynaschema_tests::entities::{Account, Operation};
use dynaschema_tests::{connect, counted_table, ningipoints_schema, provisioned_table};

fn account(id: u64, name: &str, balance: i64) -> Account {
    Account {
        id,
        name: name.to_owned(),
        email: format!("user{id}@42.fr"),
        balance,
        created_at: Timestamp::from_unix_micros(1_700_000_000_000_000 + id as i64),
    }
}

/// A credit or debit of `amount` to account `account_id`, made at `micros`.
fn operation(account_id: u64, kind: &str, amount: u64, micros: i64) -> Operation {
    Operation {
        account_id,
        kind: kind.to_owned(),
        amount,
        created_at: Timestamp::from_unix_micros(micros),
    }
}

#[tokio::test]
async fn put_then_get_keeps_reserved_words_and_special_characters() {
    let table = provisioned_table("get-put").await;
    let mut clara = account(1, "name: #n0 :v0 ) OR (", 100);
    clara.email = "cla#ra:x@42.fr".to_owned();
    table.put(&clara).await.unwrap();

    assert_eq!(
        table.get(Account::key(1)).await.unwrap(),
        Some(clara.clone())
    );
    assert_eq!(
        table.get(Account::key(1)).consistent().await.unwrap(),
        Some(clara.clone())
    );
    assert_eq!(table.get(Account::key(2)).await.unwrap(), None);

    // The item carries the struct's attributes under their own names, nothing more.
    let raw = table
        .client()
        .get_item()
        .table_name(table.name())
        .key("PK", AttributeValue::S("ACCOUNT#1".into()))
        .key("SK", AttributeValue::S("ACCOUNT".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let mut names: Vec<_> = raw.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(
        names,
        ["PK", "SK", "balance", "created_at", "email", "name"]
    );
    assert_eq!(raw["name"], AttributeValue::S(clara.name.clone()));

    let operation = operation(1, "credit #1: type", 5, 1);
    table.put(&operation).await.unwrap();
    let key = Operation::key(1, operation.created_at);
    assert_eq!(table.get(key).await.unwrap(), Some(operation));
}

#[tokio::test]
async fn put_if_not_exists_refuses_to_overwrite_naming_the_key() {
    let table = provisioned_table("put-new").await;
    table
        .put(&account(7, "first", 1))
        .if_not_exists()
        .await
        .unwrap();

    let err = table
        .put(&account(7, "second", 2))
        .if_not_exists()
        .await
        .unwrap_err();
    match &err {
        Error::AlreadyExists {
            entity,
            key,
            table: name,
        } => {
            assert_eq!(*entity, "Account");
            assert_eq!(key, "PK=ACCOUNT#7, SK=ACCOUNT");
            assert_eq!(name, table.name());
        }
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains("PK=ACCOUNT#7, SK=ACCOUNT") && message.contains("already exists"),
        "{message}"
    );
    let stored = table.get(Account::key(7)).await.unwrap().unwrap();
    assert_eq!(stored.name, "first");
}

#[tokio::test]
async fn conditional_puts_and_deletes() {
    let table = provisioned_table("conditional").await;
    table.put(&account(1, "clara", 50)).await.unwrap();

    let err = table
        .put(&account(1, "clara", 0))
        .when(Account::BALANCE.ge(100))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::ConditionFailed { key, .. } if key == "PK=ACCOUNT#1, SK=ACCOUNT"),
        "{err:?}"
    );
    assert!(err.to_string().contains("did not hold"), "{err}");
    table
        .put(&account(1, "clara", 0))
        .when(Account::BALANCE.eq(50).and(Account::NAME.eq("clara")))
        .await
        .unwrap();
    assert_eq!(
        table.get(Account::key(1)).await.unwrap().unwrap().balance,
        0
    );

    // A condition on a missing item does not hold.
    let err = table
        .put(&account(2, "x", 0))
        .when(Account::NAME.exists())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ConditionFailed { .. }), "{err:?}");

    let err = table
        .delete(Account::key(1))
        .when(Account::NAME.eq("someone else"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ConditionFailed { .. }), "{err:?}");
    assert!(table.get(Account::key(1)).await.unwrap().is_some());

    table
        .delete(Account::key(1))
        .when(Account::NAME.eq("clara"))
        .await
        .unwrap();
    assert!(table.get(Account::key(1)).await.unwrap().is_none());
    table
        .delete(Account::key(1))
        .await
        .expect("deleting a missing item succeeds");
}

#[tokio::test]
async fn updates_answer_the_item_as_it_is_after() {
    let table = provisioned_table("update").await;
    table.put(&account(3, "clara", 100)).await.unwrap();

    let updated = table
        .update(Account::key(3), |u| {
            u.add(Account::BALANCE, -30)
                .set(Account::NAME, "a:b #c")
                .require(Account::BALANCE.ge(30))
        })
        .await
        .unwrap();
    assert_eq!(updated.balance, 70);
    assert_eq!(updated.name, "a:b #c");
    assert_eq!(table.get(Account::key(3)).await.unwrap(), Some(updated));

    let updated = table
        .update(Account::key(3), |u| u.increment(Account::BALANCE, 5))
        .await
        .unwrap();
    assert_eq!(updated.balance, 75);
    let updated = table
        .update(Account::key(3), |u| u.decrement(Account::BALANCE, 80))
        .await
        .unwrap();
    assert_eq!(updated.balance, -5);

    // A requirement that does not hold changes nothing.
    let err = table
        .update(Account::key(3), |u| {
            u.add(Account::BALANCE, -50)
                .require(Account::BALANCE.ge(50))
        })
        .await
        .unwrap_err();
    match &err {
        Error::ConditionFailed { entity, key, .. } => {
            assert_eq!(
                (*entity, key.as_str()),
                ("Account", "PK=ACCOUNT#3, SK=ACCOUNT")
            );
        }
        other => panic!("expected ConditionFailed, got {other:?}"),
    }
    assert_eq!(
        table.get(Account::key(3)).await.unwrap().unwrap().balance,
        -5
    );

    // An update never creates a partial item.
    let err = table
        .update(Account::key(404), |u| u.add(Account::BALANCE, 1))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::NotFound { key, .. } if key == "PK=ACCOUNT#404, SK=ACCOUNT"),
        "{err:?}"
    );
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert!(table.get(Account::key(404)).await.unwrap().is_none());

    // `type` is a reserved word too.
    let operation = operation(3, "credit", 1, 9);
    table.put(&operation).await.unwrap();
    let updated = table
        .update(Entity::key(&operation), |u| {
            u.set(Operation::KIND, "debit")
                .require(Operation::KIND.eq("credit"))
        })
        .await
        .unwrap();
    assert_eq!(updated.kind, "debit");
}

#[tokio::test]
async fn an_applied_update_answers_nothing_and_fails_as_an_awaited_one() {
    let table = provisioned_table("apply-update").await;
    table.put(&account(4, "clara", 100)).await.unwrap();

    table
        .update(Account::key(4), |u| {
            u.set(Account::BALANCE, 120)
                .require(Account::BALANCE.eq(100))
        })
        .apply()
        .await
        .unwrap();
    assert_eq!(
        table.get(Account::key(4)).await.unwrap().unwrap().balance,
        120
    );

    let err = table
        .update(Account::key(4), |u| {
            u.set(Account::BALANCE, 0).require(Account::BALANCE.eq(100))
        })
        .apply()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ConditionFailed { .. }), "{err:?}");
    assert_eq!(
        table.get(Account::key(4)).await.unwrap().unwrap().balance,
        120
    );

    let err = table
        .update(Account::key(405), |u| u.add(Account::BALANCE, 1))
        .apply()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert!(table.get(Account::key(405)).await.unwrap().is_none());
}

#[tokio::test]
async fn an_update_that_changes_nothing_is_refused_before_sending() {
    let table = provisioned_table("empty-update").await;
    let err = table
        .update(Account::key(1), |u| u.require(Condition::item_exists("PK")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidExpression { .. }), "{err:?}");
}

#[tokio::test]
async fn an_update_cannot_change_a_field_of_the_items_key() {
    let table = provisioned_table("key-field-update").await;
    let operation = operation(3, "credit", 1, 9);
    table.put(&operation).await.unwrap();
    let key = Entity::key(&operation);
    let moved = Timestamp::from_unix_micros(10);
    let refusals = [
        table
            .update(key.clone(), |u| u.set(Operation::CREATED_AT, moved))
            .await,
        table
            .upsert(key.clone(), |u| {
                u.set(Operation::CREATED_AT, moved)
                    .set(Operation::KIND, "debit")
                    .set(Operation::AMOUNT, 2_u64)
            })
            .await,
        table
            .transact()
            .update(key.clone(), |u| u.set(Operation::CREATED_AT, moved))
            .await
            .map(|_| operation.clone()),
    ];
    let refused_on_the_key = |err: &Error| {
        assert!(
            matches!(
                err,
                Error::InvalidExpression {
                    attribute: "created_at",
                    ..
                }
            ),
            "{err:?}"
        );
    };
    for refused in refusals {
        let err = refused.unwrap_err();
        refused_on_the_key(&err);
        assert!(
            err.to_string()
                .contains("part of the item's key (SK = OPERATION#{created_at})"),
            "{err}"
        );
    }
    assert_eq!(table.get(key.clone()).await.unwrap(), Some(operation));
    // The key's own value changes nothing, and an upsert may give it.
    let kept = table
        .update(key.clone(), |u| {
            u.set(Operation::CREATED_AT, Timestamp::from_unix_micros(9))
                .set(Operation::AMOUNT, 4_u64)
        })
        .await
        .unwrap();
    assert_eq!((kept.amount, kept.created_at.as_unix_micros()), (4, 9));
    let new_key = Operation::key(3, Timestamp::from_unix_micros(11));
    let created = table
        .upsert(new_key, |u| {
            u.set(Operation::CREATED_AT, Timestamp::from_unix_micros(11))
                .set(Operation::KIND, "debit")
                .set(Operation::AMOUNT, 2_u64)
        })
        .await
        .unwrap();
    assert_eq!(created.created_at.as_unix_micros(), 11);
    let at = Timestamp::from_unix_micros(12);
    let created = table
        .upsert(Operation::key(3, at), |u| {
            u.set_if_not_exists(Operation::CREATED_AT, at)
                .set(Operation::KIND, "credit")
                .set(Operation::AMOUNT, 3_u64)
        })
        .await
        .unwrap();
    assert_eq!(created.created_at, at);
    let err = table
        .upsert(Operation::key(3, at), |u| {
            u.set_if_not_exists(Operation::CREATED_AT, Timestamp::from_unix_micros(13))
        })
        .await
        .unwrap_err();
    refused_on_the_key(&err);
}

#[tokio::test]
async fn a_missing_table_says_to_create_it_from_its_schema() {
    let connection = connect().await;
    let table = Table::new(connection, ningipoints_schema("never-created"));
    let err = table.get(Account::key(1)).await.unwrap_err();
    match &err {
        Error::TableMissing { table: name, .. } => assert_eq!(name, table.name()),
        other => panic!("expected TableMissing, got {other:?}"),
    }
    assert!(
        err.to_string()
            .contains("create it from its schema.toml first"),
        "{err}"
    );
    assert!(matches!(
        table.put(&account(1, "x", 0)).await,
        Err(Error::TableMissing { .. })
    ));
    assert!(matches!(
        table.query(Operation::partition(1)).all().await,
        Err(Error::TableMissing { .. })
    ));
    assert!(matches!(
        table.transact().put(&account(1, "x", 0)).await,
        Err(Error::TableMissing { .. })
    ));
}

#[tokio::test]
async fn with_name_points_at_another_table() {
    let table = provisioned_table("renamed").await;
    let original = table.name().to_owned();
    table.put(&account(1, "here", 0)).await.unwrap();

    let elsewhere = table.clone().with_name(format!("{original}-other"));
    assert_eq!(elsewhere.name(), format!("{original}-other"));
    assert_eq!(elsewhere.schema().table.name, elsewhere.name());
    assert!(matches!(
        elsewhere.get(Account::key(1)).await,
        Err(Error::TableMissing { .. })
    ));
    let back = elsewhere.with_name(original);
    assert!(back.get(Account::key(1)).await.unwrap().is_some());
    assert_eq!(back.connection().endpoint(), dynaschema_tests::endpoint());
}

/// A reading whose values go through serde, as `#[dynamo(serde)]` fields do.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(pk = "READING#{id}", sk = "READING")]
struct Reading {
    #[dynamo(key_only)]
    id: u64,
    #[dynamo(serde)]
    values: Vec<f64>,
    #[dynamo(serde)]
    summary: Summary,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Summary {
    mean: f64,
    label: String,
}

/// An item keyed on a field's own text, whose email is EmailIndex's partition key on the
/// ningipoints table.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(pk = "{code}", sk = "CODE", index(name = "EmailIndex", pk = "{email}"))]
struct Code {
    #[dynamo(key_only)]
    code: String,
    email: String,
    tag: Option<String>,
}

fn code(code: &str, email: &str) -> Code {
    Code {
        code: code.to_owned(),
        email: email.to_owned(),
        tag: None,
    }
}

#[tokio::test]
async fn numbers_dynamodb_cannot_store_are_refused_inside_serde_fields() {
    let (table, counter) = counted_table("nan").await;
    let reading = |values: Vec<f64>, mean: f64| Reading {
        id: 1,
        values,
        summary: Summary {
            mean,
            label: "x".to_owned(),
        },
    };
    let fine = reading(vec![1.5, -2.0], 0.25);
    table.put(&fine).await.unwrap();
    counter.reset();

    for bad in [
        reading(vec![1.0, f64::NAN], 0.0),
        reading(vec![f64::INFINITY], 0.0),
        reading(vec![], f64::NEG_INFINITY),
    ] {
        match table.put(&bad).await {
            Err(err @ Error::Encode { .. }) => {
                let message = err.to_string();
                assert!(message.contains("Reading"), "{message}");
                assert!(message.contains("DynamoDB numbers are finite"), "{message}");
            }
            other => panic!("expected Error::Encode, got {other:?}"),
        }
        assert!(table.transact().put(&bad).await.is_err());
        assert!(table.batch_write().put(&bad).await.is_err());
    }
    let update = table
        .update(Reading::key(1), |u| u.set(Reading::VALUES, vec![f64::NAN]))
        .await;
    assert!(
        matches!(
            update,
            Err(Error::InvalidExpression {
                attribute: "values",
                ..
            })
        ),
        "{update:?}"
    );
    assert_eq!(counter.take().total(), 0, "nothing was sent");
    assert_eq!(table.get(Reading::key(1)).await.unwrap(), Some(fine));
}

/// Asserts that `result` is an `Error::InvalidKey` whose message holds every one of `parts`.
fn refused(result: dynaschema::Result<()>, parts: &[&str]) {
    match result {
        Err(err @ Error::InvalidKey(_)) => {
            let message = err.to_string();
            for part in parts {
                assert!(message.contains(part), "{part} in {message}");
            }
        }
        other => panic!("expected Error::InvalidKey, got {other:?}"),
    }
}

#[tokio::test]
async fn empty_and_oversized_keys_are_refused_before_sending() {
    let (table, counter) = counted_table("empty-keys").await;
    table.put(&code("A1", "ana@x.org")).await.unwrap();
    counter.reset();

    // The table's key: `{code}` renders nothing for an empty code.
    let empty_code = code("", "ana@x.org");
    refused(table.put(&empty_code).await, &["{code}", "empty"]);
    refused(table.get(Code::key("")).await.map(drop), &["empty"]);
    refused(table.delete(Code::key("")).await, &["empty"]);
    refused(table.transact().put(&empty_code).await, &["empty"]);
    // An index's key: email is EmailIndex's partition key.
    let empty_email = code("B2", "");
    let index_parts = ["Code", "`email`", "EmailIndex", "empty", "Option"];
    refused(table.put(&empty_email).await, &index_parts);
    refused(table.put(&empty_email).if_not_exists().await, &index_parts);
    refused(table.transact().put_new(&empty_email).await, &index_parts);
    refused(table.batch_write().put(&empty_email).await, &index_parts);
    let update = table.update(Code::key("A1"), |u| u.set(Code::EMAIL, ""));
    refused(update.await.map(drop), &index_parts);
    let upsert = table.upsert(Code::key("B2"), |u| u.set(Code::EMAIL, ""));
    refused(upsert.await.map(drop), &index_parts);
    let upsert = table.upsert(Code::key("B2"), |u| u.set_if_not_exists(Code::EMAIL, ""));
    refused(upsert.await.map(drop), &index_parts);
    let update = table
        .transact()
        .update(Code::key("A1"), |u| u.set_if_not_exists(Code::EMAIL, ""));
    refused(update.await, &index_parts);
    // Keys longer than DynamoDB's: 2,048 bytes for a partition key, table's or index's.
    let long = "x".repeat(2049);
    refused(
        table.put(&code(&long, "ana@x.org")).await,
        &["2049 bytes", "2048"],
    );
    refused(table.get(Code::key(&long)).await.map(drop), &["2049 bytes"]);
    let long_email = code("C3", &long);
    refused(
        table.put(&long_email).await,
        &["EmailIndex", "2049 bytes", "2048"],
    );
    assert_eq!(counter.take().total(), 0, "nothing was sent");
    assert_eq!(
        table.get(Code::key("A1")).await.unwrap(),
        Some(code("A1", "ana@x.org"))
    );
    assert_eq!(table.get(Code::key("B2")).await.unwrap(), None);
}

#[tokio::test]
async fn keys_of_another_type_than_the_schema_declares_are_refused_before_sending() {
    let schema = |partition_type: &str, email_type: &str| {
        let text = format!(
            r#"
            [table]
            name = "typed"
            billing_mode = "PAY_PER_REQUEST"
            partition_key = {{ name = "PK", type = "{partition_type}" }}
            sort_key = {{ name = "SK", type = "S" }}

            [[index]]
            name = "EmailIndex"
            partition_key = {{ name = "email", type = "{email_type}" }}
            projection = "KEYS_ONLY"
            "#
        );
        dynaschema::Schema::parse(&text, "schema.toml")
            .unwrap()
            .with_table_name(&dynaschema_tests::unique_table_name("typed"))
            .unwrap()
    };
    let unsorted = dynaschema::Schema::parse(
        r#"
        [table]
        name = "unsorted"
        billing_mode = "PAY_PER_REQUEST"
        partition_key = { name = "PK", type = "S" }
        "#,
        "schema.toml",
    )
    .unwrap()
    .with_table_name(&dynaschema_tests::unique_table_name("unsorted"))
    .unwrap();
    let (connection, counter) = dynaschema_tests::counting_connection().await;
    let numbered = dynaschema_tests::provisioned(schema("N", "S"), connection.clone()).await;
    let emails_as_numbers =
        dynaschema_tests::provisioned(schema("S", "N"), connection.clone()).await;
    let unsorted = dynaschema_tests::provisioned(unsorted, connection).await;
    counter.reset();

    let clara = account(1, "clara", 10);
    // The table's partition key is N; key templates write strings.
    let table_parts = ["ACCOUNT#{id}", "`PK` is N", "declare the key as S"];
    refused(numbered.put(&clara).await, &table_parts);
    refused(numbered.get(Account::key(1)).await.map(drop), &table_parts);
    refused(numbered.delete(Account::key(1)).await, &table_parts);
    let update = numbered.update(Account::key(1), |u| u.add(Account::BALANCE, 1_i64));
    refused(update.await.map(drop), &table_parts);
    refused(numbered.transact().put(&clara).await, &table_parts);
    refused(numbered.batch_write().put(&clara).await, &table_parts);
    let batch_get = numbered.batch_get([Account::key(1)]).await;
    refused(batch_get.map(drop), &table_parts);
    match numbered.query(Account::partition(1)).all().await {
        Err(Error::InvalidQuery { message }) => {
            assert!(message.contains("PK (N)"), "{message}");
            assert!(message.contains("declare it as S"), "{message}");
        }
        other => panic!("expected Error::InvalidQuery, got {other:?}"),
    }
    // EmailIndex's key is N; the account's email is a string.
    let index_parts = ["`email`", "EmailIndex", "declared N", "writes it as S"];
    refused(emails_as_numbers.put(&clara).await, &index_parts);
    let update = emails_as_numbers.update(Account::key(1), |u| u.set(Account::EMAIL, "x@y"));
    refused(update.await.map(drop), &index_parts);
    // The table has no sort key; Account writes one.
    let unsorted_parts = ["no sort key", "writes one to `SK`"];
    refused(unsorted.put(&clara).await, &unsorted_parts);
    refused(
        unsorted.get(Account::key(1)).await.map(drop),
        &unsorted_parts,
    );
    refused(
        unsorted.scan::<Account>().all().await.map(drop),
        &unsorted_parts,
    );
    match unsorted.query(Account::partition(1)).all().await {
        Err(Error::InvalidQuery { message }) => {
            assert!(message.contains("sort key is none"), "{message}")
        }
        other => panic!("expected Error::InvalidQuery, got {other:?}"),
    }
    match unsorted
        .query(Operation::partition(1))
        .sk_gt("a")
        .all()
        .await
    {
        Err(Error::InvalidQuery { message }) => {
            assert!(message.contains("sort key"), "{message}")
        }
        other => panic!("expected Error::InvalidQuery, got {other:?}"),
    }
    assert_eq!(counter.take().total(), 0, "nothing was sent");
}

#[tokio::test]
async fn an_update_that_changes_one_attribute_twice_is_refused_before_sending() {
    // DynamoDB refuses overlapping paths in one update expression; dynoxide applies such
    // an update in a transaction, so only the toolkit's own refusal keeps a local test
    // from passing where production fails.
    let (table, counter) = counted_table("twice").await;
    table.put(&account(1, "clara", 10)).await.unwrap();
    table.put(&code("A1", "ana@x.org")).await.unwrap();
    counter.reset();

    let twice = |result: dynaschema::Result<()>, attribute: &str, changes: &str| match result {
        Err(Error::InvalidExpression {
            attribute: a,
            message,
        }) => {
            assert_eq!(a, attribute);
            assert!(message.contains(changes), "{changes} in {message}");
            assert!(message.contains("names one attribute twice"), "{message}");
        }
        other => panic!("expected Error::InvalidExpression, got {other:?}"),
    };
    let set_set = |u: Update<Account>| u.set(Account::NAME, "a").set(Account::NAME, "b");
    twice(
        table.update(Account::key(1), set_set).await.map(drop),
        "name",
        "set, then set",
    );
    twice(
        table.transact().update(Account::key(1), set_set).await,
        "name",
        "set, then set",
    );
    let set_remove = |u: Update<Code>| u.set(Code::TAG, Some("x".to_owned())).remove(Code::TAG);
    twice(
        table.update(Code::key("A1"), set_remove).await.map(drop),
        "tag",
        "set, then remove",
    );
    twice(
        table.transact().update(Code::key("A1"), set_remove).await,
        "tag",
        "set, then remove",
    );
    let add_increment = |u: Update<Account>| {
        u.add(Account::BALANCE, 1_i64)
            .increment(Account::BALANCE, 2_i64)
    };
    twice(
        table.update(Account::key(1), add_increment).await.map(drop),
        "balance",
        "increment, then add",
    );
    assert_eq!(counter.take().total(), 0, "nothing was sent");
    assert_eq!(
        table.get(Account::key(1)).await.unwrap(),
        Some(account(1, "clara", 10))
    );
}
