//! Cursors: where a page of a query or scan ended, as text an API can hand to its
//! caller and take back to read the next page.
//!
//! A cursor holds the key of the last item of its page and a digest of the read that
//! made it (table, index, partition, entity type, sort-key range, order), all under a
//! checksum, written as URL-safe base64. Given back to another read, or altered, it is
//! refused before any request.

use std::fmt;
use std::str::FromStr;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::item::Item;

/// The format's version, its first byte.
const VERSION: u8 = 1;

/// Where a page of results ended: give it to the same query's (or scan's)
/// [`after`](crate::ops::Query::after) to read the next page.
///
/// Opaque, URL-safe text through [`Display`](fmt::Display) and [`FromStr`] (and serde,
/// as a string). It is bound to the read that made it: a cursor of another partition,
/// index, entity type, range or order, or an altered one, is an
/// [`Error::InvalidCursor`] before any request.
///
/// ```
/// use dynaschema::Cursor;
///
/// let refused = "not-a-cursor".parse::<Cursor>();
/// assert!(refused.is_err());
/// ```
#[derive(Clone, PartialEq)]
pub struct Cursor {
    binding: [u8; 8],
    key: Vec<(String, AttributeValue)>,
}

/// A text that is no cursor: not one dynaschema wrote, or altered since.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cursor: {0}; read from the start again, without a cursor")]
pub struct ParseCursorError(&'static str);

impl From<ParseCursorError> for Error {
    fn from(err: ParseCursorError) -> Self {
        Error::InvalidCursor {
            message: format!("{}; read from the start again, without a cursor", err.0),
        }
    }
}

/// What a cursor is bound to: the digest of a read's description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Binding([u8; 8]);

impl Binding {
    /// The binding of a read described by `parts` (each length-prefixed, so that no two
    /// descriptions run together).
    pub(crate) fn of(parts: &[&str]) -> Binding {
        let mut hash = Sha256::new();
        hash.update(b"dynaschema cursor");
        for part in parts {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        let digest = hash.finalize();
        Binding(
            digest[..8]
                .try_into()
                .expect("a SHA-256 digest has 8 bytes"),
        )
    }
}

impl Cursor {
    /// The cursor of a read bound by `binding` whose page ended at the item with `key`.
    pub(crate) fn new(binding: Binding, mut key: Vec<(String, AttributeValue)>) -> Cursor {
        key.sort_by(|a, b| a.0.cmp(&b.0));
        Cursor {
            binding: binding.0,
            key,
        }
    }

    /// The key to read on from, if the cursor is the read's (`binding`) and holds
    /// exactly the key attributes `names` with `partition` (attribute and value) among
    /// them.
    pub(crate) fn start_key(
        &self,
        binding: Binding,
        names: &[String],
        partition: Option<(&str, &AttributeValue)>,
    ) -> Result<Item> {
        if self.binding != binding.0 {
            return Err(Error::InvalidCursor {
                message: "it was made by another read (another table, index, partition, \
                          entity type, sort-key range or order); read from the start again, \
                          without a cursor"
                    .to_owned(),
            });
        }
        let fits = self.key.len() == names.len()
            && self.key.iter().all(|(name, _)| names.contains(name))
            && partition
                .is_none_or(|(name, value)| self.key.iter().any(|(n, v)| n == name && v == value));
        if !fits {
            return Err(Error::InvalidCursor {
                message: "its key is not a key of this read; read from the start again, \
                          without a cursor"
                    .to_owned(),
            });
        }
        Ok(self.key.iter().cloned().collect())
    }

    fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = vec![VERSION];
        bytes.extend_from_slice(&self.binding);
        bytes.push(self.key.len() as u8);
        for (name, value) in &self.key {
            let (kind, value): (u8, &[u8]) = match value {
                AttributeValue::S(s) => (b'S', s.as_bytes()),
                AttributeValue::N(n) => (b'N', n.as_bytes()),
                AttributeValue::B(b) => (b'B', b.as_ref()),
                // Keys are strings, numbers or binary: `new` is given nothing else.
                _ => (b'?', &[]),
            };
            bytes.extend_from_slice(&(name.len() as u16).to_be_bytes());
            bytes.extend_from_slice(name.as_bytes());
            bytes.push(kind);
            bytes.extend_from_slice(&(value.len() as u32).to_be_bytes());
            bytes.extend_from_slice(value);
        }
        let checksum = Sha256::digest(&bytes);
        bytes.extend_from_slice(&checksum[..8]);
        bytes
    }

    fn from_bytes(bytes: &[u8]) -> std::result::Result<Cursor, ParseCursorError> {
        let altered = ParseCursorError("it is not one dynaschema made, or it was altered");
        let Some((body, checksum)) = bytes.split_last_chunk::<8>() else {
            return Err(altered);
        };
        if Sha256::digest(body)[..8] != checksum[..] {
            return Err(altered);
        }
        let mut reader = Reader(body);
        if reader.take(1).ok_or(altered.clone())? != [VERSION] {
            return Err(ParseCursorError(
                "it was made by another version of dynaschema",
            ));
        }
        let binding = reader
            .take(8)
            .ok_or(altered.clone())?
            .try_into()
            .expect("8 bytes");
        let count = reader.take(1).ok_or(altered.clone())?[0];
        let mut key = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let name_len = u16::from_be_bytes(reader.array().ok_or(altered.clone())?);
            let name = reader.take(usize::from(name_len)).ok_or(altered.clone())?;
            let name = String::from_utf8(name.to_vec()).map_err(|_| altered.clone())?;
            let kind = reader.take(1).ok_or(altered.clone())?[0];
            let len = u32::from_be_bytes(reader.array().ok_or(altered.clone())?);
            let value = reader.take(len as usize).ok_or(altered.clone())?;
            let text = || String::from_utf8(value.to_vec()).map_err(|_| altered.clone());
            let value = match kind {
                b'S' => AttributeValue::S(text()?),
                b'N' => AttributeValue::N(text()?),
                b'B' => AttributeValue::B(Blob::new(value)),
                _ => return Err(altered),
            };
            key.push((name, value));
        }
        if !reader.0.is_empty() {
            return Err(altered);
        }
        Ok(Cursor { binding, key })
    }
}

