//! The key attributes a request sends, checked against the table's schema before it is
//! sent: DynamoDB refuses a key of another type than the one declared, a key the
//! table's key schema does not have, and an empty string or binary, or a value longer
//! than 2,048 bytes (partition) or 1,024 (sort), as a key of an index. (The table's own
//! keys are refused empty or too long as they are rendered, in `key.rs`.)

use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::{Error, KeyError, Result};
use crate::expr::{Change, Update};
use crate::item::{Entity, Item};
use crate::key::{Key, MAX_PARTITION_KEY, MAX_SORT_KEY};
use crate::schema::{KeyAttribute, KeyType, SecondaryIndex};
use crate::table::Table;

/// The key map of `key`, once `E`'s key templates fit the table's key schema.
pub(crate) fn key_item<E: Entity>(table: &Table, key: &Key<E>) -> Result<Item> {
    fits::<E>(table)?;
    key.to_item()
}

/// Refuses `E` on a table whose key schema its templates do not write: key templates
/// are strings, and an entity has a sort key exactly when the table does.
pub(crate) fn fits<E: Entity>(table: &Table) -> Result<()> {
    let schema = &table.schema().table;
    let keys = [
        (
            "partition",
            Some(&E::PK_TEMPLATE),
            Some(&schema.partition_key),
        ),
        ("sort", E::SK_TEMPLATE.as_ref(), schema.sort_key.as_ref()),
    ];
    for (which, template, key) in keys {
        let reason = match (template, key) {
            (Some(template), Some(key)) if template.attribute() != key.name => format!(
                "{} writes its {which} key to `{}`, but the table's {which} key is `{}` \
                 in the schema: name it in the derive ({}_attr = \"{}\")",
                E::ENTITY_NAME,
                template.attribute(),
                key.name,
                &which[..1],
                key.name,
            ),
            (Some(_), Some(key)) if key.kind != KeyType::S => format!(
                "the table's {which} key `{}` is {} in the schema, but {}'s key template \
                 writes a string: declare the key as S in schema.toml",
                key.name,
                key.kind,
                E::ENTITY_NAME
            ),
            (Some(template), None) => format!(
                "the table has no sort key in the schema, but {} writes one to `{}`: \
                 leave `sk` out of the derive, or give the table a sort key",
                E::ENTITY_NAME,
                template.attribute()
            ),
            (None, Some(key)) => format!(
                "the table has the sort key `{}` in the schema, and {} has no `sk` \
                 template: give it one",
                key.name,
                E::ENTITY_NAME
            ),
            _ => continue,
        };
        let template = template.unwrap_or(&E::PK_TEMPLATE);
        return Err(Error::InvalidKey(KeyError {
            template: template.to_string(),
            field: template.fields().collect::<Vec<_>>().join("`, `"),
            reason,
        }));
    }
    Ok(())
}

/// Refuses a written item of `E` whose key attributes DynamoDB would refuse: the
/// table's keys as [`fits`] checks them (their values were checked as the key was
/// rendered), and each index key it holds of another type than the schema declares,
/// empty, or too long.
pub(crate) fn check_item<E: Entity>(table: &Table, item: &Item) -> Result<()> {
    fits::<E>(table)?;
    for (index, which, key) in index_keys(table) {
        if let Some(value) = item.get(&key.name) {
            check_value::<E>(&index, which, key, value)?;
        }
    }
    Ok(())
}

/// Refuses an update of `E` that sets an index key to a value DynamoDB would refuse,
/// with `set` or `set_if_not_exists`: given the update as sent, with the computed index
/// keys the toolkit adds.
pub(crate) fn check_update<E: Entity>(table: &Table, update: &Update<E>) -> Result<()> {
    for (index, which, key) in index_keys(table) {
        let value = match update.if_not_exists_value(&key.name) {
            Some(value) => value.ok(),
            None => match update.change_of(&key.name) {
                Some(Change::Set(value)) => value.ok(),
                _ => None,
            },
        };
        if let Some(value) = value {
            check_value::<E>(&index, which, key, value)?;
        }
    }
    Ok(())
}

/// Each key of the table's indexes that is not a key of the table itself, with its
/// index and whether it is the partition or the sort key.
fn index_keys(
    table: &Table,
) -> impl Iterator<Item = (SecondaryIndex<'_>, &'static str, &KeyAttribute)> {
    let schema = table.schema();
    let own = move |name: &str| table.key_names().any(|key| key == name);
    schema.secondary_indexes().flat_map(move |index| {
        [
            ("partition", Some(index.partition_key)),
            ("sort", index.sort_key),
        ]
        .into_iter()
        .filter_map(move |(which, key)| Some((index, which, key?)))
        .filter(move |(_, _, key)| !own(&key.name))
    })
}

/// Refuses `value`, written to `key`, the `which` key of `index`, when it is of another
/// type than declared, empty, or too long.
fn check_value<E: Entity>(
    index: &SecondaryIndex<'_>,
    which: &str,
    key: &KeyAttribute,
    value: &AttributeValue,
) -> Result<()> {
    let (attribute, kind) = (key.name.as_str(), key.kind);
    let most = match which {
        "partition" => MAX_PARTITION_KEY,
        _ => MAX_SORT_KEY,
    };
    let length = match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::B(bytes) => bytes.as_ref().len(),
        _ => 0,
    };
    let written = match value {
        AttributeValue::S(text) if text.is_empty() => None,
        AttributeValue::B(bytes) if bytes.as_ref().is_empty() => None,
        AttributeValue::S(_) => Some("S"),
        AttributeValue::N(_) => Some("N"),
        AttributeValue::B(_) => Some("B"),
        AttributeValue::Bool(_) => Some("BOOL"),
        AttributeValue::Null(_) => Some("NULL"),
        AttributeValue::L(_) => Some("L"),
        AttributeValue::M(_) => Some("M"),
        AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_) => Some("a set"),
        _ => Some("another type"),
    };
    if written == Some(kind.as_str()) && length <= most {
        return Ok(());
    }
    // Only a refusal makes text: every write of an entity passes through here.
    let role = format!(
        "`{attribute}` is the {which} key of {} `{}`, declared {kind} in the schema",
        index.kind(),
        index.name
    );
    let reason = match written {
        Some(written) if written == kind.as_str() => format!(
            "{} writes it {length} bytes long, and {role}: DynamoDB's {which} keys hold at \
             most {most} bytes",
            E::ENTITY_NAME
        ),
        Some(written) => format!(
            "{} writes it as {written}, and {role}: DynamoDB refuses the item. Store the \
             field as {kind}, or declare the key as it is written",
            E::ENTITY_NAME
        ),
        None => format!(
            "{} writes it empty, and {role}: DynamoDB refuses an empty index key. Give it a \
             value, or make the field an Option and leave it None to keep the item out of \
             the index",
            E::ENTITY_NAME
        ),
    };
    // The entity's own template of the key, when it declares the index.
    let template = E::INDEXES
        .iter()
        .find(|declared| declared.name == index.name)
        .and_then(|declared| match which {
            "partition" => Some(declared.pk.to_string()),
            _ => declared.sk.as_ref().map(ToString::to_string),
        })
        .unwrap_or_else(|| format!("{{{attribute}}}"));
    Err(Error::InvalidKey(KeyError {
        template,
        field: attribute.to_owned(),
        reason,
    }))
}
