//! `#[dynamo(schema = "schema.toml")]`: the table's schema.toml as the derive reads it,
//! and the entity checked against it. The runtime's `Schema` validates the file in
//! full (`dynaschema plan` reports its mistakes); this reads only what an entity's
//! options name: the key attributes and their types, and each index's keys and
//! projection.

use std::path::PathBuf;

use proc_macro2::Span;
use syn::LitStr;

use super::ctxt::Ctxt;
use super::model::{plain_field, Container, Storage, Template};

/// A key attribute: its name and type (`S`, `N` or `B`).
struct Key {
    name: String,
    kind: String,
}

/// A secondary index: its keys and what it projects (`None` for ALL).
struct IndexSchema {
    name: String,
    local: bool,
    pk: Key,
    sk: Option<Key>,
    projection: Projection,
}

enum Projection {
    All,
    KeysOnly,
    Include(Vec<String>),
}

impl std::fmt::Display for Projection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Projection::All => "ALL",
            Projection::KeysOnly => "KEYS_ONLY",
            Projection::Include(_) => "INCLUDE",
        })
    }
}

/// The parts of schema.toml the derive checks against.
struct TableSchema {
    pk: Key,
    sk: Option<Key>,
    indexes: Vec<IndexSchema>,
    ttl: Option<String>,
}

/// What the entity's generated code checks at compile time, beyond the derive's own
/// errors: the file (so that the build reruns when it changes), and the checks that
/// need a field type's `Attribute` implementation.
pub struct Checked {
    /// The schema file's absolute path.
    pub path: String,
    /// A plain-field index key whose written type must be the schema's:
    /// (field, the type, where to report it, the message if it is not).
    pub key_types: Vec<(String, char, Span, String)>,
}

/// Reads the schema `literal` names, relative to the crate's manifest directory, and
/// reports every mismatch with the entity at the option it concerns.
pub fn check(cx: &Ctxt, c: &Container, literal: &LitStr) -> Option<Checked> {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let path = dir.join(literal.value());
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) => {
            cx.error_spanned_by(
                literal,
                format!(
                    "cannot read `{}` (relative to the directory of the crate's Cargo.toml): {err}",
                    literal.value()
                ),
            );
            return None;
        }
    };
    let schema = match parse(&text) {
        Ok(schema) => schema,
        Err(message) => {
            cx.error_spanned_by(
                literal,
                format!(
                    "`{}` is not a valid schema: {message}; `dynaschema plan` shows the details",
                    literal.value()
                ),
            );
            return None;
        }
    };
    let mut checked = Checked {
        path: path.display().to_string(),
        key_types: Vec::new(),
    };
    check_table_keys(cx, c, &schema);
    check_ttl(cx, c, &schema);
    for index in &c.indexes {
        let (option, kind) = match index.local {
            true => ("local_index", "local"),
            false => ("index", "global"),
        };
        let Some(declared) = schema.indexes.iter().find(|i| i.name == index.name) else {
            let names: Vec<String> = schema
                .indexes
                .iter()
                .filter(|i| i.local == index.local)
                .map(|i| format!("`{}`", i.name))
                .collect();
            cx.error_spanned_by(
                &index.name_literal,
                format!(
                    "schema.toml declares no index `{}`; {}",
                    index.name,
                    if names.is_empty() {
                        format!("it declares no {kind} secondary index")
                    } else {
                        format!("its {kind} secondary indexes are {}", names.join(", "))
                    }
                ),
            );
            continue;
        };
        if declared.local != index.local {
            let (declared_kind, fix) = match declared.local {
                true => ("local", "declare it with local_index(name = .., sk = ..)"),
                false => ("global", "declare it with index(name = .., pk = ..)"),
            };
            cx.error_spanned_by(
                &index.name_literal,
                format!(
                    "`{}` is a {declared_kind} secondary index in schema.toml, not a {kind} one (`{option}(...)`): {fix}",
                    index.name
                ),
            );
            continue;
        }
        // A local index's partition key is the table's, checked with the table's keys.
        if let Some(pk) = index.pk.as_ref() {
            check_index_key(
                cx,
                c,
                &index.name,
                "partition",
                pk,
                &declared.pk,
                &mut checked,
            );
        }
        match (&index.sk, &declared.sk) {
            (Some(sk), Some(key)) => {
                check_index_key(cx, c, &index.name, "sort", sk, key, &mut checked)
            }
            (Some(sk), None) => cx.error_spanned_by(
                &sk.literal,
                format!("index `{}` has no sort key in schema.toml", index.name),
            ),
            (None, Some(key)) => cx.error_spanned_by(
                &index.name_literal,
                format!(
                    "index `{}` has the sort key `{}` in schema.toml, and an item without it is left out of the index: give the index `sk` (and `sk_attr`)",
                    index.name, key.name
                ),
            ),
            (None, None) => {}
        }
        match index.partial {
            false => check_projection(cx, c, &schema, index, declared),
            true => check_partial_projection(cx, c, &schema, index, declared),
        }
    }
    check_fields_on_index_keys(c, &schema, &mut checked);
    Some(checked)
}

