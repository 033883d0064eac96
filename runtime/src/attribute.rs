//! How Rust values become DynamoDB attribute values and back.
//!
//! [`Attribute`] is implemented for the types an entity field may have: integers and
//! floats (N), `bool` (BOOL), `String` (S), [`Bytes`] and `Blob` (B), [`Timestamp`]
//! (S, fixed-width RFC 3339), `Option` (an absent attribute when `None`), `Vec` (L),
//! `HashMap`/`BTreeMap` with string keys (M), and `HashSet`/`BTreeSet` of strings, numbers
//! or bytes (SS, NS, BS). Any other serde type goes through serde_dynamo with the field
//! option `#[dynamo(serde)]`, which uses [`to_serde_value`] and [`from_serde_value`].

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasher, Hash};

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::timestamp::Timestamp;

/// Why a value cannot be stored, or an attribute value cannot be read as a Rust type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(pub String);

impl ValueError {
    /// An attribute value of the wrong kind: `expected` names what was wanted.
    pub fn unexpected(expected: &str, found: &AttributeValue) -> Self {
        ValueError(format!("expected {expected}, found {}", describe(found)))
    }
}

/// A short description of an attribute value for error messages: its type and, for
/// scalars, a prefix of its value.
pub fn describe(value: &AttributeValue) -> String {
    fn clip(text: &str) -> String {
        match text.char_indices().nth(40) {
            Some((at, _)) => format!("{:?}…", &text[..at]),
            None => format!("{text:?}"),
        }
    }
    match value {
        AttributeValue::S(s) => format!("string {}", clip(s)),
        AttributeValue::N(n) => format!("number {n}"),
        AttributeValue::Bool(b) => format!("boolean {b}"),
        AttributeValue::B(b) => format!("binary of {} bytes", b.as_ref().len()),
        AttributeValue::Null(_) => "NULL".to_owned(),
        AttributeValue::L(l) => format!("list of {}", l.len()),
        AttributeValue::M(m) => format!("map of {}", m.len()),
        AttributeValue::Ss(s) => format!("string set of {}", s.len()),
        AttributeValue::Ns(s) => format!("number set of {}", s.len()),
        AttributeValue::Bs(s) => format!("binary set of {}", s.len()),
        _ => "an attribute value of an unknown type".to_owned(),
    }
}

/// A Rust type stored as one DynamoDB attribute.
///
/// ```
/// use dynaschema::Attribute;
/// use aws_sdk_dynamodb::types::AttributeValue;
///
/// assert_eq!(42_u64.to_value()?, Some(AttributeValue::N("42".into())));
/// assert_eq!(None::<String>.to_value()?, None);
/// assert_eq!(u64::from_value(&AttributeValue::N("42".into()))?, 42);
/// assert!(u8::from_value(&AttributeValue::N("300".into())).is_err());
/// assert_eq!(<Option<String>>::from_absent()?, None);
/// # Ok::<(), dynaschema::attribute::ValueError>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored as a DynamoDB attribute by itself",
    label = "this field's type has no `Attribute` implementation",
    note = "add `#[dynamo(serde)]` to the field to store it through serde_dynamo, or implement `dynaschema::Attribute`"
)]
pub trait Attribute: Sized {
    /// The attribute value, or `None` when the attribute is to be absent from the item
    /// (`Option::None`, an empty set).
    fn to_value(&self) -> Result<Option<AttributeValue>, ValueError>;

    /// Reads the value back.
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError>;

    /// The value of an attribute that is absent from the item: an error unless the type
    /// has an empty value (`None`, an empty set).
    fn from_absent() -> Result<Self, ValueError> {
        Err(ValueError("the attribute is missing".to_owned()))
    }
}

/// Binary data, stored as a DynamoDB B attribute (a `Vec<u8>` would be a list of numbers).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bytes(pub Vec<u8>);

