//! Key templates such as `ACCOUNT#{id}`, the keys they make, and the partitions that
//! queries read.

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::attribute::ValueError;
use crate::error::{Error, Result};

pub use crate::error::KeyError;
use crate::timestamp::Timestamp;

/// One piece of a key template: literal text or a field placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// Text written as it is.
    Literal(&'static str),
    /// The value of the named field.
    Field(&'static str),
}

/// A key template: the attribute it fills and the text it is made of, such as
/// `ACCOUNT#{id}` for attribute `PK`.
///
/// A field value may not contain its delimiter — the first character of the literal
/// after its placeholder, or, for a placeholder that ends the template, the last
/// character of the literal before it — so that every key reads back unambiguously
/// and a partition prefix never matches another entity's keys.
///
/// ```
/// use dynaschema::key::{KeyTemplate, Segment};
///
/// const SK: KeyTemplate = KeyTemplate::new("SK", &[Segment::Literal("OPERATION#"), Segment::Field("created_at")]);
/// assert_eq!(SK.render(&[&"2026-11-24T21:16:54.000000Z"]).unwrap(), "OPERATION#2026-11-24T21:16:54.000000Z");
/// assert_eq!(SK.parse("OPERATION#x"), Some(vec!["x"]));
/// assert_eq!(SK.parse("ACCOUNT"), None);
/// assert!(SK.render(&[&"a#b"]).is_err(), "`#` is the delimiter");
/// assert_eq!(SK.prefix(), "OPERATION#");
/// assert_eq!(SK.to_string(), "OPERATION#{created_at}");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyTemplate {
    attribute: &'static str,
    segments: &'static [Segment],
}

impl KeyTemplate {
    /// A template for `attribute`. Adjacent placeholders would be ambiguous; the derive
    /// never makes them.
    pub const fn new(attribute: &'static str, segments: &'static [Segment]) -> Self {
        KeyTemplate {
            attribute,
            segments,
        }
    }

