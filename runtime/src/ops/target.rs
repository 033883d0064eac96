//! Where a query reads: the table or an index, its partition key as the type the schema
//! declares, and its sort keys; and whether an index's items can be read as the type
//! asked for.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::{quoted, Error, Result};
use crate::item::Readable;
use crate::key::SortKeyMatch;
use crate::schema::{KeyType, Projection};
use crate::table::Table;

/// Where a query reads: the table or an index, the partition key, and the sort keys.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) index: Option<String>,
    pub(crate) partition_key: (String, AttributeValue),
    pub(crate) sort_key: Option<(String, KeyType)>,
    pub(crate) base: SortKeyMatch,
}

/// A key value as the attribute type the schema declares for it.
pub(crate) fn scalar(kind: KeyType, text: String) -> std::result::Result<AttributeValue, String> {
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
    let error = |message: String| Error::Index {
        index: name.to_owned(),
        table: table.name().to_owned(),
        message,
    };
    let Some(index) = table.schema().index(name) else {
        return Err(no_such_index(table, name));
    };
    let key = &index.partition_key;
    if let Some(attribute) = attribute.filter(|a| *a != key.name) {
        return Err(error(format!(
            "its partition key is `{}`, but the entity writes its index key to `{attribute}`; \
             correct pk_attr (or schema.toml)",
            key.name
        )));
    }
    if let SortKeyMatch::Equals(attribute, _) | SortKeyMatch::BeginsWith(attribute, _) = &base {
        let sort_key = index.sort_key.as_ref().map(|k| k.name.as_str());
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
        partition_key: (key.name.clone(), value),
        sort_key: index.sort_key.as_ref().map(|k| (k.name.clone(), k.kind)),
        base,
    })
}

/// The refusal of a read of an index the schema does not declare.
pub(crate) fn no_such_index(table: &Table, name: &str) -> Error {
    Error::Index {
        index: name.to_owned(),
        table: table.name().to_owned(),
        message: "the schema declares no such index; add it to schema.toml and apply the \
                  schema"
            .to_owned(),
    }
}

/// The refusal of a strongly consistent read of global secondary index `name`, which
/// DynamoDB does not offer.
pub(crate) fn not_consistent(table: &Table, name: &str) -> Error {
    Error::Index {
        index: name.to_owned(),
        table: table.name().to_owned(),
        message: "a global secondary index is read with eventual consistency only; leave \
                  out .consistent()"
            .to_owned(),
    }
}

/// Why the items of index `name` cannot be read as entities `E`, if they cannot: its
/// projection leaves out attributes `E` cannot do without. Reading them anyway would
/// fail on the first item, after the request was paid for.
pub(crate) fn unprojected<E: Readable>(table: &Table, name: &str) -> Option<Error> {
    let index = table.schema().index(name)?;
    let included: &[String] = match &index.projection {
        Projection::All => return None,
        Projection::KeysOnly => &[],
        Projection::Include(attributes) => attributes,
    };
    let projected = |attribute: &str| {
        included.iter().any(|a| a == attribute)
            || table.key_names().any(|a| a == attribute)
            || index.partition_key.name == attribute
            || index.sort_key.as_ref().is_some_and(|k| k.name == attribute)
    };
    let missing: Vec<&str> = E::needed_attributes()
        .into_iter()
        .filter(|attribute| !projected(attribute))
        .collect();
    if missing.is_empty() {
        return None;
    }
    Some(Error::Index {
        index: name.to_owned(),
        table: table.name().to_owned(),
        message: format!(
            "it projects {}, without {} that {} needs; nothing was read. Project ALL \
                 (or INCLUDE them) in schema.toml and apply it, or read the items \
                 untyped with .items()",
            index.projection,
            quoted(&missing),
            E::READ_NAME
        ),
    })
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
    }
}
