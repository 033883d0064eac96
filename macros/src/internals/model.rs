//! The entity as its `#[dynamo(...)]` attributes describe it: parsed and checked here,
//! before any code is generated, with every error recorded at its span.

use std::collections::HashMap;

use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, LitStr, Type};

use super::ctxt::Ctxt;
use super::template::{self, Piece};

/// The options a struct takes, for error messages.
const CONTAINER_OPTIONS: &str = "`pk`, `sk`, `pk_attr`, `sk_attr`, `index(...)`, \
                                 `local_index(...)`, `schema`, `entity_type`, `entity_type_attr`";
const INDEX_OPTIONS: &str = "`name`, `pk`, `sk`, `pk_attr`, `sk_attr`, `partial`";
const LOCAL_INDEX_OPTIONS: &str = "`name`, `sk`, `sk_attr`, `partial`";
const FIELD_OPTIONS: &str = "`rename`, `key_only`, `skip`, `default`, `serde`, `version`, \
                             `created_at`, `updated_at`, `ttl`, `unique`";

/// A struct deriving `Entity`.
pub struct Container<'a> {
    pub ident: &'a Ident,
    pub pk: Template,
    pub sk: Option<Template>,
    pub indexes: Vec<Index>,
    pub fields: Vec<Field<'a>>,
    /// `schema = "schema.toml"`: the table's schema to check the entity against.
    pub schema: Option<LitStr>,
    /// `entity_type`: the attribute written on every item, and the entity's name in it.
    pub entity_type: Option<EntityType>,
}

/// The entity type every item holds: `entity_type = "Order"`, `entity_type_attr = "_type"`.
pub struct EntityType {
    pub attribute: String,
    pub value: String,
    /// The option, for errors about it.
    pub literal: LitStr,
}

/// The attribute of `entity_type` unless `entity_type_attr` names another.
pub const ENTITY_TYPE_ATTRIBUTE: &str = "_type";

/// A key template with the attribute it fills.
pub struct Template {
    pub attribute: String,
    pub pieces: Vec<Piece>,
    /// The template as written, for errors about it.
    pub literal: LitStr,
    /// The `pk_attr`/`sk_attr` option naming the attribute, if given.
    pub attribute_literal: Option<LitStr>,
}

impl Template {
    /// Where an error about the template's attribute points: its `*_attr` option, else
    /// the template.
    pub fn attribute_span(&self) -> &LitStr {
        self.attribute_literal.as_ref().unwrap_or(&self.literal)
    }
}

/// A secondary index the entity's items are in, with the keys written from its fields:
/// `index(...)`, a global one, or `local_index(...)`, a local one, whose partition key is
/// the table's (`pk` is then `None`).
pub struct Index {
    pub name: String,
    /// The `name` option, for errors about the index.
    pub name_literal: LitStr,
    pub pk: Option<Template>,
    pub sk: Option<Template>,
    /// `local_index`: a local secondary index.
    pub local: bool,
    /// `partial`: the index projects only part of the entity, so its items are read as
    /// `Projected` entities; the schema check leaves its projection alone.
    pub partial: bool,
    /// The index's query builder, `email_index` for `EmailIndex`.
    pub builder: Ident,
    /// The index's name constant, `EMAIL_INDEX`.
    pub constant: Ident,
}

impl Index {
    /// The index's partition-key template: a local index's is the table's.
    pub fn partition<'t>(&'t self, c: &'t Container) -> &'t Template {
        self.pk.as_ref().unwrap_or(&c.pk)
    }
}

/// A field and how it is stored.
pub struct Field<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    /// The attribute name: the field's name unless renamed.
    pub attribute: String,
    pub storage: Storage,
    /// `version`: the entity's version, checked and incremented by every write.
    pub version: Option<Ident>,
    /// `created_at`: the time the item was created, set by the toolkit.
    pub created_at: Option<Ident>,
    /// `updated_at`: the time the item was last written, set by the toolkit.
    pub updated_at: Option<Ident>,
    /// `ttl`: when the item expires, the table's time-to-live attribute.
    pub ttl: Option<Ident>,
    /// `unique`: no two items of the entity hold one value of it.
    pub unique: Option<Ident>,
    /// `unique(scope = "tenant")`: no two items with one value of that primary-key field
    /// hold one value of it.
    pub unique_scope: Option<LitStr>,
}

