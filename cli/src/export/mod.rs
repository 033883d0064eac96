//! A schema.toml's table in the formats infrastructure-as-code tools read.
//!
//! ```
//! use dynaschema::Schema;
//! use dynaschema_cli::export::{export, Format};
//!
//! let schema = Schema::parse(
//!     "[table]\nname = \"orders\"\npartition_key = { name = \"PK\", type = \"S\" }\n",
//!     "schema.toml",
//! )?;
//! let template = export(&schema, Format::CloudFormationYaml);
//! assert!(template.contains("Type: \"AWS::DynamoDB::Table\""));
//! let terraform = export(&schema, Format::Terraform);
//! assert!(terraform.starts_with("resource \"aws_dynamodb_table\" \"orders\" {"));
//! let model = export(&schema, Format::Workbench);
//! assert!(model.contains("\"TableName\": \"orders\""));
//! # Ok::<(), dynaschema::Error>(())
//! ```

pub mod cloudformation;
mod document;
pub mod terraform;
pub mod workbench;

pub(crate) use document::quoted;
use dynaschema::Schema;

/// The formats a table can be exported to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A CloudFormation template with one `AWS::DynamoDB::Table`, as JSON.
    CloudFormationJson,
    /// The same template as YAML.
    CloudFormationYaml,
    /// A Terraform `aws_dynamodb_table` resource, as HCL.
    Terraform,
    /// A NoSQL Workbench data model, as JSON, stamped with [`workbench::stamp`]. It has
    /// no place for some settings: [`workbench::left_out`] names them.
    Workbench,
}

/// The table of `schema` in `format`, ending with a newline.
pub fn export(schema: &Schema, format: Format) -> String {
    match format {
        Format::CloudFormationJson => cloudformation::json(schema),
        Format::CloudFormationYaml => cloudformation::yaml(schema),
        Format::Terraform => terraform::hcl(schema),
        Format::Workbench => workbench::json(schema, workbench::stamp()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use dynaschema::Schema;

    /// The repository's ningipoints schema.
    pub(crate) fn ningipoints() -> Schema {
        Schema::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.toml")).unwrap()
    }

    /// A schema with every setting schema.toml has.
    pub(crate) fn every_setting() -> Schema {
        Schema::parse(
            r#"
[table]
name = "orders-prod"
billing_mode = "PROVISIONED"
throughput = { read = 5, write = 4 }
partition_key = { name = "PK", type = "S" }
sort_key = { name = "SK", type = "S" }
ttl_attribute = "expires_at"
stream = "NEW_AND_OLD_IMAGES"
deletion_protection = true

[[index]]
name = "GSI1"
partition_key = { name = "GSI1PK", type = "S" }
sort_key = { name = "GSI1SK", type = "S" }
projection = "INCLUDE"
non_key_attributes = ["total", "status"]
throughput = { read = 2, write = 1 }

[[index]]
name = "GSI2"
partition_key = { name = "GSI2PK", type = "B" }
projection = "KEYS_ONLY"
throughput = { read = 3, write = 3 }

[[local_index]]
name = "ByCreation"
sort_key = { name = "created", type = "N" }
projection = "ALL"
"#,
            "every-setting.toml",
        )
        .unwrap()
    }
}
