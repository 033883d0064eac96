//! Batches against a live server: more than one request's worth of items, answers over
//! 16 MB, unprocessed keys, and deleting partitions.

use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use dynaschema::{Error, RetryPolicy, Timestamp};
use dynaschema_tests::entities::{Account, Operation};
use dynaschema_tests::provisioned_table;

fn account(id: u64) -> Account {
    Account {
        id,
        name: format!("name #{id}: x"),
        email: format!("user{id}@42.fr"),
        balance: id as i64,
        created_at: Timestamp::from_unix_micros(id as i64),
    }
}

fn operation(account_id: u64, micros: i64) -> Operation {
    Operation {
        account_id,
        kind: "credit".to_owned(),
        amount: micros as u64,
        created_at: Timestamp::from_unix_micros(micros),
    }
}

#[tokio::test]
async fn writes_and_reads_more_than_one_request_holds() {
    let table = provisioned_table("batch").await;
    let accounts: Vec<_> = (1..=250).map(account).collect();
    table.batch_write().put_all(&accounts).await.unwrap();
    assert_eq!(table.scan::<Account>().all().await.unwrap().len(), 250);

    // 260 keys (over two requests' worth), in reverse, some twice, some missing: the
    // answer follows the keys' order, once each, without the missing ones.
    let keys = (1..=260)
        .rev()
        .chain([5, 6])
        .map(Account::key)
        .collect::<Vec<_>>();
    let read = table.batch_get(keys).await.unwrap();
    let expected: Vec<_> = accounts.iter().rev().cloned().collect();
    assert_eq!(read.entities, expected);
    // The keys without an item are named, in the order given.
    let missing: Vec<_> = (251..=260).rev().map(Account::key).collect();
    assert_eq!(read.missing, missing);

    let read = table
        .batch_get([Account::key(3), Account::key(1)])
        .consistent()
        .await
        .unwrap();
    assert_eq!(read.entities, [accounts[2].clone(), accounts[0].clone()]);
    assert!(read.missing.is_empty());
    let none = table
        .batch_get(Vec::<dynaschema::Key<Account>>::new())
        .await
        .unwrap();
    assert!(none.entities.is_empty() && none.missing.is_empty());
}

#[tokio::test]
async fn puts_and_deletes_mix_and_the_last_write_of_a_key_wins() {
    let table = provisioned_table("batch-mixed").await;
    let accounts: Vec<_> = (1..=60).map(account).collect();
    table
        .batch_write()
        .put_all(&accounts)
        .concurrency(2)
        .await
        .unwrap();

    let mut renamed = account(1);
    renamed.name = "renamed".to_owned();
    let batch = table
        .batch_write()
        .delete_all((2..=40).map(Account::key))
        .put(&operation(1, 1))
        .put(&account(1))
        .put(&renamed)
        .delete(Account::key(41))
        .put(&account(41));
    assert_eq!(batch.len(), 44);
    batch.await.unwrap();

    let mut left = table.scan::<Account>().all().await.unwrap();
    left.sort_by_key(|a| a.id);
    let ids: Vec<u64> = left.iter().map(|a| a.id).collect();
    assert_eq!(ids, [1].into_iter().chain(41..=60).collect::<Vec<_>>());
    assert_eq!(left[0].name, "renamed");
    assert_eq!(
        table.query(Operation::partition(1)).all().await.unwrap(),
        [operation(1, 1)]
    );
}