/// How a field is stored.
pub enum Storage {
    /// As an attribute, through `Attribute` or (with `serde`) serde_dynamo.
    Attribute { serde: bool },
    /// Only in the key: parsed back from it on read.
    KeyOnly,
    /// Not stored: `default` (or `Default::default`) on read.
    Skip { default: Option<syn::ExprPath> },
}

impl Field<'_> {
    pub fn is_stored(&self) -> bool {
        matches!(self.storage, Storage::Attribute { .. })
    }

    /// The flag `option` (`version`, `created_at`, `updated_at`, `ttl`) on the field, if
    /// given.
    pub fn marker(&self, option: &str) -> Option<&Ident> {
        match option {
            "version" => self.version.as_ref(),
            "created_at" => self.created_at.as_ref(),
            "updated_at" => self.updated_at.as_ref(),
            _ => self.ttl.as_ref(),
        }
    }
}

/// Options as written, before they are checked against each other.
#[derive(Default)]
struct TemplateOption {
    value: Option<LitStr>,
    attribute: Option<LitStr>,
}

impl<'a> Container<'a> {
    /// Reads the model, or `None` when it is too broken to generate from; the errors are
    /// in `cx`.
    pub fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Option<Container<'a>> {
        let fields = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(fields) => &fields.named,
                _ => {
                    cx.error_spanned_by(
                        &input.ident,
                        "#[derive(Entity)] needs a struct with named fields",
                    );
                    return None;
                }
            },
            _ => {
                cx.error_spanned_by(&input.ident, "#[derive(Entity)] supports structs only");
                return None;
            }
        };
        if !input.generics.params.is_empty() {
            cx.error_spanned_by(
                &input.generics,
                "#[derive(Entity)] does not support generic structs",
            );
        }

        let mut pk = TemplateOption::default();
        let mut sk = TemplateOption::default();
        let mut indexes = Vec::new();
        let mut schema = None;
        let mut entity_type: Option<LitStr> = None;
        let mut entity_type_attr: Option<LitStr> = None;
        for attr in input.attrs.iter().filter(|a| a.path().is_ident("dynamo")) {
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("pk") {
                    set_once(cx, &meta, &mut pk.value)
                } else if meta.path.is_ident("sk") {
                    set_once(cx, &meta, &mut sk.value)
                } else if meta.path.is_ident("pk_attr") {
                    set_once(cx, &meta, &mut pk.attribute)
                } else if meta.path.is_ident("sk_attr") {
                    set_once(cx, &meta, &mut sk.attribute)
                } else if meta.path.is_ident("index") {
                    indexes.push(parse_index(cx, &meta, false)?);
                    Ok(())
                } else if meta.path.is_ident("local_index") {
                    indexes.push(parse_index(cx, &meta, true)?);
                    Ok(())
                } else if meta.path.is_ident("schema") {
                    set_once(cx, &meta, &mut schema)
                } else if meta.path.is_ident("entity_type") {
                    if meta.input.peek(syn::Token![=]) {
                        set_once(cx, &meta, &mut entity_type)
                    } else {
                        // `entity_type` alone: the struct's name.
                        let name = LitStr::new(&input.ident.to_string(), meta.path.span());
                        entity_type = Some(name);
                        Ok(())
                    }
                } else if meta.path.is_ident("entity_type_attr") {
                    set_once(cx, &meta, &mut entity_type_attr)
                } else {
                    unknown_option(cx, &meta, CONTAINER_OPTIONS)
                }
            });
            if let Err(err) = parsed {
                cx.syn_error(err);
            }
        }

        let fields: Vec<Field> = fields
            .iter()
            .filter_map(|field| Field::from_ast(cx, field))
            .collect();

        let Some(pk_value) = pk.value.as_ref() else {
            cx.error_spanned_by(
                &input.ident,
                "an entity needs its partition key template: #[dynamo(pk = \"ACCOUNT#{id}\")]",
            );
            return None;
        };
        // A template that does not parse is reported; the rest is still checked, so that
        // one expansion shows every mistake.
        let pk = template_of(cx, pk_value, pk.attribute.as_ref(), "PK");
        let sk_value = sk.value.as_ref();
        let sk_template = sk_value.map(|value| template_of(cx, value, sk.attribute.as_ref(), "SK"));
        if sk_value.is_none()
            && let Some(attribute) = &sk.attribute
        {
            cx.error_spanned_by(attribute, "`sk_attr` needs an `sk` template");
        }
        let indexes = indexes
            .into_iter()
            .filter_map(|index| index.check(cx))
            .collect();

        let sk_complete = !matches!(sk_template, Some(None));
        let container = Container {
            ident: &input.ident,
            pk: pk?,
            sk: sk_template.flatten(),
            indexes,
            fields,
            schema,
            entity_type: entity_type_of(cx, entity_type, entity_type_attr),
        };
        container.check_fields(cx, pk_value, sk_value.filter(|_| sk_complete), sk_complete);
        sk_complete.then_some(container)
    }

    /// Checks placeholders against fields, key_only fields against templates, and
    /// attribute names against each other.
    fn check_fields(&self, cx: &Ctxt, pk_lit: &LitStr, sk_lit: Option<&LitStr>, sk_complete: bool) {
        let by_name: HashMap<String, &Field> = self
            .fields
            .iter()
            .map(|f| (f.ident.to_string(), f))
            .collect();
        let field_names = || {
            self.fields
                .iter()
                .map(|f| format!("`{}`", f.ident))
                .collect::<Vec<_>>()
                .join(", ")
        };

        // Placeholders name fields that exist and are stored or key_only.
        let primary = [(&self.pk, Some(pk_lit))]
            .into_iter()
            .chain(self.sk.iter().map(|sk| (sk, sk_lit)));
        for (template, lit) in primary {
            let lit = lit.expect("primary key templates come from literals");
            for name in template::fields(&template.pieces) {
                match by_name.get(name) {
                    None => cx.error_spanned_by(
                        lit,
                        format!("no field `{name}` in this struct for placeholder `{{{name}}}`; the fields are {}", field_names()),
                    ),
                    Some(field) if matches!(field.storage, Storage::Skip { .. }) => cx.error_spanned_by(
                        field.ident,
                        format!("field `{name}` is used in a key template and cannot be `skip`"),
                    ),
                    Some(_) => {}
                }
            }
        }
        for index in &self.indexes {
            for template in index.pk.iter().chain(index.sk.iter()) {
                for name in template::fields(&template.pieces) {
                    match by_name.get(name) {
                        Some(field)
                            if field.is_stored() || matches!(field.storage, Storage::KeyOnly) => {}
                        Some(field) => cx.error_spanned_by(
                            field.ident,
                            format!(
                                "field `{name}` is used in index `{}` and cannot be `skip`",
                                index.name
                            ),
                        ),
                        None => cx.error_spanned_by(
                            self.ident,
                            format!(
                                "index `{}` names no field `{name}`; the fields are {}",
                                index.name,
                                field_names()
                            ),
                        ),
                    }
                }
            }
        }

        // A key_only field must be readable back from the primary key.
        let in_primary_key = |name: &str| {
            template::fields(&self.pk.pieces)
                .chain(self.sk.iter().flat_map(|sk| template::fields(&sk.pieces)))
                .any(|f| f == name)
        };
        for field in &self.fields {
            if sk_complete
                && matches!(field.storage, Storage::KeyOnly)
                && !in_primary_key(&field.ident.to_string())
            {
                cx.error_spanned_by(
                    field.ident,
                    format!(
                        "field `{}` is `key_only` but no pk or sk template has a `{{{}}}` placeholder to read it back from",
                        field.ident, field.ident
                    ),
                );
            }
        }

        // A unique value's scope is known to every write of the item: a primary-key field.
        for field in &self.fields {
            let Some(scope) = &field.unique_scope else {
                continue;
            };
            let name = scope.value();
            if !by_name.contains_key(&name) {
                cx.error_spanned_by(
                    scope,
                    format!(
                        "no field `{name}` in this struct to scope `{}` by; the fields are {}",
                        field.ident,
                        field_names()
                    ),
                );
            } else if sk_complete && !in_primary_key(&name) {
                cx.error_spanned_by(
                    scope,
                    format!(
                        "a unique value's scope is a field of the primary key, which every write of the item knows; `{name}` is in neither the pk nor the sk template"
                    ),
                );
            }
        }

        // An index keyed on a plain field uses that field's attribute, so it must have one.
        for index in &self.indexes {
            for template in index.pk.iter().chain(index.sk.iter()) {
                if let Some(field) = plain_field(template).and_then(|name| by_name.get(name))
                    && template.attribute.is_empty()
                    && !field.is_stored()
                {
                    let option = if index.local {
                        "sk_attr"
                    } else {
                        "pk_attr/sk_attr"
                    };
                    cx.error_spanned_by(
                            field.ident,
                            format!(
                                "index `{}` is keyed on field `{}`, which is not stored as an attribute; \
                                 write the key to an attribute of its own with {option}",
                                index.name, field.ident
                            ),
                        );
                }
            }
        }

        // One version, one creation time and one update time per item.
        // The toolkit writes these at every write, after the keys are made.
        let in_a_key = |name: &str| {
            std::iter::once(&self.pk)
                .chain(self.sk.iter())
                .chain(
                    self.indexes
                        .iter()
                        .flat_map(|i| i.pk.iter().chain(i.sk.iter())),
                )
                .any(|t| template::fields(&t.pieces).any(|f| f == name))
        };
        for field in &self.fields {
            for option in ["version", "created_at", "updated_at"] {
                if let Some(marker) = field.marker(option)
                    && in_a_key(&field.ident.to_string())
                {
                    cx.error_spanned_by(
                            marker,
                            format!(
                                "a `{option}` field is written by the toolkit at every write, and cannot be in a key template, which would not follow it"
                            ),
                        );
                }
            }
        }
        for option in ["version", "created_at", "updated_at", "ttl"] {
            let marked = self.fields.iter().filter_map(|f| f.marker(option));
            for second in marked.skip(1) {
                cx.error_spanned_by(second, format!("an entity has one `{option}` field"));
            }
        }

        // Each index's builder and constant is a name of its own beside the entity's.
        let mut names: HashMap<String, String> = HashMap::from([
            ("key".to_owned(), "the key builder".to_owned()),
            ("partition".to_owned(), "the partition builder".to_owned()),
        ]);
        for field in self.fields.iter().filter(|f| f.is_stored()) {
            let handle = field
                .ident
                .to_string()
                .trim_start_matches("r#")
                .to_uppercase();
            names.insert(handle, format!("the handle of field `{}`", field.ident));
        }
        for index in &self.indexes {
            for name in [&index.builder, &index.constant] {
                let what = format!("a name of index `{}`", index.name);
                match names.get(&name.to_string()) {
                    Some(first) => cx.error_spanned_by(
                        &index.name_literal,
                        format!(
                            "index `{}` would make `{name}`, which is already {first}",
                            index.name
                        ),
                    ),
                    None => {
                        names.insert(name.to_string(), what);
                    }
                }
            }
        }

        // One attribute name, one meaning: the second use is the error.
        let mut claims: Vec<(&str, String, proc_macro2::TokenStream)> = vec![(
            &self.pk.attribute,
            "the partition key".to_owned(),
            pk_lit.to_token_stream(),
        )];
        if let (Some(sk), Some(lit)) = (&self.sk, sk_lit) {
            claims.push((
                &sk.attribute,
                "the sort key".to_owned(),
                lit.to_token_stream(),
            ));
        }
        for index in &self.indexes {
            for template in index.pk.iter().chain(index.sk.iter()) {
                if !template.attribute.is_empty() {
                    let what = format!("a key of index `{}`", index.name);
                    claims.push((&template.attribute, what, self.ident.to_token_stream()));
                }
            }
        }
        if let Some(entity_type) = &self.entity_type {
            claims.push((
                &entity_type.attribute,
                "the entity type".to_owned(),
                entity_type.literal.to_token_stream(),
            ));
        }
        for field in self.fields.iter().filter(|f| f.is_stored()) {
            claims.push((
                &field.attribute,
                format!("field `{}`", field.ident),
                field.ident.to_token_stream(),
            ));
        }
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for (attribute, what, span) in &claims {
            match seen.get(attribute) {
                Some(first) => cx.error_spanned_by(
                    span,
                    format!(
                        "attribute `{attribute}` of {what} is already {first}: rename one of them"
                    ),
                ),
                None => {
                    seen.insert(attribute, what);
                }
            }
        }
    }
}

