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

mod direct;

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

    /// The key type the value is written as (`'S'`, `'N'` or `'B'`) when it can be a key,
    /// else `None`: what `#[dynamo(schema = ..)]` checks an index keyed on the field
    /// against. A type of your own that writes a key type says so here.
    const KEY_TYPE: Option<char> = None;

    /// The value of an attribute that is absent from the item: an error unless the type
    /// has an empty value (`None`, an empty set).
    #[inline]
    fn from_absent() -> Result<Self, ValueError> {
        Err(ValueError("the attribute is missing".to_owned()))
    }

    /// Adds the value to `item` as attribute `name`, or nothing when it is to be absent:
    /// what the derive's `to_item` calls. The default goes through
    /// [`to_value`](Self::to_value); strings, numbers, booleans and timestamps make their
    /// value right in the map, without the `Result<Option<_>>` in between.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use dynaschema::Attribute;
    ///
    /// let mut item = HashMap::new();
    /// 42_u64.put_into(&mut item, "amount")?;
    /// None::<String>.put_into(&mut item, "note")?;
    /// assert_eq!(item.len(), 1);
    /// # Ok::<(), dynaschema::attribute::ValueError>(())
    /// ```
    #[inline]
    fn put_into(
        &self,
        item: &mut HashMap<String, AttributeValue>,
        name: &'static str,
    ) -> Result<(), ValueError> {
        if let Some(value) = self.to_value()? {
            item.insert(name.to_owned(), value);
        }
        Ok(())
    }

    /// [`put_into`](Self::put_into) for a field that is also part of the item's key,
    /// given `key_text`, the field's text in the key: types whose attribute holds that
    /// same text (strings, integers, timestamps) take it instead of writing it again.
    #[inline]
    fn put_key_text_into(
        &self,
        key_text: String,
        item: &mut HashMap<String, AttributeValue>,
        name: &'static str,
    ) -> Result<(), ValueError> {
        drop(key_text);
        self.put_into(item, name)
    }

    /// Appends the value to a list attribute's elements, NULL when it is to be absent
    /// (to keep positions): [`put_into`](Self::put_into) for list elements.
    #[inline]
    fn push_into(&self, list: &mut Vec<AttributeValue>) -> Result<(), ValueError> {
        list.push(element_value(self)?);
        Ok(())
    }
}

/// [`Attribute::to_value`], [`put_into`](Attribute::put_into) and
/// [`push_into`](Attribute::push_into) for a type whose value is never absent: `$value`
/// makes it (`?` passes an error on), put straight into the map or the list.
macro_rules! present_value {
    (|$this:ident| $value:expr, key text as $from_text:path) => {
        present_value!(|$this| $value);

        #[inline]
        fn put_key_text_into(
            &self,
            key_text: String,
            item: &mut HashMap<String, AttributeValue>,
            name: &'static str,
        ) -> Result<(), ValueError> {
            item.insert(name.to_owned(), $from_text(key_text));
            Ok(())
        }
    };
    (|$this:ident| $value:expr) => {
        #[inline]
        fn to_value(&self) -> Result<Option<AttributeValue>, ValueError> {
            let $this = self;
            Ok(Some($value))
        }

        #[inline]
        fn put_into(
            &self,
            item: &mut HashMap<String, AttributeValue>,
            name: &'static str,
        ) -> Result<(), ValueError> {
            let $this = self;
            let value = $value;
            item.insert(name.to_owned(), value);
            Ok(())
        }

        #[inline]
        fn push_into(&self, list: &mut Vec<AttributeValue>) -> Result<(), ValueError> {
            let $this = self;
            let value = $value;
            list.push(value);
            Ok(())
        }
    };
}
#[cfg(any(feature = "uuid", feature = "chrono"))]
pub(crate) use present_value;

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
            present_value!(|n| AttributeValue::N(n.to_string()), key text as AttributeValue::N);
            const KEY_TYPE: Option<char> = Some('N');

            #[inline]
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
            #[inline]
            fn to_set<'a>(elements: impl Iterator<Item = &'a Self>) -> AttributeValue {
                AttributeValue::Ns(elements.map(ToString::to_string).collect())
            }


            #[inline]
            fn from_set<C: FromIterator<Self>>(value: &AttributeValue) -> Result<C, ValueError> {
                match value {
                    AttributeValue::Ns(set) => set.iter().map(|n| n.parse().map_err(|_| {
                        ValueError(format!("expected {}, found number {n}", stringify!($t)))
                    })).collect(),
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
            const KEY_TYPE: Option<char> = Some('N');

            #[inline]
            fn to_value(&self) -> Result<Option<AttributeValue>, ValueError> {
                if !self.is_finite() {
                    return Err(ValueError(format!("{self} cannot be stored: DynamoDB numbers are finite")));
                }
                Ok(Some(AttributeValue::N(self.to_string())))
            }


            #[inline]
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
    present_value!(|b| AttributeValue::Bool(*b));

    #[inline]
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::Bool(b) => Ok(*b),
            other => Err(ValueError::unexpected("a boolean", other)),
        }
    }
}

