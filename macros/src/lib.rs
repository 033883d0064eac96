//! `#[derive(Entity)]`: turns a struct into a DynamoDB entity of `dynaschema`; and
//! `#[dynaschema::test]`, an async test with a fresh table on a local server.
//!
//! Use it through the `dynaschema` crate, which re-exports it; its documentation
//! describes the options. The input is first read into a checked model
//! (`internals`), collecting every error at its span, then code is generated from the
//! model (`entity`).

#![warn(missing_docs)]

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

mod collection;
mod entity;
mod internals;
mod test_attribute;

/// Implements `dynaschema::Entity` for a struct with named fields, and adds key
/// builders and attribute handles.
///
/// Struct options, in `#[dynamo(...)]`:
/// - `pk = "ACCOUNT#{id}"` (required) and `sk = "OPERATION#{created_at}"`: key templates
///   of literal text and `{field}` placeholders.
/// - `pk_attr = "PK"`, `sk_attr = "SK"`: the key attribute names (these are the defaults).
/// - `index(name = "GSI1", pk = "EMAIL#{email}", pk_attr = "GSI1PK", sk = ..., sk_attr = ...)`:
///   an index key written from a template into its own attribute; `pk = "{email}"`
///   without `pk_attr` keys the index on the field's own attribute. `partial`: the index
///   projects only part of the entity (read it untyped, with `.items()`).
/// - `entity_type = "Order"` (or `entity_type` alone: the struct's name), with
///   `entity_type_attr = "_type"` (the default): the type written on every item, which
///   an item must hold to be read as the entity; two entity types whose keys have the
///   same shape stay apart.
/// - `schema = "schema.toml"`: the table's schema, relative to the crate's `Cargo.toml`,
///   to check the options against at compile time: key and index attribute names, index
///   names, key types and index projections, each mismatch an error at its option.
///
/// Field options:
/// - `rename = "type"`: the attribute name.
/// - `key_only`: the value lives only in the key and is parsed back from it on read.
/// - `skip`, with `default = "path::to_fn"`: not stored; `Default::default()` (or the
///   function) on read.
/// - `serde`: stored through serde_dynamo, for any serde type.
/// - `version` (an unsigned integer): the item's version. A put requires the stored item
///   at the entity's version (none for 0) and writes the next; an update names the
///   version read (`u.expect_version(n)`) or skips the check by name
///   (`u.skip_version_check()`); a stale write is `Error::VersionConflict`.
/// - `created_at`, `updated_at` (a `Timestamp`): set by the toolkit in the same request,
///   the update time on every put and update, the creation time when a put creates the
///   item (`if_not_exists`, `put_new`, version 0) or an update finds it absent.
/// - `ttl` (an `Expiry`, or `Option<Expiry>`: `None` never expires): when the item
///   expires, stored as the epoch seconds DynamoDB's time to live reads; with `schema`,
///   checked to be the table's `ttl_attribute`. Reads leave expired items out with
///   `skip_expired()`.
///
/// Generated: `impl Entity`; `Type::key(fields..)` taking exactly the key's placeholder
/// fields (`&str` for `String`); `Type::partition(fields..)` for queries of the
/// entity's items in a partition; for each index, a query builder named after it in
/// snake case taking its partition-key fields (`Type::gsi1(order_id)`,
/// `Type::email_index(email)`) and its name as a constant (`Type::GSI1`); one `Attr`
/// const per stored field (`Type::BALANCE`).
/// A value that contains its template's delimiter is refused, never stored. Every
/// mistake in the options is a compile error at its span.
#[proc_macro_derive(Entity, attributes(dynamo))]
pub fn derive_entity(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    entity::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Implements `dynaschema::Collection` for an enum whose variants each hold one entity
/// type, so that a query reads them together: `table.query(AccountItem::partition(
/// Account::partition(id)))` reads the account and its operations in one request per
/// page, each item as the variant of its entity; items of no member are skipped.
///
/// The members must share a partition: the same partition-key template shape in the
/// table, or in an index they all declare (a compile error says when they do not).
/// Generated: `impl Readable`, `impl Collection`, `MemberOf` for each member, and
/// `Type::partition(member_partition)`.
#[proc_macro_derive(Collection)]
pub fn derive_collection(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    collection::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// An async test given a table of its own, provisioned from a schema.toml on the
/// process's shared embedded server (`dynaschema::local`). Tests run in parallel, each on
/// its own table, with nothing to start beforehand.
///
/// `#[dynaschema::test]` reads `schema.toml` in the crate's directory;
/// `#[dynaschema::test(schema = "tests/schema.toml")]` names another file, relative to
/// the crate's directory. The function is an `async fn` taking one `dynaschema::Table`;
/// it may return a `Result`, as any test may. Use it through the `dynaschema` crate
/// with its `local` feature.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    test_attribute::expand(args.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
