//! The ningipoints functions against a live server, each test in a table of its own.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use dynaschema::{provision, Timestamp};
use dynaschema_tests::{connect, ningipoints_schema};
use ningipoints::{Error, Ningipoints, OperationType};

async fn points(purpose: &str) -> Ningipoints {
    let schema = ningipoints_schema(purpose);
    let connection = connect().await;
    provision::provision(&connection, &schema, Duration::from_secs(60), |_| {})
        .await
        .expect("the table is provisioned");
    Ningipoints::new(connection).with_table_name(&schema.table.name)
}

/// Every item of the table, read with the plain SDK.
async fn raw_items(points: &Ningipoints) -> Vec<HashMap<String, AttributeValue>> {
    let table = points.table();
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = table
            .client()
            .scan()
            .table_name(table.name())
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        items.extend(page.items.unwrap_or_default());
        start = page.last_evaluated_key;
        if start.is_none() {
            return items;
        }
    }
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

fn names(item: &HashMap<String, AttributeValue>) -> Vec<&str> {
    let mut names: Vec<_> = item.keys().map(String::as_str).collect();
    names.sort();
    names
}

#[tokio::test]
async fn create_account_writes_exactly_the_seed_item() {
    let points = points("create-account").await;
    let account = points
        .create_account(123, "clara", "clara@42sp.org.br")
        .await
        .unwrap();
    assert_eq!((account.id, account.balance), (123, 0));

    // The account item, and the guard of its email.
    let mut items = raw_items(&points).await;
    items.sort_by_key(|item| format!("{:?}", item["PK"]));
    let [item, guard] = &items[..] else {
        panic!("two items: {items:?}")
    };
    assert_eq!(
        names(item),
        ["PK", "SK", "balance", "created_at", "email", "name"]
    );
    assert_eq!(names(guard), ["PK", "SK", "_holder_pk", "_holder_sk"]);
    assert_eq!(guard["PK"], s("_unique#Account#email#clara@42sp.org.br"));
    assert_eq!(guard["SK"], s("_unique"));
    assert_eq!(guard["_holder_pk"], s("ACCOUNT#123"));
    assert_eq!(guard["_holder_sk"], s("ACCOUNT"));
    assert_eq!(item["PK"], s("ACCOUNT#123"));
    assert_eq!(item["SK"], s("ACCOUNT"));
    assert_eq!(item["name"], s("clara"));
    assert_eq!(item["email"], s("clara@42sp.org.br"));
    assert_eq!(item["balance"], AttributeValue::N("0".into()));
    let AttributeValue::S(created_at) = &item["created_at"] else {
        panic!("{item:?}")
    };
    assert_eq!(
        created_at.len(),
        "2026-11-24T21:16:54.000000Z".len(),
        "{created_at}"
    );
    assert!(created_at.ends_with('Z'));
    assert_eq!(Timestamp::parse(created_at).unwrap(), account.created_at);
}

#[tokio::test]
async fn an_existing_account_is_already_exists_and_untouched() {
    let points = points("exists").await;
    points
        .create_account(1, "clara", "clara@42sp.org.br")
        .await
        .unwrap();
    points
        .create_operation(1, OperationType::Credit, 10)
        .await
        .unwrap();
    let before = points.get_account(1).await.unwrap().unwrap();

    let err = points
        .create_account(1, "other", "other@x.org")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { id: 1 }), "{err}");
    assert_eq!(points.get_account(1).await.unwrap().unwrap(), before);
}