/// The entity type option, checked: a name that is not empty, and an attribute only
/// with it.
fn entity_type_of(
    cx: &Ctxt,
    value: Option<LitStr>,
    attribute: Option<LitStr>,
) -> Option<EntityType> {
    let Some(value) = value else {
        if let Some(attribute) = &attribute {
            cx.error_spanned_by(
                attribute,
                "`entity_type_attr` names the attribute of `entity_type`: give `entity_type` too",
            );
        }
        return None;
    };
    for (text, literal) in [Some(&value), attribute.as_ref()]
        .into_iter()
        .flatten()
        .map(|l| (l.value(), l))
    {
        if text.is_empty() {
            cx.error_spanned_by(literal, "an entity type and its attribute cannot be empty");
        }
    }
    Some(EntityType {
        attribute: attribute.map_or_else(|| ENTITY_TYPE_ATTRIBUTE.to_owned(), |a| a.value()),
        value: value.value(),
        literal: value,
    })
}

/// The field of a template that is a single placeholder, like `{email}`.
pub fn plain_field(template: &Template) -> Option<&str> {
    match template.pieces.as_slice() {
        [Piece::Field(field)] => Some(field),
        _ => None,
    }
}

/// The inner type of an `Option<T>` field type, as written.
pub fn option_inner(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let segment = path.path.segments.last()?;
    if segment.ident != "Option" || path.qself.is_some() {
        return None;
    }
    match &segment.arguments {
        syn::PathArguments::AngleBracketed(args) if args.args.len() == 1 => match &args.args[0] {
            syn::GenericArgument::Type(inner) => Some(inner),
            _ => None,
        },
        _ => None,
    }
}

