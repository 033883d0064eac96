//! `#[derive(Entity)]`: turns a struct into a DynamoDB entity of `dynaschema`.
//!
//! Use it through the `dynaschema` crate, which re-exports it; its documentation
//! describes the options. The input is first read into a checked model
//! ([`internals`]), collecting every error at its span, then code is generated from the
//! model (`entity`).

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

mod entity;
mod internals;

/// Implements `dynaschema::Entity` and adds key builders and attribute handles.
///
/// See the `dynaschema` crate documentation for the options and an example.
#[proc_macro_derive(Entity, attributes(dynamo))]
pub fn derive_entity(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    entity::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
