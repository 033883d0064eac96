//! Code generation for `#[derive(Entity)]`, from the checked model.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{DeriveInput, Ident};

use crate::internals::ctxt::Ctxt;
use crate::internals::model::{option_inner, Container, Field, Index, Storage, Template};
use crate::internals::schema::{self, Checked};
use crate::internals::template::{self, Piece};

/// Expands the derive, or returns every error found in the input.
pub fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let cx = Ctxt::default();
    let container = Container::from_ast(&cx, input);
    let checked = container
        .as_ref()
        .and_then(|c| Some((c, c.schema.as_ref()?)))
        .and_then(|(c, literal)| schema::check(&cx, c, literal));
    if let Err(errors) = cx.check() {
        // The checks left to the compiler still run beside the derive's own errors, so
        // that one build shows every mistake.
        let mut tokens = errors.into_compile_error();
        if let (Some(c), Some(checked)) = (&container, &checked) {
            tokens.extend(schema_checks(c, checked));
        }
        return Ok(tokens);
    }
    let container = container.expect("a model without errors exists");
    Ok(generate(&container, checked.as_ref()))
}

fn generate(c: &Container, checked: Option<&Checked>) -> TokenStream {
    let ident = c.ident;
    let entity_name = ident.to_string();
    let pk_template = template_const(&c.pk);
    let sk_template = match &c.sk {
        Some(sk) => {
            let sk = template_const(sk);
            quote!(::core::option::Option::Some(#sk))
        }
        None => quote!(::core::option::Option::None),
    };

    let entity_type = match &c.entity_type {
        Some(entity_type) => {
            let (attribute, value) = (&entity_type.attribute, &entity_type.value);
            quote!(::core::option::Option::Some(::dynaschema::EntityType { attribute: #attribute, value: #value }))
        }
        None => quote!(::core::option::Option::None),
    };
    let write_times = [
        (
            quote!(CREATED_AT),
            c.fields.iter().find(|f| f.created_at.is_some()),
        ),
        (
            quote!(UPDATED_AT),
            c.fields.iter().find(|f| f.updated_at.is_some()),
        ),
    ]
    .into_iter()
    .filter_map(|(name, field)| {
        let f = field?;
        let (ty, attribute) = (f.ty, &f.attribute);
        let check = quote_spanned!(ty.span()=> ::dynaschema::generated::write_time_field::<#ty>());
        Some(quote! {
            const #name: ::core::option::Option<&'static str> = {
                #check;
                ::core::option::Option::Some(#attribute)
            };
        })
    });
    // A `ttl` field's type is checked where it is written.
    let ttl_check = c.fields.iter().find(|f| f.ttl.is_some()).map(|f| {
        let ty = f.ty;
        quote_spanned!(ty.span()=> const _: () = ::dynaschema::generated::expiry_field::<#ty>();)
    });
    let version = c.fields.iter().find(|f| f.version.is_some()).map(|f| {
        let (ident, ty, attribute) = (f.ident, f.ty, &f.attribute);
        let number = quote_spanned!(ty.span()=> <#ty as ::dynaschema::generated::VersionNumber>::as_version(&self.#ident));
        quote! {
            const VERSION: ::core::option::Option<&'static str> = ::core::option::Option::Some(#attribute);

            fn version(&self) -> u64 {
                #number
            }
        }
    });
    let unique = unique(c);
    let key_builder = key_builder(c);
    let partition_builder = partition_builder(c);
    let index_builders = c.indexes.iter().map(|index| index_builder(c, index));
    let handles = c
        .fields
        .iter()
        .filter(|f| f.is_stored())
        .map(|f| handle(ident, f));
    let to_item = to_item(c);
    let index_keys = index_keys(c);
    let required_attributes = required_attributes(c);
    let stored_attributes = stored_attributes(c);
    let index_key_text = index_key_text(c);
    let (from_item, from_parsed) = from_item(c);
    let schema_checks = checked.map(|checked| schema_checks(c, checked));

    let pk_values = values_from_self(c, &c.pk);
    let key_sk = match &c.sk {
        Some(sk) => {
            let values = values_from_self(c, sk);
            quote!(::core::option::Option::Some((&__SK, &[#(#values),*])))
        }
        None => quote!(::core::option::Option::None),
    };

    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, clippy::all)]
        const _: () = {
            const __PK: ::dynaschema::key::KeyTemplate = #pk_template;
            const __SK_OPTION: ::core::option::Option<::dynaschema::key::KeyTemplate> = #sk_template;
            #[allow(dead_code)]
            const __SK: ::dynaschema::key::KeyTemplate = match __SK_OPTION {
                ::core::option::Option::Some(template) => template,
                ::core::option::Option::None => __PK,
            };

            #schema_checks

            #ttl_check

            impl ::dynaschema::Entity for #ident {
                const ENTITY_NAME: &'static str = #entity_name;
                const ENTITY_TYPE: ::core::option::Option<::dynaschema::EntityType> = #entity_type;

                #version

                #unique

                #(#write_times)*
                const PK_TEMPLATE: ::dynaschema::key::KeyTemplate = __PK;
                const SK_TEMPLATE: ::core::option::Option<::dynaschema::key::KeyTemplate> = __SK_OPTION;

                fn key(&self) -> ::dynaschema::Key<Self> {
                    ::dynaschema::Key::render(&__PK, &[#(#pk_values),*], #key_sk)
                }

                #index_keys

                #to_item

                #from_item

                #required_attributes

                #stored_attributes

                #index_key_text
            }

            impl #ident {
                #from_parsed

                #key_builder

                #partition_builder

                #(#index_builders)*

                #(#handles)*
            }
        };
    }
}

/// `KeyTemplate::new("PK", &[Segment::Literal("ACCOUNT#"), Segment::Field("id")])`.
fn template_const(template: &Template) -> TokenStream {
    template_const_of(&template.attribute, &template.pieces)
}

/// [`template_const`] of a template's pieces writing `attribute`.
fn template_const_of(attribute: &str, pieces: &[Piece]) -> TokenStream {
    let segments = pieces.iter().map(|piece| match piece {
        Piece::Literal(text) => quote!(::dynaschema::key::Segment::Literal(#text)),
        Piece::Field(field) => quote!(::dynaschema::key::Segment::Field(#field)),
    });
    quote!(::dynaschema::key::KeyTemplate::new(#attribute, &[#(#segments),*]))
}

fn field<'c>(c: &'c Container, name: &str) -> &'c Field<'c> {
    c.fields
        .iter()
        .find(|f| f.ident == name)
        .expect("the model checked that placeholders name fields")
}

/// `&self.id, &self.created_at`: a template's placeholder values from an entity.
fn values_from_self(c: &Container, template: &Template) -> Vec<TokenStream> {
    template::fields(&template.pieces)
        .map(|name| value_from_self(c, name))
        .collect()
}

/// `&self.field`, a value of a key template, for the field `name`.
fn value_from_self(c: &Container, name: &str) -> TokenStream {
    let f = field(c, name);
    let (ident, ty) = (f.ident, f.ty);
    // The span of the type puts a "cannot be part of a key" error on the field.
    quote_spanned!(ty.span()=> &self.#ident)
}

/// The parameters of a builder taking `names`: each field with its own type, a `String`
/// field as `&str`, an optional field (in an index key) as its value's type.
fn parameters(c: &Container, names: &[&str]) -> Vec<TokenStream> {
    names
        .iter()
        .map(|name| {
            let f = field(c, name);
            let ident = f.ident;
            let ty = option_inner(f.ty).unwrap_or(f.ty);
            if is_string(ty) {
                quote!(#ident: &str)
            } else {
                quote!(#ident: #ty)
            }
        })
        .collect()
}

fn is_string(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("String"))
}

/// `&id`: a builder's argument as a placeholder value.
fn argument(c: &Container, name: &str) -> TokenStream {
    let f = field(c, name);
    let (ident, ty) = (f.ident, f.ty);
    quote_spanned!(ty.span()=> &#ident)
}

/// The distinct placeholder fields of some templates, in order of first use.
fn distinct_fields<'t>(templates: impl Iterator<Item = &'t Template>) -> Vec<&'t str> {
    let mut names = Vec::new();
    for template in templates {
        for name in template::fields(&template.pieces) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// `Account::key(id)`: the primary key from the fields its templates name.
fn key_builder(c: &Container) -> TokenStream {
    let names = distinct_fields(std::iter::once(&c.pk).chain(c.sk.iter()));
    let params = parameters(c, &names);
    let values = |template: &Template| -> Vec<TokenStream> {
        template::fields(&template.pieces)
            .map(|name| argument(c, name))
            .collect()
    };
    let pk_values = values(&c.pk);
    let sk = match &c.sk {
        Some(sk) => {
            let sk_values = values(sk);
            quote!(::core::option::Option::Some((&__SK, &[#(#sk_values),*])))
        }
        None => quote!(::core::option::Option::None),
    };
    let doc = format!(
        "The primary key of the {} whose key fields are these: {}.",
        c.ident,
        describe_key(c)
    );
    quote! {
        #[doc = #doc]
        #[allow(clippy::too_many_arguments)]
        pub fn key(#(#params),*) -> ::dynaschema::Key<Self> {
            ::dynaschema::Key::render(&__PK, &[#(#pk_values),*], #sk)
        }
    }
}

fn describe_key(c: &Container) -> String {
    let template = |t: &Template| {
        t.pieces
            .iter()
            .map(|p| match p {
                Piece::Literal(text) => text.clone(),
                Piece::Field(field) => format!("{{{field}}}"),
            })
            .collect::<String>()
    };
    match &c.sk {
        Some(sk) => format!(
            "{}=`{}`, {}=`{}`",
            c.pk.attribute,
            template(&c.pk),
            sk.attribute,
            template(sk)
        ),
        None => format!("{}=`{}`", c.pk.attribute, template(&c.pk)),
    }
}

/// `Operation::partition(account_id)`: the partition key plus the entity's sort keys.
fn partition_builder(c: &Container) -> TokenStream {
    let names = distinct_fields(std::iter::once(&c.pk));
    let params = parameters(c, &names);
    let values = template::fields(&c.pk.pieces).map(|name| argument(c, name));
    let sk = if c.sk.is_some() {
        quote!(::core::option::Option::Some(&__SK))
    } else {
        quote!(::core::option::Option::None)
    };
    let doc = format!(
        "The partition {}=`...` narrowed to the sort keys of {}: for queries of its items.",
        c.pk.attribute, c.ident
    );
    quote! {
        #[doc = #doc]
        #[allow(clippy::too_many_arguments)]
        pub fn partition(#(#params),*) -> ::dynaschema::Partition<Self> {
            ::dynaschema::Partition::render(&__PK, &[#(#values),*], #sk)
        }
    }
}

/// `Order::gsi1(order_id)`: the partition of an index the entity declares, from the
/// fields of its partition-key template, narrowed to the entity's index sort keys; and
/// `Order::GSI1`, the index's name.
fn index_builder(c: &Container, index: &Index) -> TokenStream {
    let pk = index.partition(c);
    let names = distinct_fields(std::iter::once(pk));
    let params = parameters(c, &names);
    let pk_const = template_const_of(index_attribute(c, pk), &pk.pieces);
    let sk = match &index.sk {
        Some(sk) => {
            let sk_const = template_const_of(index_attribute(c, sk), &sk.pieces);
            quote!({
                const SK: ::dynaschema::key::KeyTemplate = #sk_const;
                ::core::option::Option::Some(&SK)
            })
        }
        None => quote!(::core::option::Option::None),
    };
    // A key on a field's own attribute is the value as the field's type writes it; a
    // template's is made of key parts.
    let plain = crate::internals::model::plain_field(pk).filter(|_| pk.attribute.is_empty());
    let partition = match plain.map(|name| field(c, name)) {
        Some(f) => {
            let (ident, ty) = (f.ident, option_inner(f.ty).unwrap_or(f.ty));
            let value = match f.storage {
                Storage::Attribute { serde: true } => {
                    quote!(::dynaschema::attribute::to_serde_value(&#ident))
                }
                _ if is_string(ty) => quote! {
                    ::core::result::Result::Ok(::core::option::Option::Some(
                        ::dynaschema::item::AttributeValue::S(#ident.to_owned()),
                    ))
                },
                _ => {
                    quote_spanned!(ty.span()=> <#ty as ::dynaschema::Attribute>::to_value(&#ident))
                }
            };
            quote!(::dynaschema::Partition::of_attribute(&PK, #value, #sk))
        }
        None => {
            let values = template::fields(&pk.pieces).map(|name| {
                let f = field(c, name);
                let ty = option_inner(f.ty).unwrap_or(f.ty);
                let ident = f.ident;
                quote_spanned!(ty.span()=> &#ident)
            });
            quote!(::dynaschema::Partition::render(&PK, &[#(#values),*], #sk))
        }
    };
    let (builder, constant, name) = (&index.builder, &index.constant, &index.name);
    let kind = if index.local { "local" } else { "global" };
    let mut doc = format!(
        "The partition of {kind} secondary index `{name}` whose key fields are these, \
         narrowed to the index sort keys of {}: for queries, as \
         `table.query({}::{builder}(..))`.",
        c.ident, c.ident
    );
    // A partial index's items are read as what they hold, never as whole entities.
    let read = if index.partial {
        doc.push_str(" The index is `partial`: it reads `Projected` entities.");
        quote!(::dynaschema::Projected<Self>)
    } else {
        quote!(Self)
    };
    let constant_doc =
        format!("The index `{name}`, for `table.index(..)` (scans, untyped queries).");
    quote! {
        #[doc = #constant_doc]
        pub const #constant: ::dynaschema::IndexName<Self> = ::dynaschema::IndexName::new(#name);

        #[doc = #doc]
        #[allow(clippy::too_many_arguments)]
        pub fn #builder(#(#params),*) -> ::dynaschema::Partition<#read> {
            const PK: ::dynaschema::key::KeyTemplate = #pk_const;
            #partition.in_index(#name)
        }
    }
}

/// The attribute an index key is written to: a plain `{field}` key's is the field's own.
fn index_attribute<'c>(c: &'c Container, template: &'c Template) -> &'c str {
    match crate::internals::model::plain_field(template) {
        Some(name) if template.attribute.is_empty() => &field(c, name).attribute,
        _ => &template.attribute,
    }
}

/// `pub const BALANCE: Attr<Account, i64> = Attr::new("balance");`
fn handle(entity: &Ident, f: &Field) -> TokenStream {
    let name = format_ident!(
        "{}",
        f.ident.to_string().trim_start_matches("r#").to_uppercase(),
        span = f.ident.span()
    );
    let ty = f.ty;
    // A serde field's values go through serde in conditions and updates, as in `to_item`.
    let ty = match f.storage {
        Storage::Attribute { serde: true } => quote!(::dynaschema::attribute::Serde<#ty>),
        _ => quote!(#ty),
    };
    let attribute = &f.attribute;
    let doc = format!(
        "The attribute `{attribute}` of field `{}`, for conditions and updates.",
        f.ident
    );
    quote! {
        #[doc = #doc]
        pub const #name: ::dynaschema::Attr<#entity, #ty> = ::dynaschema::Attr::new(#attribute);
    }
}

fn to_item(c: &Container) -> TokenStream {
    let stored: Vec<_> = c.fields.iter().filter(|f| f.is_stored()).collect();
    // A stored field that is also in the primary key has its text made once, for the key
    // and for its attribute (see `Attribute::put_key_text_into`).
    let in_key = |f: &Field| {
        std::iter::once(&c.pk)
            .chain(c.sk.iter())
            .any(|t| template::fields(&t.pieces).any(|name| f.ident == name))
    };
    let shared: Vec<_> = stored
        .iter()
        .filter(|f| matches!(f.storage, Storage::Attribute { serde: false }) && in_key(f))
        .collect();
    let text_of = |ident: &Ident| format_ident!("__key_text_{}", ident);
    let texts = shared.iter().map(|f| {
        let (ident, ty) = (f.ident, f.ty);
        let text = text_of(ident);
        // The span of the type puts a "cannot be part of a key" error on the field, and
        // the cast makes it the same error as the key builders', reported once.
        quote_spanned!(ty.span()=> let #text = ::dynaschema::key::key_text(&self.#ident as &dyn ::dynaschema::KeyPart);)
    });
    let fields = stored.iter().map(|f| {
        let ident = f.ident;
        let ty = f.ty;
        let attribute = &f.attribute;
        let put = match f.storage {
            Storage::Attribute { serde: true } => {
                quote!(::dynaschema::attribute::put_serde_into(&self.#ident, &mut item, #attribute))
            }
            _ if shared.iter().any(|s| s.ident == ident) => {
                let text = text_of(ident);
                quote_spanned!(ty.span()=> <#ty as ::dynaschema::Attribute>::put_key_text_into(&self.#ident, #text, &mut item, #attribute))
            }
            _ => quote_spanned!(ty.span()=> <#ty as ::dynaschema::Attribute>::put_into(&self.#ident, &mut item, #attribute)),
        };
        quote! {
            #put.map_err(|err| ::dynaschema::generated::encode_error(<Self as ::dynaschema::Entity>::ENTITY_NAME, #attribute, err))?;
        }
    });
    let computed = computed_keys(c);
    let computed_writes = c.indexes.iter().filter_map(|index| {
        let keys: Vec<&Template> = computed
            .iter()
            .filter(|(i, _)| *i == index.name)
            .map(|(_, t)| *t)
            .collect();
        if keys.is_empty() {
            return None;
        }
        // An index's keys are written together or not at all: an optional field that is
        // `None` leaves the item out of the (sparse) index.
        let names = distinct_fields(keys.iter().copied());
        let bindings: Vec<Ident> = names
            .iter()
            .map(|name| format_ident!("__index_{}", name))
            .collect();
        let values = names.iter().map(|name| optional_value(c, name));
        let writes = keys.iter().map(|template| {
            let attribute = &template.attribute;
            let template_const = template_const(template);
            let parts = template::fields(&template.pieces).map(|name| {
                let binding = format_ident!("__index_{}", name);
                // The span of the type puts a "cannot be part of a key" error on the field.
                let ty = field(c, name).ty;
                let ty = option_inner(ty).unwrap_or(ty);
                quote_spanned!(ty.span()=> #binding as &dyn ::dynaschema::KeyPart)
            });
            quote! {
                const TEMPLATE: ::dynaschema::key::KeyTemplate = #template_const;
                item.insert(
                    ::std::string::String::from(#attribute),
                    ::dynaschema::item::AttributeValue::S(TEMPLATE.render(&[#(#parts),*])?),
                );
            }
        });
        Some(quote! {
            if let (#(::core::option::Option::Some(#bindings),)*) = (#(#values,)*) {
                #({ #writes })*
            }
        })
    });
    // The key attributes, the stored fields and the computed index keys: the map is
    // made once at its final size, and the keys are rendered straight into it.
    let capacity = 1
        + usize::from(c.sk.is_some())
        + usize::from(c.entity_type.is_some())
        + stored.len()
        + computed.len();
    let type_write = c.entity_type.as_ref().map(|entity_type| {
        let (attribute, value) = (&entity_type.attribute, &entity_type.value);
        quote! {
            item.insert(
                ::std::string::String::from(#attribute),
                ::dynaschema::item::AttributeValue::S(::std::string::String::from(#value)),
            );
        }
    });
    let key_writes = std::iter::once((&c.pk, quote!(__PK), quote!(render_partition_key)))
        .chain(
            c.sk.iter()
                .map(|sk| (sk, quote!(__SK), quote!(render_sort_key))),
        )
        .map(|(template, name, render)| {
            let attribute = &template.attribute;
            let value = match template.pieces.as_slice() {
                [] => quote!(::std::string::String::new()),
                [Piece::Literal(text)] => quote!(::std::string::String::from(#text)),
                _ => {
                    let values = template::fields(&template.pieces).map(|name| {
                        match shared.iter().find(|f| f.ident == name) {
                            Some(f) => {
                                let text = text_of(f.ident);
                                quote!(&#text)
                            }
                            None => value_from_self(c, name),
                        }
                    });
                    quote!(#name.#render(&[#(#values),*]).map_err(::dynaschema::Error::InvalidKey)?)
                }
            };
            quote! {
                item.insert(
                    ::std::string::String::from(#attribute),
                    ::dynaschema::item::AttributeValue::S(#value),
                );
            }
        });
    quote! {
        fn to_item(&self) -> ::dynaschema::Result<::dynaschema::Item> {
            let mut item = ::dynaschema::Item::with_capacity(#capacity);
            #(#texts)*
            #(#key_writes)*
            #type_write
            #(#fields)*
            #(#computed_writes)*
            ::core::result::Result::Ok(item)
        }
    }
}

/// `from_item` and `from_matching_item` of the `Entity` impl, and the inherent function
/// both read the fields with.
fn from_item(c: &Container) -> (TokenStream, TokenStream) {
    // Key values are parsed once per key attribute that holds key_only fields.
    let key_only_in = |template: &Template| {
        template::fields(&template.pieces)
            .any(|name| matches!(field(c, name).storage, Storage::KeyOnly))
    };
    let mut parses = Vec::new();
    let placeholders = |template: &Template| template::fields(&template.pieces).count();
    // A template without key_only fields is not parsed: its values go unread.
    for (template, values, name) in
        std::iter::once((Some(&c.pk), quote!(__pk_values), quote!(__PK))).chain(std::iter::once((
            c.sk.as_ref(),
            quote!(__sk_values),
            quote!(__SK),
        )))
    {
        let n = template.map_or(0, placeholders);
        parses.push(match template {
            Some(template) if key_only_in(template) => quote! {
                let #values = ::dynaschema::generated::key_values::<#n>(<Self as ::dynaschema::Entity>::ENTITY_NAME, &#name, item)?;
            },
            _ => quote!(let #values = [""; #n];),
        });
    }

    let inits = c.fields.iter().map(|f| {
        let ident = f.ident;
        let ty = f.ty;
        let value = match &f.storage {
            Storage::KeyOnly => {
                let name = f.ident.to_string();
                let (template, values, position) = match template::fields(&c.pk.pieces).position(|n| n == name) {
                    Some(position) => (quote!(__PK), quote!(__pk_values), position),
                    None => {
                        let sk = c.sk.as_ref().expect("the model checked key_only fields are in a key");
                        let position = template::fields(&sk.pieces).position(|n| n == name).expect("checked");
                        (quote!(__SK), quote!(__sk_values), position)
                    }
                };
                quote_spanned! {ty.span()=>
                    <#ty as ::dynaschema::KeyPart>::parse_key(#values[#position]).map_err(|err| {
                        ::dynaschema::generated::key_field_error(<Self as ::dynaschema::Entity>::ENTITY_NAME, &#template, #name, err)
                    })?
                }
            }
            Storage::Attribute { serde } => {
                let attribute = &f.attribute;
                let (decode, absent) = if *serde {
                    (
                        quote!(::dynaschema::attribute::from_serde_value::<#ty>),
                        quote!(::dynaschema::attribute::from_absent_serde::<#ty>),
                    )
                } else {
                    (
                        quote_spanned!(ty.span()=> <#ty as ::dynaschema::Attribute>::from_value),
                        quote_spanned!(ty.span()=> <#ty as ::dynaschema::Attribute>::from_absent),
                    )
                };
                quote! {
                    ::dynaschema::generated::decode_field(<Self as ::dynaschema::Entity>::ENTITY_NAME, #attribute, item, #decode, #absent)?
                }
            }
            Storage::Skip { default: Some(path) } => quote!(#path()),
            Storage::Skip { default: None } => {
                quote_spanned!(ty.span()=> <#ty as ::core::default::Default>::default())
            }
        };
        quote!(#ident: #value)
    });
    let pk_count = placeholders(&c.pk);
    let sk_count = c.sk.as_ref().map_or(0, placeholders);
    let sk_match = match &c.sk {
        Some(_) => quote!(::dynaschema::generated::matching_key::<#sk_count>(&__SK, item)?),
        None => quote!([]),
    };
    let from_item = quote! {
        fn from_item(item: &::dynaschema::Item) -> ::dynaschema::Result<Self> {
            ::dynaschema::generated::check_type(
                <Self as ::dynaschema::Entity>::ENTITY_NAME,
                <Self as ::dynaschema::Entity>::ENTITY_TYPE,
                item,
            )?;
            #(#parses)*
            Self::__dynaschema_from_parsed(item, __pk_values, __sk_values)
        }

        fn from_matching_item(
            item: &::dynaschema::Item,
        ) -> ::core::option::Option<::dynaschema::Result<Self>> {
            let __pk_values = ::dynaschema::generated::matching_key::<#pk_count>(&__PK, item)?;
            let __sk_values = #sk_match;
            if !::dynaschema::generated::of_type(<Self as ::dynaschema::Entity>::ENTITY_TYPE, item) {
                return ::core::option::Option::None;
            }
            ::core::option::Option::Some(Self::__dynaschema_from_parsed(item, __pk_values, __sk_values))
        }
    };
    // The fields from an item whose key values are parsed already: what reading an item
    // checked with `matches` shares with reading it unchecked.
    let from_parsed = quote! {
        #[allow(clippy::all)]
        fn __dynaschema_from_parsed(
            item: &::dynaschema::Item,
            __pk_values: [&str; #pk_count],
            __sk_values: [&str; #sk_count],
        ) -> ::dynaschema::Result<Self> {
            ::core::result::Result::Ok(Self {
                #(#inits),*
            })
        }
    };
    (from_item, from_parsed)
}

/// The computed index keys (`pk_attr`/`sk_attr` with a template), with their index's name.
fn computed_keys<'c>(c: &'c Container) -> Vec<(&'c str, &'c Template)> {
    c.indexes
        .iter()
        .flat_map(|i| {
            i.pk.iter()
                .chain(i.sk.iter())
                .map(move |t| (i.name.as_str(), t))
        })
        .filter(|(_, t)| !t.attribute.is_empty())
        .collect()
}

/// What the schema check leaves to the compiler: the schema file, read again when it
/// changes, and what only a field type's `Attribute` implementation can tell (the type
/// a plain-field index key is written as), as constants that fail to evaluate with the
/// check's message.
fn schema_checks(c: &Container, checked: &Checked) -> TokenStream {
    let path = &checked.path;
    let key_types = checked.key_types.iter().map(|(name, kind, span, message)| {
        let ty = field(c, name).ty;
        let written = quote!(#ty).to_string().replace(' ', "");
        // One message per type the field may be written as, each naming it.
        let arms = ['S', 'N', 'B'].into_iter().filter(|k| k != kind).map(|k| {
            let message = format!("{message}: `{written}` is written as {k}");
            quote_spanned!(*span=> ::core::option::Option::Some(#k) => ::core::panic!(#message),)
        });
        quote_spanned! {*span=>
            const _: () = match <#ty as ::dynaschema::Attribute>::KEY_TYPE {
                #(#arms)*
                _ => {}
            };
        }
    });
    quote! {
        const _: &[u8] = ::core::include_bytes!(#path);
        #(#key_types)*
    }
}

/// `Some(&self.tier)`, or `self.shipped_at.as_ref()` for an optional field: a value of
/// an index key that may be absent.
fn optional_value(c: &Container, name: &str) -> TokenStream {
    let f = field(c, name);
    let (ident, ty) = (f.ident, f.ty);
    match option_inner(ty) {
        Some(inner) => quote_spanned!(inner.span()=> self.#ident.as_ref()),
        None => quote_spanned!(ty.span()=> ::core::option::Option::Some(&self.#ident)),
    }
}

/// `Entity::UNIQUE`, the attributes of the `unique` fields, each checked (unless it
/// is `serde`) to be stored as a string or a number, which its guard's key can hold.
fn unique(c: &Container) -> Option<TokenStream> {
    let fields: Vec<_> = c.fields.iter().filter(|f| f.unique.is_some()).collect();
    if fields.is_empty() {
        return None;
    }
    let attributes = fields.iter().map(|f| &f.attribute);
    let scopes = fields.iter().filter_map(|f| {
        let (attribute, scope) = (&f.attribute, f.unique_scope.as_ref()?);
        Some(quote!((#attribute, #scope)))
    });
    let checks = fields
        .iter()
        .filter(|f| matches!(f.storage, Storage::Attribute { serde: false }))
        .map(|f| {
            let (ty, marker) = (f.ty, f.unique.as_ref().expect("filtered"));
            let written = quote!(#ty).to_string().replace(' ', "");
            let message = format!(
                "a `unique` field is stored as a string or a number, which its guard item's \
                 key can hold: `{written}` is not"
            );
            quote_spanned! {marker.span()=>
                const _: () = match <#ty as ::dynaschema::Attribute>::KEY_TYPE {
                    ::core::option::Option::Some('S' | 'N') => {}
                    _ => ::core::panic!(#message),
                };
            }
        });
    Some(quote! {
        const UNIQUE_SCOPES: &'static [(&'static str, &'static str)] = &[#(#scopes),*];
        const UNIQUE: &'static [&'static str] = {
            #(#checks)*
            &[#(#attributes),*]
        };
    })
}

/// `Entity::INDEX_KEYS`: each computed index key with the attributes of its fields.
fn index_keys(c: &Container) -> TokenStream {
    let keys = computed_keys(c).into_iter().map(|(index, template)| {
        let template_const = template_const(template);
        let attributes = template::fields(&template.pieces).map(|name| {
            let f = field(c, name);
            if f.is_stored() {
                let attribute = &f.attribute;
                quote!(::core::option::Option::Some(#attribute))
            } else {
                quote!(::core::option::Option::None)
            }
        });
        quote! {
            ::dynaschema::key::IndexKey {
                index: #index,
                template: #template_const,
                attributes: &[#(#attributes),*],
            }
        }
    });
    let indexes = c.indexes.iter().map(|index| {
        let name = &index.name;
        let pk = index.partition(c);
        let pk = template_const_of(index_attribute(c, pk), &pk.pieces);
        let sk = match &index.sk {
            Some(sk) => {
                let sk = template_const_of(index_attribute(c, sk), &sk.pieces);
                quote!(::core::option::Option::Some(#sk))
            }
            None => quote!(::core::option::Option::None),
        };
        let partial = index.partial;
        quote!(::dynaschema::key::EntityIndex { name: #name, pk: #pk, sk: #sk, partial: #partial })
    });
    let key_fields = stored_key_fields(c).into_iter().map(|name| {
        let attribute = &field(c, name).attribute;
        quote!((#name, #attribute))
    });
    quote! {
        const INDEX_KEYS: &'static [::dynaschema::key::IndexKey] = &[#(#keys),*];
        const INDEXES: &'static [::dynaschema::key::EntityIndex] = &[#(#indexes),*];
        const KEY_FIELDS: &'static [(&'static str, &'static str)] = &[#(#key_fields),*];
    }
}

/// The fields of the primary key's templates that are stored as attributes too.
fn stored_key_fields<'c>(c: &'c Container) -> Vec<&'c str> {
    let mut names: Vec<&str> = Vec::new();
    for template in std::iter::once(&c.pk).chain(c.sk.iter()) {
        for name in template::fields(&template.pieces) {
            if field(c, name).is_stored() && !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// `Entity::index_key_text`: a stored field of a computed index key or of the primary
/// key, read from an attribute value as its own type, then written as key text.
fn index_key_text(c: &Container) -> TokenStream {
    let mut names: Vec<&str> = stored_key_fields(c);
    for (_, template) in computed_keys(c) {
        for name in template::fields(&template.pieces) {
            if field(c, name).is_stored() && !names.contains(&name) {
                names.push(name);
            }
        }
    }
    if names.is_empty() {
        return TokenStream::new();
    }
    let arms = names.iter().map(|name| {
        let f = field(c, name);
        let (ty, attribute) = (f.ty, &f.attribute);
        let decode = match f.storage {
            Storage::Attribute { serde: true } => quote!(::dynaschema::attribute::from_serde_value::<#ty>),
            _ => quote_spanned!(ty.span()=> <#ty as ::dynaschema::Attribute>::from_value),
        };
        // The trait path at the field's type, where the error of a type that is no key
        // part points; the locals stay at the call site, with their `let`s.
        let part = option_inner(ty).unwrap_or(ty);
        let write_key = quote_spanned!(part.span()=> <#part as ::dynaschema::KeyPart>::write_key);
        let text = match option_inner(ty) {
            Some(_) => quote!(read.as_ref().map(|value| {
                let mut text = ::std::string::String::new();
                #write_key(value, &mut text);
                text
            })),
            None => quote!({
                let mut text = ::std::string::String::new();
                #write_key(&read, &mut text);
                ::core::option::Option::Some(text)
            }),
        };
        quote! {
            #name => {
                let read = #decode(value).map_err(|err| {
                    ::dynaschema::generated::encode_error(<Self as ::dynaschema::Entity>::ENTITY_NAME, #attribute, err)
                })?;
                ::core::result::Result::Ok(#text)
            }
        }
    });
    quote! {
        fn index_key_text(
            field: &str,
            value: &::dynaschema::item::AttributeValue,
        ) -> ::dynaschema::Result<::core::option::Option<::std::string::String>> {
            match field {
                #(#arms)*
                _ => ::dynaschema::generated::not_in_an_index_key(<Self as ::dynaschema::Entity>::ENTITY_NAME, field),
            }
        }
    }
}

/// `Entity::STORED_ATTRIBUTES`: the stored fields' attributes, and the entity type's.
fn stored_attributes(c: &Container) -> TokenStream {
    let fields = c
        .fields
        .iter()
        .filter(|f| f.is_stored())
        .map(|f| f.attribute.as_str());
    let attributes = fields.chain(c.entity_type.as_ref().map(|t| t.attribute.as_str()));
    quote! {
        const STORED_ATTRIBUTES: &'static [&'static str] = &[#(#attributes),*];
    }
}

/// `Entity::required_attributes`: the stored fields whose type has no absent value.
fn required_attributes(c: &Container) -> TokenStream {
    let checks = c.fields.iter().filter(|f| f.is_stored()).map(|f| {
        let (ty, attribute) = (f.ty, &f.attribute);
        let absent = match f.storage {
            Storage::Attribute { serde: true } => {
                quote!(::dynaschema::attribute::from_absent_serde::<#ty>())
            }
            _ => quote_spanned!(ty.span()=> <#ty as ::dynaschema::Attribute>::from_absent()),
        };
        quote! {
            if #absent.is_err() {
                required.push(#attribute);
            }
        }
    });
    // An item is read as the entity only with its type.
    let entity_type = c.entity_type.as_ref().map(|t| {
        let attribute = &t.attribute;
        quote!(required.push(#attribute);)
    });
    quote! {
        fn required_attributes() -> ::std::vec::Vec<&'static str> {
            let mut required = ::std::vec::Vec::new();
            #entity_type
            #(#checks)*
            required
        }
    }
}
