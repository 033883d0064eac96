//! Code generation for `#[derive(Collection)]`, from the checked model.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::DeriveInput;

use crate::internals::collection::Collection;
use crate::internals::ctxt::Ctxt;

/// Expands the derive, or returns every error found in the input.
pub fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let cx = Ctxt::default();
    let collection = Collection::from_ast(&cx, input);
    cx.check()?;
    Ok(generate(
        &collection.expect("a model without errors exists"),
    ))
}

fn generate(c: &Collection) -> TokenStream {
    let ident = c.ident;
    let name = ident.to_string();
    let reads = c.members.iter().map(|m| {
        let (variant, ty) = (m.variant, m.ty);
        // Spanned at the type, so that a member that is no entity is reported there.
        let from =
            quote_spanned!(ty.span()=> <#ty as ::dynaschema::Entity>::from_matching_item(item));
        quote! {
            if let ::core::option::Option::Some(read) = #from {
                return ::core::option::Option::Some(read.map(#ident::#variant));
            }
        }
    });
    let needed = c.members.iter().map(|m| {
        let ty = m.ty;
        quote! {
            for &attribute in <#ty as ::dynaschema::Entity>::STORED_ATTRIBUTES {
                if !needed.contains(&attribute) {
                    needed.push(attribute);
                }
            }
        }
    });
    let members = c.members.iter().map(|m| {
        let ty = m.ty;
        quote!(::dynaschema::collection::Member::of::<#ty>())
    });
    let member_of = c.members.iter().map(|m| {
        let ty = m.ty;
        quote!(impl ::dynaschema::collection::MemberOf<#ident> for #ty {})
    });
    let member_names: Vec<String> = c
        .members
        .iter()
        .map(|m| {
            let ty = m.ty;
            format!("`{}`", quote!(#ty).to_string().replace(' ', ""))
        })
        .collect();
    let unshared = format!(
        "the members of {name} ({}) share no partition: their partition-key templates differ, in the table and in every index the first member declares",
        member_names.join(", ")
    );
    let doc = format!(
        "A member's partition (such as one of its `partition(..)` or index builders) read as {name}: every item of it that is one of {name}'s members."
    );
    quote! {
        #[doc(hidden)]
        #[allow(clippy::all)]
        const _: () = {
            impl ::dynaschema::Readable for #ident {
                const READ_NAME: &'static str = #name;

                fn read_matching(
                    item: &::dynaschema::Item,
                ) -> ::core::option::Option<::dynaschema::Result<Self>> {
                    #(#reads)*
                    ::core::option::Option::None
                }

                fn needed_attributes() -> ::std::vec::Vec<&'static str> {
                    let mut needed = ::std::vec::Vec::new();
                    #(#needed)*
                    needed
                }
            }

            impl ::dynaschema::Collection for #ident {
                const MEMBERS: &'static [::dynaschema::collection::Member] = &[#(#members),*];
            }

            #(#member_of)*

            const _: () = ::core::assert!(
                ::dynaschema::collection::share_a_partition(<#ident as ::dynaschema::Collection>::MEMBERS),
                #unshared
            );

            impl #ident {
                #[doc = #doc]
                pub fn partition<M: ::dynaschema::collection::MemberOf<Self>>(
                    partition: ::dynaschema::Partition<M>,
                ) -> ::dynaschema::Partition<Self> {
                    ::dynaschema::collection::partition(partition)
                }
            }
        };
    }
}