/// Parses a template literal into a [`Template`] for `attribute` (or `default_attribute`).
fn template_of(
    cx: &Ctxt,
    value: &LitStr,
    attribute: Option<&LitStr>,
    default_attribute: &str,
) -> Option<Template> {
    match template::parse(&value.value()) {
        Ok(pieces) => Some(Template {
            attribute: attribute.map_or_else(|| default_attribute.to_owned(), LitStr::value),
            pieces,
            literal: value.clone(),
            attribute_literal: attribute.cloned(),
        }),
        Err(message) => {
            cx.error_spanned_by(value, format!("invalid key template: {message}"));
            None
        }
    }
}

/// An `index(...)` option as written.
struct IndexOption {
    name: Option<LitStr>,
    pk: TemplateOption,
    sk: TemplateOption,
    partial: bool,
    local: bool,
    span: proc_macro2::Span,
}

fn parse_index(cx: &Ctxt, meta: &ParseNestedMeta, local: bool) -> syn::Result<IndexOption> {
    let mut index = IndexOption {
        name: None,
        pk: TemplateOption::default(),
        sk: TemplateOption::default(),
        partial: false,
        local,
        span: meta.path.span(),
    };
    meta.parse_nested_meta(|inner| {
        let global_only = local && (inner.path.is_ident("pk") || inner.path.is_ident("pk_attr"));
        if global_only {
            cx.error_spanned_by(
                &inner.path,
                "a local secondary index's partition key is the table's: leave out `pk` and `pk_attr`",
            );
            // The value is read (and dropped) so that the next option parses.
            let _: LitStr = inner.value()?.parse()?;
            Ok(())
        } else if inner.path.is_ident("name") {
            set_once(cx, &inner, &mut index.name)
        } else if inner.path.is_ident("pk") {
            set_once(cx, &inner, &mut index.pk.value)
        } else if inner.path.is_ident("sk") {
            set_once(cx, &inner, &mut index.sk.value)
        } else if inner.path.is_ident("pk_attr") {
            set_once(cx, &inner, &mut index.pk.attribute)
        } else if inner.path.is_ident("sk_attr") {
            set_once(cx, &inner, &mut index.sk.attribute)
        } else if inner.path.is_ident("partial") {
            index.partial = true;
            Ok(())
        } else if local {
            unknown_option(cx, &inner, LOCAL_INDEX_OPTIONS)
        } else {
            unknown_option(cx, &inner, INDEX_OPTIONS)
        }
    })?;
    Ok(index)
}