#[tokio::test]
async fn keys_left_unprocessed_are_resent_or_reported() {
    let table = provisioned_table("unprocessed").await;
    // 60 items of 350 KB: about 21 MB, more than the 16 MB one BatchGetItem answers.
    let padding = "p".repeat(350_000);
    let accounts: Vec<_> = (1..=60)
        .map(|id| Account {
            name: padding.clone(),
            ..account(id)
        })
        .collect();
    table.batch_write().put_all(&accounts).await.unwrap();

    // The server does leave keys unprocessed for one plain request.
    let keys = KeysAndAttributes::builder()
        .set_keys(Some(
            (1..=60)
                .map(|id| {
                    [
                        ("PK".to_owned(), AttributeValue::S(format!("ACCOUNT#{id}"))),
                        ("SK".to_owned(), AttributeValue::S("ACCOUNT".to_owned())),
                    ]
                    .into()
                })
                .collect(),
        ))
        .build()
        .unwrap();
    let once = table
        .client()
        .batch_get_item()
        .request_items(table.name(), keys)
        .send()
        .await
        .unwrap();
    let left = once
        .unprocessed_keys()
        .map_or(0, |u| u[table.name()].keys().len());
    assert!(left > 0, "expected unprocessed keys");

    // Resent until done.
    let read = table.batch_get((1..=60).map(Account::key)).await.unwrap();
    assert_eq!(read.entities, accounts);
    assert!(read.missing.is_empty());

    // With one attempt only, the rest is an error listing it.
    let impatient = table.clone().with_retry(RetryPolicy {
        budget: Duration::ZERO,
        ..RetryPolicy::default()
    });
    let err = impatient
        .batch_get((1..=60).map(Account::key))
        .await
        .unwrap_err();
    match &err {
        Error::Unprocessed {
            operation,
            keys,
            attempts,
            ..
        } => {
            assert_eq!((*operation, *attempts), ("BatchGetItem", 1));
            assert_eq!(keys.len(), left);
            assert!(keys
                .iter()
                .all(|k| k.starts_with("PK=ACCOUNT#") && k.ends_with(", SK=ACCOUNT")));
        }
        other => panic!("expected Unprocessed, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains("unprocessed after 1 attempt(s)"),
        "{message}"
    );
    assert!(message.contains("retry them later"), "{message}");
}

#[tokio::test]
async fn delete_partition_removes_what_the_partition_selects() {
    let table = provisioned_table("delete-partition").await;
    let ops: Vec<_> = (0..300).map(|m| operation(1, m)).collect();
    let others: Vec<_> = (0..30).map(|m| operation(2, m)).collect();
    table
        .batch_write()
        .put(&account(1))
        .put(&account(2))
        .put_all(&ops)
        .put_all(&others)
        .await
        .unwrap();

    // The operations only: the account stays.
    let deleted = table
        .delete_partition(Operation::partition(1))
        .concurrency(3)
        .await
        .unwrap();
    assert_eq!(deleted, 300);
    assert!(table
        .query(Operation::partition(1))
        .all()
        .await
        .unwrap()
        .is_empty());
    assert!(table.get(Account::key(1)).await.unwrap().is_some());

    // The whole partition.
    table.batch_write().put_all(&ops[..40]).await.unwrap();
    let deleted = table
        .delete_partition(Account::partition(1).whole())
        .await
        .unwrap();
    assert_eq!(deleted, 41);
    assert!(table
        .query(Account::partition(1).whole())
        .items()
        .await
        .unwrap()
        .is_empty());

    // Another partition is untouched.
    assert_eq!(
        table.query(Operation::partition(2)).all().await.unwrap(),
        others
    );
    assert!(table.get(Account::key(2)).await.unwrap().is_some());
    assert_eq!(
        table
            .delete_partition(Operation::partition(77))
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn delete_partition_over_many_pages_reads_ahead_and_sends_only_full_batches() {
    let (table, counter) = dynaschema_tests::counted_table("delete-pages").await;
    let ops: Vec<_> = (0..103).map(|m| operation(1, m)).collect();
    table
        .batch_write()
        .put(&account(1))
        .put_all(&ops)
        .await
        .unwrap();
    counter.reset();

    // Pages of 7 keys: 15 for the 103 operations (the account's key is in a page too,
    // but not the entity's, so it is left). 103 deletes take 5 batches, not one per page.
    let deleted = table
        .delete_partition(Operation::partition(1))
        .page_size(7)
        .concurrency(2)
        .await
        .unwrap();
    assert_eq!(deleted, 103);
    let counts = counter.take();
    assert_eq!(counts.requests("BatchWriteItem"), 5, "{counts:?}");
    assert!(counts.requests("Query") >= 15, "{counts:?}");
    assert!(table
        .query(Operation::partition(1))
        .all()
        .await
        .unwrap()
        .is_empty());
    assert!(table.get(Account::key(1)).await.unwrap().is_some());
}
