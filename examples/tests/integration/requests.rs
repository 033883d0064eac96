//! Request economy: how many DynamoDB requests each ningipoints function makes, counted
//! by an SDK interceptor on the client (see `dynaschema_tests::counting`), against the
//! test server.

use std::time::Duration;

use dynaschema::{provision, Timestamp};
use dynaschema_tests::{counting_connection, ningipoints_schema, Counts, RequestCounter};
use ningipoints::{Error, Ningipoints, Operation, OperationType};

/// The API over a table of the test's own, with its requests counted. The counter
/// starts at zero after provisioning.
async fn points(purpose: &str) -> (Ningipoints, RequestCounter) {
    let schema = ningipoints_schema(purpose);
    let (connection, counter) = counting_connection().await;
    provision::provision(&connection, &schema, Duration::from_secs(60), |_| {})
        .await
        .expect("the table is provisioned");
    counter.reset();
    (
        Ningipoints::new(connection).with_table_name(&schema.table.name),
        counter,
    )
}

/// `n` operations of account `id`, one microsecond apart, alternately credits and debits
/// of 1.
fn operations(id: u64, n: usize) -> Vec<Operation> {
    let start = Timestamp::parse("2026-11-24T21:16:54Z")
        .unwrap()
        .as_unix_micros();
    (0..n)
        .map(|i| Operation {
            account_id: id,
            kind: if i % 2 == 0 {
                OperationType::Credit
            } else {
                OperationType::Debit
            },
            amount: 1,
            created_at: Timestamp::from_unix_micros(start + i as i64),
        })
        .collect()
}

/// Writes operations straight into the table, in batches, as a fixture: not what is
/// counted.
async fn store(points: &Ningipoints, counter: &RequestCounter, operations: &[Operation]) {
    points
        .table()
        .batch_write()
        .put_all(operations)
        .await
        .expect("the operations are written");
    counter.reset();
}

#[tokio::test]
async fn single_item_functions_make_one_request_each() {
    let (points, counter) = points("requests-single").await;

    points
        .create_account(1, "clara", "clara@42sp.org.br")
        .await
        .unwrap();
    // The account and its email's guard, in one transaction.
    let counts = counter.take();
    assert_eq!(
        (counts.total(), counts.requests("TransactWriteItems")),
        (1, 1),
        "{counts:?}"
    );

    assert!(points.get_account(1).await.unwrap().is_some());
    let counts = counter.take();
    assert_eq!(
        (counts.total(), counts.requests("GetItem")),
        (1, 1),
        "{counts:?}"
    );

    for kind in [OperationType::Credit, OperationType::Debit] {
        points.create_operation(1, kind, 10).await.unwrap();
        let counts = counter.take();
        assert_eq!(
            (counts.total(), counts.requests("TransactWriteItems")),
            (1, 1),
            "{kind}: {counts:?}"
        );
    }

    let found = points
        .get_account_by_email("clara@42sp.org.br")
        .await
        .unwrap();
    assert_eq!(found.map(|a| a.id), Some(1));
    let counts = counter.take();
    assert_eq!(
        (counts.total(), counts.requests("Query")),
        (1, 1),
        "{counts:?}"
    );

    // Refusals cost no more than the attempt: a refused operation says why from the
    // account the cancellation reason carries, without reading it again.
    assert!(matches!(
        points.create_account(1, "clara", "clara@42sp.org.br").await,
        Err(Error::AlreadyExists { .. })
    ));
    assert_eq!(counter.take().total(), 1);
    assert!(points.get_account(2).await.unwrap().is_none());
    assert_eq!(counter.take().total(), 1);
    assert!(matches!(
        points
            .create_operation(1, OperationType::Debit, 1_000)
            .await,
        Err(Error::InsufficientBalance { .. })
    ));
    let counts = counter.take();
    assert_eq!(
        (
            counts.requests("TransactWriteItems"),
            counts.requests("GetItem"),
            counts.total()
        ),
        (1, 0, 1),
        "{counts:?}"
    );
}

#[tokio::test]
async fn get_accounts_reads_only_account_items() {
    let (points, counter) = points("requests-accounts").await;
    for id in 1..=5_u64 {
        points
            .create_account(id, "x", &format!("x{id}@x.org"))
            .await
            .unwrap();
        for _ in 0..3 {
            points
                .create_operation(id, OperationType::Credit, 1)
                .await
                .unwrap();
        }
    }
    counter.reset();

    let accounts = points.get_accounts().await.unwrap();
    assert_eq!(accounts.len(), 5);
    let counts = counter.take();
    // One page, and of the 20 items in the table, only the 5 accounts were read.
    assert_eq!(
        (counts.total(), counts.requests("Scan")),
        (1, 1),
        "{counts:?}"
    );
    assert_eq!(counts.scanned("Scan"), 5, "{counts:?}");
    assert_eq!(counts.returned("Scan"), 5, "{counts:?}");
}

#[tokio::test]
async fn small_accounts_are_read_and_deleted_in_few_requests() {
    let (points, counter) = points("requests-small").await;
    points.create_account(7, "x", "x@x.org").await.unwrap();
    let n = 60;
    store(&points, &counter, &operations(7, n)).await;

    assert_eq!(points.get_operations(7).await.unwrap().len(), n);
    let counts = counter.take();
    assert_eq!(
        (counts.total(), counts.requests("Query")),
        (1, 1),
        "{counts:?}"
    );
    assert_eq!(counts.pages_with_more("Query"), 0);

    assert_eq!(points.delete_account(7).await.unwrap(), n);
    let counts = counter.take();
    assert_eq!(counts.requests("Query"), 1, "{counts:?}");
    assert_deleted_in_full_batches(&counts, n);
}

