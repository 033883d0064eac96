//! Procedural macros of dynaschema.
//!
//! This crate is the home of `#[derive(Entity)]`, which turns annotated structs into
//! DynamoDB entities. It exports no macro yet; use the `dynaschema` crate, which will
//! re-export it.