impl From<Vec<u8>> for Bytes {
    fn from(bytes: Vec<u8>) -> Self {
        Bytes(bytes)
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

macro_rules! number {
    ($($t:ty),*) => {$(
        impl Attribute for $t {
            fn to_value(&self) -> Result<Option<AttributeValue>, ValueError> {
                Ok(Some(AttributeValue::N(self.to_string())))
            }

            fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
                match value {
                    AttributeValue::N(n) => n.parse().map_err(|_| {
                        ValueError(format!("expected {}, found number {n}", stringify!($t)))
                    }),
                    other => Err(ValueError::unexpected(concat!("a number (", stringify!($t), ")"), other)),
                }
            }
        }

        impl SetElement for $t {
            fn to_set(elements: Vec<&Self>) -> AttributeValue {
                AttributeValue::Ns(elements.into_iter().map(ToString::to_string).collect())
            }

            fn from_set(value: &AttributeValue) -> Result<Vec<Self>, ValueError> {
                match value {
                    AttributeValue::Ns(set) => set.iter().map(|n| <$t as Attribute>::from_value(&AttributeValue::N(n.clone()))).collect(),
                    other => Err(ValueError::unexpected("a number set", other)),
                }
            }
        }
    )*};
}

number!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

macro_rules! float {
    ($($t:ty),*) => {$(
        impl Attribute for $t {
            fn to_value(&self) -> Result<Option<AttributeValue>, ValueError> {
                if !self.is_finite() {
                    return Err(ValueError(format!("{self} cannot be stored: DynamoDB numbers are finite")));
                }
                Ok(Some(AttributeValue::N(self.to_string())))
            }

            fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
                match value {
                    AttributeValue::N(n) => n.parse().map_err(|_| {
                        ValueError(format!("expected {}, found number {n}", stringify!($t)))
                    }),
                    other => Err(ValueError::unexpected("a number", other)),
                }
            }
        }
    )*};
}

float!(f32, f64);

impl Attribute for bool {
    fn to_value(&self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::Bool(*self)))
    }

    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::Bool(b) => Ok(*b),
            other => Err(ValueError::unexpected("a boolean", other)),
        }
    }
}

impl Attribute for String {
    fn to_value(&self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::S(self.clone())))
    }

    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::S(s) => Ok(s.clone()),
            other => Err(ValueError::unexpected("a string", other)),
        }
    }
}

impl SetElement for String {
    fn to_set(elements: Vec<&Self>) -> AttributeValue {
        AttributeValue::Ss(elements.into_iter().cloned().collect())
    }

    fn from_set(value: &AttributeValue) -> Result<Vec<Self>, ValueError> {
        match value {
            AttributeValue::Ss(set) => Ok(set.clone()),
            other => Err(ValueError::unexpected("a string set", other)),
        }
    }
}

impl Attribute for Timestamp {
    fn to_value(&self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::S(self.to_string())))
    }

    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::S(s) => Timestamp::parse(s).map_err(|e| ValueError(e.to_string())),
            other => Err(ValueError::unexpected(
                "an RFC 3339 timestamp string",
                other,
            )),
        }
    }
}

impl Attribute for Bytes {
    fn to_value(&self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::B(Blob::new(self.0.clone()))))
    }

    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::B(b) => Ok(Bytes(b.as_ref().to_vec())),
            other => Err(ValueError::unexpected("binary", other)),
        }
    }
}

impl SetElement for Bytes {
    fn to_set(elements: Vec<&Self>) -> AttributeValue {
        AttributeValue::Bs(
            elements
                .into_iter()
                .map(|b| Blob::new(b.0.clone()))
                .collect(),
        )
    }

    fn from_set(value: &AttributeValue) -> Result<Vec<Self>, ValueError> {
        match value {
            AttributeValue::Bs(set) => Ok(set.iter().map(|b| Bytes(b.as_ref().to_vec())).collect()),
            other => Err(ValueError::unexpected("a binary set", other)),
        }
    }
}

impl Attribute for Blob {
    fn to_value(&self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::B(self.clone())))
    }

    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::B(b) => Ok(b.clone()),
            other => Err(ValueError::unexpected("binary", other)),
        }
    }
}

/// `None` is an absent attribute; an absent or NULL attribute reads as `None`.
impl<T: Attribute> Attribute for Option<T> {
    fn to_value(&self) -> Result<Option<AttributeValue>, ValueError> {
        match self {
            Some(value) => value.to_value(),
            None => Ok(None),
        }
    }

    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::Null(_) => Ok(None),
            value => T::from_value(value).map(Some),
        }
    }

    fn from_absent() -> Result<Self, ValueError> {
        Ok(None)
    }
}

/// A list element that would be absent (`None`) is stored as NULL, to keep positions.
fn element_value<T: Attribute>(value: &T) -> Result<AttributeValue, ValueError> {
    Ok(value.to_value()?.unwrap_or(AttributeValue::Null(true)))
}

fn element_from<T: Attribute>(value: &AttributeValue) -> Result<T, ValueError> {
    match value {
        AttributeValue::Null(_) => T::from_absent().or_else(|_| T::from_value(value)),
        value => T::from_value(value),
    }
}

