//! A UTC instant with microsecond precision whose text form sorts in time order.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

/// A UTC instant, to the microsecond, between years 1 and 9999.
///
/// Its text form is fixed-width RFC 3339 — `2026-11-24T21:16:54.000123Z` — so that in a
/// sort key, string order is time order. [`Timestamp::parse`] accepts any RFC 3339 date
/// and time (with an offset, and up to nine fractional digits, of which the first six
/// are kept) and converts it to UTC.
///
/// ```
/// use dynaschema::Timestamp;
///
/// let t = Timestamp::parse("2024-02-29T23:30:00+01:00")?;
/// assert_eq!(t.to_string(), "2024-02-29T22:30:00.000000Z");
/// assert_eq!(Timestamp::from_unix_micros(1).to_string(), "1970-01-01T00:00:00.000001Z");
/// assert!(Timestamp::parse("2024-02-30T00:00:00Z").is_err());
/// # Ok::<(), dynaschema::timestamp::ParseTimestampError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    micros: i64,
}

/// As its text, readable in test failures.
///
/// ```
/// use dynaschema::Timestamp;
///
/// let at = Timestamp::parse("2026-11-24T21:16:54Z")?;
/// assert_eq!(format!("{at:?}"), "Timestamp(2026-11-24T21:16:54.000000Z)");
/// # Ok::<(), dynaschema::timestamp::ParseTimestampError>(())
/// ```
impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

/// Why a text is not an RFC 3339 timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not an RFC 3339 timestamp such as 2026-11-24T21:16:54.000123Z: {reason}")]
pub struct ParseTimestampError {
    text: String,
    reason: &'static str,
}

const MICROS_PER_SECOND: i64 = 1_000_000;
const SECONDS_PER_DAY: i64 = 86_400;
/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z, in microseconds since 1970.
const MIN_MICROS: i64 = -62_135_596_800 * MICROS_PER_SECOND;
const MAX_MICROS: i64 = 253_402_300_800 * MICROS_PER_SECOND - 1;

impl Timestamp {
    /// The current time, truncated to the microsecond.
    pub fn now() -> Timestamp {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the clock is after 1970");
        Timestamp::from_unix_micros(since_epoch.as_micros() as i64)
    }

    /// The instant `micros` microseconds after 1970-01-01T00:00:00Z, clamped to years
    /// 1 to 9999.
    pub fn from_unix_micros(micros: i64) -> Timestamp {
        Timestamp {
            micros: micros.clamp(MIN_MICROS, MAX_MICROS),
        }
    }

    /// Microseconds since 1970-01-01T00:00:00Z.
    pub fn as_unix_micros(self) -> i64 {
        self.micros
    }

