//! The physical table as `schema.toml` declares it: keys, billing, global and local
//! secondary indexes, TTL, stream and deletion protection. [`Schema::load`] parses and validates a file; provisioning's
//! [`describe`](crate::provision::describe) reads a live table back into the same type, so
//! the two can be compared.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Result};

/// DynamoDB's limit on global secondary indexes per table.
pub const MAX_GLOBAL_INDEXES: usize = 20;

/// DynamoDB's limit on local secondary indexes per table.
pub const MAX_LOCAL_INDEXES: usize = 5;

/// A table and its secondary indexes.
///
/// ```
/// use dynaschema::{Billing, KeyType, Schema};
///
/// let schema = Schema::parse(
///     r#"
///     [table]
///     name = "ningipoints"
///     billing_mode = "PAY_PER_REQUEST"
///     partition_key = { name = "PK", type = "S" }
///     sort_key = { name = "SK", type = "S" }
///
///     [[index]]
///     name = "EmailIndex"
///     partition_key = { name = "email", type = "S" }
///     projection = "ALL"
///     "#,
///     "schema.toml",
/// )?;
/// assert_eq!(schema.table.name, "ningipoints");
/// assert_eq!(schema.table.billing, Billing::PayPerRequest);
/// assert_eq!(schema.index("EmailIndex").unwrap().partition_key.kind, KeyType::S);
/// assert_eq!(schema.table.ttl_attribute, None);
/// # Ok::<(), dynaschema::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    /// The table itself.
    pub table: TableSchema,
    /// Its global secondary indexes, ordered by name.
    pub indexes: Vec<GlobalIndex>,
    /// Its local secondary indexes, ordered by name. DynamoDB creates them with the table
    /// and cannot add, change or remove them later.
    pub local_indexes: Vec<LocalIndex>,
}

/// The table's name, keys, billing and table-wide settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSchema {
    /// The table name.
    pub name: String,
    /// On-demand or provisioned capacity.
    pub billing: Billing,
    /// The HASH key.
    pub partition_key: KeyAttribute,
    /// The RANGE key, if the table has one.
    pub sort_key: Option<KeyAttribute>,
    /// The attribute whose epoch-seconds value makes DynamoDB expire an item (`ttl_attribute`),
    /// if TTL is enabled.
    pub ttl_attribute: Option<String>,
    /// What the table's stream records for each change (`stream`), if it has a stream.
    pub stream: Option<StreamView>,
    /// Whether DynamoDB refuses to delete the table (`deletion_protection`).
    pub deletion_protection: bool,
}

/// What a DynamoDB stream record holds: the `StreamViewType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum StreamView {
    /// `KEYS_ONLY`: the changed item's key attributes.
    #[serde(rename = "KEYS_ONLY")]
    KeysOnly,
    /// `NEW_IMAGE`: the item as it is after the change.
    #[serde(rename = "NEW_IMAGE")]
    NewImage,
    /// `OLD_IMAGE`: the item as it was before the change.
    #[serde(rename = "OLD_IMAGE")]
    OldImage,
    /// `NEW_AND_OLD_IMAGES`: both.
    #[serde(rename = "NEW_AND_OLD_IMAGES")]
    NewAndOldImages,
}

/// How the table pays for reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Billing {
    /// `PAY_PER_REQUEST`: on-demand capacity.
    PayPerRequest,
    /// `PROVISIONED`, with the table's read and write capacity units.
    Provisioned(Throughput),
}

/// Provisioned read and write capacity units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Throughput {
    /// Read capacity units, at least 1.
    pub read: i64,
    /// Write capacity units, at least 1.
    pub write: i64,
}

/// A key attribute: its name and scalar type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAttribute {
    /// The attribute name.
    pub name: String,
    /// The attribute's type.
    pub kind: KeyType,
}

/// The scalar types a key attribute may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum KeyType {
    /// String.
    S,
    /// Number.
    N,
    /// Binary.
    B,
}

/// A global secondary index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalIndex {
    /// The index name.
    pub name: String,
    /// The index's HASH key.
    pub partition_key: KeyAttribute,
    /// The index's RANGE key, if any.
    pub sort_key: Option<KeyAttribute>,
    /// Which attributes the index copies.
    pub projection: Projection,
    /// The index's capacity; `Some` exactly when the table is provisioned.
    pub throughput: Option<Throughput>,
}