#[tokio::test]
async fn an_email_in_use_is_refused_until_its_account_is_deleted() {
    let points = points("email-in-use").await;
    points
        .create_account(1, "clara", "clara@42sp.org.br")
        .await
        .unwrap();
    let before = raw_items(&points).await.len();

    let err = points
        .create_account(2, "other", "clara@42sp.org.br")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::EmailInUse { id: 1, email } if email == "clara@42sp.org.br"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "email already in use by account 1: clara@42sp.org.br"
    );
    assert_eq!(raw_items(&points).await.len(), before);
    assert!(points.get_account(2).await.unwrap().is_none());
    // An account that exists is that, whatever its email.
    let err = points
        .create_account(1, "clara", "clara@42sp.org.br")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { id: 1 }), "{err}");

    // Deleting the account frees its email.
    assert_eq!(points.delete_account(1).await.unwrap(), 0);
    assert!(raw_items(&points).await.is_empty());
    points
        .create_account(2, "other", "clara@42sp.org.br")
        .await
        .unwrap();
}

#[tokio::test]
async fn bad_account_input_writes_nothing() {
    let points = points("bad-input").await;
    for (name, email) in [
        ("", "a@b.c"),
        ("  ", "a@b.c"),
        ("ana", "ab.c"),
        ("ana", "a@b@c"),
        ("ana", "@b.c"),
        ("ana", "a@"),
    ] {
        let err = points.create_account(7, name, email).await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput(_)),
            "{name:?} {email:?}: {err}"
        );
    }
    assert!(raw_items(&points).await.is_empty());
}

#[tokio::test]
async fn get_account_finds_the_account_or_none() {
    let points = points("get").await;
    assert_eq!(points.get_account(5).await.unwrap(), None);
    let created = points.create_account(5, "ana", "ana@x.org").await.unwrap();
    assert_eq!(points.get_account(5).await.unwrap(), Some(created));
}

#[tokio::test]
async fn operations_change_the_balance_and_are_stored_as_the_seed_does() {
    let points = points("operations").await;
    points
        .create_account(123, "clara", "clara@42sp.org.br")
        .await
        .unwrap();
    let at = Timestamp::parse("2026-11-24T10:00:00Z").unwrap();
    let credit = points
        .create_operation_at(123, OperationType::Credit, 100, at)
        .await
        .unwrap();
    assert_eq!(credit.created_at, at);
    points
        .create_operation(123, OperationType::Debit, 50)
        .await
        .unwrap();
    assert_eq!(points.get_account(123).await.unwrap().unwrap().balance, 50);

    let items = raw_items(&points).await;
    let operation = items
        .iter()
        .find(|i| i["SK"] == s("OPERATION#2026-11-24T10:00:00.000000Z"))
        .expect("the credit's item");
    assert_eq!(
        names(operation),
        ["PK", "SK", "amount", "created_at", "type"]
    );
    assert_eq!(operation["PK"], s("ACCOUNT#123"));
    assert_eq!(operation["type"], s("credit"));
    assert_eq!(operation["amount"], AttributeValue::N("100".into()));
    assert_eq!(operation["created_at"], s("2026-11-24T10:00:00.000000Z"));
}

#[tokio::test]
async fn an_operation_on_a_missing_account_is_not_found_and_writes_nothing() {
    let points = points("op-missing").await;
    let err = points
        .create_operation(9, OperationType::Credit, 10)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { id: 9 }), "{err}");
    assert!(raw_items(&points).await.is_empty());
}

#[tokio::test]
async fn an_overdraft_is_insufficient_balance_and_writes_nothing() {
    let points = points("overdraft").await;
    points.create_account(1, "ana", "ana@x.org").await.unwrap();
    points
        .create_operation(1, OperationType::Credit, 30)
        .await
        .unwrap();
    let err = points
        .create_operation(1, OperationType::Debit, 31)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InsufficientBalance {
                id: 1,
                balance: 30,
                amount: 31
            }
        ),
        "{err}"
    );
    assert_eq!(points.get_account(1).await.unwrap().unwrap().balance, 30);
    assert_eq!(points.get_operations(1).await.unwrap().len(), 1);
}