    /// The attribute the template fills, such as `PK`.
    pub fn attribute(&self) -> &'static str {
        self.attribute
    }

    /// The template's pieces.
    pub fn segments(&self) -> &'static [Segment] {
        self.segments
    }

    /// Whether the two templates make the same keys from the same values: the same
    /// attribute, the same literal text, placeholders in the same places (whatever
    /// their fields' names). `ACCOUNT#{id}` and `ACCOUNT#{account_id}` do.
    pub const fn same_shape(&self, other: &KeyTemplate) -> bool {
        if !same_text(self.attribute, other.attribute)
            || self.segments.len() != other.segments.len()
        {
            return false;
        }
        let mut i = 0;
        while i < self.segments.len() {
            match (&self.segments[i], &other.segments[i]) {
                (Segment::Literal(a), Segment::Literal(b)) if same_text(a, b) => {}
                (Segment::Field(_), Segment::Field(_)) => {}
                _ => return false,
            }
            i += 1;
        }
        true
    }

    /// The fields its placeholders name, in order.
    ///
    /// ```
    /// use dynaschema::key::{KeyTemplate, Segment};
    ///
    /// const SK: KeyTemplate = KeyTemplate::new("SK", &[
    ///     Segment::Literal("ORDER#"), Segment::Field("order_id"),
    ///     Segment::Literal("#NOTE#"), Segment::Field("n"),
    /// ]);
    /// assert!(SK.fields().eq(["order_id", "n"]));
    /// ```
    pub fn fields(&self) -> impl Iterator<Item = &'static str> {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Field(field) => Some(*field),
            Segment::Literal(_) => None,
        })
    }

    /// Whether the template has no placeholder (like `ACCOUNT`).
    pub fn is_constant(&self) -> bool {
        self.segments
            .iter()
            .all(|s| matches!(s, Segment::Literal(_)))
    }

    /// The literal text before the first placeholder: what every key of the template
    /// begins with.
    pub fn prefix(&self) -> &'static str {
        match self.segments.first() {
            Some(Segment::Literal(text)) => text,
            _ => "",
        }
    }

    /// The character a value of the `index`-th segment may not contain, if any.
    fn delimiter(&self, index: usize) -> Option<char> {
        let after = match self.segments.get(index + 1) {
            Some(Segment::Literal(text)) => text.chars().next(),
            _ => None,
        };
        let before = || match index.checked_sub(1).and_then(|i| self.segments.get(i)) {
            Some(Segment::Literal(text)) => text.chars().last(),
            _ => None,
        };
        after.or_else(before)
    }

    /// Writes the key: `values` holds one value per placeholder, in order. A value that
    /// contains its delimiter, or an empty key, is a [`KeyError`].
    pub fn render(&self, values: &[&dyn KeyPart]) -> std::result::Result<String, KeyError> {
        let mut out = String::with_capacity(self.typical_len());
        let mut values = values.iter();
        for (index, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Field(field) => {
                    let value = values
                        .next()
                        .ok_or_else(|| self.invalid(field, "no value was given"))?;
                    let start = out.len();
                    value.write_key(&mut out);
                    if let Some(delimiter) = self.delimiter(index)
                        && out[start..].contains(delimiter)
                    {
                        let value = out[start..].to_owned();
                        return Err(self.invalid(
                                field,
                                &format!("the value {value:?} contains `{delimiter}`, the template's delimiter"),
                            ));
                    }
                }
            }
        }
        if out.is_empty() {
            // Only a template made of placeholders alone renders nothing.
            let fields: Vec<&str> = self.fields().collect();
            return Err(self.invalid(
                &fields.join("`, `"),
                "the key is empty, which DynamoDB refuses: give it a value",
            ));
        }
        Ok(out)
    }

    /// [`render`](Self::render) for the table's partition key, which DynamoDB holds to
    /// 2,048 bytes: what the derive's keys and items are written with.
    #[doc(hidden)]
    pub fn render_partition_key(
        &self,
        values: &[&dyn KeyPart],
    ) -> std::result::Result<String, KeyError> {
        within(self, self.render(values)?, MAX_PARTITION_KEY)
    }

    /// [`render`](Self::render) for the table's sort key, which DynamoDB holds to 1,024
    /// bytes.
    #[doc(hidden)]
    pub fn render_sort_key(
        &self,
        values: &[&dyn KeyPart],
    ) -> std::result::Result<String, KeyError> {
        within(self, self.render(values)?, MAX_SORT_KEY)
    }

    fn invalid(&self, field: &str, reason: &str) -> KeyError {
        KeyError {
            template: self.to_string(),
            field: field.to_owned(),
            reason: reason.to_owned(),
        }
    }

    /// A key's length when its values are short (numbers, timestamps): the room
    /// reserved for rendering it, so that most keys are written without growing.
    fn typical_len(&self) -> usize {
        self.segments
            .iter()
            .map(|segment| match segment {
                Segment::Literal(text) => text.len(),
                Segment::Field(_) => 27,
            })
            .sum()
    }

    /// The placeholder values of a key made by this template, or `None` when the key
    /// does not fit the template.
    pub fn parse<'k>(&self, key: &'k str) -> Option<Vec<&'k str>> {
        let mut values = Vec::new();
        self.split(key, |value| values.push(value))
            .then_some(values)
    }

    /// The values of a template with exactly `N` placeholders, without allocating: what
    /// the derive's `from_item` reads key fields with. `None` when the key does not fit
    /// the template, or the template has another number of placeholders.
    ///
    /// ```
    /// use dynaschema::key::{KeyTemplate, Segment};
    ///
    /// const PK: KeyTemplate = KeyTemplate::new("PK", &[Segment::Literal("ACCOUNT#"), Segment::Field("id")]);
    /// assert_eq!(PK.parse_exact::<1>("ACCOUNT#123"), Some(["123"]));
    /// assert_eq!(PK.parse_exact::<2>("ACCOUNT#123"), None);
    /// assert_eq!(PK.parse_exact::<1>("OPERATION#1"), None);
    /// ```
    pub fn parse_exact<'k, const N: usize>(&self, key: &'k str) -> Option<[&'k str; N]> {
        let mut values = [""; N];
        let mut count = 0;
        let fits = self.split(key, |value| {
            if let Some(slot) = values.get_mut(count) {
                *slot = value;
            }
            count += 1;
        });
        (fits && count == N).then_some(values)
    }

    /// Whether `key` fits the template. Allocates nothing: queries call it for every
    /// item they read.
    pub fn matches(&self, key: &str) -> bool {
        self.split(key, |_| {})
    }

    /// Walks `key` along the template, handing each placeholder's value to `value`:
    /// whether the whole key fits. A value holds no delimiter, as when rendering: so
    /// `ORDER#7#NOTE#1` does not fit `ORDER#{order_id}`, whose value would be `7#NOTE#1`.
    fn split<'k>(&self, key: &'k str, mut value: impl FnMut(&'k str)) -> bool {
        // The common shape, `PREFIX#{field}`, without walking the template.
        if let [Segment::Literal(prefix), Segment::Field(_)] = self.segments {
            let Some(rest) = key.strip_prefix(prefix) else {
                return false;
            };
            if self.delimiter(1).is_some_and(|d| rest.contains(d)) {
                return false;
            }
            value(rest);
            return true;
        }
        let mut rest = key;
        for (index, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Literal(text) => match rest.strip_prefix(text) {
                    Some(after) => rest = after,
                    None => return false,
                },
                Segment::Field(_) => {
                    let end = match self.delimiter(index) {
                        Some(delimiter) => rest.find(delimiter).unwrap_or(rest.len()),
                        None => rest.len(),
                    };
                    // A trailing value must end the key; any other is followed by its
                    // literal, which the next segment checks.
                    if end < rest.len() && index + 1 == self.segments.len() {
                        return false;
                    }
                    value(&rest[..end]);
                    rest = &rest[end..];
                }
            }
        }
        rest.is_empty()
    }
}

