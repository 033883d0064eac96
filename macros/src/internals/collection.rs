//! The enum deriving `Collection`, as a checked model: each variant wraps one entity
//! type, and no type is a member twice.

use syn::{Data, DeriveInput, Fields, Ident, Type};

use super::ctxt::Ctxt;

/// An enum deriving `Collection`.
pub struct Collection<'a> {
    pub ident: &'a Ident,
    pub members: Vec<Member<'a>>,
}

/// A variant and the entity it holds.
pub struct Member<'a> {
    pub variant: &'a Ident,
    pub ty: &'a Type,
}

impl<'a> Collection<'a> {
    /// Reads the model, or `None` with the errors in `cx`.
    pub fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Option<Collection<'a>> {
        let Data::Enum(data) = &input.data else {
            cx.error_spanned_by(
                &input.ident,
                "#[derive(Collection)] needs an enum with one variant per entity type: enum AccountItem { Account(Account), Operation(Operation) }",
            );
            return None;
        };
        if !input.generics.params.is_empty() {
            cx.error_spanned_by(
                &input.generics,
                "#[derive(Collection)] does not support generic enums",
            );
        }
        if data.variants.is_empty() {
            cx.error_spanned_by(
                &input.ident,
                "a collection needs at least one member: a variant such as `Account(Account)`",
            );
        }
        let mut members: Vec<Member> = Vec::new();
        for variant in &data.variants {
            let ty = match &variant.fields {
                Fields::Unnamed(fields) if fields.unnamed.len() == 1 => &fields.unnamed[0].ty,
                _ => {
                    cx.error_spanned_by(
                        variant,
                        format!(
                            "each variant of a collection holds one entity: `{}(SomeEntity)`",
                            variant.ident
                        ),
                    );
                    continue;
                }
            };
            let written = quote::quote!(#ty).to_string();
            let same = |m: &&Member| {
                let other = m.ty;
                quote::quote!(#other).to_string() == written
            };
            if let Some(first) = members.iter().find(same) {
                cx.error_spanned_by(
                    ty,
                    format!(
                        "`{written}` is already the member `{}`: an entity is a member once",
                        first.variant
                    ),
                );
                continue;
            }
            members.push(Member {
                variant: &variant.ident,
                ty,
            });
        }
        Some(Collection {
            ident: &input.ident,
            members,
        })
    }
}