impl<T: Attribute> Attribute for Vec<T> {
    fn to_value(&self) -> Result<Option<AttributeValue>, ValueError> {
        let list = self.iter().map(element_value).collect::<Result<_, _>>()?;
        Ok(Some(AttributeValue::L(list)))
    }

    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::L(list) => list
                .iter()
                .enumerate()
                .map(|(i, v)| element_from(v).map_err(|e| ValueError(format!("element {i}: {e}"))))
                .collect(),
            other => Err(ValueError::unexpected("a list", other)),
        }
    }
}

fn map_value<'a, T: Attribute + 'a>(
    entries: impl Iterator<Item = (&'a String, &'a T)>,
) -> Result<Option<AttributeValue>, ValueError> {
    let map = entries
        .map(|(k, v)| Ok((k.clone(), element_value(v)?)))
        .collect::<Result<HashMap<_, _>, ValueError>>()?;
    Ok(Some(AttributeValue::M(map)))
}

fn map_from<T: Attribute, C: FromIterator<(String, T)>>(
    value: &AttributeValue,
) -> Result<C, ValueError> {
    match value {
        AttributeValue::M(map) => map
            .iter()
            .map(|(k, v)| {
                element_from(v)
                    .map(|v| (k.clone(), v))
                    .map_err(|e| ValueError(format!("key {k:?}: {e}")))
            })
            .collect(),
        other => Err(ValueError::unexpected("a map", other)),
    }
}

impl<T: Attribute, S: BuildHasher + Default> Attribute for HashMap<String, T, S> {
    fn to_value(&self) -> Result<Option<AttributeValue>, ValueError> {
        map_value(self.iter())
    }

    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        map_from(value)
    }
}

impl<T: Attribute> Attribute for BTreeMap<String, T> {
    fn to_value(&self) -> Result<Option<AttributeValue>, ValueError> {
        map_value(self.iter())
    }

    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        map_from(value)
    }
}

/// A type whose sets are DynamoDB sets: strings (SS), numbers (NS), [`Bytes`] (BS).
///
/// DynamoDB has no empty sets: an empty set is an absent attribute, and an absent
/// attribute reads as an empty set.
pub trait SetElement: Sized {
    /// The set attribute of these elements; never called with no elements.
    fn to_set(elements: Vec<&Self>) -> AttributeValue;
    /// The elements of a set attribute.
    fn from_set(value: &AttributeValue) -> Result<Vec<Self>, ValueError>;
}

fn set_value<'a, T: SetElement + 'a>(
    elements: impl ExactSizeIterator<Item = &'a T>,
) -> Option<AttributeValue> {
    (elements.len() > 0).then(|| T::to_set(elements.collect()))
}

impl<T: SetElement + Eq + Hash, S: BuildHasher + Default> Attribute for HashSet<T, S> {
    fn to_value(&self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(set_value(self.iter()))
    }

    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        Ok(T::from_set(value)?.into_iter().collect())
    }

    fn from_absent() -> Result<Self, ValueError> {
        Ok(Self::default())
    }
}

impl<T: SetElement + Ord> Attribute for BTreeSet<T> {
    fn to_value(&self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(set_value(self.iter()))
    }

    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        Ok(T::from_set(value)?.into_iter().collect())
    }

    fn from_absent() -> Result<Self, ValueError> {
        Ok(Self::default())
    }
}

/// The attribute value of any serde type, through serde_dynamo: what a
/// `#[dynamo(serde)]` field is stored as.
///
/// ```
/// #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
/// enum Kind { Credit, Debit }
///
/// let value = dynaschema::attribute::to_serde_value(&Kind::Credit)?.unwrap();
/// assert_eq!(dynaschema::attribute::from_serde_value::<Kind>(&value)?, Kind::Credit);
/// # Ok::<(), dynaschema::attribute::ValueError>(())
/// ```
pub fn to_serde_value<T: serde::Serialize>(
    value: &T,
) -> Result<Option<AttributeValue>, ValueError> {
    match serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value(value) {
        Ok(AttributeValue::Null(_)) => Ok(None),
        Ok(value) => Ok(Some(value)),
        Err(err) => Err(ValueError(err.to_string())),
    }
}

/// Reads a serde type back from its attribute value; see [`to_serde_value`].
pub fn from_serde_value<T: serde::de::DeserializeOwned>(
    value: &AttributeValue,
) -> Result<T, ValueError> {
    serde_dynamo::aws_sdk_dynamodb_1::from_attribute_value(value.clone())
        .map_err(|err| ValueError(format!("{err} (found {})", describe(value))))
}

