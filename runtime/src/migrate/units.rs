//! What a migration's reads and writes cost in DynamoDB's capacity units, estimated from
//! item sizes as DynamoDB counts them: for a dry run to say what the real run would
//! consume.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::item::Item;

/// An item's size as DynamoDB counts it: each attribute's name and value, in bytes.
///
/// Strings and binaries count their bytes, a number about one byte per two digits plus
/// one, a boolean or null one byte, a list or map 3 bytes and one per element besides
/// its elements, a set its elements.
pub(crate) fn item_size(item: &Item) -> u64 {
    item.iter()
        .map(|(name, value)| name.len() as u64 + value_size(value))
        .sum()
}

fn value_size(value: &AttributeValue) -> u64 {
    let number = |n: &str| {
        let digits = n.chars().filter(char::is_ascii_digit).count() as u64;
        digits.div_ceil(2) + 1
    };
    match value {
        AttributeValue::S(s) => s.len() as u64,
        AttributeValue::N(n) => number(n),
        AttributeValue::B(b) => b.as_ref().len() as u64,
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(set) => set.iter().map(|s| s.len() as u64).sum(),
        AttributeValue::Ns(set) => set.iter().map(|n| number(n)).sum(),
        AttributeValue::Bs(set) => set.iter().map(|b| b.as_ref().len() as u64).sum(),
        AttributeValue::L(list) => 3 + list.iter().map(|v| 1 + value_size(v)).sum::<u64>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() as u64 + value_size(v))
                .sum::<u64>()
        }
        _ => 0,
    }
}

/// The read units of a scan that read `bytes`: one per 4 KB, halved for an eventually
/// consistent read, as the engine's scans are.
pub(crate) fn scan_read_units(bytes: u64) -> u64 {
    bytes.div_ceil(4096).div_ceil(2)
}

/// The write units of `writes` writes of items of `average` bytes: one per KB of each.
pub(crate) fn write_units(writes: u64, average: u64) -> u64 {
    writes * average.div_ceil(1024).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_count_names_and_values_as_dynamodb_does() {
        let item = Item::from([
            ("PK".to_owned(), AttributeValue::S("ACCOUNT#1".into())),
            ("n".to_owned(), AttributeValue::N("12345".into())),
            ("ok".to_owned(), AttributeValue::Bool(true)),
            (
                "tags".to_owned(),
                AttributeValue::L(vec![AttributeValue::S("ab".into())]),
            ),
        ]);
        // 2 + 9, 1 + 4, 2 + 1, 4 + (3 + 1 + 2)
        assert_eq!(item_size(&item), 11 + 5 + 3 + 10);
    }

    #[test]
    fn units_round_up() {
        assert_eq!(scan_read_units(0), 0);
        assert_eq!(scan_read_units(1), 1);
        assert_eq!(scan_read_units(3 * 4096), 2);
        assert_eq!(write_units(10, 150), 10);
        assert_eq!(write_units(10, 1025), 20);
        assert_eq!(write_units(0, 5000), 0);
    }
}