impl fmt::Display for KeyTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for segment in self.segments {
            match segment {
                Segment::Literal(text) => f.write_str(text)?,
                Segment::Field(field) => write!(f, "{{{field}}}")?,
            }
        }
        Ok(())
    }
}

/// Text equality in a `const fn`.
pub(crate) const fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// A secondary index an entity declares (`index(name = .., pk = .., sk = ..)`, or
/// `local_index(name = .., sk = ..)`), listed in [`Entity::INDEXES`](crate::Entity::INDEXES):
/// its name and key templates, each with the attribute it is written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityIndex {
    /// The index, such as `GSI1`.
    pub name: &'static str,
    /// The index partition key's template (a local index's is the table's).
    pub pk: KeyTemplate,
    /// The index sort key's template, if the entity writes one.
    pub sk: Option<KeyTemplate>,
    /// Whether the entity declares the index `partial`: it copies part of the entity,
    /// whose items it reads as [`Projected`](crate::Projected) entities.
    pub partial: bool,
}

/// A key attribute of a secondary index that an entity writes from its fields, such as
/// `GSI2PK = TIER#{tier}`: what the derive makes of `index(name = "GSI2", pk = "TIER#{tier}",
/// pk_attr = "GSI2PK")`, listed in [`Entity::INDEX_KEYS`](crate::Entity::INDEX_KEYS).
///
/// An index's keys are written together or not at all: when an optional field of any of
/// them is `None`, the item has none of them, and so is not in that (sparse) index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexKey {
    /// The index, such as `GSI2`.
    pub index: &'static str,
    /// The template; its attribute is the one written, such as `GSI2PK`.
    pub template: KeyTemplate,
    /// The attribute of each placeholder's field, in the template's order: `None` for a
    /// `key_only` field, whose value is in the primary key.
    pub attributes: &'static [Option<&'static str>],
}

/// A type whose values can be part of a key: written into the key's text and parsed
/// back out of it.
///
/// ```
/// use dynaschema::KeyPart;
///
/// let mut key = String::new();
/// 123_u64.write_key(&mut key);
/// assert_eq!(key, "123");
/// assert_eq!(u64::parse_key("123")?, 123);
/// # Ok::<(), dynaschema::attribute::ValueError>(())
/// ```
///
/// Integers, `String`, `char` and [`Timestamp`] are key parts; with the cargo features
/// `uuid` and `chrono`, so are `uuid::Uuid` and `chrono::DateTime<Utc>`. A type of your
/// own becomes one by implementing this trait; for another crate's type, which the
/// orphan rule keeps you from implementing it for, wrap it in a newtype:
///
/// ```
/// use dynaschema::attribute::ValueError;
/// use dynaschema::KeyPart;
///
/// /// A SKU such as `AB-123`, kept upper case so that keys compare alike.
/// #[derive(Debug, Clone, PartialEq)]
/// pub struct Sku(String);
///
/// impl KeyPart for Sku {
///     fn write_key(&self, out: &mut String) {
///         out.push_str(&self.0);
///     }
///
///     fn parse_key(text: &str) -> Result<Self, ValueError> {
///         if text.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-') {
///             Ok(Sku(text.to_owned()))
///         } else {
///             Err(ValueError(format!("expected a SKU, found {text:?}")))
///         }
///     }
/// }
///
/// assert_eq!(dynaschema::key::key_text(&Sku("AB-123".into())), "AB-123");
/// assert!(Sku::parse_key("ab").is_err());
/// ```
///
/// A newtype that is also stored as an attribute (not `key_only`) implements
/// [`Attribute`](crate::Attribute) too, or is stored with `#[dynamo(serde)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be part of a key",
    label = "a key field must be an integer, `String`, `char`, `Timestamp` or another `KeyPart`",
    note = "keys are text: implement `dynaschema::KeyPart` for a type of your own that writes itself as text and parses back; for another crate's type, wrap it in a newtype of your own (the features `uuid` and `chrono` cover `uuid::Uuid` and `chrono::DateTime<Utc>`)"
)]
pub trait KeyPart {
    /// Appends the value's text to a key.
    fn write_key(&self, out: &mut String);

