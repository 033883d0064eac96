//! The table as a CloudFormation template: one `AWS::DynamoDB::Table` resource.
//!
//! The resource keeps the table when the stack is deleted or the resource replaced
//! (`DeletionPolicy` and `UpdateReplacePolicy` `Retain`): a table's items are data, not
//! something a template change should take away.

use dynaschema::{Billing, KeyAttribute, Projection, Schema, Throughput};

use crate::export::document::{map, text, Node};

/// The template, in the order CloudFormation's reference documents it.
pub(crate) fn template(schema: &Schema) -> Node {
    let table = &schema.table;
    let mut properties = vec![("TableName", text(&table.name))];
    let attributes = schema.key_attributes().into_iter().map(|key| {
        map([
            ("AttributeName", text(&key.name)),
            ("AttributeType", text(key.kind.as_str())),
        ])
    });
    properties.push(("AttributeDefinitions", Node::List(attributes.collect())));
    properties.push((
        "KeySchema",
        key_schema(&table.partition_key, table.sort_key.as_ref()),
    ));
    match table.billing {
        Billing::PayPerRequest => properties.push(("BillingMode", text("PAY_PER_REQUEST"))),
        Billing::Provisioned(throughput) => {
            properties.push(("BillingMode", text("PROVISIONED")));
            properties.push(("ProvisionedThroughput", capacity(throughput)));
        }
    }
    if !schema.indexes.is_empty() {
        let indexes = schema.indexes.iter().map(|index| {
            let mut entries = vec![
                ("IndexName", text(&index.name)),
                (
                    "KeySchema",
                    key_schema(&index.partition_key, index.sort_key.as_ref()),
                ),
                ("Projection", projection(&index.projection)),
            ];
            if let Some(throughput) = index.throughput {
                entries.push(("ProvisionedThroughput", capacity(throughput)));
            }
            map(entries)
        });
        properties.push(("GlobalSecondaryIndexes", Node::List(indexes.collect())));
    }
    if !schema.local_indexes.is_empty() {
        let indexes = schema.local_indexes.iter().map(|index| {
            map([
                ("IndexName", text(&index.name)),
                (
                    "KeySchema",
                    key_schema(&table.partition_key, Some(&index.sort_key)),
                ),
                ("Projection", projection(&index.projection)),
            ])
        });
        properties.push(("LocalSecondaryIndexes", Node::List(indexes.collect())));
    }
    if let Some(attribute) = &table.ttl_attribute {
        properties.push((
            "TimeToLiveSpecification",
            map([
                ("AttributeName", text(attribute)),
                ("Enabled", Node::Bool(true)),
            ]),
        ));
    }
    if let Some(view) = table.stream {
        properties.push((
            "StreamSpecification",
            map([("StreamViewType", text(view.as_str()))]),
        ));
    }
    properties.push((
        "DeletionProtectionEnabled",
        Node::Bool(table.deletion_protection),
    ));

    let id = logical_id(&table.name);
    let resource = map([
        ("Type", text("AWS::DynamoDB::Table")),
        ("DeletionPolicy", text("Retain")),
        ("UpdateReplacePolicy", text("Retain")),
        ("Properties", map(properties)),
    ]);
    let arn = map([
        (
            "Description",
            text(format!("The ARN of table {}", table.name)),
        ),
        (
            "Value",
            map([("Fn::GetAtt", Node::List(vec![text(&id), text("Arn")]))]),
        ),
    ]);
    map([
        ("AWSTemplateFormatVersion", text("2010-09-09")),
        (
            "Description",
            text(format!(
                "The DynamoDB table {}, as its schema.toml declares it",
                table.name
            )),
        ),
        ("Resources", map([(id.clone(), resource)])),
        ("Outputs", map([(format!("{id}Arn"), arn)])),
    ])
}

/// The template as JSON, indented, ending with a newline.
pub fn json(schema: &Schema) -> String {
    template(schema).to_json()
}

/// The template as YAML, ending with a newline. Strings are double-quoted, so that no
/// name or value is read as another type.
pub fn yaml(schema: &Schema) -> String {
    template(schema).to_yaml()
}