/// More operations than one 1 MB page holds: reading takes one request per page, and
/// deleting one per page plus one per 25 operations, never more.
#[tokio::test]
async fn a_large_account_is_read_page_by_page_and_deleted_in_full_batches() {
    let (points, counter) = points("requests-large").await;
    points.create_account(9, "x", "x@x.org").await.unwrap();
    // About 105 bytes an operation (attribute names and values, as DynamoDB sizes an
    // item): 12,000 make about 1.26 MB, clear of the 1 MB page whatever a server's
    // rounding. 10,000 sit right at it.
    let n = 12_000;
    store(&points, &counter, &operations(9, n)).await;

    assert_eq!(points.get_operations(9).await.unwrap().len(), n);
    let counts = counter.take();
    let pages = counts.requests("Query");
    assert!(pages >= 2, "{n} operations fit in one page: {counts:?}");
    assert_eq!(pages, counts.pages_with_more("Query") + 1, "{counts:?}");
    assert_eq!(counts.total(), pages, "{counts:?}");
    assert_eq!(counts.returned("Query"), n as i64);

    assert_eq!(points.delete_account(9).await.unwrap(), n);
    assert_deleted_in_full_batches(&counter.take(), n);
    assert!(points.get_operations(9).await.unwrap().is_empty());
}

/// What deleting an account of `n` operations may cost: one read of the account's email
/// and one transaction deleting the account with its email's guard, one BatchWriteItem
/// per 25 operations, the query pages that list them, and nothing besides.
fn assert_deleted_in_full_batches(counts: &Counts, n: usize) {
    assert_eq!(
        (
            counts.requests("GetItem"),
            counts.requests("TransactWriteItems")
        ),
        (1, 1),
        "{counts:?}"
    );
    assert_eq!(
        counts.requests("BatchWriteItem"),
        n.div_ceil(25),
        "{counts:?}"
    );
    assert_eq!(
        counts.total(),
        2 + n.div_ceil(25) + counts.requests("Query"),
        "{counts:?}"
    );
}

#[tokio::test]
async fn pages_of_operations_and_accounts_are_one_request_each() {
    let (points, counter) = points("requests-pages").await;
    for id in 1..=3_u64 {
        points
            .create_account(id, "x", &format!("x{id}@x.org"))
            .await
            .unwrap();
    }
    let written = operations(1, 40);
    store(&points, &counter, &written).await;

    // 40 operations, 7 a page: 6 pages, the last one knowing it is the last.
    let mut read = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = points
            .get_operations_page(1, 7, cursor.as_deref())
            .await
            .unwrap();
        pages += 1;
        assert!(page.items.len() <= 7);
        read.extend(page.items);
        match page.next {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(read, written, "every operation once, in order");
    assert_eq!(pages, 6);
    let counts = counter.take();
    assert_eq!(
        (counts.total(), counts.requests("Query")),
        (6, 6),
        "{counts:?}"
    );

    let mut accounts = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = points
            .get_accounts_page(2, cursor.as_deref())
            .await
            .unwrap();
        accounts.extend(page.items.into_iter().map(|a| a.id));
        match page.next {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    accounts.sort_unstable();
    assert_eq!(accounts, [1, 2, 3]);
    let counts = counter.take();
    assert_eq!(
        (counts.total(), counts.requests("Scan")),
        (2, 2),
        "{counts:?}"
    );
}

#[tokio::test]
async fn a_cursor_of_another_read_or_altered_is_refused_before_any_request() {
    let (points, counter) = points("requests-cursors").await;
    points.create_account(1, "x", "x1@x.org").await.unwrap();
    points.create_account(2, "y", "y2@x.org").await.unwrap();
    store(&points, &counter, &operations(1, 5)).await;
    store(&points, &counter, &operations(2, 5)).await;
    let first = points.get_operations_page(1, 2, None).await.unwrap();
    let cursor = first.next.expect("more operations follow").to_string();
    let accounts = points.get_accounts_page(1, None).await.unwrap();
    let accounts_cursor = accounts.next.expect("more accounts follow").to_string();
    counter.reset();

    let mut altered = cursor.clone().into_bytes();
    altered[cursor.len() / 2] ^= 0x01;
    let altered = String::from_utf8(altered).unwrap();
    let refusals = [
        points.get_operations_page(2, 2, Some(&cursor)).await,
        points.get_operations_page(1, 2, Some(&altered)).await,
        points
            .get_operations_page(1, 2, Some(&accounts_cursor))
            .await,
        points.get_operations_page(1, 0, None).await,
    ];
    for refused in refusals {
        let err = refused.unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{err}");
    }
    let err = points
        .get_accounts_page(1, Some(&cursor))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("another read"), "{err}");
    assert_eq!(counter.take().total(), 0, "nothing was sent");

    // The right cursor goes on where the page ended.
    let second = points
        .get_operations_page(1, 2, Some(&cursor))
        .await
        .unwrap();
    assert_eq!(second.items, operations(1, 5)[2..4]);
}

#[tokio::test]
async fn an_account_with_its_operations_is_one_request() {
    let (points, counter) = points("requests-with-operations").await;
    let account = points.create_account(1, "x", "x1@x.org").await.unwrap();
    points.create_account(2, "y", "y2@x.org").await.unwrap();
    let written = operations(1, 40);
    store(&points, &counter, &written).await;
    store(&points, &counter, &operations(2, 3)).await;

    let read = points
        .get_account_with_operations(1)
        .await
        .unwrap()
        .expect("the account exists");
    assert_eq!((read.account, read.operations), (account, written));
    let counts = counter.take();
    assert_eq!(
        (counts.total(), counts.requests("Query")),
        (1, 1),
        "{counts:?}"
    );

    assert_eq!(points.get_account_with_operations(3).await.unwrap(), None);
    assert_eq!(counter.take().total(), 1);
}