/// A local secondary index: the table's partition key with another sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalIndex {
    /// The index name.
    pub name: String,
    /// The index's RANGE key; its HASH key is the table's.
    pub sort_key: KeyAttribute,
    /// Which attributes the index copies.
    pub projection: Projection,
}

/// Which attributes a secondary index copies from the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Projection {
    /// Every attribute.
    All,
    /// The table's and the index's key attributes only.
    KeysOnly,
    /// The keys plus these attributes, sorted by name.
    Include(Vec<String>),
}

/// A secondary index, global or local, as reads see it: see
/// [`Schema::secondary_index`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecondaryIndex<'s> {
    /// The index name.
    pub name: &'s str,
    /// The index's HASH key: a local index's is the table's.
    pub partition_key: &'s KeyAttribute,
    /// The index's RANGE key, if any (a local index always has one).
    pub sort_key: Option<&'s KeyAttribute>,
    /// Which attributes the index copies.
    pub projection: &'s Projection,
    /// Whether it is a local secondary index, which offers consistent reads.
    pub local: bool,
}

impl SecondaryIndex<'_> {
    /// Whether the index's items hold `attribute`: every key attribute of the table and
    /// the index is projected, and whatever the projection names.
    pub fn projects(&self, table: &TableSchema, attribute: &str) -> bool {
        let keys = [
            Some(&table.partition_key),
            table.sort_key.as_ref(),
            Some(self.partition_key),
            self.sort_key,
        ];
        let copied = match self.projection {
            Projection::All => true,
            Projection::KeysOnly => false,
            Projection::Include(attributes) => attributes.iter().any(|a| a == attribute),
        };
        copied || keys.into_iter().flatten().any(|key| key.name == attribute)
    }

    /// `global secondary index` or `local secondary index`, for messages.
    pub fn kind(&self) -> &'static str {
        if self.local {
            "local secondary index"
        } else {
            "global secondary index"
        }
    }
}

impl KeyType {
    /// The type's DynamoDB code: `S`, `N` or `B`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::S => "S",
            KeyType::N => "N",
            KeyType::B => "B",
        }
    }
}

impl StreamView {
    /// The view's DynamoDB code, such as `NEW_AND_OLD_IMAGES`.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamView::KeysOnly => "KEYS_ONLY",
            StreamView::NewImage => "NEW_IMAGE",
            StreamView::OldImage => "OLD_IMAGE",
            StreamView::NewAndOldImages => "NEW_AND_OLD_IMAGES",
        }
    }
}

impl std::fmt::Display for StreamView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for KeyType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `partition key PK (S), sort key SK (S), PAY_PER_REQUEST`, then the stream and
/// deletion protection when set: how plans and provisioning describe a table.
impl std::fmt::Display for TableSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "partition key {}", self.partition_key)?;
        if let Some(sort_key) = &self.sort_key {
            write!(f, ", sort key {sort_key}")?;
        }
        write!(f, ", {}", self.billing)?;
        if let Some(stream) = self.stream {
            write!(f, ", stream {stream}")?;
        }
        if self.deletion_protection {
            f.write_str(", deletion protection")?;
        }
        Ok(())
    }
}

impl std::fmt::Display for KeyAttribute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name, self.kind)
    }
}

impl std::fmt::Display for Billing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Billing::PayPerRequest => f.write_str("PAY_PER_REQUEST"),
            Billing::Provisioned(t) => {
                write!(f, "PROVISIONED (read {}, write {})", t.read, t.write)
            }
        }
    }
}

impl std::fmt::Display for Projection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Projection::All => f.write_str("ALL"),
            Projection::KeysOnly => f.write_str("KEYS_ONLY"),
            Projection::Include(attributes) => write!(f, "INCLUDE [{}]", attributes.join(", ")),
        }
    }
}

