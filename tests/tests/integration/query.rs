//! Queries and scans against a live server: partitions holding several entity types,
//! pages past 1 MB, limits, order, sort-key ranges, the email index, parallel scans.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use dynaschema::{Entity, Error, Table, Timestamp};
use dynaschema_tests::entities::{Account, Operation};
use dynaschema_tests::provisioned_table;
use futures::TryStreamExt;

/// 2026-01-01T00:00:00Z.
const START: i64 = 1_767_225_600_000_000;

fn at(second: i64) -> Timestamp {
    Timestamp::from_unix_micros(START + second * 1_000_000)
}

fn account(id: u64, email: &str) -> Account {
    Account {
        id,
        name: format!("account {id}"),
        email: email.to_owned(),
        balance: 0,
        created_at: at(0),
    }
}

fn operation(account_id: u64, second: i64, kind: &str) -> Operation {
    Operation {
        account_id,
        kind: kind.to_owned(),
        amount: second as u64,
        created_at: at(second),
    }
}

/// An account and its `n` operations, one a second from START.
async fn seed(table: &Table, id: u64, n: i64) -> (Account, Vec<Operation>) {
    let account = account(id, &format!("user{id}@42.fr"));
    let operations: Vec<_> = (0..n)
        .map(|s| operation(id, s, if s % 2 == 0 { "credit" } else { "debit" }))
        .collect();
    table
        .batch_write()
        .put(&account)
        .put_all(&operations)
        .await
        .unwrap();
    (account, operations)
}

#[tokio::test]
async fn a_partition_of_several_entity_types_reads_as_each() {
    let table = provisioned_table("mixed").await;
    let (account, operations) = seed(&table, 1, 5).await;
    seed(&table, 2, 3).await;

    assert_eq!(
        table.query(Operation::partition(1)).all().await.unwrap(),
        operations
    );
    assert_eq!(
        table.query(Account::partition(1)).all().await.unwrap(),
        std::slice::from_ref(&account)
    );
    // The whole partition, typed: the operations are skipped, not misread.
    assert_eq!(
        table
            .query(Account::partition(1).whole())
            .all()
            .await
            .unwrap(),
        std::slice::from_ref(&account)
    );

    // Untyped, and told apart by key.
    let items = table
        .query(Account::partition(1).whole())
        .items()
        .await
        .unwrap();
    assert_eq!(items.len(), 6);
    let accounts: Vec<Account> = items
        .iter()
        .filter(|item| Account::matches(item))
        .map(|item| Account::from_item(item).unwrap())
        .collect();
    let read: Vec<Operation> = items
        .iter()
        .filter(|item| Operation::matches(item))
        .map(|item| Operation::from_item(item).unwrap())
        .collect();
    assert_eq!((accounts, read), (vec![account], operations));
}

#[tokio::test]
async fn a_partition_over_one_megabyte_is_read_across_pages() {
    let table = provisioned_table("pages").await;
    let padding = "x".repeat(1000);
    let operations: Vec<_> = (0..1200).map(|s| operation(9, s, &padding)).collect();
    table.batch_write().put_all(&operations).await.unwrap();

    // The server does answer in several pages.
    let first_page = table
        .client()
        .query()
        .table_name(table.name())
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(":pk", AttributeValue::S("ACCOUNT#9".into()))
        .send()
        .await
        .unwrap();
    assert!(first_page.last_evaluated_key.is_some());
    assert!(
        first_page.items().len() < 1200,
        "{}",
        first_page.items().len()
    );

    let all = table.query(Operation::partition(9)).all().await.unwrap();
    assert_eq!(all.len(), 1200);
    assert_eq!(all, operations);

    let newest: Vec<Operation> = table
        .query(Operation::partition(9))
        .newest_first()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(newest.len(), 1200);
    assert_eq!(newest[0], operations[1199]);
    assert_eq!(newest[1199], operations[0]);

    let limited = table
        .query(Operation::partition(9))
        .limit(1100)
        .all()
        .await
        .unwrap();
    assert_eq!(limited, operations[..1100]);
}

