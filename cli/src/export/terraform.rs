//! The table as a Terraform `aws_dynamodb_table` resource, in HCL.
//!
//! `lifecycle { prevent_destroy = true }` keeps `terraform destroy` and replacements
//! from taking the table's items away.

use dynaschema::{Billing, Projection, Schema, Throughput};

use crate::export::document::quoted;

/// The resource as HCL, ending with a newline.
pub fn hcl(schema: &Schema) -> String {
    let table = &schema.table;
    let mut out = format!(
        "resource \"aws_dynamodb_table\" \"{}\" {{\n",
        label(&table.name)
    );
    let line = |out: &mut String, indent: usize, key: &str, value: String| {
        out.push_str(&format!("{}{key} = {value}\n", " ".repeat(indent)));
    };
    line(&mut out, 2, "name", hcl_string(&table.name));
    match table.billing {
        Billing::PayPerRequest => line(&mut out, 2, "billing_mode", hcl_string("PAY_PER_REQUEST")),
        Billing::Provisioned(throughput) => {
            line(&mut out, 2, "billing_mode", hcl_string("PROVISIONED"));
            capacity(&mut out, 2, throughput);
        }
    }
    line(
        &mut out,
        2,
        "hash_key",
        hcl_string(&table.partition_key.name),
    );
    if let Some(sort) = &table.sort_key {
        line(&mut out, 2, "range_key", hcl_string(&sort.name));
    }
    line(
        &mut out,
        2,
        "deletion_protection_enabled",
        table.deletion_protection.to_string(),
    );
    if let Some(view) = table.stream {
        line(&mut out, 2, "stream_enabled", "true".into());
        line(&mut out, 2, "stream_view_type", hcl_string(view.as_str()));
    }

    for key in schema.key_attributes() {
        out.push_str("\n  attribute {\n");
        line(&mut out, 4, "name", hcl_string(&key.name));
        line(&mut out, 4, "type", hcl_string(key.kind.as_str()));
        out.push_str("  }\n");
    }
    for index in &schema.indexes {
        out.push_str("\n  global_secondary_index {\n");
        line(&mut out, 4, "name", hcl_string(&index.name));
        line(
            &mut out,
            4,
            "hash_key",
            hcl_string(&index.partition_key.name),
        );
        if let Some(sort) = &index.sort_key {
            line(&mut out, 4, "range_key", hcl_string(&sort.name));
        }
        projection(&mut out, &index.projection);
        if let Some(throughput) = index.throughput {
            capacity(&mut out, 4, throughput);
        }
        out.push_str("  }\n");
    }
    for index in &schema.local_indexes {
        out.push_str("\n  local_secondary_index {\n");
        line(&mut out, 4, "name", hcl_string(&index.name));
        line(&mut out, 4, "range_key", hcl_string(&index.sort_key.name));
        projection(&mut out, &index.projection);
        out.push_str("  }\n");
    }
    if let Some(attribute) = &table.ttl_attribute {
        out.push_str("\n  ttl {\n");
        line(&mut out, 4, "attribute_name", hcl_string(attribute));
        line(&mut out, 4, "enabled", "true".into());
        out.push_str("  }\n");
    }
    out.push_str("\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n");
    out
}

/// The resource's name in Terraform: the table name with `.` as `_`, and a leading `t_`
/// when it does not start with a letter or `_` (`orders.v2` → `orders_v2`).
pub fn label(table: &str) -> String {
    let label: String = table
        .chars()
        .map(|c| if c == '.' { '_' } else { c })
        .collect();
    if label.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        label
    } else {
        format!("t_{label}")
    }
}

fn projection(out: &mut String, projection: &Projection) {
    match projection {
        Projection::All => out.push_str("    projection_type = \"ALL\"\n"),
        Projection::KeysOnly => out.push_str("    projection_type = \"KEYS_ONLY\"\n"),
        Projection::Include(attributes) => {
            let listed: Vec<String> = attributes.iter().map(|a| hcl_string(a)).collect();
            out.push_str("    projection_type = \"INCLUDE\"\n");
            out.push_str(&format!(
                "    non_key_attributes = [{}]\n",
                listed.join(", ")
            ));
        }
    }
}

fn capacity(out: &mut String, indent: usize, throughput: Throughput) {
    let pad = " ".repeat(indent);
    out.push_str(&format!("{pad}read_capacity = {}\n", throughput.read));
    out.push_str(&format!("{pad}write_capacity = {}\n", throughput.write));
}

/// `value` as an HCL string: JSON's escapes, and `${` and `%{` doubled so that they are
/// not read as interpolation or a directive.
fn hcl_string(value: &str) -> String {
    quoted(value).replace("${", "$${").replace("%{", "%%{")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::tests::{every_setting, ningipoints};

    #[test]
    fn every_setting_of_the_schema_is_in_the_resource() {
        let text = hcl(&every_setting());
        let expected = r#"resource "aws_dynamodb_table" "orders-prod" {
  name = "orders-prod"
  billing_mode = "PROVISIONED"
  read_capacity = 5
  write_capacity = 4
  hash_key = "PK"
  range_key = "SK"
  deletion_protection_enabled = true
  stream_enabled = true
  stream_view_type = "NEW_AND_OLD_IMAGES"

  attribute {
    name = "PK"
    type = "S"
  }

  attribute {
    name = "SK"
    type = "S"
  }

  attribute {
    name = "GSI1PK"
    type = "S"
  }

  attribute {
    name = "GSI1SK"
    type = "S"
  }

  attribute {
    name = "GSI2PK"
    type = "B"
  }

  attribute {
    name = "created"
    type = "N"
  }

  global_secondary_index {
    name = "GSI1"
    hash_key = "GSI1PK"
    range_key = "GSI1SK"
    projection_type = "INCLUDE"
    non_key_attributes = ["status", "total"]
    read_capacity = 2
    write_capacity = 1
  }

  global_secondary_index {
    name = "GSI2"
    hash_key = "GSI2PK"
    projection_type = "KEYS_ONLY"
    read_capacity = 3
    write_capacity = 3
  }

  local_secondary_index {
    name = "ByCreation"
    range_key = "created"
    projection_type = "ALL"
  }

  ttl {
    attribute_name = "expires_at"
    enabled = true
  }

  lifecycle {
    prevent_destroy = true
  }
}
"#;
        assert_eq!(text, expected);
    }

    #[test]
    fn an_on_demand_table_leaves_out_what_it_does_not_have() {
        let text = hcl(&ningipoints());
        assert!(text.starts_with("resource \"aws_dynamodb_table\" \"ningipoints\" {\n"));
        assert!(
            text.contains("  billing_mode = \"PAY_PER_REQUEST\"\n"),
            "{text}"
        );
        for absent in ["capacity", "stream", "ttl {", "local_secondary_index"] {
            assert!(!text.contains(absent), "{absent} in {text}");
        }
        assert!(text.contains("    hash_key = \"email\"\n    projection_type = \"ALL\"\n"));
        assert!(text.contains("deletion_protection_enabled = false"));
    }

    #[test]
    fn labels_and_strings_are_valid_hcl() {
        assert_eq!(label("orders.v2"), "orders_v2");
        assert_eq!(label("2024-events"), "t_2024-events");
        assert_eq!(hcl_string("a\"${b}%{c}"), r#""a\"$${b}%%{c}""#);
    }
}