impl Schema {
    /// Reads and validates a schema file.
    ///
    /// Errors name the file, line and column and say what was expected.
    pub fn load(path: impl AsRef<Path>) -> Result<Schema> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Schema::parse(&text, path)
    }

    /// Parses and validates schema text; `file` names it in error messages.
    pub fn parse(text: &str, file: impl AsRef<Path>) -> Result<Schema> {
        let located = |span: Option<Range<usize>>, message: String| {
            let (line, column) = line_column(text, span.map_or(0, |s| s.start));
            Error::Schema {
                file: file.as_ref().to_owned(),
                line,
                column,
                message,
            }
        };
        let raw: RawSchema =
            toml::from_str(text).map_err(|e| located(e.span(), e.message().to_owned()))?;
        raw.validate(text)
            .map_err(|(span, message)| located(Some(span), message))
    }

    /// The same schema for a table of another name, such as `dev-ningipoints` or a test's
    /// own table.
    ///
    /// ```
    /// # let schema = dynaschema::Schema::parse(
    /// #     "[table]\nname = \"ningipoints\"\npartition_key = { name = \"PK\", type = \"S\" }\n",
    /// #     "schema.toml",
    /// # )?;
    /// let dev = schema.with_table_name("dev-ningipoints")?;
    /// assert_eq!(dev.table.name, "dev-ningipoints");
    /// assert!(schema.with_table_name("no").is_err());
    /// # Ok::<(), dynaschema::Error>(())
    /// ```
    pub fn with_table_name(&self, name: &str) -> Result<Schema> {
        check_name(name).map_err(|reason| Error::InvalidName {
            kind: "table",
            name: name.to_owned(),
            reason,
        })?;
        let mut schema = self.clone();
        schema.table.name = name.to_owned();
        Ok(schema)
    }

    /// The global secondary index of this name.
    pub fn index(&self, name: &str) -> Option<&GlobalIndex> {
        self.indexes.iter().find(|index| index.name == name)
    }

    /// The local secondary index of this name.
    pub fn local_index(&self, name: &str) -> Option<&LocalIndex> {
        self.local_indexes.iter().find(|index| index.name == name)
    }

    /// The global or local secondary index of this name, as reads see it: its keys (a
    /// local index's partition key is the table's) and its projection.
    ///
    /// ```
    /// # use dynaschema::Schema;
    /// let schema = Schema::parse(
    ///     r#"
    ///     [table]
    ///     name = "events"
    ///     billing_mode = "PAY_PER_REQUEST"
    ///     partition_key = { name = "PK", type = "S" }
    ///     sort_key = { name = "SK", type = "S" }
    ///
    ///     [[local_index]]
    ///     name = "ByCreated"
    ///     sort_key = { name = "created_at", type = "S" }
    ///     projection = "KEYS_ONLY"
    ///     "#,
    ///     "schema.toml",
    /// )?;
    /// let by_created = schema.secondary_index("ByCreated").unwrap();
    /// assert!(by_created.local);
    /// assert_eq!(by_created.partition_key.name, "PK");
    /// assert!(by_created.projects(&schema.table, "SK"));
    /// assert!(!by_created.projects(&schema.table, "title"));
    /// # Ok::<(), dynaschema::Error>(())
    /// ```
    pub fn secondary_index(&self, name: &str) -> Option<SecondaryIndex<'_>> {
        self.secondary_indexes().find(|index| index.name == name)
    }

    /// Every secondary index, global ones first, each as
    /// [`secondary_index`](Self::secondary_index) gives it.
    pub fn secondary_indexes(&self) -> impl Iterator<Item = SecondaryIndex<'_>> {
        let global = self.indexes.iter().map(|index| SecondaryIndex {
            name: &index.name,
            partition_key: &index.partition_key,
            sort_key: index.sort_key.as_ref(),
            projection: &index.projection,
            local: false,
        });
        let local = self.local_indexes.iter().map(|index| SecondaryIndex {
            name: &index.name,
            partition_key: &self.table.partition_key,
            sort_key: Some(&index.sort_key),
            projection: &index.projection,
            local: true,
        });
        global.chain(local)
    }

    /// Every key attribute of the table and its indexes, each once, in the order the
    /// table's keys, then each global index's, then each local index's name them: the
    /// `AttributeDefinitions` of the table.
    pub fn key_attributes(&self) -> Vec<&KeyAttribute> {
        let mut seen = Vec::<&KeyAttribute>::new();
        let table = [
            Some(&self.table.partition_key),
            self.table.sort_key.as_ref(),
        ];
        let indexes = self
            .indexes
            .iter()
            .flat_map(|index| [Some(&index.partition_key), index.sort_key.as_ref()]);
        let local = self.local_indexes.iter().map(|index| Some(&index.sort_key));
        for key in table.into_iter().chain(indexes).chain(local).flatten() {
            if !seen.iter().any(|s| s.name == key.name) {
                seen.push(key);
            }
        }
        seen
    }
}