    /// Reads a value back from its text in a key.
    fn parse_key(text: &str) -> std::result::Result<Self, ValueError>
    where
        Self: Sized;
}

/// A value's text in a key, on its own.
///
/// ```
/// assert_eq!(dynaschema::key::key_text(&42_u64), "42");
/// ```
pub fn key_text(value: &(impl KeyPart + ?Sized)) -> String {
    let mut text = String::new();
    value.write_key(&mut text);
    text
}

/// Writes an integer's decimal digits, after a `-` when `negative`. Integers are written
/// digit by digit because keys are made for every item written and every key built, and
/// this is faster than formatting through `write!`.
#[inline]
fn write_integer(value: u128, negative: bool, out: &mut String) {
    let mut digits = [0_u8; 40];
    let mut at = digits.len();
    // Most keys hold 64-bit numbers, whose division is much cheaper than 128-bit.
    match u64::try_from(value) {
        Ok(mut small) => loop {
            at -= 1;
            digits[at] = b'0' + (small % 10) as u8;
            small /= 10;
            if small == 0 {
                break;
            }
        },
        Err(_) => {
            let mut rest = value;
            while rest > 0 {
                at -= 1;
                digits[at] = b'0' + (rest % 10) as u8;
                rest /= 10;
            }
        }
    }
    if negative {
        at -= 1;
        digits[at] = b'-';
    }
    out.push_str(std::str::from_utf8(&digits[at..]).expect("ASCII digits"));
}

macro_rules! integer_key_part {
    ($($t:ty => |$v:ident| $abs:expr),*) => {$(
        impl KeyPart for $t {
            #[inline]
            fn write_key(&self, out: &mut String) {
                let $v = *self;
                #[allow(unused_comparisons)]
                let negative = $v < 0;
                write_integer($abs as u128, negative, out);
            }

            fn parse_key(text: &str) -> std::result::Result<Self, ValueError> {
                text.parse().map_err(|_| {
                    ValueError(format!("expected {} in the key, found {text:?}", stringify!($t)))
                })
            }
        }
    )*};
}

integer_key_part!(
    u8 => |v| v, u16 => |v| v, u32 => |v| v, u64 => |v| v, u128 => |v| v, usize => |v| v,
    i8 => |v| v.unsigned_abs(), i16 => |v| v.unsigned_abs(), i32 => |v| v.unsigned_abs(),
    i64 => |v| v.unsigned_abs(), i128 => |v| v.unsigned_abs(), isize => |v| v.unsigned_abs()
);

macro_rules! display_key_part {
    ($($t:ty),*) => {$(
        impl KeyPart for $t {
            #[inline]
            fn write_key(&self, out: &mut String) {
                use std::fmt::Write;
                write!(out, "{self}").expect("writing to a String cannot fail");
            }

            fn parse_key(text: &str) -> std::result::Result<Self, ValueError> {
                text.parse().map_err(|_| {
                    ValueError(format!("expected {} in the key, found {text:?}", stringify!($t)))
                })
            }
        }
    )*};
}

display_key_part!(char);

impl KeyPart for Timestamp {
    #[inline]
    fn write_key(&self, out: &mut String) {
        self.write_to(out);
    }

    fn parse_key(text: &str) -> std::result::Result<Self, ValueError> {
        Timestamp::parse(text)
            .map_err(|_| ValueError(format!("expected Timestamp in the key, found {text:?}")))
    }
}

impl KeyPart for String {
    fn write_key(&self, out: &mut String) {
        out.push_str(self);
    }