/// Reads a cursor's bytes front to back.
struct Reader<'b>(&'b [u8]);

impl<'b> Reader<'b> {
    fn take(&mut self, n: usize) -> Option<&'b [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (taken, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(taken)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N).map(|bytes| bytes.try_into().expect("N bytes"))
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&URL_SAFE_NO_PAD.encode(self.to_bytes()))
    }
}

/// The cursor's text only: its key is the caller's data.
impl fmt::Debug for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cursor({self})")
    }
}

impl FromStr for Cursor {
    type Err = ParseCursorError;

    fn from_str(text: &str) -> std::result::Result<Cursor, ParseCursorError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| ParseCursorError("it is not URL-safe base64"))?;
        Cursor::from_bytes(&bytes)
    }
}

impl serde::Serialize for Cursor {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Cursor {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// One page of a read: at most the number of values asked for, and the cursor to the
/// next page, `None` when nothing is left.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The page's values, in the read's order.
    pub items: Vec<T>,
    /// Where the next page starts, or `None` after the last.
    pub next: Option<Cursor>,
    /// How many items the page's requests read that were of none of the types read
    /// (another entity's items in the partition): skipped, not decoded.
    pub skipped: usize,
}

/// Reads one page of `n` values: `fetch(limit, start)` reads DynamoDB's next page of at
/// most `limit` items (`None`: DynamoDB's own page) from `start`, and `read` decodes an item (`None`: not of the
/// type read). One more item than the page still lacks is asked for, so that a full
/// page knows whether a value follows it: when every item is of the type read, a page
/// is one request, and the last page knows it is the last. Items of other types after
/// the `n`th value are read on (skipped and counted) until a value or the end shows
/// whether another page follows; the cursor is then the last item read's key.
pub(crate) async fn read_page<T, F, Fut>(
    n: usize,
    start: Option<Item>,
    key_names: &[String],
    binding: Binding,
    mut fetch: F,
    read: impl Fn(&Item) -> Option<Result<T>>,
) -> Result<Page<T>>
where
    F: FnMut(Option<usize>, Option<Item>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<Item>, Option<Item>)>>,
{
    let n = n.max(1);
    let mut page = Page {
        items: Vec::with_capacity(n),
        next: None,
        skipped: 0,
    };
    let mut last_key = None;
    let mut start = start;
    loop {
        // Past a full page, only whether a value follows is left to learn: as many
        // items as a request reads.
        let limit = (page.items.len() < n).then(|| n + 1 - page.items.len());
        let (items, last_evaluated) = fetch(limit, start.take()).await?;
        for item in items {
            match read(&item) {
                // A value follows the page's last: the next page starts after it.
                Some(_) if page.items.len() == n => {
                    page.next = last_key.map(|key| Cursor::new(binding, key));
                    return Ok(page);
                }
                Some(value) => {
                    page.items.push(value?);
                    last_key = Some(key_of(&item, key_names)?);
                }
                None => {
                    page.skipped += 1;
                    if page.items.len() == n {
                        // Read past: the next page need not read it again.
                        last_key = Some(key_of(&item, key_names)?);
                    }
                }
            }
        }
        match last_evaluated.filter(|key| !key.is_empty()) {
            None => return Ok(page),
            Some(key) => start = Some(key),
        }
    }
}

/// The key attributes `names` of an item, for a cursor.
fn key_of(item: &Item, names: &[String]) -> Result<Vec<(String, AttributeValue)>> {
    names
        .iter()
        .map(|name| match item.get(name) {
            Some(value) => Ok((name.clone(), value.clone())),
            None => Err(Error::InvalidCursor {
                message: format!("an item read has no key attribute `{name}` to go on from"),
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor() -> Cursor {
        Cursor::new(
            Binding::of(&["table", "ACCOUNT#1"]),
            vec![
                ("SK".into(), AttributeValue::S("OPERATION#2026".into())),
                ("PK".into(), AttributeValue::S("ACCOUNT#1".into())),
                ("n".into(), AttributeValue::N("42".into())),
                ("b".into(), AttributeValue::B(Blob::new(vec![0, 255]))),
            ],
        )
    }

    #[test]
    fn a_cursor_reads_back_from_its_text() {
        let text = cursor().to_string();
        assert!(text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(text.parse::<Cursor>().unwrap(), cursor());
        let json = serde_json::to_string(&cursor()).unwrap();
        assert_eq!(json, format!("\"{text}\""));
        assert_eq!(serde_json::from_str::<Cursor>(&json).unwrap(), cursor());
    }

    #[test]
    fn an_altered_cursor_is_refused() {
        let text = cursor().to_string();
        for i in 0..text.len() {
            let mut altered = text.clone().into_bytes();
            altered[i] = if altered[i] == b'A' { b'B' } else { b'A' };
            let altered = String::from_utf8(altered).unwrap();
            assert!(altered.parse::<Cursor>().is_err(), "position {i}");
        }
        assert!(text[..text.len() - 1].parse::<Cursor>().is_err());
        assert!("".parse::<Cursor>().is_err());
        assert!("a+b/c".parse::<Cursor>().is_err());
    }

    #[test]
    fn a_cursor_opens_only_its_own_read() {
        let names: Vec<String> = ["PK", "SK", "b", "n"].map(String::from).to_vec();
        let pk = AttributeValue::S("ACCOUNT#1".into());
        let own = Binding::of(&["table", "ACCOUNT#1"]);
        let key = cursor().start_key(own, &names, Some(("PK", &pk))).unwrap();
        assert_eq!(key.len(), 4);
        let other = Binding::of(&["table", "ACCOUNT#2"]);
        assert!(cursor().start_key(other, &names, None).is_err());
        let two = AttributeValue::S("ACCOUNT#2".into());
        assert!(cursor().start_key(own, &names, Some(("PK", &two))).is_err());
        assert!(cursor().start_key(own, &names[..2], None).is_err());
    }
}