/// Checks a table or index name against DynamoDB's rules; `Err` holds the rule broken.
pub(crate) fn check_name(name: &str) -> std::result::Result<(), String> {
    let length = name.chars().count();
    if !(3..=255).contains(&length) {
        return Err(format!("must be 3 to 255 characters long, and is {length}"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        return Err(format!(
            "`{bad}` is not allowed: use only a-z, A-Z, 0-9, `_`, `.` and `-`"
        ));
    }
    Ok(())
}

/// 1-based line and character column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

// The file as written, with the position of everything validation may point at.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchema {
    table: RawTable,
    #[serde(default)]
    index: Vec<RawIndex>,
    #[serde(default)]
    local_index: Vec<RawLocalIndex>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    name: Spanned<String>,
    billing_mode: Option<Spanned<BillingMode>>,
    throughput: Option<Spanned<Throughput>>,
    partition_key: RawKey,
    sort_key: Option<RawKey>,
    ttl_attribute: Option<Spanned<String>>,
    stream: Option<StreamView>,
    deletion_protection: Option<bool>,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
enum BillingMode {
    #[serde(rename = "PAY_PER_REQUEST")]
    PayPerRequest,
    #[serde(rename = "PROVISIONED")]
    Provisioned,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    name: Spanned<String>,
    #[serde(rename = "type")]
    kind: KeyType,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndex {
    name: Spanned<String>,
    partition_key: RawKey,
    sort_key: Option<RawKey>,
    projection: Spanned<ProjectionType>,
    non_key_attributes: Option<Spanned<Vec<Spanned<String>>>>,
    throughput: Option<Spanned<Throughput>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLocalIndex {
    name: Spanned<String>,
    sort_key: RawKey,
    projection: Spanned<ProjectionType>,
    non_key_attributes: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
enum ProjectionType {
    #[serde(rename = "ALL")]
    All,
    #[serde(rename = "KEYS_ONLY")]
    KeysOnly,
    #[serde(rename = "INCLUDE")]
    Include,
}

/// A validation failure: where, and what is wrong.
type Invalid = (Range<usize>, String);

impl RawSchema {
    fn validate(self, text: &str) -> std::result::Result<Schema, Invalid> {
        let table = &self.table;
        check_name(table.name.get_ref())
            .map_err(|reason| (table.name.span(), format!("invalid table name: {reason}")))?;

        let mode = table.billing_mode.as_ref();
        let billing =
            match (mode.map(|m| *m.get_ref()), &table.throughput) {
                (None | Some(BillingMode::PayPerRequest), None) => Billing::PayPerRequest,
                (Some(BillingMode::Provisioned), Some(throughput)) => {
                    Billing::Provisioned(check_throughput(throughput)?)
                }
                (Some(BillingMode::Provisioned), None) => return Err((
                    mode.map_or(0..0, |m| m.span()),
                    "PROVISIONED billing needs `throughput = { read = N, write = N }` in [table]"
                        .to_owned(),
                )),
                (None | Some(BillingMode::PayPerRequest), Some(throughput)) => {
                    return Err((
                        throughput.span(),
                        "`throughput` goes only with billing_mode = \"PROVISIONED\": remove it \
                     for on-demand (PAY_PER_REQUEST) billing"
                            .to_owned(),
                    ))
                }
            };

        let mut types = KeyTypes {
            text,
            first: HashMap::new(),
        };
        let partition_key = types.check(&table.partition_key)?;
        let sort_key = table
            .sort_key
            .as_ref()
            .map(|k| types.check(k))
            .transpose()?;
        if let Some(sort_key) = &table.sort_key
            && sort_key.name.get_ref() == table.partition_key.name.get_ref()
        {
            return Err((
                sort_key.name.span(),
                "the sort key must be another attribute than the partition key".to_owned(),
            ));
        }

        if self.index.len() > MAX_GLOBAL_INDEXES {
            return Err((
                self.index[MAX_GLOBAL_INDEXES].name.span(),
                format!("a table has at most {MAX_GLOBAL_INDEXES} global secondary indexes"),
            ));
        }
        let mut names = IndexNames {
            text,
            first: HashMap::new(),
        };
        let mut indexes = Vec::with_capacity(self.index.len());
        for index in &self.index {
            indexes.push(index.validate(&mut types, &billing)?);
            names.check(&index.name)?;
        }
        indexes.sort_by(|a, b| a.name.cmp(&b.name));

        if let Some(first) = self.local_index.first()
            && table.sort_key.is_none()
        {
            return Err((
                first.name.span(),
                "a local secondary index needs a table with a sort key: add `sort_key` to \
                     [table], or declare the index as a global one with [[index]]"
                    .to_owned(),
            ));
        }
        if self.local_index.len() > MAX_LOCAL_INDEXES {
            return Err((
                self.local_index[MAX_LOCAL_INDEXES].name.span(),
                format!("a table has at most {MAX_LOCAL_INDEXES} local secondary indexes"),
            ));
        }
        let mut local_indexes = Vec::with_capacity(self.local_index.len());
        for index in &self.local_index {
            local_indexes.push(index.validate(&mut types, &table.partition_key)?);
            names.check(&index.name)?;
        }
        local_indexes.sort_by(|a, b| a.name.cmp(&b.name));

        let ttl_attribute = match &table.ttl_attribute {
            Some(attribute) => {
                check_attribute_name(attribute)?;
                if let Some((kind, first)) = types.first.get(attribute.get_ref())
                    && *kind != KeyType::N
                {
                    return Err((
                        attribute.span(),
                        format!(
                            "the TTL attribute `{}` is declared as a key of type {kind} on \
                                 line {}: DynamoDB expires items only by a Number attribute \
                                 holding epoch seconds",
                            attribute.get_ref(),
                            line_column(text, first.start).0
                        ),
                    ));
                }
                Some(attribute.get_ref().clone())
            }
            None => None,
        };

        Ok(Schema {
            table: TableSchema {
                name: table.name.get_ref().clone(),
                billing,
                partition_key,
                sort_key,
                ttl_attribute,
                stream: table.stream,
                deletion_protection: table.deletion_protection.unwrap_or(false),
            },
            indexes,
            local_indexes,
        })
    }
}

/// The index names seen so far, global and local alike: one name, one index.
struct IndexNames<'a> {
    text: &'a str,
    first: HashMap<String, Range<usize>>,
}

impl IndexNames<'_> {
    fn check(&mut self, name: &Spanned<String>) -> std::result::Result<(), Invalid> {
        if let Some(first) = self.first.get(name.get_ref()) {
            return Err((
                name.span(),
                format!(
                    "duplicate index name `{}`: line {} already declares it",
                    name.get_ref(),
                    line_column(self.text, first.start).0
                ),
            ));
        }
        self.first.insert(name.get_ref().clone(), name.span());
        Ok(())
    }
}

impl RawIndex {
    fn validate(
        &self,
        types: &mut KeyTypes,
        billing: &Billing,
    ) -> std::result::Result<GlobalIndex, Invalid> {
        check_name(self.name.get_ref())
            .map_err(|reason| (self.name.span(), format!("invalid index name: {reason}")))?;
        let partition_key = types.check(&self.partition_key)?;
        let sort_key = self.sort_key.as_ref().map(|k| types.check(k)).transpose()?;

        let projection = projection(&self.projection, &self.non_key_attributes)?;

        let throughput = match (billing, &self.throughput) {
            (Billing::PayPerRequest, None) => None,
            (Billing::PayPerRequest, Some(throughput)) => {
                return Err((
                    throughput.span(),
                    "an index of a PAY_PER_REQUEST table takes no `throughput`".to_owned(),
                ))
            }
            // An index of a provisioned table without its own capacity gets the table's.
            (Billing::Provisioned(table), None) => Some(*table),
            (Billing::Provisioned(_), Some(throughput)) => Some(check_throughput(throughput)?),
        };

        Ok(GlobalIndex {
            name: self.name.get_ref().clone(),
            partition_key,
            sort_key,
            projection,
            throughput,
        })
    }
}

impl RawLocalIndex {
    fn validate(
        &self,
        types: &mut KeyTypes,
        table_partition_key: &RawKey,
    ) -> std::result::Result<LocalIndex, Invalid> {
        check_name(self.name.get_ref())
            .map_err(|reason| (self.name.span(), format!("invalid index name: {reason}")))?;
        let sort_key = types.check(&self.sort_key)?;
        if sort_key.name == *table_partition_key.name.get_ref() {
            return Err((
                self.sort_key.name.span(),
                "a local index's sort key must be another attribute than the table's partition \
                 key, which is the index's partition key"
                    .to_owned(),
            ));
        }
        Ok(LocalIndex {
            name: self.name.get_ref().clone(),
            sort_key,
            projection: projection(&self.projection, &self.non_key_attributes)?,
        })
    }
}

/// The projection an index declares with `projection` and `non_key_attributes`.
fn projection(
    kind: &Spanned<ProjectionType>,
    non_key_attributes: &Option<Spanned<Vec<Spanned<String>>>>,
) -> std::result::Result<Projection, Invalid> {
    match (*kind.get_ref(), non_key_attributes) {
        (ProjectionType::All, None) => Ok(Projection::All),
        (ProjectionType::KeysOnly, None) => Ok(Projection::KeysOnly),
        (ProjectionType::Include, Some(attributes)) if !attributes.get_ref().is_empty() => {
            let mut names = Vec::new();
            for attribute in attributes.get_ref() {
                check_attribute_name(attribute)?;
                names.push(attribute.get_ref().clone());
            }
            names.sort();
            names.dedup();
            Ok(Projection::Include(names))
        }
        (ProjectionType::Include, _) => Err((
            kind.span(),
            "projection INCLUDE needs `non_key_attributes = [\"...\"]` naming at least one \
             attribute"
                .to_owned(),
        )),
        (_, Some(attributes)) => Err((
            attributes.span(),
            "`non_key_attributes` goes only with projection = \"INCLUDE\"".to_owned(),
        )),
    }
}

fn check_throughput(throughput: &Spanned<Throughput>) -> std::result::Result<Throughput, Invalid> {
    let t = *throughput.get_ref();
    if t.read < 1 || t.write < 1 {
        return Err((
            throughput.span(),
            format!(
                "read and write capacity must each be at least 1, found read {}, write {}",
                t.read, t.write
            ),
        ));
    }
    Ok(t)
}

fn check_attribute_name(name: &Spanned<String>) -> std::result::Result<(), Invalid> {
    let length = name.get_ref().len();
    if !(1..=255).contains(&length) {
        return Err((
            name.span(),
            format!("an attribute name must be 1 to 255 bytes long, and is {length}"),
        ));
    }
    Ok(())
}

/// The type each key attribute was first declared with, so a second declaration with
/// another type is caught where it stands.
struct KeyTypes<'a> {
    text: &'a str,
    first: HashMap<String, (KeyType, Range<usize>)>,
}

impl KeyTypes<'_> {
    fn check(&mut self, key: &RawKey) -> std::result::Result<KeyAttribute, Invalid> {
        check_attribute_name(&key.name)?;
        let name = key.name.get_ref();
        match self.first.get(name) {
            Some((kind, first)) if *kind != key.kind => Err((
                key.name.span(),
                format!(
                    "attribute `{name}` is declared here as {} but as {kind} on line {}: \
                     an attribute has one type in the whole table",
                    key.kind,
                    line_column(self.text, first.start).0
                ),
            )),
            Some(_) => Ok(KeyAttribute {
                name: name.clone(),
                kind: key.kind,
            }),
            None => {
                self.first.insert(name.clone(), (key.kind, key.name.span()));
                Ok(KeyAttribute {
                    name: name.clone(),
                    kind: key.kind,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests;
