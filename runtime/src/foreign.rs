//! Types of other crates as key parts and attributes, each behind the cargo feature of
//! its crate's name: `uuid::Uuid` (feature `uuid`) and `chrono::DateTime<Utc>`
//! (feature `chrono`).
//!
//! The orphan rule keeps an application from implementing [`KeyPart`] or [`Attribute`]
//! for another crate's type; for any other such type, wrap it in a newtype of the
//! application's own and implement the traits for that (see [`KeyPart`]).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::attribute::{present_value, Attribute, ValueError};
use crate::key::KeyPart;

/// `KeyPart` and `Attribute` (a string attribute holding the key text) for a type
/// written by `$write` and read by `$parse`.
macro_rules! text_type {
    ($t:ty, $what:literal, |$v:ident, $out:ident| $write:expr, |$text:ident| $parse:expr) => {
        impl KeyPart for $t {
            fn write_key(&self, $out: &mut String) {
                let $v = self;
                $write
            }

            fn parse_key($text: &str) -> Result<Self, ValueError> {
                $parse.map_err(|_| {
                    ValueError(format!(concat!("expected ", $what, ", found {:?}"), $text))
                })
            }
        }

        impl Attribute for $t {
            present_value!(
                |value| AttributeValue::S(crate::key::key_text(value)),
                key text as AttributeValue::S
            );
            const KEY_TYPE: Option<char> = Some('S');

            fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
                match value {
                    AttributeValue::S(text) => <$t as KeyPart>::parse_key(text),
                    other => Err(ValueError::unexpected(concat!("a string holding ", $what), other)),
                }
            }
        }
    };
}

// Hyphenated lowercase, as `Uuid`'s `Display` writes it.
#[cfg(feature = "uuid")]
text_type!(
    uuid::Uuid,
    "a UUID",
    |value, out| {
        let mut buffer = uuid::Uuid::encode_buffer();
        out.push_str(value.hyphenated().encode_lower(&mut buffer));
    },
    |text| uuid::Uuid::try_parse(text)
);

// RFC 3339 in UTC with nine fractional digits: every value has the same width, so that
// sort-key order is time order.
#[cfg(feature = "chrono")]
text_type!(
    chrono::DateTime<chrono::Utc>,
    "an RFC 3339 date-time",
    |value, out| out.push_str(&value.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)),
    |text| chrono::DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&chrono::Utc))
);

#[cfg(all(test, feature = "uuid", feature = "chrono"))]
mod tests {
    use super::*;

    #[test]
    fn values_read_back_from_their_key_text_and_attribute() {
        let id = uuid::Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let text = crate::key::key_text(&id);
        assert_eq!(text, "01234567-89ab-cdef-0123-456789abcdef");
        assert_eq!(uuid::Uuid::parse_key(&text).unwrap(), id);
        assert_eq!(
            uuid::Uuid::from_value(&id.to_value().unwrap().unwrap()).unwrap(),
            id
        );
        assert!(uuid::Uuid::parse_key("not-a-uuid").is_err());

        use chrono::TimeZone;
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 9, 5, 0).unwrap();
        let text = crate::key::key_text(&at);
        assert_eq!(text, "2026-12-01T09:05:00.000000000Z");
        assert_eq!(
            chrono::DateTime::<chrono::Utc>::parse_key(&text).unwrap(),
            at
        );
        let later = at + chrono::Duration::nanoseconds(1);
        assert!(
            crate::key::key_text(&later) > text,
            "key order is time order"
        );
        assert!(
            chrono::DateTime::<chrono::Utc>::from_value(&AttributeValue::N("1".into())).is_err()
        );
    }
}