impl Attribute for String {
    present_value!(|s| AttributeValue::S(s.clone()), key text as AttributeValue::S);
    const KEY_TYPE: Option<char> = Some('S');

    #[inline]
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::S(s) => Ok(s.clone()),
            other => Err(ValueError::unexpected("a string", other)),
        }
    }
}

impl SetElement for String {
    #[inline]
    fn to_set<'a>(elements: impl Iterator<Item = &'a Self>) -> AttributeValue {
        AttributeValue::Ss(elements.cloned().collect())
    }

    #[inline]
    fn from_set<C: FromIterator<Self>>(value: &AttributeValue) -> Result<C, ValueError> {
        match value {
            AttributeValue::Ss(set) => Ok(set.iter().cloned().collect()),
            other => Err(ValueError::unexpected("a string set", other)),
        }
    }
}

pub(crate) fn timestamp_value(timestamp: &Timestamp) -> AttributeValue {
    let mut text = String::with_capacity(27);
    timestamp.write_to(&mut text);
    AttributeValue::S(text)
}

impl Attribute for Timestamp {
    present_value!(|t| timestamp_value(t), key text as AttributeValue::S);
    const KEY_TYPE: Option<char> = Some('S');

    #[inline]
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
    const KEY_TYPE: Option<char> = Some('B');

    #[inline]
    fn to_value(&self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::B(Blob::new(self.0.clone()))))
    }

    #[inline]
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::B(b) => Ok(Bytes(b.as_ref().to_vec())),
            other => Err(ValueError::unexpected("binary", other)),
        }
    }
}

impl SetElement for Bytes {
    #[inline]
    fn to_set<'a>(elements: impl Iterator<Item = &'a Self>) -> AttributeValue {
        AttributeValue::Bs(elements.map(|b| Blob::new(b.0.clone())).collect())
    }

    #[inline]
    fn from_set<C: FromIterator<Self>>(value: &AttributeValue) -> Result<C, ValueError> {
        match value {
            AttributeValue::Bs(set) => Ok(set.iter().map(|b| Bytes(b.as_ref().to_vec())).collect()),
            other => Err(ValueError::unexpected("a binary set", other)),
        }
    }
}

impl Attribute for Blob {
    const KEY_TYPE: Option<char> = Some('B');

    #[inline]
    fn to_value(&self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::B(self.clone())))
    }

    #[inline]
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::B(b) => Ok(b.clone()),
            other => Err(ValueError::unexpected("binary", other)),
        }
    }
}

/// `None` is an absent attribute; an absent or NULL attribute reads as `None`.
impl<T: Attribute> Attribute for Option<T> {
    const KEY_TYPE: Option<char> = T::KEY_TYPE;

    #[inline]
    fn to_value(&self) -> Result<Option<AttributeValue>, ValueError> {
        match self {
            Some(value) => value.to_value(),
            None => Ok(None),
        }
    }

