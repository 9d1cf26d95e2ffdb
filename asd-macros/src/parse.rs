//! Stage 1: the signature. Which parameter is active, which is the output, which are
//! constants passed through; and the attribute's own arguments.

use syn::{FnArg, Ident, ItemFn, Pat, ReturnType, Type};

use crate::errors::Errors;
use crate::ir::{Output, Role, UserRule};

/// `#[sparse_diff(wrt = x, rules(g = G, m::h = H))]`
#[derive(Default)]
pub struct Args {
    pub wrt: Option<Ident>,
    /// The calls the body makes of functions the macro cannot see into, each mapped to
    /// a type implementing `asd::Rule`.
    pub rules: Vec<UserRule>,
}

const ARGUMENTS: &str =
    "the arguments are `wrt = <parameter>` and `rules(<function> = <rule type>, ..)`";

impl syn::parse::Parse for Args {
    fn parse(input: syn::parse::ParseStream) -> syn::Result<Self> {
        let mut args = Args::default();
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            if key == "wrt" {
                input.parse::<syn::Token![=]>()?;
                args.wrt = Some(input.parse()?);
            } else if key == "rules" {
                let content;
                syn::parenthesized!(content in input);
                let rules = content.parse_terminated(UserRule::parse, syn::Token![,])?;
                for rule in rules {
                    if args
                        .rules
                        .iter()
                        .any(|r| same_path(&r.callee, &rule.callee))
                    {
                        return Err(syn::Error::new_spanned(
                            &rule.callee,
                            "this function already has a rule: map each function once",
                        ));
                    }
                    args.rules.push(rule);
                }
            } else {
                return Err(syn::Error::new(
                    key.span(),
                    format!("unknown argument `{key}`: {ARGUMENTS}"),
                ));
            }
            if !input.is_empty() {
                input.parse::<syn::Token![,]>()?;
            }
        }
        Ok(args)
    }
}

impl UserRule {
    /// `callee = Type`
    fn parse(input: syn::parse::ParseStream) -> syn::Result<Self> {
        let callee: syn::Path = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the path of a function, as the body calls it: `rules(j0 = J0)`",
            )
        })?;
        if let Some(seg) = callee.segments.iter().find(|s| !s.arguments.is_none()) {
            return Err(syn::Error::new_spanned(
                seg,
                "a rule maps a function by its path, without generic arguments",
            ));
        }
        input.parse::<syn::Token![=]>().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected `= <rule type>`: `rules(j0 = J0)` with `impl asd::Rule<1> for J0`",
            )
        })?;
        let ty: Type = input.parse()?;
        Ok(UserRule { callee, ty })
    }
}

/// Two paths name the same function as written: the same segments (a leading `::` aside).
pub fn same_path(a: &syn::Path, b: &syn::Path) -> bool {
    a.segments.len() == b.segments.len()
        && a.segments
            .iter()
            .zip(&b.segments)
            .all(|(x, y)| x.ident == y.ident && x.arguments.is_none() && y.arguments.is_none())
}

/// What a parameter's type makes of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// `&[f64]`, `&[f64; N]`, `&Vec<f64>`
    RealSlice,
    /// `&mut [f64]`
    RealSliceMut,
    /// `f64`
    Real,
    /// any primitive integer
    Int,
    /// `bool`
    Bool,
    /// any other type (`&[usize]`, `&Params`, ...): a constant passed through
    Other,
}

pub struct ParsedParam {
    pub name: Ident,
    pub mutable: bool,
    pub ty: Type,
    pub kind: ParamKind,
    pub role: Role,
}

impl ParsedParam {
    /// A constant of another type taken by value (`Option<f64>`, an enum, a struct of
    /// parameters): generated code copies it out with `asd_runtime::by_value`, which
    /// says at its type if it is not `Copy`.
    pub fn by_value(&self) -> bool {
        self.role == Role::Constant
            && self.kind == ParamKind::Other
            && !matches!(self.ty, Type::Reference(_))
    }
}