/// A stored field whose attribute is the key of an index the entity does not declare
/// puts its items in that index, and must be written as the key's type, or DynamoDB
/// refuses every put of the entity.
fn check_fields_on_index_keys(c: &Container, schema: &TableSchema, checked: &mut Checked) {
    for field in &c.fields {
        if !matches!(field.storage, Storage::Attribute { serde: false }) {
            continue;
        }
        let name = field.ident.to_string();
        if checked
            .key_types
            .iter()
            .any(|(checked, ..)| *checked == name)
        {
            continue;
        }
        let keys = schema.indexes.iter().flat_map(|index| {
            [("partition", Some(&index.pk)), ("sort", index.sk.as_ref())]
                .into_iter()
                .filter_map(move |(which, key)| Some((index, which, key?)))
        });
        for (index, which, key) in keys {
            let Some(kind) = key.kind.chars().next() else {
                continue;
            };
            if key.name != field.attribute {
                continue;
            }
            checked.key_types.push((
                name.clone(),
                kind,
                field.ident.span(),
                format!(
                    "field `{name}` is stored as `{}`, which schema.toml declares as index `{}`'s {which} key, of type {}, so its items go into that index",
                    key.name, index.name, key.kind
                ),
            ));
            break;
        }
    }
}

/// The table's keys: the same attribute names, written as strings.
fn check_table_keys(cx: &Ctxt, c: &Container, schema: &TableSchema) {
    let keys = [
        ("partition", Some(&c.pk), Some(&schema.pk)),
        ("sort", c.sk.as_ref(), schema.sk.as_ref()),
    ];
    for (which, template, key) in keys {
        match (template, key) {
            (Some(template), Some(key)) => {
                if template.attribute != key.name {
                    cx.error_spanned_by(
                        template.attribute_span(),
                        format!(
                            "the table's {which} key is `{}` in schema.toml, not `{}`: {}",
                            key.name,
                            template.attribute,
                            if which == "partition" { format!("pk_attr = \"{}\"", key.name) } else { format!("sk_attr = \"{}\"", key.name) }
                        ),
                    );
                } else if key.kind != "S" {
                    cx.error_spanned_by(
                        &template.literal,
                        format!(
                            "schema.toml declares the {which} key `{}` as {}, but key templates are written as strings: declare it as S",
                            key.name, key.kind
                        ),
                    );
                }
            }
            (Some(template), None) => cx.error_spanned_by(
                &template.literal,
                "the table has no sort key in schema.toml: an entity of it has no `sk`",
            ),
            (None, Some(key)) => cx.error_spanned_by(
                c.ident,
                format!(
                    "the table has the sort key `{}` in schema.toml: give the entity an `sk` template",
                    key.name
                ),
            ),
            (None, None) => {}
        }
    }
}