    #[inline]
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::Null(_) => Ok(None),
            value => T::from_value(value).map(Some),
        }
    }

    #[inline]
    fn from_absent() -> Result<Self, ValueError> {
        Ok(None)
    }

    #[inline]
    fn put_into(
        &self,
        item: &mut HashMap<String, AttributeValue>,
        name: &'static str,
    ) -> Result<(), ValueError> {
        match self {
            Some(value) => value.put_into(item, name),
            None => Ok(()),
        }
    }
}

/// A list or map element that would be absent (`None`) is stored as NULL, to keep
/// positions.
#[inline]
fn element_value<T: Attribute>(value: &T) -> Result<AttributeValue, ValueError> {
    Ok(value.to_value()?.unwrap_or(AttributeValue::Null(true)))
}

#[inline]
fn element_from<T: Attribute>(value: &AttributeValue) -> Result<T, ValueError> {
    match value {
        AttributeValue::Null(_) => T::from_absent().or_else(|_| T::from_value(value)),
        value => T::from_value(value),
    }
}

// Collections are built at their final size: collecting through `Result` would lose
// the size hint and grow them step by step.
fn list_value<T: Attribute>(elements: &[T]) -> Result<AttributeValue, ValueError> {
    let mut list = Vec::with_capacity(elements.len());
    for element in elements {
        element.push_into(&mut list)?;
    }
    Ok(AttributeValue::L(list))
}

impl<T: Attribute> Attribute for Vec<T> {
    present_value!(|list| list_value(list)?);

    #[inline]
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::L(list) => {
                let mut out = Vec::with_capacity(list.len());
                for (i, v) in list.iter().enumerate() {
                    out.push(element_from(v).map_err(|e| ValueError(format!("element {i}: {e}")))?);
                }
                Ok(out)
            }
            other => Err(ValueError::unexpected("a list", other)),
        }
    }
}

#[inline]
fn map_value<'a, T: Attribute + 'a>(
    entries: impl ExactSizeIterator<Item = (&'a String, &'a T)>,
) -> Result<AttributeValue, ValueError> {
    let mut map = HashMap::with_capacity(entries.len());
    for (k, v) in entries {
        map.insert(k.clone(), element_value(v)?);
    }
    Ok(AttributeValue::M(map))
}

/// The entries of a map attribute, each read as a `T`.
#[inline]
fn map_entries<'v, T: Attribute>(
    value: &'v AttributeValue,
) -> Result<impl ExactSizeIterator<Item = Result<(String, T), ValueError>> + 'v, ValueError> {
    match value {
        AttributeValue::M(map) => Ok(map.iter().map(|(k, v)| {
            element_from(v)
                .map(|v| (k.clone(), v))
                .map_err(|e| ValueError(format!("key {k:?}: {e}")))
        })),
        other => Err(ValueError::unexpected("a map", other)),
    }
}

impl<T: Attribute, S: BuildHasher + Default> Attribute for HashMap<String, T, S> {
    present_value!(|map| map_value(map.iter())?);

    #[inline]
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        let entries = map_entries(value)?;
        let mut out = HashMap::with_capacity_and_hasher(entries.len(), S::default());
        for entry in entries {
            let (k, v) = entry?;
            out.insert(k, v);
        }
        Ok(out)
    }
}

impl<T: Attribute> Attribute for BTreeMap<String, T> {
    present_value!(|map| map_value(map.iter())?);

    #[inline]
    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        map_entries(value)?.collect()
    }
}

/// A type whose sets are DynamoDB sets: strings (SS), numbers (NS), [`Bytes`] (BS).
///
/// DynamoDB has no empty sets: an empty set is an absent attribute, and an absent
/// attribute reads as an empty set.
pub trait SetElement: Sized {
    /// The set attribute of these elements; never called with no elements.
    fn to_set<'a>(elements: impl Iterator<Item = &'a Self>) -> AttributeValue
    where
        Self: 'a;
    /// The elements of a set attribute, collected as `C`.
    fn from_set<C: FromIterator<Self>>(value: &AttributeValue) -> Result<C, ValueError>;
}