pub struct Signature {
    pub params: Vec<ParsedParam>,
    pub output: Output,
    /// The active input is one real (`t: f64`): the generated code reads it as the
    /// one-element slice the signature now says (see [`scalar_input`]), and the
    /// operators take the user's `f64`.
    pub scalar_input: bool,
    /// The attribute's `rules(..)`: the calls lowered as calls of user rules.
    pub rules: Vec<UserRule>,
}

pub const INT_TYPES: &[&str] = &[
    "usize", "isize", "u8", "u16", "u32", "u64", "u128", "i8", "i16", "i32", "i64", "i128",
];

/// `ty` is the plain type `name` (`f64`, `usize`, ...).
pub fn is_type(ty: &Type, name: &str) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.is_ident(name))
}

/// `ty` is `Vec<elem>` (or a path ending in it).
pub fn is_vec_of(ty: &Type, elem: &str) -> bool {
    vec_element(ty).is_some_and(|t| is_type(t, elem))
}

/// `T` of `Vec<T>`.
pub fn vec_element(ty: &Type) -> Option<&Type> {
    let seg = last_segment(ty).filter(|s| s.ident == "Vec")?;
    match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => match a.args.first() {
            Some(syn::GenericArgument::Type(t)) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// The name of the pseudo-macro `__asd_field!(value, pattern => name)` the desugaring
/// writes for a field of a constant enum's variant, and the lowering turns into a
/// `match` of the pattern (a `match` in the desugared body would be desugared again).
pub const FIELD: &str = "__asd_field";

/// The body of `matches!(value, pattern)` or of a [`FIELD`]: the value, an expression
/// of the function's body, then the rest as written.
pub struct PatternTest {
    pub value: syn::Expr,
    pub rest: proc_macro2::TokenStream,
}

impl syn::parse::Parse for PatternTest {
    fn parse(input: syn::parse::ParseStream) -> syn::Result<Self> {
        let value = input.parse()?;
        let _: syn::Token![,] = input.parse()?;
        Ok(PatternTest {
            value,
            rest: input.parse()?,
        })
    }
}

impl PatternTest {
    /// `matches!` or a [`FIELD`].
    pub fn is_one(mac: &syn::Macro) -> bool {
        mac.path.is_ident("matches") || mac.path.is_ident(FIELD)
    }

    /// The pattern and the name of a [`FIELD`]'s rest, `pattern => name`.
    pub fn field(&self) -> syn::Result<(syn::Pat, Ident)> {
        use syn::parse::Parser;
        let parser = |input: syn::parse::ParseStream| {
            let pattern = syn::Pat::parse_multi(input)?;
            let _: syn::Token![=>] = input.parse()?;
            Ok((pattern, input.parse()?))
        };
        parser.parse2(self.rest.clone())
    }
}

/// A name that starts with a capital, by Rust's convention a constant, a variant or a
/// type (`None`, `Point(v, w)`), not a variable.
pub fn names_a_constant(i: &Ident) -> bool {
    i.to_string().starts_with(char::is_uppercase)
}

/// `f64`, an integer, `bool`; `&[f64]` / `&mut [f64]` (and `&[f64; N]`, `&Vec<f64>`);
/// anything else is a constant. `Err` with a message for the types no generated code
/// can take.
pub fn classify(ty: &Type) -> Result<ParamKind, String> {
    if is_type(ty, "f64") {
        return Ok(ParamKind::Real);
    }
    if is_type(ty, "bool") {
        return Ok(ParamKind::Bool);
    }
    if INT_TYPES.iter().any(|t| is_type(ty, t)) {
        return Ok(ParamKind::Int);
    }
    if mentions_f32(ty) {
        return Err("`f32` is not supported by #[sparse_diff]: write `f64` (the derivative code computes in `f64`)".into());
    }
    if matches!(ty, Type::ImplTrait(_)) {
        return Err(
            "`impl Trait` parameters are not supported by #[sparse_diff]: pass a concrete type"
                .into(),
        );
    }
    if let Type::Reference(r) = ty {
        let reals = match &*r.elem {
            Type::Slice(s) => is_type(&s.elem, "f64"),
            Type::Array(a) => is_type(&a.elem, "f64") && r.mutability.is_none(),
            elem => is_vec_of(elem, "f64") && r.mutability.is_none(),
        };
        if reals {
            return Ok(if r.mutability.is_some() {
                ParamKind::RealSliceMut
            } else {
                ParamKind::RealSlice
            });
        }
        if r.mutability.is_some() {
            return Err("a `&mut` parameter of #[sparse_diff] is the output, a `&mut [f64]`; pass other values by value or by `&`".into());
        }
        return Ok(ParamKind::Other);
    }
    // A constant by value (`Option<f64>`, a field-less enum, a struct of parameters,
    // `[f64; 4]` of coefficients): the operators pass it on to several generated
    // functions, so it must be `Copy`, which the generated code checks
    // ([`ParsedParam::by_value`]). The owning types of `std` never are: said here.
    let owning = [
        "String", "Vec", "Box", "HashMap", "HashSet", "BTreeMap", "BTreeSet", "VecDeque", "Rc",
        "Arc",
    ];
    if last_segment(ty).is_some_and(|s| owning.iter().any(|o| s.ident == o)) {
        return Err(format!(
            "a constant of this type is passed by reference to #[sparse_diff] functions: write `&{}`",
            type_text(ty)
        ));
    }
    Ok(ParamKind::Other)
}

/// A type as a message writes it, `Vec<f64>`.
fn type_text(ty: &Type) -> String {
    quote::quote!(#ty).to_string().replace(' ', "")
}

/// `[f64; N]`, which a function that takes no other reals means as its input.
fn real_array(ty: &Type) -> bool {
    matches!(ty, Type::Array(a) if is_type(&a.elem, "f64"))
}

/// The last segment of a path type (`Vec<f64>` of `std::vec::Vec<f64>`).
fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

/// Whether `f32` appears in a type.
fn mentions_f32(ty: &Type) -> bool {
    struct Finds(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finds {
        fn visit_ident(&mut self, i: &'ast Ident) {
            self.0 |= i == "f32";
        }
    }
    let mut f = Finds(false);
    syn::visit::Visit::visit_type(&mut f, ty);
    f.0
}

/// Parses the signature, reporting every problem it finds. `None` when it is unusable.
pub fn signature(item: &ItemFn, args: &Args, errors: &mut Errors) -> Option<Signature> {
    let sig = &item.sig;
    let before = errors.len();
    if let Some(t) = &sig.asyncness {
        errors.at(
            t,
            "`async fn` is not supported by #[sparse_diff]: write a plain `fn`",
        );
    }
    if let Some(t) = &sig.unsafety {
        errors.at(
            t,
            "`unsafe fn` is not supported by #[sparse_diff]: write a safe `fn`",
        );
    }
    if let Some(t) = &sig.constness {
        errors.at(
            t,
            "`const fn` is not supported by #[sparse_diff]: remove `const`",
        );
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.at(
            &sig.generics,
            "generic parameters other than a float type `T: Float` are not supported by #[sparse_diff]: take `&[f64]` for `const N: usize` arrays, and write a function parameter `F: Fn(..)` in the body",
        );
    }
    if let Some(v) = &sig.variadic {
        errors.at(v, "variadic functions are not supported by #[sparse_diff]");
    }

    let mut params = Vec::new();
    // Every parameter's name, those with an error in their type too.
    let mut names = Vec::new();
    for arg in &sig.inputs {
        let FnArg::Typed(pt) = arg else {
            errors.at(
                arg,
                "methods are not supported by #[sparse_diff]: write a free function without `self`",
            );
            continue;
        };
        let (name, mutable) = match &*pt.pat {
            Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                (pi.ident.clone(), pi.mutability.is_some())
            }
            other => {
                errors.at(other, "parameter patterns are not supported by #[sparse_diff]: name the parameter, as in `x: &[f64]`");
                continue;
            }
        };
        names.push(name.clone());
        let kind = match classify(&pt.ty) {
            Ok(kind) => kind,
            Err(msg) => {
                errors.at(&pt.ty, msg);
                continue;
            }
        };
        params.push(ParsedParam {
            name,
            mutable,
            ty: (*pt.ty).clone(),
            kind,
            role: Role::Constant,
        });
    }

    // The active input: the parameter named by `wrt`, else the first `&[f64]`.
    let active = match &args.wrt {
        Some(w) => match params.iter().position(|p| p.name == *w) {
            Some(i) if matches!(params[i].kind, ParamKind::RealSlice | ParamKind::Real) => Some(i),
            Some(i) => {
                let ty = type_text(&params[i].ty);
                errors.at(
                    w,
                    format!(
                        "`wrt = {w}` must name a `&[f64]` or `f64` parameter, but `{w}` has type `{ty}`"
                    ),
                );
                None
            }
            // A parameter whose type has an error of its own.
            None if names.contains(w) => None,
            None => {
                errors.at(
                    w,
                    format!("`wrt = {w}`: this function has no parameter named `{w}`"),
                );
                None
            }
        },
        // Else the first `&[f64]`, or with none the first `f64`.
        None => {
            let i = params
                .iter()
                .position(|p| p.kind == ParamKind::RealSlice)
                .or_else(|| params.iter().position(|p| p.kind == ParamKind::Real));
            let by_value = params.iter().find(|p| real_array(&p.ty));
            if let (None, Some(p), true) = (i, by_value, errors.len() == before) {
                errors.at(
                    &p.ty,
                    format!(
                        "the input to differentiate is passed by reference: write `&{}`",
                        type_text(&p.ty)
                    ),
                );
            } else if i.is_none() && errors.len() == before {
                let arrays = params.iter().any(|p| {
                    matches!(&p.ty, Type::Reference(r) if matches!(&*r.elem, Type::Slice(s) if matches!(&*s.elem, Type::Array(_))))
                });
                let hint = if arrays {
                    ": a slice of arrays (`&[[f64; 3]]`) is not one; flatten it to a `&[f64]` read as `x[3 * i + k]`"
                } else {
                    ""
                };
                errors.at(
                    &sig.ident,
                    format!("#[sparse_diff] needs an input to differentiate: a parameter of type `&[f64]` or `f64`{hint}"),
                );
            }
            i
        }
    };
    let mut scalar_input = false;
    if let Some(i) = active {
        params[i].role = Role::Active;
        if params[i].kind == ParamKind::Real {
            scalar_input = true;
            params[i].kind = ParamKind::RealSlice;
            params[i].ty = syn::parse_quote_spanned!(params[i].name.span()=> &[f64]);
        }
    }

    let outs: Vec<usize> = params
        .iter()
        .enumerate()
        .filter(|(_, p)| p.kind == ParamKind::RealSliceMut)
        .map(|(i, _)| i)
        .collect();
    let output = match &sig.output {
        ReturnType::Type(_, ty) if is_vec_of(ty, "f64") => {
            for &i in &outs {
                errors.at(&params[i].name, "a function that returns `Vec<f64>` cannot also write a `&mut [f64]` output: return the value, or write it in place, not both");
            }
            Some(Output::Vector)
        }
        ReturnType::Type(_, ty) if is_type(ty, "f64") => {
            for &i in &outs {
                errors.at(
                    &params[i].name,
                    "a function that returns `f64` cannot also write a `&mut [f64]` output",
                );
            }
            Some(Output::Scalar)
        }
        ReturnType::Type(_, ty) if mentions_f32(ty) => {
            errors.at(ty, "`f32` is not supported by #[sparse_diff]: write `f64` (the derivative code computes in `f64`)");
            None
        }
        ReturnType::Type(_, ty) => {
            errors.at(ty, "unsupported return type: #[sparse_diff] functions return `f64`, `Vec<f64>`, `[f64; N]` (or a `Result` of one), or nothing and write one `y: &mut [f64]` parameter");
            None
        }
        ReturnType::Default => match outs.as_slice() {
            [i] => Some(Output::Param(*i)),
            [] => {
                errors.at(&sig.ident, "#[sparse_diff] needs an output: return `f64` or `Vec<f64>`, or write one `y: &mut [f64]` parameter");
                None
            }
            [_, rest @ ..] => {
                for &i in rest {
                    errors.at(
                        &params[i].name,
                        "only one `&mut [f64]` output parameter is supported",
                    );
                }
                None
            }
        },
    };
    if let Some(Output::Param(i)) = output {
        params[i].role = Role::Output;
    }
    match (active, output) {
        (Some(_), Some(output)) if errors.len() == before => Some(Signature {
            params,
            output,
            scalar_input,
            rules: args.rules.clone(),
        }),
        _ => None,
    }
}

/// The function of one real `t` as the passes take it: `t: &[f64]`, a one-element
/// slice, and the body starting with `let t = t[0];`. Every pass then sees an ordinary
/// function of a vector; the operators pass `&[t]` (and `&[1.0]` as the direction).
pub fn scalar_input(item: &mut ItemFn, sig: &Signature) {
    let Some(p) = sig.params.iter().find(|p| p.role == Role::Active) else {
        return;
    };
    let t = &p.name;
    let span = t.span();
    for arg in &mut item.sig.inputs {
        let FnArg::Typed(pt) = arg else { continue };
        let Pat::Ident(pi) = &mut *pt.pat else {
            continue;
        };
        if pi.ident == *t {
            pi.mutability = None;
            *pt.ty = syn::parse_quote_spanned!(span=> &[f64]);
        }
    }
    let m = if p.mutable {
        quote::quote!(mut)
    } else {
        quote::quote!()
    };
    item.block
        .stmts
        .insert(0, syn::parse_quote_spanned!(span=> let #m #t = #t[0];));
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;

    use super::*;

    /// The signature of `item` under `#[sparse_diff(args)]`: each parameter as
    /// `name: Role` and the output, or the error messages.
    fn roles(args: TokenStream, item: TokenStream) -> Result<(Vec<String>, Output), Vec<String>> {
        let item: ItemFn = syn::parse2(item).expect("a function");
        let args: Args = syn::parse2(args).map_err(|e| vec![e.to_string()])?;
        let mut errors = Errors::default();
        match signature(&item, &args, &mut errors) {
            Some(sig) => Ok((
                sig.params
                    .iter()
                    .map(|p| format!("{}: {:?}", p.name, p.role))
                    .collect(),
                sig.output,
            )),
            None => Err(errors.iter().map(|e| e.to_string()).collect()),
        }
    }

    #[test]
    fn the_first_real_slice_is_active_and_a_mutable_one_the_output() {
        let (params, output) = roles(
            quote!(),
            quote! {
                fn f(c: f64, x: &[f64], z: &[f64], y: &mut [f64], idx: &[usize], n: usize, b: bool) {}
            },
        )
        .expect("a signature");
        assert_eq!(
            params,
            [
                "c: Constant",
                "x: Active",
                "z: Constant",
                "y: Output",
                "idx: Constant",
                "n: Constant",
                "b: Constant"
            ]
        );
        assert_eq!(output, Output::Param(3));
    }

    #[test]
    fn wrt_names_the_active_input() {
        let (params, output) = roles(
            quote!(wrt = b),
            quote! {
                fn f(a: &[f64], b: &[f64]) -> f64 { 0.0 }
            },
        )
        .expect("a signature");
        assert_eq!(params, ["a: Constant", "b: Active"]);
        assert_eq!(output, Output::Scalar);
        let (_, output) =
            roles(quote!(), quote! { fn f(a: &[f64]) -> Vec<f64> {} }).expect("a signature");
        assert_eq!(output, Output::Vector);
    }

    #[test]
    fn a_parameter_with_a_type_error_is_still_named() {
        let errors = |args, item| roles(args, item).err().unwrap_or_default();
        // `wrt` names it; only its type is reported.
        let f32_message = "`f32` is not supported by #[sparse_diff]: write `f64` (the derivative code computes in `f64`)";
        assert_eq!(
            errors(
                quote!(wrt = p),
                quote! { fn f(q: &[f64], p: &[f32]) -> f64 {} }
            ),
            [f32_message]
        );
        // A slice of arrays is not an input, and the message says what to write.
        let no_input = errors(quote!(), quote! { fn f(p: &[[f64; 3]]) -> f64 {} });
        assert!(
            no_input[0].contains("flatten it to a `&[f64]`"),
            "{no_input:?}"
        );
    }

    #[test]
    fn every_mistake_of_a_signature_is_reported() {
        let errors = |args, item| roles(args, item).err().unwrap_or_default();
        assert_eq!(
            errors(quote!(mode = fast), quote! { fn f(x: &[f64]) -> f64 {} }),
            ["unknown argument `mode`: the arguments are `wrt = <parameter>` and `rules(<function> = <rule type>, ..)`"]
        );
        assert_eq!(
            errors(
                quote!(wrt = n),
                quote! { fn f(x: &[f64], n: usize) -> f64 {} }
            ),
            ["`wrt = n` must name a `&[f64]` or `f64` parameter, but `n` has type `usize`"]
        );
        assert_eq!(
            errors(quote!(wrt = z), quote! { fn f(x: &[f64]) -> f64 {} }),
            ["`wrt = z`: this function has no parameter named `z`"]
        );
        assert_eq!(
            errors(
                quote!(),
                quote! { fn f(x: [f64; 3], c: [f64; 2]) -> f64 {} }
            ),
            ["the input to differentiate is passed by reference: write `&[f64;3]`"]
        );
        assert_eq!(
            errors(quote!(), quote! { fn f(n: usize) -> f64 {} }),
            ["#[sparse_diff] needs an input to differentiate: a parameter of type `&[f64]` or `f64`"]
        );
        assert_eq!(
            errors(quote!(), quote! { fn f(x: &[f64], y: &mut [f64]) -> Vec<f64> {} }),
            ["a function that returns `Vec<f64>` cannot also write a `&mut [f64]` output: return the value, or write it in place, not both"]
        );
        assert_eq!(
            errors(
                quote!(),
                quote! { fn f(x: &[f64], y: &mut [f64], z: &mut [f64]) {} }
            ),
            ["only one `&mut [f64]` output parameter is supported"]
        );
        // Several mistakes in one signature are all reported.
        assert_eq!(
            errors(quote!(), quote! { async fn f<T>(x: &[f64], (a, b): (f64, f64), s: String) -> f64 {} }),
            [
                "`async fn` is not supported by #[sparse_diff]: write a plain `fn`",
                "generic parameters other than a float type `T: Float` are not supported by #[sparse_diff]: take `&[f64]` for `const N: usize` arrays, and write a function parameter `F: Fn(..)` in the body",
                "parameter patterns are not supported by #[sparse_diff]: name the parameter, as in `x: &[f64]`",
                "a constant of this type is passed by reference to #[sparse_diff] functions: write `&String`",
            ]
        );
    }

    #[test]
    fn rules_map_callees_to_rule_types() {
        let args: Args = syn::parse2(quote!(rules(libm::j0 = J0, lae = my::Lae<2>,), wrt = x))
            .expect("arguments");
        let rules: Vec<String> = args
            .rules
            .iter()
            .map(|r| {
                let (c, t) = (&r.callee, &r.ty);
                quote!(#c => #t).to_string()
            })
            .collect();
        assert_eq!(rules, ["libm :: j0 => J0", "lae => my :: Lae < 2 >"]);
        assert!(args.wrt.is_some());
        let p = |s: TokenStream| syn::parse2::<syn::Path>(s).expect("a path");
        assert!(same_path(&p(quote!(::libm::j0)), &p(quote!(libm::j0))));
        assert!(!same_path(&p(quote!(j0)), &p(quote!(libm::j0))));
    }

    #[test]
    fn malformed_rules_are_errors_at_their_tokens() {
        let error = |args: TokenStream| match syn::parse2::<Args>(args) {
            Ok(_) => String::from("accepted"),
            Err(e) => e.to_string(),
        };
        assert_eq!(
            error(quote!(rules(1 = J0))),
            "expected the path of a function, as the body calls it: `rules(j0 = J0)`"
        );
        assert_eq!(
            error(quote!(rules(j0: J0))),
            "expected `= <rule type>`: `rules(j0 = J0)` with `impl asd::Rule<1> for J0`"
        );
        assert_eq!(
            error(quote!(rules(j0::<f64> = J0))),
            "a rule maps a function by its path, without generic arguments"
        );
        assert_eq!(
            error(quote!(rules(j0 = J0, j0 = J1))),
            "this function already has a rule: map each function once"
        );
        assert_ne!(
            error(quote!(rules(j0 = ))),
            "accepted",
            "a rule needs a type"
        );
        assert_eq!(error(quote!(rules(j0 = J0))), "accepted");
    }
}
