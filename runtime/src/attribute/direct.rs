//! The common serde values (unit enum variants, strings, numbers, booleans, and
//! structs, maps and sequences of them) made, and strings read, without serde_dynamo's
//! intermediate copy of the value. Each does exactly what serde_dynamo does for what it
//! handles, and fails for anything else, which then goes through serde_dynamo (errors
//! included).

use std::collections::HashMap;
use std::fmt;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::{IntoDeserializer, Visitor};
use serde::ser::Impossible;

/// Not handled here: serde_dynamo takes over.
#[derive(Debug)]
pub struct Unsupported;

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a scalar value")
    }
}

impl std::error::Error for Unsupported {}

impl serde::ser::Error for Unsupported {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Unsupported
    }
}

impl serde::de::Error for Unsupported {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Unsupported
    }
}

/// Serializes as serde_dynamo's serializer does, into the SDK's attribute values
/// directly: scalars, sequences, string-keyed maps and structs. Enum variants with
/// data, bytes, newtypes (serde_dynamo gives some of their names a meaning) and
/// other map keys are unsupported.
#[derive(Clone, Copy)]
pub struct Direct {
    /// Serializing a map key: only a string, a char or a unit variant.
    key: bool,
}

impl Direct {
    pub const VALUE: Direct = Direct { key: false };
    const KEY: Direct = Direct { key: true };

    fn scalar(self, value: AttributeValue) -> Result<AttributeValue, Unsupported> {
        if self.key {
            Err(Unsupported)
        } else {
            Ok(value)
        }
    }
}

macro_rules! numbers {
    ($($method:ident: $t:ty),*) => {$(
        fn $method(self, v: $t) -> Result<AttributeValue, Unsupported> {
            self.scalar(AttributeValue::N(v.to_string()))
        }
    )*};
}

/// Floats: NaN and the infinities are left to the caller's refusal.
macro_rules! floats {
    ($($method:ident: $t:ty),*) => {$(
        fn $method(self, v: $t) -> Result<AttributeValue, Unsupported> {
            if !v.is_finite() {
                return Err(Unsupported);
            }
            self.scalar(AttributeValue::N(v.to_string()))
        }
    )*};
}

/// A list (L) under construction.
pub struct DirectSeq(Vec<AttributeValue>);

/// A map (M) under construction, with the key of the value to come.
pub struct DirectMap {
    map: HashMap<String, AttributeValue>,
    key: Option<String>,
}

impl serde::Serializer for Direct {
    type Ok = AttributeValue;
    type Error = Unsupported;
    type SerializeSeq = DirectSeq;
    type SerializeTuple = DirectSeq;
    type SerializeTupleStruct = DirectSeq;
    type SerializeTupleVariant = Impossible<AttributeValue, Unsupported>;
    type SerializeMap = DirectMap;
    type SerializeStruct = DirectMap;
    type SerializeStructVariant = Impossible<AttributeValue, Unsupported>;

    numbers!(
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64
    );
    floats!(serialize_f32: f32, serialize_f64: f64);

    fn serialize_bool(self, v: bool) -> Result<AttributeValue, Unsupported> {
        self.scalar(AttributeValue::Bool(v))
    }

    fn serialize_char(self, v: char) -> Result<AttributeValue, Unsupported> {
        Ok(AttributeValue::S(v.to_string()))
    }