#[inline]
fn set_value<'a, T: SetElement + 'a>(
    elements: impl ExactSizeIterator<Item = &'a T>,
) -> Option<AttributeValue> {
    (elements.len() > 0).then(|| T::to_set(elements))
}

/// The two set types: an empty set is stored as no attribute.
macro_rules! set_attribute {
    ($(impl[$($generics:tt)*] for $set:ty;)*) => {$(
        impl<$($generics)*> Attribute for $set {
            #[inline]
            fn to_value(&self) -> Result<Option<AttributeValue>, ValueError> {
                Ok(set_value(self.iter()))
            }

            #[inline]
            fn put_into(
                &self,
                item: &mut HashMap<String, AttributeValue>,
                name: &'static str,
            ) -> Result<(), ValueError> {
                if !self.is_empty() {
                    item.insert(name.to_owned(), T::to_set(self.iter()));
                }
                Ok(())
            }

            #[inline]
            fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
                T::from_set(value)
            }

            #[inline]
            fn from_absent() -> Result<Self, ValueError> {
                Ok(Self::default())
            }
        }
    )*};
}

set_attribute! {
    impl[T: SetElement + Eq + Hash, S: BuildHasher + Default] for HashSet<T, S>;
    impl[T: SetElement + Ord] for BTreeSet<T>;
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
    match serde_value(value)? {
        AttributeValue::Null(_) => Ok(None),
        value => Ok(Some(value)),
    }
}

/// The value serde makes, NULL included.
#[inline]
fn serde_value<T: serde::Serialize>(value: &T) -> Result<AttributeValue, ValueError> {
    match value.serialize(direct::Direct::VALUE) {
        Ok(value) => Ok(value),
        // What the direct serializer leaves to serde_dynamo includes the numbers it
        // refuses (NaN, infinities), which serde_dynamo would write as `N "NaN"`.
        Err(_) => serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value(value)
            .map_err(|err| ValueError(err.to_string()))
            .and_then(|value| finite(&value).map(|()| value)),
    }
}

/// Refuses a value holding a number DynamoDB cannot store (NaN, an infinity), at any
/// depth.
fn finite(value: &AttributeValue) -> Result<(), ValueError> {
    match value {
        AttributeValue::N(n) if n.parse::<f64>().is_ok_and(|n| !n.is_finite()) => Err(ValueError(
            format!("{n} cannot be stored: DynamoDB numbers are finite"),
        )),
        AttributeValue::L(values) => values.iter().try_for_each(finite),
        AttributeValue::M(map) => map.values().try_for_each(finite),
        AttributeValue::Ns(numbers) => numbers
            .iter()
            .try_for_each(|n| finite(&AttributeValue::N(n.clone()))),
        _ => Ok(()),
    }
}

/// Adds a serde type's value to `item` as attribute `name`, or nothing when it is null:
/// [`Attribute::put_into`] for `#[dynamo(serde)]` fields.
pub fn put_serde_into<T: serde::Serialize>(
    value: &T,
    item: &mut HashMap<String, AttributeValue>,
    name: &'static str,
) -> Result<(), ValueError> {
    match serde_value(value)? {
        AttributeValue::Null(_) => {}
        value => {
            item.insert(name.to_owned(), value);
        }
    }
    Ok(())
}

/// Reads a serde type back from its attribute value; see [`to_serde_value`].
pub fn from_serde_value<T: serde::de::DeserializeOwned>(
    value: &AttributeValue,
) -> Result<T, ValueError> {
    if let Ok(read) = T::deserialize(direct::Borrowed(value)) {
        return Ok(read);
    }
    serde_dynamo::aws_sdk_dynamodb_1::from_attribute_value(value.clone())
        .map_err(|err| ValueError(format!("{err} (found {})", describe(value))))
}

/// The value of an absent `#[dynamo(serde)]` attribute: what serde makes of NULL, so
/// that an `Option` reads as `None`.
pub fn from_absent_serde<T: serde::de::DeserializeOwned>() -> Result<T, ValueError> {
    serde_dynamo::aws_sdk_dynamodb_1::from_attribute_value(AttributeValue::Null(true))
        .map_err(|_| ValueError("the attribute is missing".to_owned()))
}

