//! `#[derive(Entity)]`: items, keys, handles and errors, without a server.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use aws_sdk_dynamodb::types::AttributeValue;
use dynaschema::key::SortKeyMatch;
use dynaschema::{Bytes, Entity, Error, Item, Timestamp};

#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(pk = "ACCOUNT#{id}", sk = "ACCOUNT")]
struct Account {
    #[dynamo(key_only)]
    id: u64,
    name: String,
    email: String,
    balance: i64,
    created_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum OperationType {
    Credit,
    Debit,
}

#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(pk = "ACCOUNT#{account_id}", sk = "OPERATION#{created_at}")]
struct Operation {
    #[dynamo(key_only)]
    account_id: u64,
    #[dynamo(rename = "type", serde)]
    kind: OperationType,
    amount: u64,
    created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Address {
    street: String,
    number: Option<u32>,
}

fn answer() -> u32 {
    42
}

/// Every kind of field, a computed index key, and a key field that is also stored.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(pk = "ORG#{org}", sk = "USER#{user}", pk_attr = "pk", sk_attr = "sk")]
#[dynamo(index(
    name = "GSI1",
    pk = "EMAIL#{email}",
    pk_attr = "GSI1PK",
    sk = "{user}",
    sk_attr = "GSI1SK"
))]
#[dynamo(index(name = "ByEmail", pk = "{email}"))]
struct Everything {
    #[dynamo(key_only)]
    org: String,
    user: u32,
    email: String,
    small: u8,
    signed: i128,
    ratio: f64,
    single: f32,
    flag: bool,
    blob: Bytes,
    maybe: Option<String>,
    maybe_not: Option<i64>,
    list: Vec<String>,
    nested_list: Vec<Vec<u16>>,
    map: HashMap<String, u64>,
    sorted_map: BTreeMap<String, bool>,
    tags: HashSet<String>,
    numbers: BTreeSet<i32>,
    blobs: BTreeSet<Bytes>,
    empty_set: BTreeSet<String>,
    at: Timestamp,
    #[dynamo(serde)]
    address: Address,
    #[dynamo(serde)]
    old_address: Option<Address>,
    #[dynamo(skip)]
    cache: Vec<u8>,
    #[dynamo(skip, default = "answer")]
    answer: u32,
}

fn account() -> Account {
    Account {
        id: 123,
        name: "clara".into(),
        email: "clara@42sp.org.br".into(),
        balance: -5,
        created_at: Timestamp::parse("2026-11-24T21:16:54.000123Z").unwrap(),
    }
}

fn operation() -> Operation {
    Operation {
        account_id: 123,
        kind: OperationType::Debit,
        amount: 50,
        created_at: Timestamp::parse("2026-11-24T21:16:55Z").unwrap(),
    }
}

