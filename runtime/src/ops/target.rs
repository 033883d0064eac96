//! Where a query reads: the table or an index (global or local), its partition key as
//! the type the schema declares, and its sort keys; and whether an index's items can be
//! read as the type asked for, and their expiry told.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::{quoted, Error, Result};
use crate::expr::Condition;
use crate::item::Readable;
use crate::key::SortKeyMatch;
use crate::schema::{KeyType, SecondaryIndex};
use crate::table::Table;

/// Where a query reads: the table or an index, the partition key, and the sort keys.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) index: Option<String>,
    /// Whether the target offers strongly consistent reads: the table and its local
    /// secondary indexes do, global ones do not.
    pub(crate) consistent_reads: bool,
    pub(crate) partition_key: (String, AttributeValue),
    pub(crate) sort_key: Option<(String, KeyType)>,
    pub(crate) base: SortKeyMatch,
}

/// A key value as the attribute type the schema declares for it. An empty value, which
/// DynamoDB refuses in a key condition, is refused here.
pub(crate) fn scalar(kind: KeyType, text: String) -> std::result::Result<AttributeValue, String> {
    if text.is_empty() {
        return Err(
            "is given an empty value, which DynamoDB refuses in a key condition".to_owned(),
        );
    }
    match kind {
        KeyType::S => Ok(AttributeValue::S(text)),
        KeyType::N if text.trim().parse::<f64>().is_ok_and(f64::is_finite) => {
            Ok(AttributeValue::N(text))
        }
        KeyType::N => Err(format!("is a number, which {text:?} is not")),
        KeyType::B => Err("is binary, which a query value given as text cannot match".to_owned()),
    }
}

/// Where a query of index `name` reads: its partition key `value` as the type the
/// schema declares, and which of its sort keys (`base`). `attribute` is the partition
/// key attribute an entity writes, checked against the schema's, as is `base`'s sort key.
pub(crate) fn index_target(
    table: &Table,
    name: &str,
    attribute: Option<&str>,
    value: String,
    base: SortKeyMatch,
) -> Result<Target> {
    let error = |message: String| refusal(table, name, message);
    let Some(index) = table.schema().secondary_index(name) else {
        return Err(no_such_index(table, name));
    };
    let key = index.partition_key;
    if let Some(attribute) = attribute.filter(|a| *a != key.name) {
        return Err(error(format!(
            "its partition key is `{}`, but the entity writes its index key to `{attribute}`; \
             correct pk_attr (or schema.toml)",
            key.name
        )));
    }
    if let SortKeyMatch::Equals(attribute, _) | SortKeyMatch::BeginsWith(attribute, _) = &base {
        let sort_key = index.sort_key.map(|k| k.name.as_str());
        if sort_key != Some(*attribute) {
            return Err(error(match sort_key {
                Some(sort_key) => format!(
                    "its sort key is `{sort_key}`, but the entity writes its index sort key \
                     to `{attribute}`; correct sk_attr (or schema.toml)"
                ),
                None => format!("it has no sort key, but the entity writes one to `{attribute}`"),
            }));
        }
    }
    let value = scalar(key.kind, value)
        .map_err(|message| error(format!("its key `{}` {message}", key.name)))?;
    Ok(Target {
        index: Some(name.to_owned()),
        consistent_reads: index.local,
        partition_key: (key.name.clone(), value),
        sort_key: index.sort_key.map(|k| (k.name.clone(), k.kind)),
        base,
    })
}

/// The refusal of a read of an index the schema does not declare.
pub(crate) fn no_such_index(table: &Table, name: &str) -> Error {
    let message = "the schema declares no such index; add it to schema.toml and apply the \
                   schema";
    refusal(table, name, message.to_owned())
}

/// The refusal of a strongly consistent read of global secondary index `name`, which
/// DynamoDB does not offer (local secondary indexes do).
pub(crate) fn not_consistent(table: &Table, name: &str) -> Error {
    let message = "a global secondary index is read with eventual consistency only; leave \
                   out .consistent()";
    refusal(table, name, message.to_owned())
}

/// The attributes of `attributes` that index `name` does not copy, each once, with the
/// index; `None` when it copies them all (or the schema declares no such index).
fn uncopied<'t>(
    table: &'t Table,
    name: &str,
    attributes: impl IntoIterator<Item = &'static str>,
) -> Option<(SecondaryIndex<'t>, Vec<&'static str>)> {
    let index = table.schema().secondary_index(name)?;
    let mut missing = Vec::new();
    for attribute in attributes {
        if !index.projects(&table.schema().table, attribute) && !missing.contains(&attribute) {
            missing.push(attribute);
        }
    }
    (!missing.is_empty()).then_some((index, missing))
}

