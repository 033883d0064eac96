//! The command line of dynaschema, for any project's schema.toml.
//!
//! So far it holds [`export`]: the table a schema.toml describes, written as a
//! CloudFormation template (JSON or YAML) or a Terraform resource, for teams whose
//! production tables are deployed by infrastructure-as-code, so that schema.toml stays
//! the one source of truth.
#![warn(missing_docs)]

pub mod export;