    /// Parses an RFC 3339 date and time, such as `2026-11-24T21:16:54Z` or
    /// `2026-11-24T18:16:54.5-03:00`.
    pub fn parse(text: &str) -> Result<Timestamp, ParseTimestampError> {
        let fail = |reason| ParseTimestampError {
            text: text.to_owned(),
            reason,
        };
        let bytes = text.as_bytes();
        let digits = |range: std::ops::Range<usize>, what| -> Result<i64, ParseTimestampError> {
            let part = bytes.get(range).ok_or_else(|| fail(what))?;
            if !part.iter().all(u8::is_ascii_digit) {
                return Err(fail(what));
            }
            Ok(part.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
        };
        let separator = |at: usize, expected: &[u8], what| match bytes.get(at) {
            Some(b) if expected.contains(b) => Ok(()),
            _ => Err(fail(what)),
        };
        let year = digits(0..4, "expected a four-digit year")?;
        separator(4, b"-", "expected `-` after the year")?;
        let month = digits(5..7, "expected a two-digit month")?;
        separator(7, b"-", "expected `-` after the month")?;
        let day = digits(8..10, "expected a two-digit day")?;
        separator(10, b"Tt ", "expected `T` between date and time")?;
        let hour = digits(11..13, "expected a two-digit hour")?;
        separator(13, b":", "expected `:` after the hour")?;
        let minute = digits(14..16, "expected two-digit minutes")?;
        separator(16, b":", "expected `:` after the minutes")?;
        let second = digits(17..19, "expected two-digit seconds")?;

        let mut at = 19;
        let mut fraction = 0;
        if bytes.get(at) == Some(&b'.') {
            at += 1;
            let start = at;
            while bytes.get(at).is_some_and(u8::is_ascii_digit) {
                if at - start < 6 {
                    fraction = fraction * 10 + i64::from(bytes[at] - b'0');
                }
                at += 1;
            }
            match at - start {
                0 => return Err(fail("expected digits after `.`")),
                1..=6 => fraction *= 10_i64.pow(6 - (at - start) as u32),
                7..=9 => {}
                _ => return Err(fail("at most nine fractional digits")),
            }
        }
        let offset_seconds = match bytes.get(at) {
            Some(b'Z' | b'z') if at + 1 == bytes.len() => 0,
            Some(sign @ (b'+' | b'-')) if at + 6 == bytes.len() => {
                let hours = digits(at + 1..at + 3, "expected a two-digit offset hour")?;
                separator(at + 3, b":", "expected `:` in the offset")?;
                let minutes = digits(at + 4..at + 6, "expected two-digit offset minutes")?;
                if hours > 23 || minutes > 59 {
                    return Err(fail("the offset is out of range"));
                }
                let offset = hours * 3600 + minutes * 60;
                if *sign == b'+' {
                    offset
                } else {
                    -offset
                }
            }
            _ => return Err(fail("expected `Z` or an offset such as +01:00 at the end")),
        };

        if !(1..=12).contains(&month) {
            return Err(fail("the month is out of range"));
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(fail("the day is out of range for its month"));
        }
        // 60 is a leap second; it is read as the last microsecond of its minute's 59th.
        if hour > 23 || minute > 59 || second > 60 {
            return Err(fail("the time of day is out of range"));
        }
        let leap = second == 60;
        let seconds = days_from_civil(year, month, day) * SECONDS_PER_DAY
            + hour * 3600
            + minute * 60
            + second.min(59)
            - offset_seconds;
        let micros = seconds * MICROS_PER_SECOND
            + if leap {
                MICROS_PER_SECOND - 1
            } else {
                fraction
            };
        if !(MIN_MICROS..=MAX_MICROS).contains(&micros) {
            return Err(fail("the instant is outside years 1 to 9999 in UTC"));
        }
        Ok(Timestamp { micros })
    }
}

/// "00" to "99", for writing numbers two digits at a time.
const PAIRS: &[u8; 200] = b"\
    0001020304050607080910111213141516171819\
    2021222324252627282930313233343536373839\
    4041424344454647484950515253545556575859\
    6061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899";

impl Timestamp {
    /// Appends the timestamp's text (`2026-11-24T21:16:54.000000Z`) to `out`: what keys
    /// and attributes are written with, without going through a formatter.
    pub fn write_to(&self, out: &mut String) {
        out.push_str(std::str::from_utf8(&self.ascii()).expect("ASCII digits"));
    }

    /// The text, digit by digit into a fixed buffer: timestamps are in sort keys and
    /// attributes of every item, and this is several times faster than `write!`.
    fn ascii(&self) -> [u8; 27] {
        let seconds = self.micros.div_euclid(MICROS_PER_SECOND);
        // Every part is small and not negative (years 1 to 9999), so the digits are
        // taken with 32-bit divisions.
        let micros = self.micros.rem_euclid(MICROS_PER_SECOND) as u32;
        let days = seconds.div_euclid(SECONDS_PER_DAY);
        let in_day = seconds.rem_euclid(SECONDS_PER_DAY) as u32;
        let (year, month, day) = civil_from_days(days);
        let mut text = *b"0000-00-00T00:00:00.000000Z";
        // Two digits at a time: half the dependent divisions of one at a time.
        let mut pair = |at: usize, value: u32| {
            let digits = &PAIRS[2 * value as usize..2 * value as usize + 2];
            text[at..at + 2].copy_from_slice(digits);
        };
        let year = year as u32;
        pair(0, year / 100);
        pair(2, year % 100);
        pair(5, month as u32);
        pair(8, day as u32);
        pair(11, in_day / 3600);
        pair(14, in_day / 60 % 60);
        pair(17, in_day % 60);
        pair(20, micros / 10_000);
        pair(22, micros / 100 % 100);
        pair(24, micros % 100);
        text
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(&self.ascii()).expect("ASCII digits"))
    }
}

