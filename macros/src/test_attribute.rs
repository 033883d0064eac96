//! `#[dynaschema::test]`: an async test given a fresh table on the shared local server.
//!
//! The test function is kept as an inner `async fn` with its own signature (so `?` and
//! a `Result` return type work as in any test), and an outer `#[test]` function of the
//! same name hands it to `dynaschema::generated::run_test`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Error, Expr, ExprLit, ItemFn, Lit, LitStr, Meta, Token};

/// The schema file used when the attribute names none, in the crate's directory.
const DEFAULT_SCHEMA: &str = "schema.toml";

pub fn expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let function: ItemFn = syn::parse2(item)?;
    let mut errors: Vec<Error> = Vec::new();
    let schema = match schema_path(args) {
        Ok(schema) => schema,
        Err(e) => {
            errors.push(e);
            LitStr::new(DEFAULT_SCHEMA, proc_macro2::Span::call_site())
        }
    };
    let signature = &function.sig;
    if signature.asyncness.is_none() {
        errors.push(Error::new(
            signature.fn_token.span(),
            "#[dynaschema::test] needs an `async fn`",
        ));
    }
    if signature.inputs.len() != 1 {
        errors.push(Error::new(
            if signature.inputs.is_empty() {
                signature.paren_token.span.join()
            } else {
                signature.inputs.span()
            },
            "#[dynaschema::test] gives the test one argument: take it as `table: dynaschema::Table`",
        ));
    }
    if let Some(syn::FnArg::Typed(argument)) = signature.inputs.first()
        && let syn::Type::Reference(reference) = &*argument.ty
    {
        errors.push(Error::new_spanned(
                reference,
                "#[dynaschema::test] gives the test its table by value: take it as `table: dynaschema::Table`",
            ));
    }
    if !signature.generics.params.is_empty() {
        errors.push(Error::new(
            signature.generics.span(),
            "a #[dynaschema::test] function cannot be generic",
        ));
    }
    if let Some(first) = errors.pop() {
        let combined = errors.into_iter().fold(first, |mut all, e| {
            all.combine(e);
            all
        });
        return Err(combined);
    }

    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = function;
    let name = &sig.ident;
    let output = &sig.output;
    let inputs = &sig.inputs;
    // The call is spanned at the argument, so that an argument of another type than
    // `Table` is reported there.
    let argument_span = inputs.first().map_or(name.span(), Spanned::span);
    let call = quote_spanned! {argument_span=>
        |table: ::dynaschema::Table| #name(table)
    };
    let path = schema.value();
    let schema_expr = if std::path::Path::new(&path).is_absolute() {
        quote!(#schema)
    } else {
        quote!(::core::concat!(::core::env!("CARGO_MANIFEST_DIR"), "/", #schema))
    };
    Ok(quote! {
        #(#attrs)*
        #[::core::prelude::v1::test]
        #vis fn #name() #output {
            async fn #name(#inputs) #output #block
            ::dynaschema::generated::run_test(
                #schema_expr,
                ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)),
                #call,
            )
        }
    })
}

/// The `schema = "path"` argument, or the default.
fn schema_path(args: TokenStream) -> syn::Result<LitStr> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;
    let mut schema = None;
    for meta in metas {
        match &meta {
            Meta::NameValue(pair) if pair.path.is_ident("schema") => match &pair.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(path),
                    ..
                }) if schema.is_none() => schema = Some(path.clone()),
                Expr::Lit(ExprLit {
                    lit: Lit::Str(_), ..
                }) => return Err(Error::new(meta.span(), "`schema` is given twice")),
                other => {
                    return Err(Error::new(
                        other.span(),
                        "`schema` takes a string: the schema.toml's path, relative to the crate's directory",
                    ))
                }
            },
            _ => {
                return Err(Error::new(
                    meta.span(),
                    "unknown option: #[dynaschema::test] takes `schema = \"path/to/schema.toml\"`",
                ))
            }
        }
    }
    Ok(schema.unwrap_or_else(|| LitStr::new(DEFAULT_SCHEMA, proc_macro2::Span::call_site())))
}