    fn serialize_str(self, v: &str) -> Result<AttributeValue, Unsupported> {
        Ok(AttributeValue::S(v.to_owned()))
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<AttributeValue, Unsupported> {
        Err(Unsupported)
    }

    fn serialize_none(self) -> Result<AttributeValue, Unsupported> {
        self.scalar(AttributeValue::Null(true))
    }

    fn serialize_some<T: ?Sized + serde::Serialize>(
        self,
        value: &T,
    ) -> Result<AttributeValue, Unsupported> {
        if self.key {
            return Err(Unsupported);
        }
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<AttributeValue, Unsupported> {
        self.scalar(AttributeValue::Null(true))
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<AttributeValue, Unsupported> {
        self.scalar(AttributeValue::Null(true))
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<AttributeValue, Unsupported> {
        Ok(AttributeValue::S(variant.to_owned()))
    }

    fn serialize_newtype_struct<T: ?Sized + serde::Serialize>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<AttributeValue, Unsupported> {
        Err(Unsupported)
    }

    fn serialize_newtype_variant<T: ?Sized + serde::Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<AttributeValue, Unsupported> {
        Err(Unsupported)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<DirectSeq, Unsupported> {
        if self.key {
            return Err(Unsupported);
        }
        Ok(DirectSeq(Vec::with_capacity(len.unwrap_or(0))))
    }

    fn serialize_tuple(self, len: usize) -> Result<DirectSeq, Unsupported> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<DirectSeq, Unsupported> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<DirectMap, Unsupported> {
        if self.key {
            return Err(Unsupported);
        }
        Ok(DirectMap {
            map: HashMap::with_capacity(len.unwrap_or(0)),
            key: None,
        })
    }

    fn serialize_struct(self, _: &'static str, len: usize) -> Result<DirectMap, Unsupported> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported)
    }
}

impl DirectSeq {
    fn push<T: ?Sized + serde::Serialize>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.0.push(value.serialize(Direct::VALUE)?);
        Ok(())
    }
}

/// A sequence, a tuple and a tuple struct all become a list.
macro_rules! list_of {
    ($($trait:ident :: $method:ident),*) => {$(
        impl serde::ser::$trait for DirectSeq {
            type Ok = AttributeValue;
            type Error = Unsupported;

            fn $method<T: ?Sized + serde::Serialize>(
                &mut self,
                value: &T,
            ) -> Result<(), Unsupported> {
                self.push(value)
            }

            fn end(self) -> Result<AttributeValue, Unsupported> {
                Ok(AttributeValue::L(self.0))
            }
        }
    )*};
}

list_of!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

impl serde::ser::SerializeMap for DirectMap {
    type Ok = AttributeValue;
    type Error = Unsupported;

    fn serialize_key<T: ?Sized + serde::Serialize>(&mut self, key: &T) -> Result<(), Unsupported> {
        match key.serialize(Direct::KEY)? {
            AttributeValue::S(key) if self.key.is_none() => {
                self.key = Some(key);
                Ok(())
            }
            _ => Err(Unsupported),
        }
    }

    fn serialize_value<T: ?Sized + serde::Serialize>(
        &mut self,
        value: &T,
    ) -> Result<(), Unsupported> {
        let key = self.key.take().ok_or(Unsupported)?;
        self.map.insert(key, value.serialize(Direct::VALUE)?);
        Ok(())
    }

    fn end(self) -> Result<AttributeValue, Unsupported> {
        Ok(AttributeValue::M(self.map))
    }
}

impl serde::ser::SerializeStruct for DirectMap {
    type Ok = AttributeValue;
    type Error = Unsupported;

    fn serialize_field<T: ?Sized + serde::Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        self.map
            .insert(key.to_owned(), value.serialize(Direct::VALUE)?);
        Ok(())
    }

    fn end(self) -> Result<AttributeValue, Unsupported> {
        Ok(AttributeValue::M(self.map))
    }
}

/// Reads an attribute value in place, as serde_dynamo's deserializer reads its own
/// copy of it: strings, numbers, booleans, NULL, lists and maps, into the serde data
/// model. Sets, binary values, enum variants with data and map keys other than
/// strings are unsupported.
pub struct Borrowed<'a>(pub &'a AttributeValue);

macro_rules! numbers_in {
    ($($method:ident: $t:ty => $visit:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unsupported> {
            match self.0 {
                AttributeValue::N(n) => visitor.$visit(n.parse::<$t>().map_err(|_| Unsupported)?),
                _ => Err(Unsupported),
            }
        }
    )*};
}

impl<'de, 'a> serde::Deserializer<'de> for Borrowed<'a> {
    type Error = Unsupported;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unsupported> {
        match self.0 {
            AttributeValue::N(n) => {
                if let Ok(i) = n.parse::<i64>() {
                    visitor.visit_i64(i)
                } else if let Ok(u) = n.parse::<u64>() {
                    visitor.visit_u64(u)
                } else {
                    visitor.visit_f64(n.parse::<f64>().map_err(|_| Unsupported)?)
                }
            }
            AttributeValue::S(s) => visitor.visit_str(s),
            AttributeValue::Bool(b) => visitor.visit_bool(*b),
            AttributeValue::Null(true) => visitor.visit_unit(),
            AttributeValue::M(_) => self.deserialize_map(visitor),
            AttributeValue::L(_) => self.deserialize_seq(visitor),
            _ => Err(Unsupported),
        }
    }

    numbers_in!(
        deserialize_i8: i8 => visit_i8, deserialize_i16: i16 => visit_i16,
        deserialize_i32: i32 => visit_i32, deserialize_i64: i64 => visit_i64,
        deserialize_u8: u8 => visit_u8, deserialize_u16: u16 => visit_u16,
        deserialize_u32: u32 => visit_u32, deserialize_u64: u64 => visit_u64,
        deserialize_f32: f32 => visit_f32, deserialize_f64: f64 => visit_f64
    );

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unsupported> {
        match self.0 {
            AttributeValue::Bool(b) => visitor.visit_bool(*b),
            _ => Err(Unsupported),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unsupported> {
        match self.0 {
            AttributeValue::S(s) => visitor.visit_str(s),
            _ => Err(Unsupported),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unsupported> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unsupported> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unsupported> {
        match self.0 {
            AttributeValue::Null(true) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unsupported> {
        match self.0 {
            AttributeValue::Null(true) => visitor.visit_unit(),
            _ => Err(Unsupported),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Unsupported> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Unsupported> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unsupported> {
        match self.0 {
            AttributeValue::L(list) => visitor.visit_seq(BorrowedSeq(list.iter())),
            _ => Err(Unsupported),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, Unsupported> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, Unsupported> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unsupported> {
        match self.0 {
            AttributeValue::M(map) => visitor.visit_map(BorrowedMap {
                entries: map.iter(),
                value: None,
            }),
            _ => Err(Unsupported),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Unsupported> {
        match self.0 {
            AttributeValue::L(_) => self.deserialize_seq(visitor),
            _ => self.deserialize_map(visitor),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Unsupported> {
        match self.0 {
            AttributeValue::S(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            _ => Err(Unsupported),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Unsupported> {
        self.deserialize_any(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Unsupported> {
        Err(Unsupported)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Unsupported> {
        Err(Unsupported)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Unsupported> {
        Err(Unsupported)
    }
}

/// The elements of a list, read in place.
struct BorrowedSeq<'a>(std::slice::Iter<'a, AttributeValue>);

impl<'de, 'a> serde::de::SeqAccess<'de> for BorrowedSeq<'a> {
    type Error = Unsupported;

    fn next_element_seed<T: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Unsupported> {
        self.0
            .next()
            .map(|value| seed.deserialize(Borrowed(value)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// The entries of a map, read in place; keys are strings.
struct BorrowedMap<'a> {
    entries: std::collections::hash_map::Iter<'a, String, AttributeValue>,
    value: Option<&'a AttributeValue>,
}

impl<'de, 'a> serde::de::MapAccess<'de> for BorrowedMap<'a> {
    type Error = Unsupported;

    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Unsupported> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                let key: serde::de::value::StrDeserializer<'_, Unsupported> =
                    key.as_str().into_deserializer();
                seed.deserialize(key).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Unsupported> {
        let value = self.value.take().ok_or(Unsupported)?;
        seed.deserialize(Borrowed(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}
