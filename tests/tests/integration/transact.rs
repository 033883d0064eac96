//! Transactions against a live server: all or nothing, and cancellation reasons that
//! name the failing items.

use dynaschema::{CancelReason, Entity, Error, Timestamp};
use dynaschema_tests::entities::{Account, Operation};
use dynaschema_tests::provisioned_table;

fn account(id: u64, balance: i64) -> Account {
    Account {
        id,
        name: format!("account {id}"),
        email: format!("user{id}@42.fr"),
        balance,
        created_at: Timestamp::from_unix_micros(0),
    }
}

fn debit(account_id: u64, micros: i64, amount: u64) -> Operation {
    Operation {
        account_id,
        kind: "debit".to_owned(),
        amount,
        created_at: Timestamp::from_unix_micros(micros),
    }
}

#[tokio::test]
async fn a_debit_records_its_operation_and_moves_the_balance_together() {
    let table = provisioned_table("transact").await;
    table.put(&account(123, 100)).await.unwrap();

    let operation = debit(123, 1, 50);
    table
        .transact()
        .put_new(&operation)
        .update(Account::key(123), |u| {
            u.add(Account::BALANCE, -50)
                .require(Account::BALANCE.ge(50))
        })
        .await
        .unwrap();
    assert_eq!(
        table.get(Account::key(123)).await.unwrap().unwrap().balance,
        50
    );
    assert_eq!(
        table.query(Operation::partition(123)).all().await.unwrap(),
        [operation]
    );

    // Too little left: canceled, and nothing of it written.
    let second = debit(123, 2, 80);
    let err = table
        .transact()
        .put_new(&second)
        .update(Account::key(123), |u| {
            u.add(Account::BALANCE, -80)
                .require(Account::BALANCE.ge(80))
        })
        .await
        .unwrap_err();
    match &err {
        Error::TransactionCanceled { reasons } => {
            assert_eq!(
                reasons
                    .iter()
                    .map(|r| (r.index, r.entity, r.key.as_str(), r.code.as_str()))
                    .collect::<Vec<_>>(),
                [(
                    1,
                    "Account",
                    "PK=ACCOUNT#123, SK=ACCOUNT",
                    "ConditionalCheckFailed"
                )]
            );
        }
        other => panic!("expected TransactionCanceled, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains("item 1 (Account PK=ACCOUNT#123, SK=ACCOUNT): ConditionalCheckFailed"),
        "{message}"
    );
    assert!(table.get(Entity::key(&second)).await.unwrap().is_none());
    assert_eq!(
        table.get(Account::key(123)).await.unwrap().unwrap().balance,
        50
    );
}

#[tokio::test]
async fn every_kind_of_action_and_its_failure() {
    let table = provisioned_table("transact-kinds").await;
    table
        .batch_write()
        .put(&account(1, 10))
        .put(&account(2, 20))
        .put(&debit(1, 1, 1))
        .await
        .unwrap();

    // Succeeds: check, conditional put, conditional delete, plain delete and put.
    table
        .transact()
        .check(Account::key(1), Account::BALANCE.eq(10))
        .put_when(&account(2, 25), Account::NAME.eq("account 2"))
        .delete_when(
            Operation::key(1, Timestamp::from_unix_micros(1)),
            Operation::KIND.eq("debit"),
        )
        .put(&account(3, 30))
        .delete(Account::key(99))
        .await
        .unwrap();
    assert_eq!(
        table.get(Account::key(2)).await.unwrap().unwrap().balance,
        25
    );
    assert!(table
        .query(Operation::partition(1))
        .all()
        .await
        .unwrap()
        .is_empty());
    assert!(table.get(Account::key(3)).await.unwrap().is_some());

    // Fails on several items: each is named, in order.
    let err = table
        .transact()
        .put_new(&account(1, 0))
        .check(Account::key(2), Account::BALANCE.eq(25))
        .update(Account::key(404), |u| u.add(Account::BALANCE, 1))
        .delete_when(Account::key(3), Account::NAME.eq("nope"))
        .put(&account(4, 0))
        .await
        .unwrap_err();
    let Error::TransactionCanceled { reasons } = &err else {
        panic!("expected TransactionCanceled, got {err:?}");
    };
    // Every failing item DynamoDB names is one of the three that fail, under its key.
    let expected = [
        (0, "PK=ACCOUNT#1, SK=ACCOUNT"),
        (2, "PK=ACCOUNT#404, SK=ACCOUNT"),
        (3, "PK=ACCOUNT#3, SK=ACCOUNT"),
    ];
    assert!(!reasons.is_empty());
    for reason in reasons {
        assert!(
            expected.contains(&(reason.index, reason.key.as_str())),
            "{reason}"
        );
    }
    assert!(reasons
        .iter()
        .all(|r: &CancelReason| r.code == "ConditionalCheckFailed"));
    assert!(
        table.get(Account::key(4)).await.unwrap().is_none(),
        "nothing was written"
    );
    assert!(table.get(Account::key(404)).await.unwrap().is_none());
}

#[tokio::test]
async fn limits_are_checked_before_sending() {
    let table = provisioned_table("transact-limits").await;
    let accounts: Vec<_> = (1..=101).map(|id| account(id, 0)).collect();

    let too_many = accounts.iter().fold(table.transact(), |t, a| t.put(a));
    assert_eq!(too_many.len(), 101);
    let err = too_many.await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidTransaction { message } if message.contains("at most 100")),
        "{err:?}"
    );
    assert!(table.scan::<Account>().all().await.unwrap().is_empty());

    let err = table
        .transact()
        .put(&accounts[0])
        .update(Account::key(1), |u| u.add(Account::BALANCE, 1))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidTransaction { .. }), "{err:?}");

    // Exactly 100 is allowed.
    accounts[..100]
        .iter()
        .fold(table.transact(), |t, a| t.put_new(a))
        .await
        .unwrap();
    assert_eq!(table.scan::<Account>().all().await.unwrap().len(), 100);

    table
        .transact()
        .await
        .expect("an empty transaction does nothing");
}