impl IndexOption {
    fn check(self, cx: &Ctxt) -> Option<Index> {
        let Some(name) = self.name else {
            cx.syn_error(syn::Error::new(
                self.span,
                if self.local {
                    "a local index needs its name: local_index(name = \"LSI1\", sk = ...)"
                } else {
                    "an index needs its name: index(name = \"GSI1\", pk = ...)"
                },
            ));
            return None;
        };
        let key = |option: &TemplateOption, which: &str| -> Option<Option<Template>> {
            let Some(value) = &option.value else {
                if let Some(attribute) = &option.attribute {
                    cx.error_spanned_by(
                        attribute,
                        format!("`{which}_attr` needs a `{which}` template"),
                    );
                }
                return Some(None);
            };
            let pieces = match template::parse(&value.value()) {
                Ok(pieces) => pieces,
                Err(message) => {
                    cx.error_spanned_by(value, format!("invalid key template: {message}"));
                    return None;
                }
            };
            let attribute = match (
                &option.attribute,
                matches!(pieces.as_slice(), [Piece::Field(_)]),
            ) {
                (Some(attribute), _) => attribute.value(),
                // `{email}` keys the index on the field's own attribute.
                (None, true) => String::new(),
                (None, false) => {
                    cx.error_spanned_by(
                        value,
                        format!(
                            "a computed index key needs the attribute it is written to: {which}_attr = \"GSI1{}\"",
                            which.to_uppercase()
                        ),
                    );
                    return None;
                }
            };
            Some(Some(Template {
                attribute,
                pieces,
                literal: value.clone(),
                attribute_literal: option.attribute.clone(),
            }))
        };
        let pk = key(&self.pk, "pk")?;
        let sk = key(&self.sk, "sk")?;
        if self.local && sk.is_none() {
            cx.error_spanned_by(
                &name,
                "a local secondary index needs its sort key: sk = \"{field}\" or a template with sk_attr",
            );
            return None;
        }
        if pk.is_none() && !self.local {
            cx.error_spanned_by(
                &name,
                "an index needs its partition key: pk = \"{field}\" or a template with pk_attr",
            );
            return None;
        }
        let builder = builder_name(&name.value());
        let (builder, constant) = match syn::parse_str::<Ident>(&builder) {
            Ok(_) if !builder.is_empty() => (
                Ident::new(&builder, name.span()),
                Ident::new(&builder.to_uppercase(), name.span()),
            ),
            _ => {
                cx.error_spanned_by(
                    &name,
                    format!(
                        "index `{}` makes no Rust name for its query builder (`{builder}`)",
                        name.value()
                    ),
                );
                return None;
            }
        };
        Some(Index {
            name: name.value(),
            name_literal: name,
            pk,
            sk,
            local: self.local,
            partial: self.partial,
            builder,
            constant,
        })
    }
}