/// A `ttl` field against the table's `ttl_attribute`: the attribute DynamoDB's time to
/// live reads.
fn check_ttl(cx: &Ctxt, c: &Container, schema: &TableSchema) {
    let Some((field, option)) = c.fields.iter().find_map(|f| Some((f, f.ttl.as_ref()?))) else {
        return;
    };
    match &schema.ttl {
        None => cx.error_spanned_by(
            option,
            format!(
                "schema.toml sets no time to live: add ttl_attribute = \"{}\" to [table]",
                field.attribute
            ),
        ),
        Some(ttl) if *ttl != field.attribute => cx.error_spanned_by(
            option,
            format!(
                "the table's ttl_attribute is `{ttl}` in schema.toml, not `{}`: store field `{}` as it, #[dynamo(rename = \"{ttl}\")]",
                field.attribute, field.ident
            ),
        ),
        Some(_) => {}
    }
}

/// An index key of the entity against the schema's: the attribute, and the type it
/// is written as (a template's text is S; a plain field's is its type's).
fn check_index_key(
    cx: &Ctxt,
    c: &Container,
    index: &str,
    which: &str,
    template: &Template,
    key: &Key,
    checked: &mut Checked,
) {
    let plain = plain_field(template).filter(|_| template.attribute.is_empty());
    let field = plain.and_then(|name| c.fields.iter().find(|f| f.ident == name));
    let attribute = match field {
        Some(field) => field.attribute.as_str(),
        None => template.attribute.as_str(),
    };
    if attribute != key.name {
        let fix = match (field, which) {
            (Some(field), _) => format!(
                "store field `{}` as that attribute, #[dynamo(rename = \"{}\")]",
                field.ident, key.name
            ),
            (None, "partition") => format!("pk_attr = \"{}\"", key.name),
            (None, _) => format!("sk_attr = \"{}\"", key.name),
        };
        cx.error_spanned_by(
            template.attribute_span(),
            format!(
                "index `{index}`'s {which} key is `{}` in schema.toml, not `{attribute}`: {fix}",
                key.name
            ),
        );
        return;
    }
    match field {
        Some(field) if matches!(field.storage, Storage::Attribute { serde: true }) => {}
        Some(field) => {
            let Some(kind) = key.kind.chars().next() else { return };
            checked.key_types.push((
                field.ident.to_string(),
                kind,
                template.literal.span(),
                format!(
                    "index `{index}`'s {which} key `{}` is {} in schema.toml, but field `{}` is not",
                    key.name, key.kind, field.ident
                ),
            ));
        }
        None if key.kind != "S" => cx.error_spanned_by(
            &template.literal,
            format!(
                "index `{index}`'s {which} key `{}` is {} in schema.toml, but a key template is written as a string: declare it as S",
                key.name, key.kind
            ),
        ),
        None => {}
    }
}

/// A `partial` index reads `Projected` entities, told from other entities' items of the
/// same key shape by the entity type: the index must copy it, if the entity has one.
fn check_partial_projection(
    cx: &Ctxt,
    c: &Container,
    schema: &TableSchema,
    index: &super::model::Index,
    declared: &IndexSchema,
) {
    let Some(entity_type) = c.entity_type.as_ref() else {
        return;
    };
    if projected(schema, declared, &entity_type.attribute) {
        return;
    }
    cx.error_spanned_by(
        &index.name_literal,
        format!(
            "index `{}` projects {} in schema.toml, without `{}`, which tells {}'s items from other entities' of the same key shape, so it cannot read Projected<{}>s: INCLUDE it in the index's projection, or leave the index out of the derive and read it untyped",
            index.name, declared.projection, entity_type.attribute, c.ident, c.ident
        ),
    );
}

/// Whether index `declared` copies `attribute`: its own and the table's keys, and what
/// its projection names.
fn projected(schema: &TableSchema, declared: &IndexSchema, attribute: &str) -> bool {
    let keys = [
        Some(&schema.pk),
        schema.sk.as_ref(),
        Some(&declared.pk),
        declared.sk.as_ref(),
    ];
    let copied = match &declared.projection {
        Projection::All => true,
        Projection::KeysOnly => false,
        Projection::Include(attributes) => attributes.iter().any(|a| a == attribute),
    };
    copied || keys.iter().flatten().any(|k| k.name == attribute)
}