/// A `#[dynamo(serde)]` field's value as an [`Attribute`]: the type of its handle
/// (`Attr<Order, Serde<OrderStatus>>`), so that conditions and updates write it
/// through the same serde conversion as `to_item`. Handles take the plain value, since
/// any `T` converts into `Serde<T>`.
///
/// ```
/// use dynaschema::attribute::{Attribute, Serde};
/// use dynaschema::Attr;
///
/// #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
/// enum Status { Placed, Shipped }
///
/// struct Order;
/// const STATUS: Attr<Order, Serde<Status>> = Attr::new("status");
/// let shipped = STATUS.eq(Status::Shipped); // a condition, as on any other field
/// # let _ = shipped;
/// assert_eq!(Serde(Status::Placed).to_value()?, dynaschema::attribute::to_serde_value(&Status::Placed)?);
/// # Ok::<(), dynaschema::attribute::ValueError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Serde<T>(pub T);

impl<T> From<T> for Serde<T> {
    fn from(value: T) -> Self {
        Serde(value)
    }
}

impl<T: serde::Serialize + serde::de::DeserializeOwned> Attribute for Serde<T> {
    fn to_value(&self) -> Result<Option<AttributeValue>, ValueError> {
        to_serde_value(&self.0)
    }

    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        from_serde_value(value).map(Serde)
    }

    fn from_absent() -> Result<Self, ValueError> {
        from_absent_serde().map(Serde)
    }

    fn put_into(
        &self,
        item: &mut HashMap<String, AttributeValue>,
        name: &'static str,
    ) -> Result<(), ValueError> {
        put_serde_into(&self.0, item, name)
    }
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
    fn scalars_made_directly_are_what_serde_dynamo_makes() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        #[serde(rename_all = "lowercase")]
        enum Kind {
            Credit,
            Debit(u8),
        }
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Name(String);

        fn agree<T>(value: T)
        where
            T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
        {
            let theirs = serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value(&value).unwrap();
            let ours = to_serde_value(&value).unwrap();
            match &theirs {
                AttributeValue::Null(_) => assert_eq!(ours, None, "{value:?}"),
                _ => assert_eq!(ours.as_ref(), Some(&theirs), "{value:?}"),
            }
            let read: T = from_serde_value(&theirs).unwrap();
            assert_eq!(read, value);
        }
        agree(Kind::Credit);
        agree(Kind::Debit(7));
        agree(Name("clara".into()));
        agree("text".to_owned());
        agree(Some("text".to_owned()));
        agree(None::<String>);
        agree('x');
        agree(-12_i64);
        agree(u64::MAX);
        agree(1.5_f64);
        agree(true);
        agree(vec![Kind::Credit]);

        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Address {
            street: String,
            number: Option<u32>,
            note: Option<String>,
            kinds: Vec<Kind>,
            labels: BTreeMap<String, (bool, f64)>,
            codes: HashMap<u8, String>,
        }
        agree(Address {
            street: "Rua Aspicuelta".into(),
            number: Some(422),
            note: None,
            kinds: vec![Kind::Credit, Kind::Debit(1)],
            labels: BTreeMap::from([("a".to_owned(), (true, 0.25))]),
            codes: HashMap::from([(1, "one".to_owned())]),
        });
        agree(Address {
            street: String::new(),
            number: None,
            note: Some("x".into()),
            kinds: vec![],
            labels: BTreeMap::new(),
            codes: HashMap::new(),
        });

        // Errors are serde_dynamo's.
        let unknown = AttributeValue::S("refund".into());
        let err = from_serde_value::<Kind>(&unknown).unwrap_err().to_string();
        let theirs =
            serde_dynamo::aws_sdk_dynamodb_1::from_attribute_value::<Kind>(unknown.clone())
                .unwrap_err()
                .to_string();
        assert!(err.starts_with(&theirs), "{err} / {theirs}");
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