impl<'a> Field<'a> {
    fn from_ast(cx: &Ctxt, field: &'a syn::Field) -> Option<Field<'a>> {
        let ident = field.ident.as_ref()?;
        let mut rename: Option<LitStr> = None;
        let mut key_only: Option<Ident> = None;
        let mut skip: Option<Ident> = None;
        let mut serde: Option<Ident> = None;
        let mut version: Option<Ident> = None;
        let mut created_at: Option<Ident> = None;
        let mut updated_at: Option<Ident> = None;
        let mut ttl: Option<Ident> = None;
        let mut unique: Option<Ident> = None;
        let mut unique_scope: Option<LitStr> = None;
        let mut default: Option<syn::ExprPath> = None;
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("dynamo")) {
            let parsed = attr.parse_nested_meta(|meta| {
                let flag = |slot: &mut Option<Ident>| {
                    if slot.is_some() {
                        cx.error_spanned_by(&meta.path, "this option is given twice");
                    }
                    *slot = meta.path.get_ident().cloned();
                    Ok(())
                };
                if meta.path.is_ident("rename") {
                    set_once(cx, &meta, &mut rename)
                } else if meta.path.is_ident("key_only") {
                    flag(&mut key_only)
                } else if meta.path.is_ident("skip") {
                    flag(&mut skip)
                } else if meta.path.is_ident("serde") {
                    flag(&mut serde)
                } else if meta.path.is_ident("version") {
                    flag(&mut version)
                } else if meta.path.is_ident("created_at") {
                    flag(&mut created_at)
                } else if meta.path.is_ident("updated_at") {
                    flag(&mut updated_at)
                } else if meta.path.is_ident("ttl") {
                    flag(&mut ttl)
                } else if meta.path.is_ident("unique") {
                    flag(&mut unique)?;
                    if meta.input.peek(syn::token::Paren) {
                        meta.parse_nested_meta(|inner| {
                            if inner.path.is_ident("scope") {
                                set_once(cx, &inner, &mut unique_scope)
                            } else {
                                Err(inner.error(
                                    "unknown option of `unique`; the one option is `scope = \"field\"`, a field of the primary key that values are unique within",
                                ))
                            }
                        })?;
                    }
                    Ok(())
                } else if meta.path.is_ident("default") {
                    let path: LitStr = meta.value()?.parse()?;
                    default = Some(path.parse()?);
                    Ok(())
                } else {
                    unknown_option(cx, &meta, FIELD_OPTIONS)
                }
            });
            if let Err(err) = parsed {
                cx.syn_error(err);
            }
        }

        let storage = match (&key_only, &skip) {
            (Some(k), Some(_)) => {
                cx.error_spanned_by(k, "a field cannot be both `key_only` and `skip`");
                Storage::KeyOnly
            }
            (Some(_), None) => Storage::KeyOnly,
            (None, Some(_)) => Storage::Skip {
                default: default.take(),
            },
            (None, None) => Storage::Attribute {
                serde: serde.is_some(),
            },
        };
        if let Some(default) = &default {
            cx.error_spanned_by(
                default,
                "`default` goes with `skip`: it gives the value of a field that is not stored",
            );
        }
        if !matches!(storage, Storage::Attribute { .. }) {
            if let Some(rename) = &rename {
                cx.error_spanned_by(
                    rename,
                    "`rename` names a stored attribute; this field is not stored as one",
                );
            }
            if let Some(serde) = &serde {
                cx.error_spanned_by(
                    serde,
                    "`serde` applies to stored attributes; this field is not stored as one",
                );
            }
        }
        for (option, what) in [
            (
                &version,
                "a `version` field is stored as a number attribute of its own",
            ),
            (
                &created_at,
                "a `created_at` field is stored as an attribute of its own",
            ),
            (
                &updated_at,
                "an `updated_at` field is stored as an attribute of its own",
            ),
            (
                &ttl,
                "a `ttl` field is stored as a number attribute of its own",
            ),
        ] {
            if let Some(option) = option
                && !matches!(storage, Storage::Attribute { serde: false })
            {
                cx.error_spanned_by(option, format!("{what}: not `key_only`, `skip` or `serde`"));
            }
        }
        if let Some(unique) = &unique {
            if !matches!(storage, Storage::Attribute { .. }) {
                cx.error_spanned_by(
                    unique,
                    "a `unique` field is stored as an attribute, whose value its guard item \
                     holds: not `key_only` or `skip`",
                );
            }
            if [&version, &created_at, &updated_at, &ttl]
                .iter()
                .any(|option| option.is_some())
            {
                cx.error_spanned_by(
                    unique,
                    "a `unique` field holds a value the application gives, not one the \
                     toolkit writes (`version`, `created_at`, `updated_at`, `ttl`)",
                );
            }
        }
        if let (Some(_), Some(updated)) = (&created_at, &updated_at) {
            cx.error_spanned_by(updated, "a field is `created_at` or `updated_at`, not both");
        }
        let attribute = rename
            .as_ref()
            .map_or_else(|| ident.to_string(), LitStr::value);
        if attribute.is_empty() {
            cx.error_spanned_by(
                rename.as_ref().unwrap_or(&LitStr::new("", ident.span())),
                "an attribute name cannot be empty",
            );
        }
        Some(Field {
            ident,
            ty: &field.ty,
            attribute,
            storage,
            version,
            created_at,
            updated_at,
            ttl,
            unique,
            unique_scope,
        })
    }
}

