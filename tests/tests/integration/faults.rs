//! What single writes and transactions do when the network or DynamoDB misbehaves,
//! through the fault harness: a lost answer followed by the SDK's retry, retries that
//! run out with the outcome open, and the tokens that keep a transaction from applying
//! twice.

use dynaschema::{Error, Table, Timestamp};
use dynaschema_tests::entities::{account, Account, Operation};
use dynaschema_tests::faults::{self, Fate, FaultProxy, Faults, Rates};
use dynaschema_tests::{provisioned_table, server_kind, ServerKind};

/// A proxy with no random faults and `script` for `operation`, and `table` through it.
async fn scripted(table: &Table, operation: &str, script: &[Fate]) -> (FaultProxy, Table) {
    let faults = Faults::new(Rates::none()).script(operation, script.iter().copied());
    let proxy = FaultProxy::in_front_of_test_server(faults, 1);
    let through = proxy.table(table).await;
    (proxy, through)
}

fn credit(account_id: u64, micros: i64, amount: u64) -> Operation {
    Operation {
        account_id,
        kind: "credit".to_owned(),
        amount,
        created_at: Timestamp::from_unix_micros(micros),
    }
}

#[tokio::test]
async fn a_put_if_not_exists_whose_answer_was_lost_recognises_its_own_item() {
    let table = provisioned_table("fault-own-put").await;
    let (proxy, through) = scripted(&table, "PutItem", &[Fate::LostAck]).await;
    let created = account(1, "first");

    through.put(&created).if_not_exists().await.unwrap();

    // The first attempt was applied and its answer lost; the SDK's retry failed the
    // condition on that very item.
    assert_eq!(
        proxy.fates(Some("PutItem")).get(&Fate::LostAck),
        Some(&1),
        "{:?}",
        proxy.seen()
    );
    assert_eq!(proxy.seen().len(), 2);
    assert_eq!(table.get(Account::key(1)).await.unwrap(), Some(created));
}

#[tokio::test]
async fn a_put_if_not_exists_still_refuses_another_item_after_a_lost_answer() {
    let table = provisioned_table("fault-other-put").await;
    table.put(&account(1, "theirs")).await.unwrap();
    let (_proxy, through) = scripted(&table, "PutItem", &[Fate::LostAck]).await;

    // The lost attempt was refused as well: the item there is another's.
    let err = through
        .put(&account(1, "mine"))
        .if_not_exists()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
    let stored = table.get(Account::key(1)).await.unwrap().unwrap();
    assert_eq!(stored.name, "theirs");
}

#[tokio::test]
async fn a_write_whose_every_answer_is_lost_says_its_outcome_is_unknown() {
    let table = provisioned_table("fault-unknown").await;
    let (proxy, through) = scripted(&table, "PutItem", &[Fate::LostAck; 10]).await;

    let err = through.put(&account(1, "lost")).await.unwrap_err();
    let Error::OutcomeUnknown { operation, key, .. } = &err else {
        panic!("expected OutcomeUnknown, got {err}");
    };
    assert_eq!(*operation, "PutItem");
    assert_eq!(key, "PK=ACCOUNT#1, SK=ACCOUNT");
    assert!(
        err.to_string().contains("may or may not have been applied"),
        "{err}"
    );
    // It was applied, as the message allows: every attempt reached the server.
    let attempts = proxy.seen().len();
    assert!(attempts >= 2, "{attempts}");
    assert!(table.get(Account::key(1)).await.unwrap().is_some());
}

#[tokio::test]
async fn a_write_refused_on_every_attempt_keeps_its_error() {
    let table = provisioned_table("fault-throttled").await;
    let (_proxy, through) = scripted(&table, "PutItem", &[Fate::Throttled; 10]).await;

    // DynamoDB refused each attempt: nothing can have been applied.
    let err = through.put(&account(1, "throttled")).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Service {
                operation: "PutItem",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("ThrottlingException"), "{err}");
    assert_eq!(table.get(Account::key(1)).await.unwrap(), None);
}

#[tokio::test]
async fn a_conditional_delete_whose_answer_was_lost_succeeds() {
    let table = provisioned_table("fault-delete").await;
    table.put(&account(1, "gone")).await.unwrap();
    let (_proxy, through) = scripted(&table, "DeleteItem", &[Fate::LostAck]).await;

    through
        .delete(Account::key(1))
        .when(dynaschema::Condition::item_exists("PK"))
        .await
        .unwrap();
    assert_eq!(table.get(Account::key(1)).await.unwrap(), None);
}