#[tokio::test]
async fn limits_order_and_sort_key_ranges() {
    let table = provisioned_table("ranges").await;
    let (_, ops) = seed(&table, 1, 10).await;
    let query = || table.query(Operation::partition(1));
    let range = |from: usize, to: usize| ops[from..to].to_vec();

    assert_eq!(query().first().await.unwrap(), Some(ops[0].clone()));
    assert_eq!(
        query().newest_first().first().await.unwrap(),
        Some(ops[9].clone())
    );
    assert_eq!(query().limit(3).all().await.unwrap(), range(0, 3));
    let newest_three = query().newest_first().limit(3).all().await.unwrap();
    assert_eq!(
        newest_three,
        [ops[9].clone(), ops[8].clone(), ops[7].clone()]
    );

    // Bounds are the text after OPERATION#: here a timestamp.
    assert_eq!(
        query().sk_between(at(2), at(5)).all().await.unwrap(),
        range(2, 6)
    );
    // A range that runs backwards is refused before sending; numbers in a string key
    // sort as text, so 2 to 10 is one.
    for err in [
        query().sk_between(at(5), at(2)).all().await.unwrap_err(),
        query().sk_between(2_u64, 10_u64).all().await.unwrap_err(),
    ] {
        assert!(
            matches!(&err, Error::InvalidQuery { message } if message.contains("runs backwards")),
            "{err}"
        );
    }
    assert!(query()
        .sk_between(2_u64, 10_u64)
        .all()
        .await
        .unwrap_err()
        .to_string()
        .contains("`OPERATION#2` sorts after `OPERATION#10`"));
    // The account's sort key (ACCOUNT) sorts before OPERATION#: a strict or open lower
    // range must not reach it, nor stop early because of it.
    assert_eq!(query().sk_lt(at(3)).all().await.unwrap(), range(0, 3));
    assert_eq!(query().sk_le(at(3)).all().await.unwrap(), range(0, 4));
    assert_eq!(query().sk_gt(at(7)).all().await.unwrap(), range(8, 10));
    assert_eq!(query().sk_ge(at(7)).all().await.unwrap(), range(7, 10));
    assert_eq!(
        query()
            .sk_lt(at(3))
            .newest_first()
            .limit(2)
            .all()
            .await
            .unwrap(),
        [ops[2].clone(), ops[1].clone()]
    );
    assert_eq!(
        query().sk_lt(at(3)).items().await.unwrap().len(),
        3,
        "untyped reads skip the strict bound too"
    );
    assert_eq!(
        query()
            .sk_begins_with("2026-01-01T00:00:0")
            .all()
            .await
            .unwrap(),
        ops,
        "seconds 0 to 9"
    );
    assert_eq!(query().sk_begins_with("2026-02").all().await.unwrap(), []);

    // A filter on `type`, a reserved word.
    let debits = query()
        .filter(Operation::KIND.eq("debit"))
        .all()
        .await
        .unwrap();
    assert_eq!(debits.len(), 5);
    assert!(debits.iter().all(|op| op.kind == "debit"));
    let first_debit = query()
        .filter(Operation::KIND.eq("debit"))
        .first()
        .await
        .unwrap();
    assert_eq!(
        first_debit,
        Some(ops[1].clone()),
        "pages on past filtered-out items"
    );
}

