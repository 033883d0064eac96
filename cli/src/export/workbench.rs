//! The table as a NoSQL Workbench data model (format version 3.0), for its data modeler
//! and visualizer: the table's keys, billing and global secondary indexes, and the
//! attributes those keys and projections name, with no sample data.
//!
//! The format has no place for local secondary indexes, TTL, the stream, deletion
//! protection or an index's own capacity; [`left_out`] names those a schema has, and the
//! CloudFormation and Terraform exports keep them.

use dynaschema::{Billing, KeyAttribute, Projection, Schema, Timestamp};

use crate::export::cloudformation::{capacity, projection};
use crate::export::document::{map, text, Node};

/// The model as JSON, indented, ending with a newline; `date` is its creation and
/// modification date.
pub fn json(schema: &Schema, date: Timestamp) -> String {
    model(schema, date).to_json()
}

/// The date a model is stamped with: `$SOURCE_DATE_EPOCH` (seconds) when set, so that a
/// committed export is reproducible, else now.
pub fn stamp() -> Timestamp {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|seconds| seconds.trim().parse::<i64>().ok())
        .map_or_else(Timestamp::now, |seconds| {
            Timestamp::from_unix_micros(seconds.saturating_mul(1_000_000))
        })
}

/// What of `schema` a Workbench model cannot hold, a phrase each, in schema order.
pub fn left_out(schema: &Schema) -> Vec<String> {
    let table = &schema.table;
    let mut left = Vec::new();
    for index in &schema.local_indexes {
        left.push(format!("local index {}", index.name));
    }
    if let Some(attribute) = &table.ttl_attribute {
        left.push(format!("TTL on {attribute}"));
    }
    if let Some(view) = table.stream {
        left.push(format!("stream {}", view.as_str()));
    }
    if table.deletion_protection {
        left.push("deletion protection".into());
    }
    for index in schema.indexes.iter().filter(|i| i.throughput.is_some()) {
        left.push(format!("index {}'s own capacity", index.name));
    }
    left
}

