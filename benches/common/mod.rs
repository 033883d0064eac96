//! The entities the benchmarks convert, each in three ways that make the same item: the
//! derive, hand-written `AttributeValue` code, and serde_dynamo over a struct shaped like
//! the stored item (`PK`, `SK` and the attributes).
//!
//! Shared by several benchmarks, each of which uses a part of it.
#![allow(dead_code)]

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use criterion::Criterion;
use dynaschema::{Entity, Item, Timestamp};
use serde::{Deserialize, Serialize};

/// The settings of every benchmark: 0.5 s of warm-up and `measurement` of measurement
/// per function, so that the whole `cargo bench` stays under ten minutes on two cores.
pub fn criterion(measurement: Duration) -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(measurement)
}

/// `DYNASCHEMA_BENCH_REPEAT=<side>:<count>`, when set: run that side `count` times
/// and exit, without criterion, for `scripts/bench-instructions` to count under valgrind.
pub fn repeat_spec() -> Option<(String, usize)> {
    let spec = std::env::var("DYNASCHEMA_BENCH_REPEAT").ok()?;
    let (side, n) = spec
        .split_once(':')
        .and_then(|(side, n)| Some((side.to_owned(), n.parse().ok()?)))
        .expect("DYNASCHEMA_BENCH_REPEAT is <side>:<count>");
    Some((side, n))
}

/// One entity, converted the two other ways, for comparison with the derive.
pub trait ByHand: Entity {
    /// A typical value.
    fn sample() -> Self;
    /// The item, written by hand with `AttributeValue`s.
    fn hand_to_item(&self) -> Item;
    /// The entity, read by hand from the item.
    fn hand_from_item(item: &Item) -> Result<Self, String>;
    /// The item, through serde_dynamo.
    fn serde_to_item(&self) -> Item;
    /// The entity, through serde_dynamo, which takes the item by value.
    fn serde_from_item(item: Item) -> Result<Self, String>;
}

/// A points account, as ningipoints stores it.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(pk = "ACCOUNT#{id}", sk = "ACCOUNT")]
pub struct Account {
    #[dynamo(key_only)]
    pub id: u64,
    pub name: String,
    pub email: String,
    pub balance: i64,
    pub created_at: Timestamp,
}

/// Credit or debit: a serde enum, stored as a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OperationType {
    Credit,
    Debit,
}

/// An operation of an account, as ningipoints stores it: its kind goes through serde.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(pk = "ACCOUNT#{account_id}", sk = "OPERATION#{created_at}")]
pub struct Operation {
    #[dynamo(key_only)]
    pub account_id: u64,
    #[dynamo(rename = "type", serde)]
    pub kind: OperationType,
    pub amount: u64,
    pub created_at: Timestamp,
}

/// A nested struct, stored as a map through serde.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Address {
    pub street: String,
    pub city: String,
    pub postcode: String,
}

/// An entity with collections (a string set, a list, a map), a nested serde struct and
/// an optional field.
#[derive(Debug, Clone, PartialEq, Entity)]
#[dynamo(pk = "USER#{id}", sk = "PROFILE")]
pub struct Profile {
    #[dynamo(key_only)]
    pub id: u64,
    pub name: String,
    pub tags: BTreeSet<String>,
    pub scores: Vec<u32>,
    pub settings: HashMap<String, String>,
    #[dynamo(serde)]
    pub address: Address,
    pub nickname: Option<String>,
}

const CREATED: i64 = 1_795_900_614_000_123;

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn get<'i>(item: &'i Item, name: &str) -> Result<&'i AttributeValue, String> {
    item.get(name).ok_or_else(|| format!("{name} is missing"))
}

fn get_s<'i>(item: &'i Item, name: &str) -> Result<&'i str, String> {
    match get(item, name)? {
        AttributeValue::S(text) => Ok(text),
        _ => Err(format!("{name} is not a string")),
    }
}

