//! Item conversion: `to_item` and `from_item` of the derive against hand-written
//! `AttributeValue` code and serde_dynamo, for an account, an operation and an entity
//! with collections and a nested serde struct. See BENCHMARKS.md.

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

use common::{check_equivalent, Account, ByHand, Operation, Profile};

fn entity<E: ByHand + PartialEq + std::fmt::Debug>(c: &mut Criterion) {
    check_equivalent::<E>();
    let sample = E::sample();
    let item = sample.to_item().expect("the sample converts");

    let mut group = c.benchmark_group(format!("to_item/{}", E::ENTITY_NAME));
    // The produced item is dropped outside the measurement, the same for all three.
    group.bench_function("derive", |b| {
        b.iter_with_large_drop(|| black_box(&sample).to_item())
    });
    group.bench_function("hand-written", |b| {
        b.iter_with_large_drop(|| black_box(&sample).hand_to_item())
    });
    group.bench_function("serde_dynamo", |b| {
        b.iter_with_large_drop(|| black_box(&sample).serde_to_item())
    });
    group.finish();

    let mut group = c.benchmark_group(format!("from_item/{}", E::ENTITY_NAME));
    // The derive and the hand-written code read a borrowed item; serde_dynamo consumes
    // its own copy, made outside the measurement. Entities are dropped outside it too.
    group.bench_function("derive", |b| {
        b.iter_batched_ref(
            || item.clone(),
            |item| E::from_item(black_box(item)),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("hand-written", |b| {
        b.iter_batched_ref(
            || item.clone(),
            |item| E::hand_from_item(black_box(item)),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("serde_dynamo", |b| {
        b.iter_batched(
            || item.clone(),
            |item| E::serde_from_item(black_box(item)),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn conversion(c: &mut Criterion) {
    entity::<Account>(c);
    entity::<Operation>(c);
    entity::<Profile>(c);
}

criterion_group! {
    name = benches;
    config = common::criterion(Duration::from_secs(2));
    targets = conversion
}
criterion_main!(benches);