#[tokio::test]
async fn bad_amounts_are_refused() {
    let points = points("amounts").await;
    points.create_account(1, "ana", "ana@x.org").await.unwrap();
    for amount in [0, u64::MAX] {
        let err = points
            .create_operation(1, OperationType::Credit, amount)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{amount}: {err}");
    }
    // The account and its email's guard.
    assert_eq!(raw_items(&points).await.len(), 2);
}

#[tokio::test]
async fn two_operations_at_the_same_instant_are_both_kept() {
    let points = points("same-instant").await;
    points.create_account(1, "ana", "ana@x.org").await.unwrap();
    let at = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
    let first = points
        .create_operation_at(1, OperationType::Credit, 10, at)
        .await
        .unwrap();
    let second = points
        .create_operation_at(1, OperationType::Credit, 5, at)
        .await
        .unwrap();
    assert_eq!(first.created_at, at);
    assert_eq!(second.created_at.as_unix_micros(), at.as_unix_micros() + 1);
    let operations = points.get_operations(1).await.unwrap();
    assert_eq!(operations, [first, second]);
    assert_eq!(points.get_account(1).await.unwrap().unwrap().balance, 15);
}

#[tokio::test]
async fn get_operations_is_chronological_and_only_operations() {
    let points = points("chronological").await;
    points.create_account(1, "ana", "ana@x.org").await.unwrap();
    points.create_account(2, "bia", "bia@x.org").await.unwrap();
    // Written out of order: the sort key orders them.
    for minute in [7, 3, 9, 1, 5, 0, 8, 2, 6, 4] {
        let at = Timestamp::parse(&format!("2026-01-01T00:{minute:02}:00Z")).unwrap();
        points
            .create_operation_at(1, OperationType::Credit, minute + 1, at)
            .await
            .unwrap();
    }
    points
        .create_operation(2, OperationType::Credit, 1)
        .await
        .unwrap();

    let operations = points.get_operations(1).await.unwrap();
    let amounts: Vec<u64> = operations.iter().map(|o| o.amount).collect();
    assert_eq!(amounts, (1..=10).collect::<Vec<_>>());
    assert!(operations
        .iter()
        .all(|o| o.account_id == 1 && o.kind == OperationType::Credit));
    assert_eq!(points.get_operations(3).await.unwrap(), []);
}

#[tokio::test]
async fn delete_account_removes_the_account_and_a_thousand_operations() {
    let points = points("delete-1000").await;
    points.create_account(1, "ana", "ana@x.org").await.unwrap();
    points.create_account(2, "bia", "bia@x.org").await.unwrap();
    // Written through the table's batch writes: 1,000 transactions would only slow the test.
    let base = Timestamp::parse("2026-01-01T00:00:00Z")
        .unwrap()
        .as_unix_micros();
    let operations: Vec<_> = (0..1000)
        .map(|i| ningipoints::Operation {
            account_id: 1,
            kind: OperationType::Credit,
            amount: 1,
            created_at: Timestamp::from_unix_micros(base + i),
        })
        .collect();
    points
        .table()
        .batch_write()
        .put_all(&operations)
        .await
        .unwrap();
    points
        .create_operation(2, OperationType::Credit, 3)
        .await
        .unwrap();

    assert_eq!(points.delete_account(1).await.unwrap(), 1000);
    assert_eq!(points.get_account(1).await.unwrap(), None);
    assert_eq!(points.get_operations(1).await.unwrap(), []);
    let err = points
        .create_operation(1, OperationType::Credit, 1)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound { id: 1 }),
        "no operation after the delete: {err}"
    );
    let err = points.delete_account(1).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { id: 1 }), "{err}");

    // The other account is untouched.
    assert_eq!(points.get_account(2).await.unwrap().unwrap().balance, 3);
    // Its item, its operation and its email's guard.
    assert_eq!(raw_items(&points).await.len(), 3);
}