/// The attributes of the entity an index leaves out of its items: an entity read from
/// it would read them as absent, and a put of it would erase them, so a whole-entity
/// index projects them all (a `partial` one reads `Projected` entities instead).
fn check_projection(
    cx: &Ctxt,
    c: &Container,
    schema: &TableSchema,
    index: &super::model::Index,
    declared: &IndexSchema,
) {
    let fields = c
        .fields
        .iter()
        .filter(|f| f.is_stored())
        .map(|f| f.attribute.as_str());
    let missing: Vec<String> = fields
        .chain(c.entity_type.as_ref().map(|t| t.attribute.as_str()))
        .filter(|attribute| !projected(schema, declared, attribute))
        .map(|attribute| format!("`{attribute}`"))
        .collect();
    if missing.is_empty() {
        return;
    }
    let option = if index.local { "local_index" } else { "index" };
    cx.error_spanned_by(
        &index.name_literal,
        format!(
            "index `{}` projects {} in schema.toml, without {}, which {} stores: an entity read from it would lose them when put back. Project them (INCLUDE, or ALL), or mark the index `partial` ({option}(name = \"{}\", .., partial)), whose query builder reads Projected<{}>s",
            index.name,
            declared.projection,
            missing.join(", "),
            c.ident,
            index.name,
            c.ident
        ),
    );
}

/// The schema, read leniently: only the parts checked here, each where the runtime's
/// `Schema` reads it.
fn parse(text: &str) -> Result<TableSchema, String> {
    let root: toml::Table = text
        .parse()
        .map_err(|err: toml::de::Error| err.message().to_owned())?;
    let table = root
        .get("table")
        .and_then(toml::Value::as_table)
        .ok_or("it has no [table]")?;
    let key = |value: Option<&toml::Value>, what: &str| -> Result<Option<Key>, String> {
        let Some(value) = value else { return Ok(None) };
        let name = value.get("name").and_then(toml::Value::as_str);
        let kind = value.get("type").and_then(toml::Value::as_str);
        match (name, kind) {
            (Some(name), Some(kind)) => Ok(Some(Key {
                name: name.to_owned(),
                kind: kind.to_owned(),
            })),
            _ => Err(format!("{what} needs a name and a type")),
        }
    };
    let pk = key(table.get("partition_key"), "[table] partition_key")?
        .ok_or("[table] has no partition_key")?;
    let sk = key(table.get("sort_key"), "[table] sort_key")?;
    let projection = |index: &toml::Value| -> Projection {
        match index.get("projection").and_then(toml::Value::as_str) {
            Some("KEYS_ONLY") => Projection::KeysOnly,
            Some("INCLUDE") => Projection::Include(
                index
                    .get("non_key_attributes")
                    .and_then(toml::Value::as_array)
                    .map(|names| {
                        names
                            .iter()
                            .filter_map(|n| n.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            _ => Projection::All,
        }
    };
    let mut indexes = Vec::new();
    let list = |name: &str| {
        root.get(name)
            .and_then(toml::Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    for (table, local) in [("index", false), ("local_index", true)] {
        for index in list(table) {
            let name = index
                .get("name")
                .and_then(toml::Value::as_str)
                .ok_or_else(|| format!("an [[{table}]] has no name"))?;
            let index_key = |which: &str| key(index.get(which), &format!("{name}'s {which}"));
            // A local index's partition key is the table's.
            let index_pk = match local {
                true => Some(Key {
                    name: pk.name.clone(),
                    kind: pk.kind.clone(),
                }),
                false => index_key("partition_key")?,
            };
            indexes.push(IndexSchema {
                name: name.to_owned(),
                local,
                pk: index_pk.ok_or_else(|| format!("index {name} has no partition_key"))?,
                sk: index_key("sort_key")?,
                projection: projection(&index),
            });
        }
    }
    let ttl = table
        .get("ttl_attribute")
        .and_then(toml::Value::as_str)
        .map(str::to_owned);
    Ok(TableSchema {
        pk,
        sk,
        indexes,
        ttl,
    })
}