fn everything() -> Everything {
    Everything {
        org: "acme".into(),
        user: 7,
        email: "a@b.c".into(),
        small: 255,
        signed: -170_141_183_460_469_231_731_687_303_715_884_105_728,
        ratio: 0.1,
        single: 1.5,
        flag: true,
        blob: Bytes(vec![0, 159, 146, 150]),
        maybe: Some("x".into()),
        maybe_not: None,
        list: vec!["a".into(), "b: #c".into()],
        nested_list: vec![vec![1, 2], vec![]],
        map: HashMap::from([("k".into(), 1)]),
        sorted_map: BTreeMap::from([("t".into(), false)]),
        tags: HashSet::from(["x".into(), "y".into()]),
        numbers: BTreeSet::from([-1, 0, 1]),
        blobs: BTreeSet::from([Bytes(vec![1]), Bytes(vec![2, 3])]),
        empty_set: BTreeSet::new(),
        at: Timestamp::from_unix_micros(1),
        address: Address {
            street: "Rua".into(),
            number: Some(42),
        },
        old_address: None,
        cache: Vec::new(),
        answer: 42,
    }
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

#[test]
fn an_account_item_is_exactly_the_seed_layout() {
    let item = account().to_item().unwrap();
    let expected: Item = HashMap::from([
        ("PK".to_owned(), s("ACCOUNT#123")),
        ("SK".to_owned(), s("ACCOUNT")),
        ("name".to_owned(), s("clara")),
        ("email".to_owned(), s("clara@42sp.org.br")),
        ("balance".to_owned(), AttributeValue::N("-5".into())),
        ("created_at".to_owned(), s("2026-11-24T21:16:54.000123Z")),
    ]);
    assert_eq!(item, expected);
    assert_eq!(Account::from_item(&item).unwrap(), account());
}

#[test]
fn an_operation_item_renames_and_keeps_its_timestamp_in_the_sort_key() {
    let item = operation().to_item().unwrap();
    let expected: Item = HashMap::from([
        ("PK".to_owned(), s("ACCOUNT#123")),
        ("SK".to_owned(), s("OPERATION#2026-11-24T21:16:55.000000Z")),
        ("type".to_owned(), s("debit")),
        ("amount".to_owned(), AttributeValue::N("50".into())),
        ("created_at".to_owned(), s("2026-11-24T21:16:55.000000Z")),
    ]);
    assert_eq!(item, expected);
    assert_eq!(Operation::from_item(&item).unwrap(), operation());
}

#[test]
fn every_field_type_round_trips() {
    let value = everything();
    let item = value.to_item().unwrap();
    assert_eq!(item["pk"], s("ORG#acme"));
    assert_eq!(item["sk"], s("USER#7"));
    assert_eq!(item["GSI1PK"], s("EMAIL#a@b.c"));
    assert_eq!(item["GSI1SK"], s("7"));
    assert_eq!(item["user"], AttributeValue::N("7".into()));
    assert_eq!(
        item["blob"],
        AttributeValue::B(vec![0, 159, 146, 150].into())
    );
    assert!(matches!(&item["tags"], AttributeValue::Ss(t) if t.len() == 2));
    assert!(matches!(&item["numbers"], AttributeValue::Ns(n) if n.len() == 3));
    assert!(matches!(&item["blobs"], AttributeValue::Bs(b) if b.len() == 2));
    assert!(matches!(&item["address"], AttributeValue::M(m) if m["street"] == s("Rua")));
    for absent in [
        "org",
        "maybe_not",
        "empty_set",
        "old_address",
        "cache",
        "answer",
    ] {
        assert!(!item.contains_key(absent), "{absent} is not stored");
    }
    assert_eq!(Everything::from_item(&item).unwrap(), value);
}

#[test]
fn null_and_absent_optional_attributes_read_as_none() {
    let mut item = everything().to_item().unwrap();
    item.insert("maybe".into(), AttributeValue::Null(true));
    item.insert("old_address".into(), AttributeValue::Null(true));
    let read = Everything::from_item(&item).unwrap();
    assert_eq!(read.maybe, None);
    assert_eq!(read.old_address, None);
    item.remove("maybe");
    assert_eq!(Everything::from_item(&item).unwrap().maybe, None);
}

#[test]
fn keys_are_built_from_exactly_the_placeholder_fields() {
    assert_eq!(Account::key(123), account().key());
    assert_eq!(Account::key(123).to_string(), "PK=ACCOUNT#123, SK=ACCOUNT");
    let at = Timestamp::parse("2026-11-24T21:16:55Z").unwrap();
    assert_eq!(Operation::key(123, at), operation().key());
    assert_eq!(
        Everything::key("acme", 7).to_string(),
        "pk=ORG#acme, sk=USER#7"
    );

    let partition = Operation::partition(123);
    assert_eq!(partition.partition_key().unwrap(), ("PK", "ACCOUNT#123"));
    assert_eq!(
        partition.sort_key(),
        &SortKeyMatch::BeginsWith("SK", "OPERATION#".into())
    );
    assert_eq!(
        Account::partition(123).sort_key(),
        &SortKeyMatch::Equals("SK", "ACCOUNT".into())
    );
}

#[test]
fn items_are_recognised_by_their_key_pattern() {
    let account = account().to_item().unwrap();
    let operation = operation().to_item().unwrap();
    assert!(Account::matches(&account) && !Account::matches(&operation));
    assert!(Operation::matches(&operation) && !Operation::matches(&account));
    assert!(!Everything::matches(&account));
}

#[test]
fn attribute_handles_carry_the_stored_names() {
    assert_eq!(Account::BALANCE.name(), "balance");
    assert_eq!(Account::NAME.name(), "name");
    assert_eq!(Operation::KIND.name(), "type");
    assert_eq!(Everything::AT.name(), "at");
    assert_eq!(<Account as Entity>::ENTITY_NAME, "Account");
}

#[test]
fn a_key_value_containing_the_delimiter_is_refused() {
    let mut value = everything();
    value.org = "ac#me".into();
    let err = value.to_item().unwrap_err();
    assert!(matches!(err, Error::InvalidKey(_)), "{err}");
    assert!(err.to_string().contains("`#`"), "{err}");
    assert!(matches!(
        Everything::key("a#b", 1).to_item(),
        Err(Error::InvalidKey(_))
    ));

    let mut value = everything();
    value.email = "x#y@z".into();
    assert!(
        matches!(value.to_item(), Err(Error::InvalidKey(_))),
        "a computed index key is checked too"
    );
}

#[test]
fn decode_errors_name_the_entity_the_attribute_and_what_was_found() {
    let mut item = account().to_item().unwrap();
    item.insert("balance".into(), s("lots"));
    let err = Account::from_item(&item).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Decode {
                entity: "Account",
                attribute: "balance",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "cannot read Account from the item: attribute `balance`: expected a number (i64), found string \"lots\""
    );

    let mut item = account().to_item().unwrap();
    item.remove("email");
    let err = Account::from_item(&item).unwrap_err();
    assert!(
        err.to_string()
            .contains("attribute `email`: the attribute is missing"),
        "{err}"
    );

    let mut item = account().to_item().unwrap();
    item.insert("PK".into(), s("ACCOUNT#abc"));
    let err = Account::from_item(&item).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Decode {
                attribute: "PK",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("field `id`"), "{err}");

    let mut item = operation().to_item().unwrap();
    item.insert("type".into(), s("refund"));
    let err = Operation::from_item(&item).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Decode {
                attribute: "type",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("refund"), "{err}");
}

#[test]
fn values_that_cannot_be_stored_are_encode_errors() {
    let mut value = everything();
    value.ratio = f64::NAN;
    let err = value.to_item().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Encode {
                entity: "Everything",
                attribute: "ratio",
                ..
            }
        ),
        "{err}"
    );
}