#[tokio::test]
async fn a_transaction_whose_answer_was_lost_is_applied_once() {
    let table = provisioned_table("fault-transact").await;
    table.put(&account(1, "credited")).await.unwrap();
    let (proxy, through) = scripted(&table, "TransactWriteItems", &[Fate::LostAck]).await;

    let operation = credit(1, 10, 70);
    through
        .transact()
        .put_new(&operation)
        .update(Account::key(1), |u| u.add(Account::BALANCE, 70))
        .await
        .unwrap();

    let stored = table.get(Account::key(1)).await.unwrap().unwrap();
    assert_eq!(stored.balance, 70, "{:?}", proxy.seen());
    let tokens: Vec<_> = proxy.seen().into_iter().map(|seen| seen.token).collect();
    assert_eq!(tokens.len(), 2);
    assert!(tokens[0].is_some());
    assert_eq!(tokens[0], tokens[1], "the SDK's retry keeps the token");
}

#[tokio::test]
async fn tokens_are_new_for_a_new_attempt_and_kept_once_one_may_have_applied() {
    let table = provisioned_table("fault-tokens").await;
    table.put(&account(1, "tokens")).await.unwrap();

    // A conflict is a definite refusal: the next attempt is a new transaction.
    let (proxy, through) = scripted(&table, "TransactWriteItems", &[Fate::Conflict]).await;
    let first = credit(1, 1, 5);
    through
        .transact()
        .put_new(&first)
        .update(Account::key(1), |u| u.add(Account::BALANCE, 5))
        .await
        .unwrap();
    let tokens: Vec<_> = proxy.seen().into_iter().map(|seen| seen.token).collect();
    assert_eq!(tokens.len(), 2);
    assert_ne!(tokens[0], tokens[1]);

    // After a lost answer, the conflict's retry must let DynamoDB recognise the
    // transaction: it keeps the token.
    let (proxy, through) = scripted(
        &table,
        "TransactWriteItems",
        &[Fate::LostAck, Fate::Conflict],
    )
    .await;
    let second = credit(1, 2, 7);
    through
        .transact()
        .put_new(&second)
        .update(Account::key(1), |u| u.add(Account::BALANCE, 7))
        .await
        .unwrap();
    let tokens: Vec<_> = proxy.seen().into_iter().map(|seen| seen.token).collect();
    assert_eq!(tokens.len(), 3, "{:?}", proxy.seen());
    assert!(tokens.iter().all(|token| token == &tokens[0]));

    let stored = table.get(Account::key(1)).await.unwrap().unwrap();
    assert_eq!(stored.balance, 12);
}