/// The refusal of a read of index `name` of `table`, before any request.
fn refusal(table: &Table, name: &str, message: String) -> Error {
    Error::Index {
        index: name.to_owned(),
        table: table.name().to_owned(),
        message,
    }
}

/// The refusal of a read of `target`, before any request: of its index, or of the
/// table itself.
pub(crate) fn target_refusal(table: &Table, target: &Target, message: String) -> Error {
    match &target.index {
        Some(index) => refusal(table, index, message),
        None => Error::InvalidQuery {
            message: format!("table `{}`: {message}", table.name()),
        },
    }
}

/// Why the items of index `name` cannot be read as `E`s, if they cannot: its projection
/// leaves out attributes `E` stores. An entity read without them would read them as
/// absent, and a put of it would erase them from the item; a [`Projected`] read needs
/// only what tells its entity apart.
///
/// [`Projected`]: crate::Projected
pub(crate) fn unprojected<E: Readable>(table: &Table, name: &str) -> Option<Error> {
    let (index, missing) = uncopied(table, name, E::needed_attributes())?;
    let advice = if E::PARTIAL {
        format!(
            "{reader}'s items are told from other entities' of the same key shape by it, \
             so the index cannot read Projected<{reader}>s: INCLUDE it in the index's \
             projection in schema.toml and apply it, or read the items untyped with \
             .items()",
            reader = E::READ_NAME
        )
    } else if E::declares_partial(name) {
        format!(
            "{reader} declares the index `partial`, so whole {reader}s are never read from \
             it: query it through its builder, or with .projected() on a query, which read \
             Projected<{reader}>s; a scan reads the items untyped with .items()",
            reader = E::READ_NAME
        )
    } else {
        format!(
            "{reader} stores them, so {reader}s read from it would lose them when put back. \
             Project them in schema.toml (or ALL) and apply it; or mark the index `partial` \
             in the derive, whose query builder then reads Projected<{reader}>s (or call \
             .projected() on this query); or read the items untyped with .items()",
            reader = E::READ_NAME
        )
    };
    let message = format!(
        "it projects {}, without {}; nothing was read. {advice}",
        index.projection,
        quoted(&missing),
    );
    Some(refusal(table, name, message))
}

/// Why `filter` cannot be applied to the items of index `name`, if it cannot: it reads
/// an attribute the index does not copy, which every item would seem to lack.
pub(crate) fn filter_unprojected<E>(
    table: &Table,
    name: &str,
    filter: &Condition<E>,
) -> Option<Error> {
    let (index, missing) = uncopied(table, name, filter.attributes())?;
    let them = if missing.len() == 1 { "it" } else { "them" };
    let message = format!(
        "it projects {}, without {}, which the filter reads: every item would seem to lack \
         {them}, so the filter would answer wrongly; nothing was read. INCLUDE {them} in the \
         index's projection in schema.toml, or filter on what the index copies",
        index.projection,
        quoted(&missing),
    );
    Some(refusal(table, name, message))
}

/// Why expired items of index `name` cannot be left out, if they cannot: the index does
/// not project the table's time-to-live attribute, so every item would look unexpired.
pub(crate) fn expiry_unprojected(table: &Table, name: &str) -> Option<Error> {
    let schema = table.schema();
    let ttl = schema.table.ttl_attribute.as_deref()?;
    let index = schema.secondary_index(name)?;
    if index.projects(&schema.table, ttl) {
        return None;
    }
    let message = format!(
        "it projects {}, without `{ttl}`, the table's ttl_attribute, so skip_expired() \
         cannot tell its expired items (each would look unexpired); nothing was read. \
         INCLUDE `{ttl}` in the index's projection in schema.toml, or read the table",
        index.projection
    );
    Some(refusal(table, name, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_values_are_written_as_the_declared_type() {
        assert_eq!(
            scalar(KeyType::S, "a".into()),
            Ok(AttributeValue::S("a".into()))
        );
        assert_eq!(
            scalar(KeyType::N, "-2.5".into()),
            Ok(AttributeValue::N("-2.5".into()))
        );
        assert_eq!(
            scalar(KeyType::N, "1e3".into()),
            Ok(AttributeValue::N("1e3".into()))
        );
        for not_a_number in ["abc", "", "inf", "NaN"] {
            assert!(
                scalar(KeyType::N, not_a_number.into()).is_err(),
                "{not_a_number}"
            );
        }
        assert!(scalar(KeyType::B, "a".into()).is_err());
        assert!(scalar(KeyType::S, String::new()).is_err());
    }
}
