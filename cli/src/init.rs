//! `init`: a schema.toml to start from, either a commented example or the schema of a
//! live table, so that an existing table can be adopted.
//!
//! ```
//! use dynaschema::Schema;
//! use dynaschema_cli::init::{to_toml, STARTER};
//!
//! let schema = Schema::parse(STARTER, "schema.toml")?;
//! // What `to_toml` writes reads back as the same schema.
//! assert_eq!(Schema::parse(&to_toml(&schema), "schema.toml")?, schema);
//! # Ok::<(), dynaschema::Error>(())
//! ```

use std::fmt::Write;

use dynaschema::{Billing, KeyAttribute, Projection, Schema, Throughput};

use crate::export::quoted;

/// A commented schema.toml to edit: a table with a partition and a sort key, on-demand,
/// and the settings it may have, commented out.
pub const STARTER: &str = r#"# The DynamoDB table: its keys, billing and indexes. `dynaschema plan` compares it with
# the live table, `dynaschema apply` creates the table or brings it to this file.
[table]
name = "my-table"
billing_mode = "PAY_PER_REQUEST"            # or "PROVISIONED" with throughput = { read = 5, write = 5 }
partition_key = { name = "PK", type = "S" } # S, N or B
sort_key = { name = "SK", type = "S" }      # optional
# ttl_attribute = "expires_at"              # items expire at this epoch-seconds Number
# stream = "NEW_AND_OLD_IMAGES"             # or KEYS_ONLY, NEW_IMAGE, OLD_IMAGE
# deletion_protection = true

# A global secondary index (up to 20).
# [[index]]
# name = "GSI1"
# partition_key = { name = "GSI1PK", type = "S" }
# sort_key = { name = "GSI1SK", type = "S" }
# projection = "ALL"                        # or "KEYS_ONLY", or "INCLUDE" with non_key_attributes = [...]

# A local secondary index (up to 5), created with the table only.
# [[local_index]]
# name = "ByCreation"
# sort_key = { name = "created_at", type = "S" }
# projection = "KEYS_ONLY"
"#;

/// `schema` as schema.toml text: what `Schema::parse` reads back as the same schema.
pub fn to_toml(schema: &Schema) -> String {
    let table = &schema.table;
    let mut out = String::from("[table]\n");
    line(&mut out, "name", &quoted(&table.name));
    match table.billing {
        Billing::PayPerRequest => line(&mut out, "billing_mode", "\"PAY_PER_REQUEST\""),
        Billing::Provisioned(throughput) => {
            line(&mut out, "billing_mode", "\"PROVISIONED\"");
            line(&mut out, "throughput", &capacity(throughput));
        }
    }
    line(&mut out, "partition_key", &key(&table.partition_key));
    if let Some(sort) = &table.sort_key {
        line(&mut out, "sort_key", &key(sort));
    }
    if let Some(attribute) = &table.ttl_attribute {
        line(&mut out, "ttl_attribute", &quoted(attribute));
    }
    if let Some(view) = table.stream {
        line(&mut out, "stream", &quoted(view.as_str()));
    }
    if table.deletion_protection {
        line(&mut out, "deletion_protection", "true");
    }
    for index in &schema.indexes {
        out.push_str("\n[[index]]\n");
        line(&mut out, "name", &quoted(&index.name));
        line(&mut out, "partition_key", &key(&index.partition_key));
        if let Some(sort) = &index.sort_key {
            line(&mut out, "sort_key", &key(sort));
        }
        projection(&mut out, &index.projection);
        if let Some(throughput) = index.throughput {
            line(&mut out, "throughput", &capacity(throughput));
        }
    }
    for index in &schema.local_indexes {
        out.push_str("\n[[local_index]]\n");
        line(&mut out, "name", &quoted(&index.name));
        line(&mut out, "sort_key", &key(&index.sort_key));
        projection(&mut out, &index.projection);
    }
    out
}

fn line(out: &mut String, key: &str, value: &str) {
    let _ = writeln!(out, "{key} = {value}");
}

fn key(attribute: &KeyAttribute) -> String {
    format!(
        "{{ name = {}, type = \"{}\" }}",
        quoted(&attribute.name),
        attribute.kind.as_str()
    )
}

fn capacity(throughput: Throughput) -> String {
    format!(
        "{{ read = {}, write = {} }}",
        throughput.read, throughput.write
    )
}

fn projection(out: &mut String, projection: &Projection) {
    match projection {
        Projection::All => line(out, "projection", "\"ALL\""),
        Projection::KeysOnly => line(out, "projection", "\"KEYS_ONLY\""),
        Projection::Include(attributes) => {
            line(out, "projection", "\"INCLUDE\"");
            let listed: Vec<String> = attributes.iter().map(|a| quoted(a)).collect();
            line(
                out,
                "non_key_attributes",
                &format!("[{}]", listed.join(", ")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::tests::{every_setting, ningipoints};

    #[test]
    fn a_schema_written_reads_back_the_same() {
        for schema in [every_setting(), ningipoints()] {
            let text = to_toml(&schema);
            assert_eq!(Schema::parse(&text, "init.toml").unwrap(), schema, "{text}");
        }
    }

    #[test]
    fn names_with_quotes_and_backslashes_survive() {
        let mut schema = ningipoints();
        schema.indexes[0].projection = Projection::Include(vec!["a\"b".into(), "c\\d".into()]);
        let text = to_toml(&schema);
        assert_eq!(Schema::parse(&text, "init.toml").unwrap(), schema, "{text}");
    }

    #[test]
    fn the_starter_is_a_valid_schema() {
        let schema = Schema::parse(STARTER, "schema.toml").unwrap();
        assert_eq!(schema.table.name, "my-table");
        assert!(schema.indexes.is_empty());
    }
}