#[tokio::test]
async fn an_interrupted_delete_is_finished_by_running_it_again() {
    let points = points("delete-resume").await;
    points.create_account(1, "ana", "ana@x.org").await.unwrap();
    for _ in 0..3 {
        points
            .create_operation(1, OperationType::Credit, 1)
            .await
            .unwrap();
    }
    // Interrupted right after its first step: the account item (with its email's guard)
    // is gone, its operations remain.
    points
        .table()
        .delete(ningipoints::Account::key(1))
        .await
        .unwrap();

    assert_eq!(points.delete_account(1).await.unwrap(), 3);
    assert!(raw_items(&points).await.is_empty());
}

#[tokio::test]
async fn get_accounts_returns_every_account_and_no_operation() {
    let points = points("accounts").await;
    for id in [3, 1, 2] {
        points
            .create_account(id, "x", &format!("x{id}@x.org"))
            .await
            .unwrap();
        points
            .create_operation(id, OperationType::Credit, id)
            .await
            .unwrap();
    }
    let accounts = points.get_accounts().await.unwrap();
    let ids: Vec<u64> = accounts.iter().map(|a| a.id).collect();
    assert_eq!(ids, [1, 2, 3]);
    assert_eq!(accounts[2].balance, 3);
}

#[tokio::test]
async fn get_account_by_email_uses_the_index() {
    let points = points("by-email").await;
    let clara = points
        .create_account(123, "clara", "clara@42sp.org.br")
        .await
        .unwrap();
    points
        .create_account(124, "ana", "ana@42sp.org.br")
        .await
        .unwrap();
    assert_eq!(
        points
            .get_account_by_email("clara@42sp.org.br")
            .await
            .unwrap(),
        Some(clara)
    );
    assert_eq!(
        points
            .get_account_by_email("nobody@42sp.org.br")
            .await
            .unwrap(),
        None
    );
    let err = points
        .get_account_by_email("not-an-email")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err}");
}

#[tokio::test]
async fn fifty_concurrent_operations_lose_nothing_and_never_overdraw() {
    let points = points("concurrent").await;
    points.create_account(1, "ana", "ana@x.org").await.unwrap();
    points
        .create_operation(1, OperationType::Credit, 100)
        .await
        .unwrap();

    // Debits outweigh credits, so that some must be refused.
    let tasks: Vec<_> = (0..50_u64)
        .map(|i| {
            let points = points.clone();
            let (kind, amount) = if i % 3 == 0 {
                (OperationType::Credit, 10 + i)
            } else {
                (OperationType::Debit, 15 + i)
            };
            tokio::spawn(
                async move { (kind, amount, points.create_operation(1, kind, amount).await) },
            )
        })
        .collect();
    let mut expected_balance: i64 = 100;
    let mut accepted = 1;
    for task in tasks {
        let (kind, amount, result) = task.await.unwrap();
        match (kind, result) {
            (OperationType::Credit, Ok(_)) => expected_balance += amount as i64,
            (OperationType::Debit, Ok(_)) => expected_balance -= amount as i64,
            (OperationType::Debit, Err(Error::InsufficientBalance { balance, .. })) => {
                assert!(
                    balance >= 0 && balance < amount as i64,
                    "refused with balance {balance} for {amount}"
                );
                continue;
            }
            (kind, Err(err)) => panic!("{kind} of {amount} failed: {err}"),
        }
        accepted += 1;
    }
    let account = points.get_account(1).await.unwrap().unwrap();
    assert_eq!(account.balance, expected_balance);
    assert!(account.balance >= 0);
    let operations = points.get_operations(1).await.unwrap();
    assert_eq!(operations.len(), accepted);
    // Replaying the stored operations gives the stored balance.
    let replayed: i64 = operations
        .iter()
        .map(|o| match o.kind {
            OperationType::Credit => o.amount as i64,
            OperationType::Debit => -(o.amount as i64),
        })
        .sum();
    assert_eq!(replayed, account.balance);
    assert!(accepted < 51, "some debits must have been refused");
}