fn get_n<T: std::str::FromStr>(item: &Item, name: &str) -> Result<T, String> {
    match get(item, name)? {
        AttributeValue::N(n) => n.parse().map_err(|_| format!("{name} is not a {n}")),
        _ => Err(format!("{name} is not a number")),
    }
}

fn timestamp(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse(text).map_err(|e| e.to_string())
}

fn id_after(key: &str, prefix: &str) -> Result<u64, String> {
    key.strip_prefix(prefix)
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| format!("bad key {key}"))
}

/// The stored form of an account, for serde_dynamo.
#[derive(Serialize)]
struct AccountOut<'a> {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: &'static str,
    name: &'a str,
    email: &'a str,
    balance: i64,
    created_at: Timestamp,
}

#[derive(Deserialize)]
struct AccountIn {
    #[serde(rename = "PK")]
    pk: String,
    name: String,
    email: String,
    balance: i64,
    created_at: Timestamp,
}

impl ByHand for Account {
    fn sample() -> Self {
        Account {
            id: 123_456,
            name: "clara".into(),
            email: "clara@42sp.org.br".into(),
            balance: 1_500,
            created_at: Timestamp::from_unix_micros(CREATED),
        }
    }

    fn hand_to_item(&self) -> Item {
        let mut item = HashMap::with_capacity(6);
        item.insert(
            "PK".to_owned(),
            AttributeValue::S(format!("ACCOUNT#{}", self.id)),
        );
        item.insert("SK".to_owned(), s("ACCOUNT"));
        item.insert("name".to_owned(), s(&self.name));
        item.insert("email".to_owned(), s(&self.email));
        item.insert(
            "balance".to_owned(),
            AttributeValue::N(self.balance.to_string()),
        );
        item.insert(
            "created_at".to_owned(),
            AttributeValue::S(self.created_at.to_string()),
        );
        item
    }

    fn hand_from_item(item: &Item) -> Result<Self, String> {
        Ok(Account {
            id: id_after(get_s(item, "PK")?, "ACCOUNT#")?,
            name: get_s(item, "name")?.to_owned(),
            email: get_s(item, "email")?.to_owned(),
            balance: get_n(item, "balance")?,
            created_at: timestamp(get_s(item, "created_at")?)?,
        })
    }

    fn serde_to_item(&self) -> Item {
        serde_dynamo::aws_sdk_dynamodb_1::to_item(AccountOut {
            pk: format!("ACCOUNT#{}", self.id),
            sk: "ACCOUNT",
            name: &self.name,
            email: &self.email,
            balance: self.balance,
            created_at: self.created_at,
        })
        .expect("an account serializes")
    }

    fn serde_from_item(item: Item) -> Result<Self, String> {
        let row: AccountIn =
            serde_dynamo::aws_sdk_dynamodb_1::from_item(item).map_err(|e| e.to_string())?;
        Ok(Account {
            id: id_after(&row.pk, "ACCOUNT#")?,
            name: row.name,
            email: row.email,
            balance: row.balance,
            created_at: row.created_at,
        })
    }
}

#[derive(Serialize)]
struct OperationOut {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "type")]
    kind: OperationType,
    amount: u64,
    created_at: Timestamp,
}

#[derive(Deserialize)]
struct OperationIn {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "type")]
    kind: OperationType,
    amount: u64,
    created_at: Timestamp,
}

impl ByHand for Operation {
    fn sample() -> Self {
        Operation {
            account_id: 123_456,
            kind: OperationType::Debit,
            amount: 50,
            created_at: Timestamp::from_unix_micros(CREATED),
        }
    }

