//! Keys: building a primary key and a partition from their templates, reading key
//! values back, and recognising an item's entity, against the same work by hand.
//! See BENCHMARKS.md.
//!
//! With `DYNASCHEMA_BENCH_REPEAT=<side>:<n>` (see [`SIDES`]) it runs that side `n` times
//! and exits: what `scripts/bench-instructions keys` counts under valgrind.

mod common;

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use criterion::{criterion_group, criterion_main, Criterion};
use dynaschema::key::{KeyTemplate, Segment};
use dynaschema::{Entity, Item, KeyPart, Timestamp};

use common::{Account, ByHand, Operation};

/// The key map of an operation, written by hand.
fn operation_key_by_hand(account_id: u64, at: Timestamp) -> Item {
    let mut key = HashMap::with_capacity(2);
    key.insert(
        "PK".to_owned(),
        AttributeValue::S(format!("ACCOUNT#{account_id}")),
    );
    key.insert(
        "SK".to_owned(),
        AttributeValue::S(format!("OPERATION#{at}")),
    );
    key
}

const ORDER: KeyTemplate = KeyTemplate::new(
    "SK",
    &[Segment::Literal("ORDER#"), Segment::Field("order_id")],
);
const NOTE: KeyTemplate = KeyTemplate::new(
    "SK",
    &[
        Segment::Literal("ORDER#"),
        Segment::Field("order_id"),
        Segment::Literal("#NOTE#"),
        Segment::Field("n"),
    ],
);

/// The sides `DYNASCHEMA_BENCH_REPEAT` can repeat.
const SIDES: [&str; 5] = [
    "matches",
    "matches-refused",
    "matches-by-hand",
    "from-matching-item",
    "parse-two",
];

fn keys(c: &mut Criterion) {
    let operation = Operation::sample();
    let at = operation.created_at;
    let item = operation.to_item().expect("the sample converts");
    let account_item = Account::sample().to_item().expect("the sample converts");
    assert!(operation_matches_by_hand(&item) && !operation_matches_by_hand(&account_item));
    let note = NOTE.render(&[&123_456_u64, &7_u32]).unwrap();

    if let Some((side, n)) = common::repeat_spec() {
        for _ in 0..n {
            match side.as_str() {
                "matches" => drop(black_box(Operation::matches(black_box(&item)))),
                "matches-refused" => drop(black_box(Operation::matches(black_box(&account_item)))),
                "matches-by-hand" => drop(black_box(operation_matches_by_hand(black_box(&item)))),
                "from-matching-item" => {
                    drop(black_box(Operation::from_matching_item(black_box(&item))))
                }
                "parse-two" => drop(black_box(NOTE.parse_exact::<2>(black_box(&note)))),
                other => panic!("no side {other}; the sides are {SIDES:?}"),
            }
        }
        std::process::exit(0);
    }
    assert_eq!(
        Operation::key(123_456, at).to_item().unwrap(),
        operation_key_by_hand(123_456, at)
    );

    let mut group = c.benchmark_group("key/primary key map");
    group.bench_function("derive", |b| {
        b.iter(|| Operation::key(black_box(123_456), black_box(at)).into_item())
    });
    group.bench_function("hand-written", |b| {
        b.iter(|| operation_key_by_hand(black_box(123_456), black_box(at)))
    });
    group.finish();

    let mut group = c.benchmark_group("key/partition");
    group.bench_function("derive", |b| {
        b.iter(|| Operation::partition(black_box(123_456)))
    });
    // A partition holds its key and the entity's sort-key prefix.
    group.bench_function("hand-written", |b| {
        b.iter(|| {
            (
                format!("ACCOUNT#{}", black_box(123_456_u64)),
                "OPERATION#".to_owned(),
            )
        })
    });
    group.finish();

    let pk = match &item["PK"] {
        AttributeValue::S(pk) => pk.clone(),
        _ => unreachable!("the derive writes string keys"),
    };
    let mut group = c.benchmark_group("key/parse");
    group.bench_function("template", |b| {
        b.iter(|| {
            Operation::PK_TEMPLATE
                .parse_exact::<1>(black_box(&pk))
                .and_then(|[id]| u64::parse_key(id).ok())
        })
    });
    group.bench_function("hand-written", |b| {
        b.iter(|| {
            black_box(&pk)
                .strip_prefix("ACCOUNT#")
                .and_then(|id| id.parse::<u64>().ok())
        })
    });
    group.finish();

    // A hierarchical sort key, ORDER#{order_id}#NOTE#{n}, read back; and the order's own
    // template, ORDER#{order_id}, refusing it (its value would hold the delimiter).
    assert_eq!(NOTE.parse_exact::<2>(&note), Some(["123456", "7"]));
    assert_eq!(ORDER.parse_exact::<1>(&note), None);
    let mut group = c.benchmark_group("key/parse, two placeholders");
    group.bench_function("template", |b| {
        b.iter(|| NOTE.parse_exact::<2>(black_box(&note)))
    });
    group.bench_function("hand-written", |b| {
        b.iter(|| {
            let (id, n) = black_box(&note).strip_prefix("ORDER#")?.split_once('#')?;
            let n = n.strip_prefix("NOTE#")?;
            (!n.contains('#')).then_some([id, n])
        })
    });
    group.finish();

    let mut group = c.benchmark_group("key/refuse a deeper key");
    group.bench_function("template", |b| {
        b.iter(|| ORDER.parse_exact::<1>(black_box(&note)))
    });
    group.bench_function("hand-written", |b| {
        b.iter(|| {
            black_box(&note)
                .strip_prefix("ORDER#")
                .filter(|id| !id.contains('#'))
        })
    });
    group.finish();

    let mut group = c.benchmark_group("key/Entity::matches");
    group.bench_function("an operation item", |b| {
        b.iter(|| Operation::matches(black_box(&item)))
    });
    group.bench_function("an account item, refused", |b| {
        b.iter(|| Operation::matches(black_box(&account_item)))
    });
    // The operation item's check by hand: each key has its prefix, and its value no `#`.
    group.bench_function("hand-written", |b| {
        b.iter(|| operation_matches_by_hand(black_box(&item)))
    });
    group.finish();
}

/// Whether an item is an operation's, written by hand as [`Entity::matches`] decides it.
fn operation_matches_by_hand(item: &Item) -> bool {
    let fits = |attribute: &str, prefix: &str| match item.get(attribute) {
        Some(AttributeValue::S(key)) => key
            .strip_prefix(prefix)
            .is_some_and(|value| !value.contains('#')),
        _ => false,
    };
    fits("PK", "ACCOUNT#") && fits("SK", "OPERATION#")
}

criterion_group! {
    name = benches;
    config = common::criterion(Duration::from_secs(2));
    targets = keys
}
criterion_main!(benches);
