//! What the code `#[derive(Entity)]` and `#[dynaschema::test]` generate calls, and nothing
//! else: hidden from the documentation, not an API to call by hand.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::attribute::ValueError;
use crate::error::{Error, Result};
use crate::item::EntityType;
use crate::key::KeyTemplate;

/// The placeholder values of a key attribute of `item` if it fits `template`: what the
/// derive's `from_matching_item` reads keys with.
#[inline]
pub fn matching_key<'i, const N: usize>(
    template: &KeyTemplate,
    item: &'i HashMap<String, AttributeValue>,
) -> Option<[&'i str; N]> {
    match item.get(template.attribute()) {
        Some(AttributeValue::S(key)) => template.parse_exact(key),
        _ => None,
    }
}

/// Reads field `attribute` of entity `entity` from an item: what the derive's
/// `from_item` calls for each stored field.
#[inline]
pub fn decode_field<T>(
    entity: &'static str,
    attribute: &'static str,
    item: &HashMap<String, AttributeValue>,
    decode: impl FnOnce(&AttributeValue) -> std::result::Result<T, ValueError>,
    absent: impl FnOnce() -> std::result::Result<T, ValueError>,
) -> Result<T> {
    match item.get(attribute) {
        Some(value) => decode(value),
        None => absent(),
    }
    .map_err(|ValueError(message)| Error::Decode {
        entity,
        attribute,
        message,
    })
}

/// Reads the `N` placeholder values of a key attribute back: what the derive's
/// `from_item` calls for `key_only` fields.
#[inline]
pub fn key_values<'i, const N: usize>(
    entity: &'static str,
    template: &KeyTemplate,
    item: &'i HashMap<String, AttributeValue>,
) -> Result<[&'i str; N]> {
    let decode_error = |message: String| Error::Decode {
        entity,
        attribute: template.attribute(),
        message,
    };
    match item.get(template.attribute()) {
        Some(AttributeValue::S(key)) => template.parse_exact(key).ok_or_else(|| {
            decode_error(format!(
                "the key {key:?} does not fit the template {template}"
            ))
        }),
        Some(other) => Err(decode_error(format!(
            "expected a string key, found {}",
            crate::attribute::describe(other)
        ))),
        None => Err(decode_error("the key attribute is missing".to_owned())),
    }
}

/// The error of a `key_only` field whose text in the key does not parse.
pub fn key_field_error(
    entity: &'static str,
    template: &KeyTemplate,
    field: &str,
    err: ValueError,
) -> Error {
    Error::Decode {
        entity,
        attribute: template.attribute(),
        message: format!("field `{field}`: {}", err.0),
    }
}

/// The error of a field whose value cannot be stored: what the derive's `to_item`
/// reports when [`Attribute::put_into`](crate::Attribute::put_into) refuses.
#[cold]
pub fn encode_error(entity: &'static str, attribute: &'static str, err: ValueError) -> Error {
    Error::Encode {
        entity,
        attribute,
        message: err.0,
    }
}

/// The answer of [`Entity::index_key_text`](crate::Entity::index_key_text) for a field
/// that is in no index key, as the trait's default gives it.
#[cold]
pub fn not_in_an_index_key<T>(entity: &'static str, field: &str) -> Result<T> {
    Err(Error::Encode {
        entity,
        attribute: "",
        message: format!("field `{field}` is in no index key of {entity}"),
    })
}

/// Runs the body of a `#[dynaschema::test]` on a runtime of its own, with a fresh table
/// provisioned from the schema at `schema_path` on the
/// [shared](crate::local::LocalServer::shared) server. A table that cannot be set up
/// fails the test at the test.
#[cfg(feature = "local")]
#[track_caller]
pub fn run_test<F, Fut>(schema_path: &str, test_name: &str, body: F) -> Fut::Output
where
    F: FnOnce(crate::Table) -> Fut,
    Fut: std::future::Future,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a test runtime starts");
    let table = match runtime.block_on(crate::local::test_table(schema_path, test_name)) {
        Ok(table) => table,
        Err(e) => panic!("#[dynaschema::test] could not set up its table: {e}"),
    };
    runtime.block_on(body(table))
}

/// Whether an item holds the entity type `entity_type` (none: every item does): what
/// the derive's `from_matching_item` checks after the keys.
#[inline]
pub fn of_type(entity_type: Option<EntityType>, item: &HashMap<String, AttributeValue>) -> bool {
    entity_type.is_none_or(|entity_type| entity_type.holds(item))
}

/// The error of an item read as entity `entity` that does not hold its type: another
/// entity's item under the same key shape, or one written before the entity had a type.
#[inline]
pub fn check_type(
    entity: &'static str,
    entity_type: Option<EntityType>,
    item: &HashMap<String, AttributeValue>,
) -> Result<()> {
    let Some(entity_type) = entity_type.filter(|t| !t.holds(item)) else {
        return Ok(());
    };
    let found = match item.get(entity_type.attribute) {
        Some(value) => format!("it holds {}", crate::attribute::describe(value)),
        None => "it has none (an item written before the entity had a type gets one by a data migration)".to_owned(),
    };
    Err(Error::Decode {
        entity,
        attribute: entity_type.attribute,
        message: format!("the item is not a {}: {found}", entity_type.value),
    })
}

/// The integer types a `#[dynamo(version)]` field may have.
#[diagnostic::on_unimplemented(
    message = "a `version` field is an unsigned integer, such as u64, not `{Self}`",
    label = "not an unsigned integer"
)]
pub trait VersionNumber {
    /// The version as a `u64`.
    fn as_version(&self) -> u64;
}

macro_rules! version_number {
    ($($t:ty),*) => {$(
        impl VersionNumber for $t {
            #[inline]
            fn as_version(&self) -> u64 {
                *self as u64
            }
        }
    )*};
}
version_number!(u8, u16, u32, u64, usize);

/// The type of a `#[dynamo(created_at)]` or `#[dynamo(updated_at)]` field.
#[diagnostic::on_unimplemented(
    message = "a `created_at` or `updated_at` field is a `dynaschema::Timestamp`, not `{Self}`",
    label = "not a Timestamp"
)]
pub trait WriteTime {}

impl WriteTime for crate::timestamp::Timestamp {}

/// Checks at compile time that `T` may hold a write's time.
pub const fn write_time_field<T: WriteTime>() {}

/// The type of a `#[dynamo(ttl)]` field.
#[diagnostic::on_unimplemented(
    message = "a `ttl` field is a `dynaschema::Expiry` (or an `Option` of one), not `{Self}`",
    label = "not an Expiry"
)]
pub trait ExpiryField {}

impl ExpiryField for crate::expiry::Expiry {}
impl ExpiryField for Option<crate::expiry::Expiry> {}

/// Checks at compile time that `T` may hold an expiry.
pub const fn expiry_field<T: ExpiryField>() {}
