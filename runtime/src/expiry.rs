//! `Expiry`: when an item expires, as DynamoDB's time to live reads it: whole seconds
//! since the Unix epoch, stored as a Number.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;

use crate::attribute::{Attribute, ValueError};
use crate::timestamp::Timestamp;

/// When an item expires: the type of a `#[dynamo(ttl)]` field, stored as the Number of
/// whole seconds since the Unix epoch that DynamoDB's time to live reads (the table's
/// `ttl_attribute` in schema.toml). DynamoDB deletes expired items within days, not at
/// once: reads can leave them out sooner with `skip_expired()`.
///
/// ```
/// use std::time::Duration;
/// use dynaschema::{Expiry, Timestamp};
///
/// let at = Expiry::from_unix_seconds(1_800_000_000);
/// assert_eq!(at.as_unix_seconds(), 1_800_000_000);
/// assert!(Expiry::from_unix_seconds(1).is_past());
/// assert!(!Expiry::after(Duration::from_secs(3600)).is_past());
/// assert_eq!(Expiry::at(Timestamp::from_unix_micros(2_500_000)).as_unix_seconds(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Expiry {
    seconds: u64,
}

impl Expiry {
    /// The expiry at `seconds` since the Unix epoch.
    pub const fn from_unix_seconds(seconds: u64) -> Expiry {
        Expiry { seconds }
    }

    /// The expiry at `timestamp`, to the whole second before it.
    pub fn at(timestamp: Timestamp) -> Expiry {
        let seconds = timestamp.as_unix_micros().div_euclid(1_000_000);
        Expiry::from_unix_seconds(u64::try_from(seconds).unwrap_or(0))
    }

    /// The expiry `duration` from now.
    pub fn after(duration: Duration) -> Expiry {
        Expiry::from_unix_seconds(now_seconds().saturating_add(duration.as_secs()))
    }

    /// Seconds since the Unix epoch.
    pub const fn as_unix_seconds(&self) -> u64 {
        self.seconds
    }

    /// Whether the expiry has passed: DynamoDB may delete the item at any time now.
    pub fn is_past(&self) -> bool {
        self.seconds <= now_seconds()
    }
}

/// Seconds since the Unix epoch, now.
pub(crate) fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

impl Attribute for Expiry {
    const KEY_TYPE: Option<char> = Some('N');

    fn to_value(&self) -> Result<Option<AttributeValue>, ValueError> {
        Ok(Some(AttributeValue::N(self.seconds.to_string())))
    }

    fn from_value(value: &AttributeValue) -> Result<Self, ValueError> {
        u64::from_value(value).map(Expiry::from_unix_seconds)
    }
}