    fn hand_to_item(&self) -> Item {
        let created_at = self.created_at.to_string();
        let mut item = HashMap::with_capacity(5);
        item.insert(
            "PK".to_owned(),
            AttributeValue::S(format!("ACCOUNT#{}", self.account_id)),
        );
        item.insert(
            "SK".to_owned(),
            AttributeValue::S(format!("OPERATION#{created_at}")),
        );
        let kind = match self.kind {
            OperationType::Credit => "credit",
            OperationType::Debit => "debit",
        };
        item.insert("type".to_owned(), s(kind));
        item.insert(
            "amount".to_owned(),
            AttributeValue::N(self.amount.to_string()),
        );
        item.insert("created_at".to_owned(), AttributeValue::S(created_at));
        item
    }

    fn hand_from_item(item: &Item) -> Result<Self, String> {
        Ok(Operation {
            account_id: id_after(get_s(item, "PK")?, "ACCOUNT#")?,
            kind: match get_s(item, "type")? {
                "credit" => OperationType::Credit,
                "debit" => OperationType::Debit,
                other => return Err(format!("unknown type {other}")),
            },
            amount: get_n(item, "amount")?,
            created_at: timestamp(get_s(item, "created_at")?)?,
        })
    }

    fn serde_to_item(&self) -> Item {
        serde_dynamo::aws_sdk_dynamodb_1::to_item(OperationOut {
            pk: format!("ACCOUNT#{}", self.account_id),
            sk: format!("OPERATION#{}", self.created_at),
            kind: self.kind,
            amount: self.amount,
            created_at: self.created_at,
        })
        .expect("an operation serializes")
    }

    fn serde_from_item(item: Item) -> Result<Self, String> {
        let row: OperationIn =
            serde_dynamo::aws_sdk_dynamodb_1::from_item(item).map_err(|e| e.to_string())?;
        Ok(Operation {
            account_id: id_after(&row.pk, "ACCOUNT#")?,
            kind: row.kind,
            amount: row.amount,
            created_at: row.created_at,
        })
    }
}

#[derive(Serialize)]
struct ProfileOut<'a> {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: &'static str,
    name: &'a str,
    #[serde(with = "serde_dynamo::string_set")]
    tags: &'a BTreeSet<String>,
    scores: &'a [u32],
    settings: &'a HashMap<String, String>,
    address: &'a Address,
    #[serde(skip_serializing_if = "Option::is_none")]
    nickname: &'a Option<String>,
}

#[derive(Deserialize)]
struct ProfileIn {
    #[serde(rename = "PK")]
    pk: String,
    name: String,
    #[serde(default, with = "serde_dynamo::string_set")]
    tags: BTreeSet<String>,
    scores: Vec<u32>,
    settings: HashMap<String, String>,
    address: Address,
    nickname: Option<String>,
}