/// The value of an absent `#[dynamo(serde)]` attribute: what serde makes of NULL, so
/// that an `Option` reads as `None`.
pub fn from_absent_serde<T: serde::de::DeserializeOwned>() -> Result<T, ValueError> {
    serde_dynamo::aws_sdk_dynamodb_1::from_attribute_value(AttributeValue::Null(true))
        .map_err(|_| ValueError("the attribute is missing".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Attribute + PartialEq + std::fmt::Debug>(value: T) {
        let stored = value.to_value().unwrap();
        let back = match &stored {
            Some(stored) => T::from_value(stored).unwrap(),
            None => T::from_absent().unwrap(),
        };
        assert_eq!(back, value, "stored as {stored:?}");
    }

    #[test]
    fn scalars_round_trip() {
        round_trip(0_u8);
        round_trip(u64::MAX);
        round_trip(i64::MIN);
        round_trip(u128::MAX);
        round_trip(-1.5_f64);
        round_trip(f64::MAX);
        round_trip(f32::MIN_POSITIVE);
        round_trip(true);
        round_trip(String::new());
        round_trip("ação: #1".to_owned());
        round_trip(Bytes(vec![0, 1, 255]));
        round_trip(Blob::new(vec![9, 8]));
        round_trip(Timestamp::from_unix_micros(1_700_000_000_000_001));
    }

    #[test]
    fn numbers_are_checked_on_read() {
        assert!(u8::from_value(&AttributeValue::N("256".into())).is_err());
        assert!(u64::from_value(&AttributeValue::N("-1".into())).is_err());
        assert!(i64::from_value(&AttributeValue::N("1.5".into())).is_err());
        let err = u64::from_value(&AttributeValue::S("12".into())).unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected a number (u64), found string \"12\""
        );
        assert!(f64::NAN.to_value().is_err());
        assert!(f64::INFINITY.to_value().is_err());
    }

    #[test]
    fn options_are_absent_when_none_and_read_null_as_none() {
        assert_eq!(None::<u64>.to_value().unwrap(), None);
        assert_eq!(
            <Option<u64>>::from_value(&AttributeValue::Null(true)).unwrap(),
            None
        );
        assert_eq!(<Option<u64>>::from_absent().unwrap(), None);
        assert!(u64::from_absent().is_err());
        round_trip(Some(5_u64));
    }

    #[test]
    fn collections_round_trip() {
        round_trip(vec![1_u32, 2, 3]);
        round_trip(vec![Some("a".to_owned()), None]);
        round_trip(Vec::<String>::new());
        round_trip(HashMap::from([
            ("a".to_owned(), 1_i32),
            ("b".to_owned(), -2),
        ]));
        round_trip(BTreeMap::from([("x".to_owned(), vec![true])]));
        round_trip(HashSet::from(["a".to_owned(), "b".to_owned()]));
        round_trip(BTreeSet::from([1_u64, 20, 300]));
        round_trip(BTreeSet::from([Bytes(vec![1]), Bytes(vec![2])]));
        round_trip(HashSet::<String>::new());
        assert_eq!(
            BTreeSet::<u64>::new().to_value().unwrap(),
            None,
            "DynamoDB has no empty sets"
        );
        assert!(matches!(
            BTreeSet::from([1_u8]).to_value().unwrap(),
            Some(AttributeValue::Ns(_))
        ));
    }

    #[test]
    fn errors_say_where_in_a_collection() {
        let list = AttributeValue::L(vec![
            AttributeValue::N("1".into()),
            AttributeValue::S("x".into()),
        ]);
        let err = Vec::<u8>::from_value(&list).unwrap_err();
        assert_eq!(
            err.to_string(),
            "element 1: expected a number (u8), found string \"x\""
        );
    }

    #[test]
    fn serde_types_go_through_serde_dynamo() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Nested {
            a: u8,
            b: Vec<String>,
        }
        let value = Nested {
            a: 1,
            b: vec!["x".into()],
        };
        let stored = to_serde_value(&value).unwrap().unwrap();
        assert!(matches!(stored, AttributeValue::M(_)));
        assert_eq!(from_serde_value::<Nested>(&stored).unwrap(), value);
        assert_eq!(to_serde_value(&None::<Nested>).unwrap(), None);
        assert_eq!(from_absent_serde::<Option<Nested>>().unwrap(), None);
        assert!(from_absent_serde::<Nested>().is_err());
    }
}