/// An index name in snake case, the name of its query builder: `EmailIndex` is
/// `email_index`, `GSI1` is `gsi1`, `orders-by-date` is `orders_by_date`.
pub fn builder_name(index: &str) -> String {
    let chars: Vec<char> = index.chars().collect();
    let mut name = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !name.is_empty() && !name.ends_with('_') {
                name.push('_');
            }
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 && !name.ends_with('_') {
            let previous = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            // A word starts at an upper-case letter after a lower-case one or a digit,
            // or at the last capital of an acronym (`HTTPIndex`: `http_index`).
            if previous.is_ascii_lowercase()
                || previous.is_ascii_digit()
                || (previous.is_ascii_uppercase() && next_is_lower)
            {
                name.push('_');
            }
        }
        name.push(c.to_ascii_lowercase());
    }
    name.trim_end_matches('_').to_owned()
}

/// Stores a `key = "value"` option, reporting a second occurrence.
fn set_once(cx: &Ctxt, meta: &ParseNestedMeta, slot: &mut Option<LitStr>) -> syn::Result<()> {
    let value: LitStr = meta.value()?.parse()?;
    if slot.is_some() {
        cx.error_spanned_by(
            &meta.path,
            format!("`{}` is given twice", path_name(&meta.path)),
        );
    }
    *slot = Some(value);
    Ok(())
}

/// Reports an unknown option and skips its value, so that parsing goes on to find
/// further errors.
fn unknown_option(cx: &Ctxt, meta: &ParseNestedMeta, expected: &str) -> syn::Result<()> {
    cx.error_spanned_by(
        &meta.path,
        format!(
            "unknown dynamo option `{}`; expected one of {expected}",
            path_name(&meta.path)
        ),
    );
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| {
            if inner.input.peek(syn::Token![=]) {
                inner.value()?.parse::<syn::Expr>()?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

fn path_name(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

#[cfg(test)]
mod tests {
    use super::builder_name;

    #[test]
    fn index_names_become_snake_case() {
        assert_eq!(builder_name("EmailIndex"), "email_index");
        assert_eq!(builder_name("GSI1"), "gsi1");
        assert_eq!(builder_name("GSI1PK"), "gsi1_pk");
        assert_eq!(builder_name("HTTPIndex"), "http_index");
        assert_eq!(builder_name("orders-by-date"), "orders_by_date");
        assert_eq!(builder_name("by_status.v2"), "by_status_v2");
    }
}