impl ByHand for Profile {
    fn sample() -> Self {
        Profile {
            id: 42,
            name: "clara".into(),
            tags: ["early", "vip", "beta", "newsletter"]
                .map(String::from)
                .into(),
            scores: vec![12, 7, 30, 41, 5, 18, 22, 9],
            settings: [
                ("theme", "dark"),
                ("language", "pt-BR"),
                ("digest", "weekly"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .into(),
            address: Address {
                street: "Rua Aspicuelta 422".into(),
                city: "São Paulo".into(),
                postcode: "05433-010".into(),
            },
            nickname: Some("cla".into()),
        }
    }

    fn hand_to_item(&self) -> Item {
        let mut item = HashMap::with_capacity(9);
        item.insert(
            "PK".to_owned(),
            AttributeValue::S(format!("USER#{}", self.id)),
        );
        item.insert("SK".to_owned(), s("PROFILE"));
        item.insert("name".to_owned(), s(&self.name));
        if !self.tags.is_empty() {
            item.insert(
                "tags".to_owned(),
                AttributeValue::Ss(self.tags.iter().cloned().collect()),
            );
        }
        item.insert(
            "scores".to_owned(),
            AttributeValue::L(
                self.scores
                    .iter()
                    .map(|n| AttributeValue::N(n.to_string()))
                    .collect(),
            ),
        );
        item.insert(
            "settings".to_owned(),
            AttributeValue::M(
                self.settings
                    .iter()
                    .map(|(k, v)| (k.clone(), s(v)))
                    .collect(),
            ),
        );
        let mut address = HashMap::with_capacity(3);
        address.insert("street".to_owned(), s(&self.address.street));
        address.insert("city".to_owned(), s(&self.address.city));
        address.insert("postcode".to_owned(), s(&self.address.postcode));
        item.insert("address".to_owned(), AttributeValue::M(address));
        if let Some(nickname) = &self.nickname {
            item.insert("nickname".to_owned(), s(nickname));
        }
        item
    }

    fn hand_from_item(item: &Item) -> Result<Self, String> {
        let tags = match item.get("tags") {
            Some(AttributeValue::Ss(tags)) => tags.iter().cloned().collect(),
            None => BTreeSet::new(),
            _ => return Err("tags is not a string set".into()),
        };
        let scores = match get(item, "scores")? {
            AttributeValue::L(list) => list
                .iter()
                .map(|v| match v {
                    AttributeValue::N(n) => n.parse().map_err(|_| format!("bad score {n}")),
                    _ => Err("a score is not a number".to_owned()),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err("scores is not a list".into()),
        };
        let settings = match get(item, "settings")? {
            AttributeValue::M(map) => map
                .iter()
                .map(|(k, v)| match v {
                    AttributeValue::S(text) => Ok((k.clone(), text.clone())),
                    _ => Err(format!("setting {k} is not a string")),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err("settings is not a map".into()),
        };
        let address = match get(item, "address")? {
            AttributeValue::M(map) => Address {
                street: get_s(map, "street")?.to_owned(),
                city: get_s(map, "city")?.to_owned(),
                postcode: get_s(map, "postcode")?.to_owned(),
            },
            _ => return Err("address is not a map".into()),
        };
        let nickname = match item.get("nickname") {
            Some(AttributeValue::S(text)) => Some(text.clone()),
            None | Some(AttributeValue::Null(_)) => None,
            _ => return Err("nickname is not a string".into()),
        };
        Ok(Profile {
            id: id_after(get_s(item, "PK")?, "USER#")?,
            name: get_s(item, "name")?.to_owned(),
            tags,
            scores,
            settings,
            address,
            nickname,
        })
    }

    fn serde_to_item(&self) -> Item {
        serde_dynamo::aws_sdk_dynamodb_1::to_item(ProfileOut {
            pk: format!("USER#{}", self.id),
            sk: "PROFILE",
            name: &self.name,
            tags: &self.tags,
            scores: &self.scores,
            settings: &self.settings,
            address: &self.address,
            nickname: &self.nickname,
        })
        .expect("a profile serializes")
    }

    fn serde_from_item(item: Item) -> Result<Self, String> {
        let row: ProfileIn =
            serde_dynamo::aws_sdk_dynamodb_1::from_item(item).map_err(|e| e.to_string())?;
        Ok(Profile {
            id: id_after(&row.pk, "USER#")?,
            name: row.name,
            tags: row.tags,
            scores: row.scores,
            settings: row.settings,
            address: row.address,
            nickname: row.nickname,
        })
    }
}

/// Checks that the three ways make the same item and read back the same entity, so that
/// the benchmarks compare equal work.
pub fn check_equivalent<E: ByHand + PartialEq + std::fmt::Debug>() {
    let entity = E::sample();
    let derived = entity.to_item().expect("the sample converts");
    assert_eq!(
        derived,
        entity.hand_to_item(),
        "{}: by hand",
        E::ENTITY_NAME
    );
    assert_eq!(derived, entity.serde_to_item(), "{}: serde", E::ENTITY_NAME);
    assert_eq!(E::from_item(&derived).expect("reads back"), entity);
    assert_eq!(E::hand_from_item(&derived).expect("reads back"), entity);
    assert_eq!(E::serde_from_item(derived).expect("reads back"), entity);
}