#[tokio::test]
async fn a_retried_token_applies_a_transaction_once_on_a_server_that_honours_it() {
    let table = provisioned_table("fault-token-only").await;
    table.put(&account(1, "one")).await.unwrap();
    table.put(&account(2, "two")).await.unwrap();
    // No put_new to recognise: only the token keeps the SDK's retry from applying the
    // transaction again.
    let (proxy, through) = scripted(&table, "TransactWriteItems", &[Fate::LostAck]).await;
    through
        .transact()
        .update(Account::key(1), |u| u.add(Account::BALANCE, 9))
        .update(Account::key(2), |u| u.add(Account::BALANCE, 1))
        .await
        .unwrap();
    assert_eq!(proxy.seen().len(), 2);
    let balance = |id| {
        let table = &table;
        async move { table.get(Account::key(id)).await.unwrap().unwrap().balance }
    };
    // DynamoDB and dynoxide answer a token they have applied with success, applying
    // nothing; moto ignores ClientRequestToken and applies the retry again.
    let times = if server_kind() == ServerKind::Moto {
        2
    } else {
        1
    };
    assert_eq!((balance(1).await, balance(2).await), (9 * times, times));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_queries_and_scans_finish_under_every_fault() {
    let table = provisioned_table("fault-bulk").await;
    let proxy = FaultProxy::in_front_of_test_server(Faults::new(Rates::hostile()), faults::seed());
    let through = proxy.table(&table).await;
    let context = || format!("seed {}, faults {:?}", proxy.seed(), proxy.fates(None));

    let accounts: Vec<Account> = (1..=60).map(|id| account(id, "bulk")).collect();
    let operations: Vec<Operation> = (0..240).map(|n| credit(1, n, n as u64 + 1)).collect();
    through
        .batch_write()
        .put_all(&accounts)
        .put_all(&operations)
        .await
        .unwrap_or_else(|err| panic!("{err}; {}", context()));
    assert!(
        proxy
            .fates(Some("BatchWriteItem"))
            .contains_key(&Fate::PartlyUnprocessed),
        "{}",
        context()
    );

    let fetched = through
        .batch_get((1..=60).map(Account::key))
        .await
        .unwrap_or_else(|err| panic!("{err}; {}", context()));
    assert_eq!(fetched.entities, accounts, "{}", context());
    assert!(fetched.missing.is_empty());

    let read: Vec<Operation> = through
        .query(Operation::partition(1))
        .page_size(25)
        .all()
        .await
        .unwrap_or_else(|err| panic!("{err}; {}", context()));
    assert_eq!(read, operations, "{}", context());
    let scanned: Vec<Account> = through
        .scan::<Account>()
        .all()
        .await
        .unwrap_or_else(|err| panic!("{err}; {}", context()));
    assert_eq!(scanned.len(), 60, "{}", context());

    // Pages walked with their cursors: every item once, in order, whatever failed.
    let mut paged = Vec::new();
    let mut cursor = None;
    loop {
        let page = through
            .query(Operation::partition(1))
            .after(cursor)
            .page(17)
            .await
            .unwrap_or_else(|err| panic!("{err}; {}", context()));
        paged.extend(page.items);
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(paged, operations, "{}", context());
    let mut scanned_pages = Vec::new();
    let mut cursor = None;
    loop {
        let page = through
            .scan::<Account>()
            .after(cursor)
            .page(13)
            .await
            .unwrap_or_else(|err| panic!("{err}; {}", context()));
        scanned_pages.extend(page.items.into_iter().map(|a| a.id));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    scanned_pages.sort_unstable();
    assert_eq!(scanned_pages, (1..=60).collect::<Vec<_>>(), "{}", context());

    let deleted = through
        .delete_partition(Operation::partition(1))
        .page_size(50)
        .await
        .unwrap_or_else(|err| panic!("{err}; {}", context()));
    assert_eq!(deleted, 240, "{}", context());
    let left: Vec<Operation> = table.query(Operation::partition(1)).all().await.unwrap();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn an_update_that_adds_is_never_applied_twice() {
    let table = provisioned_table("fault-add").await;
    table.put(&account(1, "adds")).await.unwrap();

    // A lost answer: the SDK must not send it again, since a second ADD would count.
    let (proxy, through) = scripted(&table, "UpdateItem", &[Fate::LostAck]).await;
    let err = through
        .update(Account::key(1), |u| u.add(Account::BALANCE, 5))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err}");
    assert_eq!(proxy.seen().len(), 1);
    let stored = table.get(Account::key(1)).await.unwrap().unwrap();
    assert_eq!(stored.balance, 5, "applied once");

    // Throttling is a refusal: sent again, applied once.
    let (proxy, through) =
        scripted(&table, "UpdateItem", &[Fate::Throttled, Fate::Throttled]).await;
    let updated = through
        .update(Account::key(1), |u| u.increment(Account::BALANCE, 2))
        .await
        .unwrap();
    assert_eq!(updated.balance, 7);
    assert_eq!(proxy.seen().len(), 3);

    // Setting values is repeatable: the SDK's retry after a lost answer is harmless.
    let (proxy, through) = scripted(&table, "UpdateItem", &[Fate::LostAck]).await;
    let renamed = through
        .update(Account::key(1), |u| u.set(Account::NAME, "renamed"))
        .await
        .unwrap();
    assert_eq!((renamed.name.as_str(), renamed.balance), ("renamed", 7));
    assert_eq!(proxy.seen().len(), 2);
}

#[tokio::test]
async fn a_conditional_update_whose_answer_was_lost_recognises_its_own_result() {
    let table = provisioned_table("fault-own-update").await;
    table.put(&account(1, "settled")).await.unwrap();
    let (proxy, through) = scripted(&table, "UpdateItem", &[Fate::LostAck]).await;

    // The first attempt set the balance; the retry's condition then fails on it.
    through
        .update(Account::key(1), |u| {
            u.set(Account::BALANCE, 9).require(Account::BALANCE.eq(0))
        })
        .apply()
        .await
        .unwrap();
    assert_eq!(proxy.seen().len(), 2);
    let stored = table.get(Account::key(1)).await.unwrap().unwrap();
    assert_eq!(stored.balance, 9);
}

#[tokio::test]
async fn a_server_error_after_the_write_was_made_is_settled_like_a_lost_answer() {
    let table = provisioned_table("fault-applied-500").await;
    let script = [Fate::AppliedThenServerError];

    // The put was made; the 500 hid it; the SDK's retry meets this call's own item.
    let (_proxy, through) = scripted(&table, "PutItem", &script).await;
    through
        .put(&account(1, "made"))
        .if_not_exists()
        .await
        .unwrap();
    assert_eq!(
        table.get(Account::key(1)).await.unwrap().unwrap().name,
        "made"
    );

    // The transaction was made; its token (or its own item, on moto) keeps the retry
    // from making it again.
    let (_proxy, through) = scripted(&table, "TransactWriteItems", &script).await;
    let operation = credit(1, 3, 40);
    through
        .transact()
        .put_new(&operation)
        .update(Account::key(1), |u| u.add(Account::BALANCE, 40))
        .await
        .unwrap();
    assert_eq!(
        table.get(Account::key(1)).await.unwrap().unwrap().balance,
        40
    );

    // An update that adds is not sent again: the 500 leaves its outcome unknown.
    let (proxy, through) = scripted(&table, "UpdateItem", &script).await;
    let err = through
        .update(Account::key(1), |u| u.add(Account::BALANCE, 2))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err}");
    assert_eq!(proxy.seen().len(), 1);
    assert_eq!(
        table.get(Account::key(1)).await.unwrap().unwrap().balance,
        42
    );
}