/// The attributes that an INCLUDE projection names and no key defines: schema.toml has
/// no type for them, so the model gives them as strings (S).
pub fn untyped_attributes(schema: &Schema) -> Vec<&str> {
    let keys = schema.key_attributes();
    let projections = (schema.indexes.iter().map(|index| &index.projection))
        .chain(schema.local_indexes.iter().map(|index| &index.projection));
    let mut names = Vec::<&str>::new();
    for projection in projections {
        let Projection::Include(attributes) = projection else {
            continue;
        };
        for name in attributes {
            let known = keys.iter().any(|key| &key.name == name)
                || schema.table.ttl_attribute.as_ref() == Some(name);
            if !known && !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    names
}

fn model(schema: &Schema, date: Timestamp) -> Node {
    let table = &schema.table;
    let date = workbench_date(date);
    let metadata = map([
        ("Author", text("")),
        ("DateCreated", text(&date)),
        ("DateLastModified", text(&date)),
        (
            "Description",
            text(format!(
                "The DynamoDB table {}, as its schema.toml declares it",
                table.name
            )),
        ),
        ("AWSService", text("Amazon DynamoDB")),
        ("Version", text("3.0")),
    ]);

    let table_keys = [Some(&table.partition_key), table.sort_key.as_ref()];
    let is_table_key = |name: &str| table_keys.iter().flatten().any(|key| key.name == name);
    let mut attributes: Vec<Node> = schema
        .key_attributes()
        .into_iter()
        .filter(|key| !is_table_key(&key.name))
        .map(|key| attribute(&key.name, key.kind.as_str()))
        .collect();
    if let Some(ttl) = &table.ttl_attribute
        && !schema.key_attributes().iter().any(|key| &key.name == ttl)
    {
        attributes.push(attribute(ttl, "N"));
    }
    attributes.extend(
        untyped_attributes(schema)
            .into_iter()
            .map(|name| attribute(name, "S")),
    );

    let mut entries = vec![
        ("TableName", text(&table.name)),
        (
            "KeyAttributes",
            key_attributes(&table.partition_key, table.sort_key.as_ref()),
        ),
        ("NonKeyAttributes", Node::List(attributes)),
    ];
    if !schema.indexes.is_empty() {
        let indexes = schema.indexes.iter().map(|index| {
            map([
                ("IndexName", text(&index.name)),
                (
                    "KeyAttributes",
                    key_attributes(&index.partition_key, index.sort_key.as_ref()),
                ),
                ("Projection", projection(&index.projection)),
            ])
        });
        entries.push(("GlobalSecondaryIndexes", Node::List(indexes.collect())));
    }
    entries.push(("TableData", Node::List(Vec::new())));
    entries.push(("DataAccess", map([("MySql", map::<&str>([]))])));
    match table.billing {
        Billing::PayPerRequest => entries.push(("BillingMode", text("PAY_PER_REQUEST"))),
        Billing::Provisioned(throughput) => {
            entries.push(("BillingMode", text("PROVISIONED")));
            entries.push((
                "ProvisionedCapacitySettings",
                map([("ProvisionedThroughput", capacity(throughput))]),
            ));
        }
    }

    map([
        ("ModelName", text(&table.name)),
        ("ModelMetadata", metadata),
        ("DataModel", Node::List(vec![map(entries)])),
    ])
}

fn attribute(name: &str, kind: &str) -> Node {
    map([("AttributeName", text(name)), ("AttributeType", text(kind))])
}

fn key_attributes(partition: &KeyAttribute, sort: Option<&KeyAttribute>) -> Node {
    let key = |key: &KeyAttribute| attribute(&key.name, key.kind.as_str());
    let mut entries = vec![("PartitionKey", key(partition))];
    entries.extend(sort.map(|sort| ("SortKey", key(sort))));
    map(entries)
}

/// `date` as the Workbench writes its dates, in UTC: `Dec 01, 2026, 06:47 PM`.
fn workbench_date(date: Timestamp) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    // Timestamp prints as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    let iso = date.to_string();
    let number = |range: std::ops::Range<usize>| iso[range].parse::<usize>().expect("digits");
    let (hour, minute) = (number(11..13), number(14..16));
    let (noon, hour12) = (hour >= 12, (hour + 11) % 12 + 1);
    format!(
        "{} {}, {}, {hour12:02}:{minute:02} {}",
        MONTHS[number(5..7) - 1],
        &iso[8..10],
        &iso[0..4],
        if noon { "PM" } else { "AM" }
    )
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::export::tests::{every_setting, ningipoints};

    fn december_first() -> Timestamp {
        Timestamp::parse("2026-12-01T18:47:51.000000Z").unwrap()
    }

    #[test]
    fn every_setting_the_format_holds_is_in_the_model() {
        let schema = every_setting();
        let model: Value = serde_json::from_str(&json(&schema, december_first())).unwrap();
        assert_eq!(model["ModelName"], "orders-prod");
        assert_eq!(
            model["ModelMetadata"],
            json!({
                "Author": "",
                "DateCreated": "Dec 01, 2026, 06:47 PM",
                "DateLastModified": "Dec 01, 2026, 06:47 PM",
                "Description": "The DynamoDB table orders-prod, as its schema.toml declares it",
                "AWSService": "Amazon DynamoDB",
                "Version": "3.0"
            })
        );
        let tables = model["DataModel"].as_array().unwrap();
        assert_eq!(tables.len(), 1);
        let table = &tables[0];
        assert_eq!(table["TableName"], "orders-prod");
        assert_eq!(
            table["KeyAttributes"],
            json!({
                "PartitionKey": { "AttributeName": "PK", "AttributeType": "S" },
                "SortKey": { "AttributeName": "SK", "AttributeType": "S" }
            })
        );
        let attribute =
            |name: &str, kind: &str| json!({ "AttributeName": name, "AttributeType": kind });
        assert_eq!(
            table["NonKeyAttributes"],
            json!([
                attribute("GSI1PK", "S"),
                attribute("GSI1SK", "S"),
                attribute("GSI2PK", "B"),
                attribute("created", "N"),
                attribute("expires_at", "N"),
                attribute("status", "S"),
                attribute("total", "S"),
            ])
        );
        assert_eq!(
            table["GlobalSecondaryIndexes"],
            json!([
                {
                    "IndexName": "GSI1",
                    "KeyAttributes": {
                        "PartitionKey": attribute("GSI1PK", "S"),
                        "SortKey": attribute("GSI1SK", "S")
                    },
                    "Projection": { "ProjectionType": "INCLUDE", "NonKeyAttributes": ["status", "total"] }
                },
                {
                    "IndexName": "GSI2",
                    "KeyAttributes": { "PartitionKey": attribute("GSI2PK", "B") },
                    "Projection": { "ProjectionType": "KEYS_ONLY" }
                }
            ])
        );
        assert_eq!(table["TableData"], json!([]));
        assert_eq!(table["DataAccess"], json!({ "MySql": {} }));
        assert_eq!(table["BillingMode"], "PROVISIONED");
        assert_eq!(
            table["ProvisionedCapacitySettings"],
            json!({ "ProvisionedThroughput": { "ReadCapacityUnits": 5, "WriteCapacityUnits": 4 } })
        );
    }

    #[test]
    fn what_the_format_cannot_hold_is_named() {
        assert_eq!(
            left_out(&every_setting()),
            [
                "local index ByCreation",
                "TTL on expires_at",
                "stream NEW_AND_OLD_IMAGES",
                "deletion protection",
                "index GSI1's own capacity",
                "index GSI2's own capacity",
            ]
        );
        assert_eq!(untyped_attributes(&every_setting()), ["status", "total"]);
        assert!(untyped_attributes(&ningipoints()).is_empty());
    }

    #[test]
    fn ningipoints_is_on_demand_with_its_email_index() {
        let schema = ningipoints();
        let model: Value = serde_json::from_str(&json(&schema, december_first())).unwrap();
        let table = &model["DataModel"][0];
        assert_eq!(table["TableName"], schema.table.name.as_str());
        assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
        assert!(table.get("ProvisionedCapacitySettings").is_none());
        let indexes = table["GlobalSecondaryIndexes"].as_array().unwrap();
        let names: Vec<_> = indexes.iter().map(|i| i["IndexName"].clone()).collect();
        let expected: Vec<_> = schema.indexes.iter().map(|i| json!(i.name)).collect();
        assert_eq!(names, expected);
        for (index, declared) in indexes.iter().zip(&schema.indexes) {
            assert_eq!(
                index["KeyAttributes"]["PartitionKey"]["AttributeName"],
                declared.partition_key.name.as_str()
            );
        }
    }

    #[test]
    fn dates_are_twelve_hour_utc() {
        let at = |iso: &str| workbench_date(Timestamp::parse(iso).unwrap());
        assert_eq!(at("2026-01-09T00:05:00.000000Z"), "Jan 09, 2026, 12:05 AM");
        assert_eq!(at("2026-07-31T12:00:59.999999Z"), "Jul 31, 2026, 12:00 PM");
        assert_eq!(at("1999-12-31T23:59:00.000000Z"), "Dec 31, 1999, 11:59 PM");
    }
}