impl FromStr for Timestamp {
    type Err = ParseTimestampError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(text)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_fixed_width_utc_with_microseconds() {
        assert_eq!(
            Timestamp::from_unix_micros(0).to_string(),
            "1970-01-01T00:00:00.000000Z"
        );
        assert_eq!(
            Timestamp::from_unix_micros(1_700_000_000_123_456).to_string(),
            "2023-11-14T22:13:20.123456Z"
        );
        assert_eq!(
            Timestamp::from_unix_micros(-1).to_string(),
            "1969-12-31T23:59:59.999999Z"
        );
        assert_eq!(
            Timestamp::from_unix_micros(i64::MIN).to_string(),
            "0001-01-01T00:00:00.000000Z"
        );
        assert_eq!(
            Timestamp::from_unix_micros(i64::MAX).to_string(),
            "9999-12-31T23:59:59.999999Z"
        );
    }

    #[test]
    fn every_day_round_trips() {
        // Every day from 1900 to 2100 and a few far ones: format, parse, compare.
        let days = (-25_567..47_482).chain([-719_162, 2_932_896]);
        for day in days {
            let t = Timestamp::from_unix_micros(day * SECONDS_PER_DAY * MICROS_PER_SECOND + 7);
            assert_eq!(Timestamp::parse(&t.to_string()), Ok(t), "{t}");
        }
    }

    #[test]
    fn text_order_is_time_order() {
        let instants = [
            -62_135_596_800_000_000,
            -1,
            0,
            1,
            999_999,
            1_000_000,
            1_700_000_000_000_000,
        ];
        for pair in instants.windows(2) {
            let (a, b) = (
                Timestamp::from_unix_micros(pair[0]),
                Timestamp::from_unix_micros(pair[1]),
            );
            assert!(a < b && a.to_string() < b.to_string(), "{a} {b}");
        }
    }

    #[test]
    fn parses_offsets_and_fractions() {
        let expect = |text: &str, formatted: &str| {
            assert_eq!(
                Timestamp::parse(text).unwrap().to_string(),
                formatted,
                "{text}"
            );
        };
        expect("2026-11-24T21:16:54Z", "2026-11-24T21:16:54.000000Z");
        expect("2026-11-24t21:16:54.5z", "2026-11-24T21:16:54.500000Z");
        expect(
            "2026-11-24 21:16:54.123456789Z",
            "2026-11-24T21:16:54.123456Z",
        );
        expect("2026-11-24T18:16:54-03:00", "2026-11-24T21:16:54.000000Z");
        expect("2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00.000000Z");
        expect("2016-12-31T23:59:60Z", "2016-12-31T23:59:59.999999Z");
    }

    #[test]
    fn rejects_what_is_not_rfc_3339() {
        for text in [
            "",
            "2026-11-24",
            "2026-11-24T21:16:54",
            "2026-11-24T21:16:54+0100",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-11-24T24:00:00Z",
            "2026-11-24T21:16:54.Z",
            "2026-11-24T21:16:54.1234567890Z",
            "2026-11-24T21:16:54Zjunk",
            "0001-01-01T00:00:00+00:01",
            "+2026-11-24T21:16:54Z",
        ] {
            assert!(Timestamp::parse(text).is_err(), "{text}");
        }
        assert!(Timestamp::parse("2024-02-29T00:00:00Z").is_ok());
    }
}