#[tokio::test]
async fn the_email_index_finds_accounts() {
    let table = provisioned_table("index").await;
    let clara = account(1, "clara@42.fr");
    let odd = account(2, "a#b:c@42.fr");
    let twin = account(3, "clara@42.fr");
    table
        .batch_write()
        .put_all([&clara, &odd, &twin])
        .await
        .unwrap();

    let by_email = table
        .index::<Account>("EmailIndex")
        .query("a#b:c@42.fr")
        .first()
        .await
        .unwrap();
    assert_eq!(by_email, Some(odd));
    let mut both = table
        .index::<Account>("EmailIndex")
        .query("clara@42.fr")
        .all()
        .await
        .unwrap();
    both.sort_by_key(|a| a.id);
    assert_eq!(both, [clara, twin]);
    assert_eq!(
        table
            .index::<Account>("EmailIndex")
            .query("nobody@42.fr")
            .first()
            .await
            .unwrap(),
        None
    );

    let err = table
        .index::<Account>("NameIndex")
        .query("x")
        .all()
        .await
        .unwrap_err();
    match &err {
        Error::Index { index, .. } => assert_eq!(index, "NameIndex"),
        other => panic!("expected Error::Index, got {other:?}"),
    }
    assert!(err.to_string().contains("schema.toml"), "{err}");

    let err = table
        .index::<Account>("EmailIndex")
        .query("clara@42.fr")
        .sk_ge("x")
        .all()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no sort key"), "{err}");
}

#[tokio::test]
async fn scans_read_one_entity_type_in_parallel_segments() {
    let table = provisioned_table("scan").await;
    let mut accounts = Vec::new();
    let mut operations = Vec::new();
    for id in 1..=6 {
        let (account, ops) = seed(&table, id, 20).await;
        accounts.push(account);
        operations.extend(ops);
    }

    let mut read = table.scan::<Account>().all().await.unwrap();
    read.sort_by_key(|a| a.id);
    assert_eq!(read, accounts);

    let mut read = table.scan::<Operation>().segments(4).all().await.unwrap();
    read.sort_by_key(|op| (op.account_id, op.created_at));
    assert_eq!(read, operations);

    // The email index holds the accounts only: a scan of it reads no operation.
    let mut read = table
        .index::<Account>("EmailIndex")
        .scan()
        .segments(2)
        .all()
        .await
        .unwrap();
    read.sort_by_key(|a| a.id);
    assert_eq!(read, accounts);
    let err = table
        .index::<Account>("NameIndex")
        .scan()
        .all()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Index { .. }), "{err:?}");

    let big = table
        .scan::<Operation>()
        .segments(3)
        .filter(Operation::AMOUNT.ge(18_u64))
        .all()
        .await
        .unwrap();
    assert_eq!(big.len(), 12);
}

#[tokio::test]
async fn a_scan_of_items_reads_every_entity_type_in_key_order() {
    let table = provisioned_table("scan-items").await;
    let mut accounts = Vec::new();
    let mut operations = Vec::new();
    for id in 1..=5 {
        let (account, ops) = seed(&table, id, 30).await;
        accounts.push(account);
        operations.extend(ops);
    }
    // An item of no entity is read too, and recognised as neither.
    let stray = HashMap::from([
        ("PK".to_owned(), AttributeValue::S("OTHER#1".to_owned())),
        ("SK".to_owned(), AttributeValue::S("OTHER".to_owned())),
    ]);
    dynaschema_tests::put_raw(&table, stray).await;

    for segments in [1, 3] {
        let items: Vec<_> = table
            .scan_items()
            .consistent()
            .segments(segments)
            .stream()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(items.len(), accounts.len() + operations.len() + 1);
        let (mut read_accounts, mut read_operations, mut others) = (Vec::new(), Vec::new(), 0);
        for item in &items {
            if let Some(account) = Account::from_matching_item(item) {
                let account = account.unwrap();
                // An item collection comes in sort-key order: the account first.
                assert!(
                    !read_operations
                        .iter()
                        .any(|op: &Operation| op.account_id == account.id),
                    "account {} came after its operations",
                    account.id
                );
                read_accounts.push(account);
            } else if let Some(operation) = Operation::from_matching_item(item) {
                read_operations.push(operation.unwrap());
            } else {
                others += 1;
            }
        }
        read_accounts.sort_by_key(|a| a.id);
        read_operations.sort_by_key(|op| (op.account_id, op.created_at));
        assert_eq!(read_accounts, accounts, "{segments} segments");
        assert_eq!(read_operations, operations, "{segments} segments");
        assert_eq!(others, 1);
    }
}