/// Key fields that are stored as attributes too: a string, a negative integer and a
/// timestamp, whose text is made once for the key and the attribute.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(pk = "ORG#{org}#USER#{number}", sk = "SINCE#{since}")]
struct Member {
    org: String,
    number: i64,
    since: Timestamp,
    note: Option<String>,
}

#[test]
fn key_fields_that_are_stored_keep_their_own_attributes() {
    let member = Member {
        org: "acme".into(),
        number: -7,
        since: Timestamp::from_unix_micros(1),
        note: None,
    };
    let item = member.to_item().unwrap();
    let s = |text: &str| AttributeValue::S(text.into());
    let expected: Item = HashMap::from([
        ("PK".into(), s("ORG#acme#USER#-7")),
        ("SK".into(), s("SINCE#1970-01-01T00:00:00.000001Z")),
        ("org".into(), s("acme")),
        ("number".into(), AttributeValue::N("-7".into())),
        ("since".into(), s("1970-01-01T00:00:00.000001Z")),
    ]);
    assert_eq!(item, expected);
    assert_eq!(Member::from_item(&item).unwrap(), member);

    let delimited = Member {
        org: "ac#me".into(),
        ..member
    };
    assert!(
        matches!(delimited.to_item(), Err(Error::InvalidKey(_))),
        "a key value holding its delimiter is refused"
    );
}

#[test]
fn from_matching_item_reads_only_its_own_items() {
    let account_item = account().to_item().unwrap();
    let operation_item = operation().to_item().unwrap();
    assert_eq!(
        Account::from_matching_item(&account_item).map(Result::unwrap),
        Some(account())
    );
    assert!(Account::from_matching_item(&operation_item).is_none());
    assert_eq!(
        Operation::from_matching_item(&operation_item).map(Result::unwrap),
        Some(operation())
    );
    assert!(Operation::from_matching_item(&account_item).is_none());

    // An item with the entity's keys but a broken attribute is the entity's error.
    let mut broken = account_item.clone();
    broken.remove("email");
    assert!(matches!(
        Account::from_matching_item(&broken),
        Some(Err(Error::Decode {
            attribute: "email",
            ..
        }))
    ));
    // Without a sort key attribute it is nobody's.
    let mut keyless = account_item;
    keyless.remove("SK");
    assert!(Account::from_matching_item(&keyless).is_none());
}

/// An entity a declarative macro makes, its key field's type an argument of the macro.
macro_rules! keyed_by {
    ($name:ident, $key:ty) => {
        #[derive(Debug, Clone, PartialEq, Entity)]
        #[dynamo(
            pk = "K#{k}",
            sk = "K",
            index(name = "GSI1", pk = "N#{n}", pk_attr = "GSI1PK")
        )]
        struct $name {
            k: $key,
            n: Option<$key>,
        }
    };
}

keyed_by!(KeyedByNumber, u64);

#[test]
fn an_entity_made_by_a_macro_with_its_key_types_as_arguments_derives() {
    let entity = KeyedByNumber { k: 7, n: Some(8) };
    let item = entity.to_item().unwrap();
    assert_eq!(item["PK"], AttributeValue::S("K#7".into()));
    assert_eq!(item["GSI1PK"], AttributeValue::S("N#8".into()));
    assert_eq!(KeyedByNumber::from_item(&item).unwrap(), entity);
}