/// The resource's logical id: the table name's letters and digits, each part after a
/// `-`, `_` or `.` capitalised, then `Table` (`ningipoints` → `NingipointsTable`).
pub fn logical_id(table: &str) -> String {
    let mut id = String::new();
    let mut upper = true;
    for c in table.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else {
            upper = true;
        }
    }
    if !id.starts_with(|c: char| c.is_ascii_alphabetic()) {
        id.insert(0, 'T');
    }
    id.push_str("Table");
    id
}

fn key_schema(partition: &KeyAttribute, sort: Option<&KeyAttribute>) -> Node {
    let key = |attribute: &KeyAttribute, kind: &str| {
        map([
            ("AttributeName", text(&attribute.name)),
            ("KeyType", text(kind)),
        ])
    };
    let mut keys = vec![key(partition, "HASH")];
    keys.extend(sort.map(|sort| key(sort, "RANGE")));
    Node::List(keys)
}

/// An index's `Projection`, as CloudFormation and the DynamoDB API write it.
pub(crate) fn projection(projection: &Projection) -> Node {
    match projection {
        Projection::All => map([("ProjectionType", text("ALL"))]),
        Projection::KeysOnly => map([("ProjectionType", text("KEYS_ONLY"))]),
        Projection::Include(attributes) => map([
            ("ProjectionType", text("INCLUDE")),
            (
                "NonKeyAttributes",
                Node::List(attributes.iter().map(text).collect()),
            ),
        ]),
    }
}