    fn parse_key(text: &str) -> std::result::Result<Self, ValueError> {
        Ok(text.to_owned())
    }
}

impl KeyPart for str {
    fn write_key(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl<T: KeyPart + ?Sized> KeyPart for &T {
    fn write_key(&self, out: &mut String) {
        (**self).write_key(out);
    }

    fn parse_key(_: &str) -> std::result::Result<Self, ValueError>
    where
        Self: Sized,
    {
        Err(ValueError(
            "a borrowed key part cannot be parsed".to_owned(),
        ))
    }
}

/// The primary key of one item of entity `E`: its partition key and, when the table
/// has one, its sort key, each with its attribute name.
///
/// A key whose making failed (a value containing its template's delimiter) carries the
/// error, and every operation given it returns that error before sending anything.
pub struct Key<E> {
    parts: std::result::Result<KeyParts, KeyError>,
    _entity: PhantomData<fn() -> E>,
}

/// DynamoDB's longest partition key, in bytes of UTF-8.
pub(crate) const MAX_PARTITION_KEY: usize = 2048;
/// DynamoDB's longest sort key, in bytes of UTF-8.
pub(crate) const MAX_SORT_KEY: usize = 1024;

/// `key`, rendered by `template`, if it is at most `most` bytes long, as DynamoDB's keys
/// of its kind must be.
fn within(
    template: &KeyTemplate,
    key: String,
    most: usize,
) -> std::result::Result<String, KeyError> {
    if key.len() <= most {
        return Ok(key);
    }
    let which = if most == MAX_PARTITION_KEY {
        "partition"
    } else {
        "sort"
    };
    let fields: Vec<&str> = template.fields().collect();
    Err(template.invalid(
        &fields.join("`, `"),
        &format!(
            "the {which} key is {} bytes long, and DynamoDB's {which} keys hold at most \
             {most}: shorten its values",
            key.len()
        ),
    ))
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct KeyParts {
    pk: (&'static str, String),
    sk: Option<(&'static str, String)>,
}

impl<E> Key<E> {
    /// A key from its templates and placeholder values, as the derive's key builders
    /// make them.
    pub fn render(
        pk: &KeyTemplate,
        pk_values: &[&dyn KeyPart],
        sk: Option<(&KeyTemplate, &[&dyn KeyPart])>,
    ) -> Self {
        let parts = (|| {
            Ok(KeyParts {
                pk: (pk.attribute(), pk.render_partition_key(pk_values)?),
                sk: match sk {
                    Some((template, values)) => {
                        Some((template.attribute(), template.render_sort_key(values)?))
                    }
                    None => None,
                },
            })
        })();
        Key {
            parts,
            _entity: PhantomData,
        }
    }

    /// The key of attributes `pk` and `sk` holding these values, as an item read holds
    /// them.
    pub(crate) fn from_parts(
        pk: (&'static str, String),
        sk: Option<(&'static str, String)>,
    ) -> Self {
        Key {
            parts: Ok(KeyParts { pk, sk }),
            _entity: PhantomData,
        }
    }

    /// The key's attributes as a DynamoDB key map, or the error its making met.
    pub fn into_item(self) -> Result<HashMap<String, AttributeValue>> {
        self.into_item_with_capacity(2)
    }

    /// The key's attributes in a map with room for `capacity` attributes in all: the
    /// start of a whole item, which then grows without reallocating (what the derive's
    /// `to_item` uses).
    pub fn into_item_with_capacity(
        self,
        capacity: usize,
    ) -> Result<HashMap<String, AttributeValue>> {
        let parts = self.parts.map_err(Error::InvalidKey)?;
        let mut item = HashMap::with_capacity(capacity.max(2));
        item.insert(parts.pk.0.to_owned(), AttributeValue::S(parts.pk.1));
        if let Some((name, value)) = parts.sk {
            item.insert(name.to_owned(), AttributeValue::S(value));
        }
        Ok(item)
    }

    /// The key's attributes as a DynamoDB key map, or the error its making met.
    pub fn to_item(&self) -> Result<HashMap<String, AttributeValue>> {
        let parts = self.parts()?;
        let mut item = HashMap::with_capacity(2);
        item.insert(parts.pk.0.to_owned(), AttributeValue::S(parts.pk.1.clone()));
        if let Some((name, value)) = &parts.sk {
            item.insert((*name).to_owned(), AttributeValue::S(value.clone()));
        }
        Ok(item)
    }

    fn parts(&self) -> Result<&KeyParts> {
        self.parts
            .as_ref()
            .map_err(|err| Error::InvalidKey(err.clone()))
    }

    /// The partition key's attribute name and value.
    pub fn partition_key(&self) -> Result<(&'static str, &str)> {
        let parts = self.parts()?;
        Ok((parts.pk.0, &parts.pk.1))
    }

    /// The sort key's attribute name and value, if the key has one.
    pub fn sort_key(&self) -> Result<Option<(&'static str, &str)>> {
        Ok(self
            .parts()?
            .sk
            .as_ref()
            .map(|(name, value)| (*name, value.as_str())))
    }
}

impl<E> Clone for Key<E> {
    fn clone(&self) -> Self {
        Key {
            parts: self.parts.clone(),
            _entity: PhantomData,
        }
    }
}

impl<E> PartialEq for Key<E> {
    fn eq(&self, other: &Self) -> bool {
        match (&self.parts, &other.parts) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}

impl<E> fmt::Debug for Key<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({self})")
    }
}

/// `PK=ACCOUNT#123, SK=ACCOUNT`, as error messages show a key.
impl<E> fmt::Display for Key<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.parts {
            Ok(parts) => {
                write!(f, "{}={}", parts.pk.0, parts.pk.1)?;
                if let Some((name, value)) = &parts.sk {
                    write!(f, ", {name}={value}")?;
                }
                Ok(())
            }
            Err(err) => write!(f, "<invalid key: {err}>"),
        }
    }
}

/// Which sort keys of a partition a query reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKeyMatch {
    /// Every item of the partition.
    Any,
    /// The items whose sort key is exactly this (an entity with a constant sort key).
    Equals(&'static str, String),
    /// The items whose sort key begins with this: one entity type's items.
    BeginsWith(&'static str, String),
}

/// A partition key plus which of its sort keys belong to entity `E`: what
/// `Operation::partition(account_id)` returns, for queries.
pub struct Partition<E> {
    /// The secondary index the partition is of, or `None` for the table's.
    index: Option<&'static str>,
    pk: std::result::Result<(&'static str, String), KeyError>,
    sort_key: SortKeyMatch,
    whole: bool,
    /// Why the partition cannot be read as `E` (a collection whose members do not all
    /// share it), if it cannot.
    refusal: Option<(&'static str, String)>,
    _entity: PhantomData<fn() -> E>,
}

impl<E> Partition<E> {
    /// The partition of `pk`'s template and values, narrowed to the keys `sk` makes:
    /// exactly its text when it is constant, else its literal prefix.
    pub fn render(pk: &KeyTemplate, pk_values: &[&dyn KeyPart], sk: Option<&KeyTemplate>) -> Self {
        let sort_key = match sk {
            None => SortKeyMatch::Any,
            Some(sk) if sk.is_constant() => {
                SortKeyMatch::Equals(sk.attribute(), sk.prefix().to_owned())
            }
            Some(sk) if sk.prefix().is_empty() => SortKeyMatch::Any,
            Some(sk) => SortKeyMatch::BeginsWith(sk.attribute(), sk.prefix().to_owned()),
        };
        Partition {
            index: None,
            pk: pk.render(pk_values).map(|value| (pk.attribute(), value)),
            sort_key,
            whole: false,
            refusal: None,
            _entity: PhantomData,
        }
    }

    /// The partition of an index keyed on a field's own attribute (`pk = "{email}"`,
    /// template `pk`): `value` as the field's type writes it, a string or a number.
    #[doc(hidden)]
    pub fn of_attribute(
        pk: &KeyTemplate,
        value: std::result::Result<Option<AttributeValue>, ValueError>,
        sk: Option<&KeyTemplate>,
    ) -> Self {
        let refuse = |reason: String| KeyError {
            template: pk.to_string(),
            field: pk.fields().next().unwrap_or_default().to_owned(),
            reason,
        };
        let text = match value {
            Ok(Some(AttributeValue::S(text) | AttributeValue::N(text))) => Ok(text),
            Ok(Some(_)) => Err(refuse(
                "the value is neither a string nor a number, which a query can match".to_owned(),
            )),
            Ok(None) => Err(refuse("the value is absent".to_owned())),
            Err(ValueError(reason)) => Err(refuse(reason)),
        };
        let mut partition = Partition::render(pk, &[], sk);
        partition.pk = text.map(|text| (pk.attribute(), text));
        partition
    }

    /// The same keys in the secondary index `index` (global or local): what the derive's
    /// index builders (`Order::gsi1(order_id)`) make.
    #[doc(hidden)]
    pub fn in_index(mut self, index: &'static str) -> Self {
        self.index = Some(index);
        self
    }

    /// The secondary index the partition is of, or `None` for the table's own.
    pub fn index(&self) -> Option<&'static str> {
        self.index
    }

    /// The partition key's attribute name and value, or the error its making met.
    pub fn partition_key(&self) -> Result<(&'static str, &str)> {
        if let Some((collection, message)) = &self.refusal {
            return Err(Error::Collection {
                collection,
                message: message.clone(),
            });
        }
        match &self.pk {
            Ok((name, value)) => Ok((name, value)),
            Err(err) => Err(Error::InvalidKey(err.clone())),
        }
    }

    /// The whole partition, every item of it read as a `C` (a collection of which `E`
    /// is a member), or refused with `refusal` when reading it as such makes no sense.
    pub(crate) fn retyped<C>(self, refusal: Option<(&'static str, String)>) -> Partition<C> {
        Partition {
            index: self.index,
            pk: self.pk,
            sort_key: SortKeyMatch::Any,
            whole: true,
            refusal: refusal.or(self.refusal),
            _entity: PhantomData,
        }
    }

    /// Which sort keys belong to the entity.
    pub fn sort_key(&self) -> &SortKeyMatch {
        &self.sort_key
    }

    /// The whole partition, whatever entity its items are: for reading several entity
    /// types in one query.
    pub fn whole(mut self) -> Self {
        self.sort_key = SortKeyMatch::Any;
        self.whole = true;
        self
    }

    /// Whether this is the [`whole`](Self::whole) partition, every item of which is
    /// selected; otherwise only the items of entity `E` are, which its sort-key match
    /// may not tell apart from deeper keys (`ORDER#7#NOTE#1` begins with `ORDER#`).
    pub fn is_whole(&self) -> bool {
        self.whole
    }
}

impl<E> Clone for Partition<E> {
    fn clone(&self) -> Self {
        Partition {
            index: self.index,
            pk: self.pk.clone(),
            sort_key: self.sort_key.clone(),
            whole: self.whole,
            refusal: self.refusal.clone(),
            _entity: PhantomData,
        }
    }
}

impl<E> fmt::Debug for Partition<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Partition")
            .field("index", &self.index)
            .field("pk", &self.pk)
            .field("sort_key", &self.sort_key)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PK: KeyTemplate =
        KeyTemplate::new("PK", &[Segment::Literal("ACCOUNT#"), Segment::Field("id")]);
    const TWO: KeyTemplate = KeyTemplate::new(
        "SK",
        &[
            Segment::Literal("ORG#"),
            Segment::Field("org"),
            Segment::Literal("#USER#"),
            Segment::Field("user"),
        ],
    );
    const BARE: KeyTemplate = KeyTemplate::new("email", &[Segment::Field("email")]);

    #[test]
    fn renders_and_parses_back() {
        assert_eq!(PK.render(&[&123_u64]).unwrap(), "ACCOUNT#123");
        assert_eq!(PK.parse("ACCOUNT#123"), Some(vec!["123"]));
        assert_eq!(TWO.render(&[&"acme", &7_u32]).unwrap(), "ORG#acme#USER#7");
        assert_eq!(TWO.parse("ORG#acme#USER#7"), Some(vec!["acme", "7"]));
        assert_eq!(
            BARE.render(&[&"a#b:c@d"]).unwrap(),
            "a#b:c@d",
            "no literal, no delimiter"
        );
        assert_eq!(
            u64::parse_key(PK.parse("ACCOUNT#123").unwrap()[0]).unwrap(),
            123
        );
    }

    #[test]
    fn a_value_containing_its_delimiter_is_refused() {
        let err = TWO.render(&[&"a#b", &1_u32]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid key for template ORG#{org}#USER#{user}: field `org`: the value \"a#b\" contains `#`, the template's delimiter"
        );
        assert!(
            TWO.render(&[&"a", &"1#2"]).is_err(),
            "the last placeholder's delimiter is the one before it"
        );
        assert!(PK.render(&[&"12#3"]).is_err());
    }

    #[test]
    fn integers_are_written_as_display_writes_them() {
        fn written(part: &dyn KeyPart) -> String {
            let mut out = String::new();
            part.write_key(&mut out);
            out
        }
        for n in [
            0_i128,
            7,
            -7,
            10,
            123_456,
            i128::from(i64::MIN),
            i128::MAX,
            i128::MIN,
        ] {
            assert_eq!(written(&n), n.to_string());
        }
        for n in [
            0_u128,
            9,
            u128::from(u64::MAX),
            u128::from(u64::MAX) + 1,
            u128::MAX,
        ] {
            assert_eq!(written(&n), n.to_string());
        }
        assert_eq!(written(&u64::MAX), u64::MAX.to_string());
        assert_eq!(written(&i8::MIN), "-128");
        assert_eq!(written(&0_u8), "0");
    }

    #[test]
    fn keys_of_other_templates_do_not_match() {
        assert!(!PK.matches("ACCOUNTS#1"));
        assert!(!PK.matches("OPERATION#1"));
        assert!(!TWO.matches("ORG#acme"));
        assert!(!TWO.matches("ORG#acme#USER"));
        const ACCOUNT: KeyTemplate = KeyTemplate::new("SK", &[Segment::Literal("ACCOUNT")]);
        assert!(ACCOUNT.matches("ACCOUNT") && !ACCOUNT.matches("ACCOUNT#1"));
        assert!(ACCOUNT.is_constant() && !PK.is_constant());
    }

    #[test]
    fn a_trailing_value_never_swallows_a_deeper_key() {
        const ORG: KeyTemplate =
            KeyTemplate::new("SK", &[Segment::Literal("ORG#"), Segment::Field("org")]);
        assert_eq!(ORG.parse("ORG#acme"), Some(vec!["acme"]));
        assert_eq!(ORG.parse_exact::<1>("ORG#acme"), Some(["acme"]));
        for deeper in ["ORG#acme#USER#7", "ORG#acme#"] {
            assert_eq!(ORG.parse(deeper), None, "{deeper}");
            assert_eq!(ORG.parse_exact::<1>(deeper), None, "{deeper}");
            assert!(!ORG.matches(deeper), "{deeper}");
        }
        assert_eq!(TWO.parse_exact::<2>("ORG#acme#USER#7"), Some(["acme", "7"]));
        for other in ["ORG#a#b#USER#7", "ORG#acme#USER#7#8", "ORG#acme#USER"] {
            assert_eq!(TWO.parse(other), None, "{other}");
            assert!(!TWO.matches(other), "{other}");
        }
        // Whatever render accepts parses back to the same values.
        for (org, user) in [("acme", "7"), ("", ""), ("a:b", "USER"), ("x y", "#")] {
            match TWO.render(&[&org, &user]) {
                Ok(key) => assert_eq!(TWO.parse(&key), Some(vec![org, user]), "{key}"),
                Err(_) => assert!(user.contains('#')),
            }
        }
        // A prefix that ends in another character delimits with that one.
        const TAGGED: KeyTemplate =
            KeyTemplate::new("SK", &[Segment::Literal("v1_"), Segment::Field("id")]);
        assert_eq!(TAGGED.parse_exact::<1>("v1_a#b"), Some(["a#b"]));
        assert_eq!(TAGGED.parse_exact::<1>("v1_a_b"), None);
        assert!(TWO.fields().eq(["org", "user"]));
    }

    #[test]
    fn keys_and_partitions_carry_their_errors() {
        struct E;
        let key = Key::<E>::render(&PK, &[&"bad#id"], None);
        assert!(matches!(key.to_item(), Err(Error::InvalidKey(_))));
        let key = Key::<E>::render(&PK, &[&5_u8], Some((&TWO, &[&"o", &1_u8])));
        assert_eq!(key.to_string(), "PK=ACCOUNT#5, SK=ORG#o#USER#1");
        assert_eq!(key.to_item().unwrap().len(), 2);
        let partition = Partition::<E>::render(&PK, &[&5_u8], Some(&TWO));
        assert_eq!(partition.partition_key().unwrap(), ("PK", "ACCOUNT#5"));
        assert_eq!(
            partition.sort_key(),
            &SortKeyMatch::BeginsWith("SK", "ORG#".into())
        );
        assert!(!partition.is_whole());
        let whole = partition.whole();
        assert_eq!(whole.sort_key(), &SortKeyMatch::Any);
        assert!(whole.is_whole());
    }
}
