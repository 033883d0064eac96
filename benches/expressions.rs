//! Expressions: the condition and update of a debit, rendered with placeholders from
//! typed handles, against the same text and maps written by hand. See BENCHMARKS.md.

mod common;

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use criterion::{criterion_group, criterion_main, Criterion};
use dynaschema::expr::Expression;
use dynaschema::{Condition, Update};

use common::Account;

/// What an UpdateItem of a debit sends: update text, condition text, names, values.
type Rendered = (
    String,
    String,
    HashMap<String, String>,
    HashMap<String, AttributeValue>,
);

fn typed(amount: i64) -> Rendered {
    let update = Update::<Account>::new().add(Account::BALANCE, -amount);
    let condition = Condition::item_exists("PK").and(Account::BALANCE.ge(amount));
    let mut expression = Expression::default();
    let text = expression.update(&update).expect("renders");
    let condition = expression.condition(&condition).expect("renders");
    let (names, values) = expression.into_placeholders();
    (
        text,
        condition,
        names.expect("named"),
        values.expect("valued"),
    )
}

fn by_hand(amount: i64) -> Rendered {
    let mut names = HashMap::with_capacity(2);
    names.insert("#n0".to_owned(), "balance".to_owned());
    names.insert("#n1".to_owned(), "PK".to_owned());
    let mut values = HashMap::with_capacity(2);
    values.insert(":v0".to_owned(), AttributeValue::N((-amount).to_string()));
    values.insert(":v1".to_owned(), AttributeValue::N(amount.to_string()));
    (
        "ADD #n0 :v0".to_owned(),
        "(attribute_exists(#n1) AND #n0 >= :v1)".to_owned(),
        names,
        values,
    )
}

fn condition_tree() -> Condition<Account> {
    Account::BALANCE
        .between(10, 1_000)
        .and(Account::NAME.begins_with("cl"))
        .and(
            Account::EMAIL
                .exists()
                .or(Account::CREATED_AT.not_exists())
                .not(),
        )
}

fn expressions(c: &mut Criterion) {
    assert_eq!(typed(50), by_hand(50));

    let mut group = c.benchmark_group("expression/debit update");
    group.bench_function("typed", |b| b.iter(|| typed(black_box(50))));
    group.bench_function("hand-written", |b| b.iter(|| by_hand(black_box(50))));
    group.finish();

    let mut group = c.benchmark_group("expression/condition tree");
    group.bench_function("build", |b| b.iter(condition_tree));
    let tree = condition_tree();
    group.bench_function("render", |b| {
        b.iter(|| {
            let mut expression = Expression::default();
            expression.condition(black_box(&tree)).expect("renders")
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion(Duration::from_secs(2));
    targets = expressions
}
criterion_main!(benches);