/// A `ProvisionedThroughput`, as CloudFormation and the DynamoDB API write it.
pub(crate) fn capacity(throughput: Throughput) -> Node {
    map([
        ("ReadCapacityUnits", Node::Int(throughput.read)),
        ("WriteCapacityUnits", Node::Int(throughput.write)),
    ])
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::export::tests::{every_setting, ningipoints};

    #[test]
    fn every_setting_of_the_schema_is_in_the_template() {
        let schema = every_setting();
        let template: Value = serde_json::from_str(&json(&schema)).unwrap();
        assert_eq!(template["AWSTemplateFormatVersion"], "2010-09-09");
        let resource = &template["Resources"]["OrdersProdTable"];
        assert_eq!(resource["Type"], "AWS::DynamoDB::Table");
        assert_eq!(resource["DeletionPolicy"], "Retain");
        assert_eq!(resource["UpdateReplacePolicy"], "Retain");
        let p = &resource["Properties"];
        assert_eq!(p["TableName"], "orders-prod");
        assert_eq!(p["BillingMode"], "PROVISIONED");
        assert_eq!(
            p["ProvisionedThroughput"],
            json!({ "ReadCapacityUnits": 5, "WriteCapacityUnits": 4 })
        );
        assert_eq!(
            p["KeySchema"],
            json!([{ "AttributeName": "PK", "KeyType": "HASH" }, { "AttributeName": "SK", "KeyType": "RANGE" }])
        );
        let defined: Vec<(String, String)> = p["AttributeDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["AttributeName"].as_str().unwrap().to_owned(),
                    a["AttributeType"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let expected: Vec<(String, String)> = schema
            .key_attributes()
            .iter()
            .map(|k| (k.name.clone(), k.kind.as_str().to_owned()))
            .collect();
        assert_eq!(defined, expected);
        assert!(
            defined.contains(&("created".into(), "N".into())),
            "{defined:?}"
        );

        let gsis = p["GlobalSecondaryIndexes"].as_array().unwrap();
        assert_eq!(gsis.len(), schema.indexes.len());
        for (gsi, index) in gsis.iter().zip(&schema.indexes) {
            assert_eq!(gsi["IndexName"], index.name.as_str());
            assert_eq!(
                gsi["KeySchema"][0]["AttributeName"],
                index.partition_key.name.as_str()
            );
            let throughput = index.throughput.unwrap();
            assert_eq!(
                gsi["ProvisionedThroughput"]["ReadCapacityUnits"],
                throughput.read
            );
            assert_eq!(
                gsi["ProvisionedThroughput"]["WriteCapacityUnits"],
                throughput.write
            );
        }
        assert_eq!(
            gsis[0]["Projection"],
            json!({ "ProjectionType": "INCLUDE", "NonKeyAttributes": ["status", "total"] })
        );
        assert_eq!(
            gsis[0]["KeySchema"][1],
            json!({ "AttributeName": "GSI1SK", "KeyType": "RANGE" })
        );
        assert_eq!(
            gsis[1]["Projection"],
            json!({ "ProjectionType": "KEYS_ONLY" })
        );
        assert_eq!(gsis[1]["KeySchema"].as_array().unwrap().len(), 1);

        let lsis = p["LocalSecondaryIndexes"].as_array().unwrap();
        assert_eq!(
            lsis[0],
            json!({
                "IndexName": "ByCreation",
                "KeySchema": [{ "AttributeName": "PK", "KeyType": "HASH" }, { "AttributeName": "created", "KeyType": "RANGE" }],
                "Projection": { "ProjectionType": "ALL" },
            })
        );
        assert_eq!(
            p["TimeToLiveSpecification"],
            json!({ "AttributeName": "expires_at", "Enabled": true })
        );
        assert_eq!(
            p["StreamSpecification"],
            json!({ "StreamViewType": "NEW_AND_OLD_IMAGES" })
        );
        assert_eq!(p["DeletionProtectionEnabled"], true);
        assert_eq!(
            template["Outputs"]["OrdersProdTableArn"]["Value"],
            json!({ "Fn::GetAtt": ["OrdersProdTable", "Arn"] })
        );
    }

    #[test]
    fn an_on_demand_table_has_no_capacity_and_leaves_out_what_it_does_not_have() {
        let template: Value = serde_json::from_str(&json(&ningipoints())).unwrap();
        let p = &template["Resources"]["NingipointsTable"]["Properties"];
        assert_eq!(p["BillingMode"], "PAY_PER_REQUEST");
        for absent in [
            "ProvisionedThroughput",
            "LocalSecondaryIndexes",
            "TimeToLiveSpecification",
            "StreamSpecification",
        ] {
            assert!(p.get(absent).is_none(), "{absent} in {p}");
        }
        assert!(p["GlobalSecondaryIndexes"][0]
            .get("ProvisionedThroughput")
            .is_none());
        assert_eq!(p["DeletionProtectionEnabled"], false);
    }

    #[test]
    fn yaml_is_the_same_template_in_block_style() {
        let text = yaml(&ningipoints());
        let expected = r#"AWSTemplateFormatVersion: "2010-09-09"
Description: "The DynamoDB table ningipoints, as its schema.toml declares it"
Resources:
  NingipointsTable:
    Type: "AWS::DynamoDB::Table"
    DeletionPolicy: "Retain"
    UpdateReplacePolicy: "Retain"
    Properties:
      TableName: "ningipoints"
      AttributeDefinitions:
        - AttributeName: "PK"
          AttributeType: "S"
        - AttributeName: "SK"
          AttributeType: "S"
        - AttributeName: "email"
          AttributeType: "S"
      KeySchema:
        - AttributeName: "PK"
          KeyType: "HASH"
        - AttributeName: "SK"
          KeyType: "RANGE"
      BillingMode: "PAY_PER_REQUEST"
      GlobalSecondaryIndexes:
        - IndexName: "EmailIndex"
          KeySchema:
            - AttributeName: "email"
              KeyType: "HASH"
          Projection:
            ProjectionType: "ALL"
      DeletionProtectionEnabled: false
Outputs:
  NingipointsTableArn:
    Description: "The ARN of table ningipoints"
    Value:
      Fn::GetAtt:
        - "NingipointsTable"
        - "Arn"
"#;
        assert_eq!(text, expected);
    }

    #[test]
    fn logical_ids_are_alphanumeric_and_start_with_a_letter() {
        assert_eq!(logical_id("ningipoints"), "NingipointsTable");
        assert_eq!(logical_id("orders-prod.v2_x"), "OrdersProdV2XTable");
        assert_eq!(logical_id("2024-events"), "T2024EventsTable");
    }
}
