//! Integer and boolean code (indices, bounds, conditions), kept as written: checked
//! against the subset, with shadowed locals renamed and the variables it reads recorded.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::{Expr as SExpr, Stmt as SStmt, UnOp};

use super::unsupported::UNNAMED_CALL;
use super::{compound_op, Lowerer};
use crate::ir::*;
use crate::parse::{PatternTest, FIELD};
use crate::rules;

/// Integer methods allowed in index arithmetic and conditions.
const INT_METHODS: &[&str] = &[
    "min",
    "max",
    "abs",
    "pow",
    "rem_euclid",
    "div_euclid",
    "saturating_sub",
    "saturating_add",
    "wrapping_sub",
    "wrapping_add",
    "abs_diff",
    "is_nan",
    "is_finite",
    "is_infinite",
    "is_sign_negative",
    "is_sign_positive",
    "count_ones",
    "trailing_zeros",
    "leading_zeros",
    "is_power_of_two",
    "next_power_of_two",
    "isqrt",
    "ilog2",
];

impl Lowerer<'_> {
    /// An expression kept as written: checked against the subset, with shadowed locals
    /// renamed and the variables it reads recorded.
    pub(super) fn opaque(&mut self, e: &SExpr) -> Opaque {
        let mut reads = Vec::new();
        let tokens = self.opaque_tokens(e, &mut reads);
        reads.sort_unstable();
        reads.dedup();
        Opaque {
            tokens,
            reads,
            span: crate::errors::span_of(e),
        }
    }

    /// `panic!(..)` (or `unreachable!`, `todo!`, `unimplemented!`) as a statement, kept
    /// as written with the variables its message reads recorded, its inline `{name}`s
    /// included and renamed where the lowering renamed a shadowed local.
    pub(super) fn panic(&mut self, m: &syn::Macro, out: &mut Vec<Stmt>) {
        let parse = syn::punctuated::Punctuated::<SExpr, syn::Token![,]>::parse_terminated;
        let args = match m.parse_body_with(parse) {
            Ok(args) => args,
            Err(err) => return self.errors.push(err),
        };
        let mut reads = Vec::new();
        let mut parts = Vec::new();
        for (k, a) in args.iter().enumerate() {
            match a {
                SExpr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(message),
                    ..
                }) if k == 0 => {
                    let renamed = self.message_captures(&message.value(), &mut reads);
                    let message = syn::LitStr::new(&renamed, message.span());
                    parts.push(quote!(#message));
                }
                a => parts.push(self.opaque_tokens(a, &mut reads)),
            }
        }
        reads.sort_unstable();
        reads.dedup();
        let var = self.temp(Ty::Other);
        self.vars[var].origin = Origin::Panic;
        let path = &m.path;
        let span = syn::spanned::Spanned::span(m);
        out.push(Stmt::Let {
            var,
            init: Some(Rhs::Opaque(Opaque {
                tokens: quote_spanned!(span=> #path!(#(#parts),*)),
                reads,
                span,
            })),
        });
    }

    /// A format string with each `{name}` that names a local recorded in `reads` and
    /// written with the local's emitted name.
    fn message_captures(&mut self, message: &str, reads: &mut Vec<VarId>) -> String {
        let mut out = String::new();
        let mut rest = message;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..=open]);
            rest = &rest[open + 1..];
            if let Some(after) = rest.strip_prefix('{') {
                out.push('{');
                rest = after;
                continue;
            }
            let len = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let name = &rest[..len];
            match self.lookup(name) {
                Some(v) if !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) => {
                    reads.push(v);
                    out.push_str(&self.vars[v].name.to_string());
                }
                _ => out.push_str(name),
            }
            rest = &rest[len..];
        }
        out.push_str(rest);
        out
    }

    fn opaque_tokens(&mut self, e: &SExpr, reads: &mut Vec<VarId>) -> TokenStream {
        match e {
            SExpr::Lit(_) => e.to_token_stream(),
            SExpr::Path(p) => match p.path.get_ident().and_then(|i| self.lookup(&i.to_string())) {
                Some(v) => {
                    reads.push(v);
                    self.vars[v].name.to_token_stream()
                }
                None => e.to_token_stream(),
            },
            SExpr::Paren(p) => {
                let inner = self.opaque_tokens(&p.expr, reads);
                quote_spanned!(p.paren_token.span.join()=> (#inner))
            }
            SExpr::Group(g) => self.opaque_tokens(&g.expr, reads),
            SExpr::Binary(b) => {
                if compound_op(&b.op).is_some() {
                    self.errors.at(e, "an assignment cannot be used as a value");
                }
                let l = self.opaque_tokens(&b.left, reads);
                let r = self.opaque_tokens(&b.right, reads);
                let op = &b.op;
                quote!(#l #op #r)
            }
            SExpr::Unary(u) => {
                // `*n` of a constant `n: &usize` (or `bc: &Bc`) is the constant's value.
                if matches!(u.op, UnOp::Deref(_)) && self.reads_reals(&u.expr) {
                    self.errors.at(e, "dereferencing is not supported");
                }
                let inner = self.opaque_tokens(&u.expr, reads);
                let op = &u.op;
                quote!(#op #inner)
            }
            SExpr::Cast(c) => {
                let inner = self.opaque_tokens(&c.expr, reads);
                let ty = &c.ty;
                quote!(#inner as #ty)
            }
            SExpr::Index(ix) => match self.path_var(&ix.expr) {
                Some(v) if matches!(self.vars[v].ty, Ty::RealVec | Ty::Other) => {
                    reads.push(v);
                    let name = self.vars[v].name.clone();
                    let i = self.opaque_tokens(&ix.index, reads);
                    quote!(#name[#i])
                }
                // An element of a constant (`p.w[i]`).
                _ if !self.reads_reals(&ix.expr) => {
                    let base = self.opaque_tokens(&ix.expr, reads);
                    let i = self.opaque_tokens(&ix.index, reads);
                    quote!(#base[#i])
                }
                _ => {
                    self.errors
                        .at(&ix.expr, "only a named vector or slice can be indexed");
                    quote!(0)
                }
            },
            SExpr::MethodCall(mc) => {
                let name = mc.method.to_string();
                if name == "len" && mc.args.is_empty() {
                    if let Some(v) = self.path_var(&mc.receiver) {
                        // The length is not a value of the vector: reading it is no dependence.
                        let n = &self.vars[v].name;
                        return quote!(#n.len());
                    }
                }
                // Any method of a constant (`p.get(i)`, `idx.contains(&i)`); of reals, the
                // integer and the tabled ones.
                let constant = !self.reads_reals(&mc.receiver) || super::on_call(e);
                if !constant
                    && name != "len"
                    && !INT_METHODS.contains(&name.as_str())
                    && rules::method(&name).is_none()
                {
                    self.errors.at(
                        &mc.method,
                        format!("the method `{name}` is not supported by #[sparse_diff]"),
                    );
                }
                if mc.turbofish.is_some() && !constant {
                    self.errors.at(mc, "turbofish is not supported here");
                }
                let recv = self.opaque_tokens(&mc.receiver, reads);
                let args: Vec<TokenStream> = mc
                    .args
                    .iter()
                    .map(|a| self.opaque_tokens(a, reads))
                    .collect();
                let (m, turbofish) = (&mc.method, &mc.turbofish);
                quote!(#recv.#m #turbofish(#(#args),*))
            }
            SExpr::Call(c) => {
                let f = match &*c.func {
                    SExpr::Path(p) => p.to_token_stream(),
                    other => {
                        self.errors.at(other, UNNAMED_CALL);
                        quote!(f)
                    }
                };
                let args: Vec<TokenStream> = c
                    .args
                    .iter()
                    .map(|a| self.opaque_tokens(a, reads))
                    .collect();
                quote!(#f(#(#args),*))
            }
            // `a..b` as the index of a sub-slice argument, `&x[a..b]`.
            SExpr::Range(r) => {
                let start = r.start.as_ref().map(|s| self.opaque_tokens(s, reads));
                let end = r.end.as_ref().map(|e| self.opaque_tokens(e, reads));
                let limits = &r.limits;
                quote!(#start #limits #end)
            }
            SExpr::Field(f) => {
                let base = self.opaque_tokens(&f.base, reads);
                let member = &f.member;
                quote!(#base.#member)
            }
            // Tuples and arrays of constants (of reals, no place takes them).
            SExpr::Tuple(syn::ExprTuple { elems, .. })
            | SExpr::Array(syn::ExprArray { elems, .. })
                if !self.reads_reals(e) =>
            {
                let parts: Vec<TokenStream> =
                    elems.iter().map(|e| self.opaque_tokens(e, reads)).collect();
                match e {
                    SExpr::Tuple(_) => quote!((#(#parts,)*)),
                    _ => quote!([#(#parts),*]),
                }
            }
            // `if c { a } else { b }` with integer or boolean values.
            SExpr::If(i) => {
                let cond = self.opaque_tokens(&i.cond, reads);
                let then = self.opaque_block(&i.then_branch, reads);
                let els = match &i.else_branch {
                    Some((_, e)) => {
                        let e = self.opaque_tokens(e, reads);
                        quote!(else #e)
                    }
                    None => {
                        self.errors.at(i, "an `if` used as a value needs an `else`");
                        quote!()
                    }
                };
                quote!(if #cond #then #els)
            }
            SExpr::Block(b) if b.label.is_none() => self.opaque_block(&b.block, reads),
            // `matches!(bc, Bc::Flux(_))` (a `match` on an enum's variants): its value
            // is integer code, the pattern as written. A field of a constant enum's
            // variant (`desugar::patterns`): a `match` of the pattern as written, so the
            // name has the type it has in the user's arm.
            SExpr::Macro(m) if PatternTest::is_one(&m.mac) => {
                let test = m.mac.parse_body::<PatternTest>().and_then(|t| {
                    let field = m.mac.path.is_ident(FIELD).then(|| t.field()).transpose()?;
                    Ok((t, field))
                });
                match test {
                    Ok((t, field)) => {
                        let value = self.opaque_tokens(&t.value, reads);
                        match field {
                            None => {
                                let pattern = &t.rest;
                                quote!(::core::matches!(#value, #pattern))
                            }
                            Some((pattern, name)) => {
                                quote!((match #value { #pattern => #name, _ => ::core::unreachable!() }))
                            }
                        }
                    }
                    Err(err) => {
                        self.errors.push(err);
                        quote!(false)
                    }
                }
            }
            SExpr::Reference(r) => {
                if r.mutability.is_some() {
                    self.errors.at(
                        e,
                        "`&mut` is supported only as the output argument of a call",
                    );
                }
                let inner = self.opaque_tokens(&r.expr, reads);
                quote!(&#inner)
            }
            other => {
                self.unsupported(other);
                quote!(0)
            }
        }
    }

    /// `{ value }`: a block of integer code is its value alone.
    fn opaque_block(&mut self, b: &syn::Block, reads: &mut Vec<VarId>) -> TokenStream {
        match b.stmts.as_slice() {
            [SStmt::Expr(e, None)] => {
                let e = self.opaque_tokens(e, reads);
                quote!({ #e })
            }
            _ => {
                self.errors.at(b, "a block with statements (a closure's body, inlined) is not supported in a condition, an index or a call's argument there: compute it into a variable before the statement");
                quote!({ 0 })
            }
        }
    }
}
