//! The command line of dynaschema, for any project's schema.toml.
//!
//! [`app`] is the whole command line, for the `dynaschema` binary and for an application's
//! own program with its data migrations compiled in; it is made of [`commands`] and
//! [`export`]: the table a schema.toml describes, written as a
//! CloudFormation template (JSON or YAML) or a Terraform resource, for teams whose
//! production tables are deployed by infrastructure-as-code, so that schema.toml stays
//! the one source of truth; and [`init`], a schema.toml written from a live table, so that
//! an existing table can be adopted; [`endpoint`], the flags that choose where a program
//! talks, shared with an application's own programs.
#![warn(missing_docs)]

pub mod app;
pub mod commands;
pub mod endpoint;
pub mod export;
pub mod init;
pub mod report;
