//! Real expressions as trees, whole real vectors, and calls of other functions (hoisted
//! into temporaries before the expression that uses their value).

use syn::spanned::Spanned;
use syn::{BinOp, Expr as SExpr, Lit, UnOp};

use super::types::ty_name;
use super::unsupported::{unsupported_message, UNNAMED_CALL};
use super::{Lowerer, Tail};
use crate::ir::*;
use crate::parse::same_path;
use crate::rules::{self, Op, Order, UserOp};

impl Lowerer<'_> {
    // ----- calls ----------------------------------------------------------------------

    pub(super) fn call(&mut self, e: &SExpr, out: &mut Vec<Stmt>) -> Option<Call> {
        let SExpr::Call(c) = e else {
            self.unsupported(e);
            return None;
        };
        let SExpr::Path(p) = &*c.func else {
            self.errors.at(&c.func, UNNAMED_CALL);
            return None;
        };
        if p.qself.is_some() {
            self.errors.at(p, "qualified calls are not supported");
            return None;
        }
        if is_constructor(&p.path) {
            self.errors.at(p, CONSTRUCTOR_OF_REALS);
            return None;
        }
        let mut args = c
            .args
            .iter()
            .map(|a| match a {
                // The output parameter passed on, as it is (`h(x, y)`, a reborrow) or as
                // `&mut *y`: the callee writes it.
                _ if self.output_arg(a).is_some() => {
                    Arg::Out(self.output_arg(a).expect("the output parameter"))
                }
                // `&[a, b, c]`, `&vec![v; n]`: a temporary vector.
                SExpr::Reference(r)
                    if r.mutability.is_none()
                        && matches!(
                            &*r.expr,
                            SExpr::Array(_) | SExpr::Repeat(_) | SExpr::Macro(_)
                        )
                        && self.ty_of(&r.expr) == Some(Ty::RealVec) =>
                {
                    let Some(init) = self.vector(&r.expr, out) else {
                        return Arg::Other(Opaque::new(quote::quote!(()), Vec::new()));
                    };
                    let t = self.temp(Ty::RealVec);
                    out.push(Stmt::Let {
                        var: t,
                        init: Some(Rhs::Vec(init)),
                    });
                    Arg::Vec(t, None)
                }
                SExpr::Reference(r) => match (self.path_var(&r.expr), &*r.expr) {
                    (Some(v), _) if self.vars[v].ty == Ty::RealVec => {
                        if r.mutability.is_some() {
                            Arg::Out(v)
                        } else {
                            Arg::Vec(v, None)
                        }
                    }
                    // `&x[a..b]`: a range of a real vector.
                    (None, SExpr::Index(ix))
                        if r.mutability.is_none() && matches!(&*ix.index, SExpr::Range(_)) =>
                    {
                        match self.path_var(&ix.expr) {
                            Some(v) if self.vars[v].ty == Ty::RealVec => {
                                Arg::Vec(v, Some(self.opaque(&ix.index)))
                            }
                            _ => Arg::Other(self.opaque(a)),
                        }
                    }
                    _ => Arg::Other(self.opaque(a)),
                },
                _ => match self.path_var(a) {
                    Some(v) if self.vars[v].ty == Ty::RealVec => Arg::Vec(v, None),
                    _ => Arg::Other(self.opaque(a)),
                },
            })
            .collect::<Vec<Arg>>();
        let mut written = Written::AsIs;
        if args.iter().all(|a| matches!(a, Arg::Other(_))) {
            self.check_rule_spelling(&p.path);
            // `g(t, c..)` of one real `t`: a function of one real, whose input is `[t]`.
            let reals: Vec<usize> = (c.args.iter().enumerate())
                .filter(|(_, a)| self.reads_varying_reals(a) && self.ty_of(a) == Some(Ty::Real))
                .map(|(k, _)| k)
                .collect();
            if let [k] = reals[..] {
                let value = self.real(&c.args[k], out);
                let t = self.temp(Ty::RealVec);
                out.push(Stmt::Let {
                    var: t,
                    init: Some(Rhs::Vec(VecExpr::List(vec![value]))),
                });
                args[k] = Arg::Vec(t, None);
                written = Written::OnReal;
            }
        }
        Some(Call {
            path: p.path.clone(),
            args,
            kind: CallKind::Plain,
            written,
            traced: false,
            span: e.span(),
        })
    }

    /// The statement `g(&mut v, c..);` with no other real vector (`e` is the call,
    /// lowered to `call`): `g` updates `v` in place (an output parameter is written
    /// from an input), which is the map `v = g(&v, c..)`. So is `g(v, c..)` of a vector
    /// that is a `&mut [f64]` (the input of a function that updates it in place): its
    /// value is dropped, so it is for its effect. Callers check at compile time that
    /// `g` is such a function (`__ASD_IN_PLACE_g`).
    pub(super) fn in_place_call(&self, e: &SExpr, mut call: Call) -> Option<Stmt> {
        let SExpr::Call(c) = e else { return None };
        if call.written != Written::AsIs {
            return None;
        }
        let mut vectors =
            (call.args.iter_mut().zip(&c.args)).filter(|(a, _)| !matches!(a, Arg::Other(_)));
        let (Some((a, written)), None) = (vectors.next(), vectors.next()) else {
            return None;
        };
        let v = match *a {
            Arg::Out(v) if self.output_arg(written).is_none() => v,
            Arg::Vec(v, None) if matches!(written, SExpr::Path(_)) && !self.vars[v].is_param() => v,
            _ => return None,
        };
        *a = Arg::Vec(v, None);
        call.written = Written::InPlace;
        Some(Stmt::Call {
            results: vec![v],
            declare: false,
            call,
        })
    }

    /// The function's output parameter, when the argument `e` is it reborrowed: `y` or
    /// `&mut *y`.
    fn output_arg(&self, e: &SExpr) -> Option<VarId> {
        let e = match e {
            SExpr::Reference(r) if r.mutability.is_some() => match &*r.expr {
                SExpr::Unary(u) if matches!(u.op, UnOp::Deref(_)) => &*u.expr,
                _ => return None,
            },
            e => e,
        };
        let v = self.path_var(e)?;
        match (self.output, self.vars[v].origin) {
            (Output::Param(k), Origin::Param(j)) if k == j => Some(v),
            _ => None,
        }
    }

    // ----- real expressions ------------------------------------------------------------

    /// A real-valued expression as a tree; calls and `if` values are hoisted into
    /// statements before it.
    pub(super) fn real(&mut self, e: &SExpr, out: &mut Vec<Stmt>) -> Expr {
        match e {
            SExpr::Lit(l) => match &l.lit {
                Lit::Float(f) => Expr::Lit(f.base10_parse().unwrap_or(0.0)),
                Lit::Int(i) => Expr::Lit(i.base10_parse::<f64>().unwrap_or(0.0)),
                _ => {
                    self.errors.at(e, "expected a real value");
                    Expr::Lit(0.0)
                }
            },
            SExpr::Paren(p) => self.real(&p.expr, out),
            SExpr::Group(g) => self.real(&g.expr, out),
            SExpr::Path(p) => match p.path.get_ident().and_then(|i| self.lookup(&i.to_string())) {
                Some(v) => match self.vars[v].ty {
                    Ty::Real => Expr::Var(v),
                    Ty::Other => Expr::Const(self.opaque(e)),
                    t => {
                        self.errors
                            .at(e, format!("expected a real (`f64`), found {}", ty_name(t)));
                        Expr::Lit(0.0)
                    }
                },
                None => Expr::Const(self.opaque(e)),
            },
            SExpr::Index(ix) => match self.path_var(&ix.expr) {
                Some(v) if self.vars[v].ty == Ty::RealVec => Expr::Index(v, self.opaque(&ix.index)),
                // An element of a constant (`p.w[i]`, a table): a real of no real variable.
                _ if !self.reads_reals(&ix.expr) => Expr::Const(self.opaque(e)),
                _ => {
                    self.errors.at(
                        &ix.expr,
                        "only a named real vector can be indexed here, as in `x[i]`",
                    );
                    Expr::Lit(0.0)
                }
            },
            SExpr::Binary(b) => {
                let op = match b.op {
                    BinOp::Add(_) => Op::Add,
                    BinOp::Sub(_) => Op::Sub,
                    BinOp::Mul(_) => Op::Mul,
                    BinOp::Div(_) => Op::Div,
                    BinOp::Rem(_) => Op::Rem,
                    _ => {
                        self.errors.at(
                            e,
                            "expected a real value here, found a comparison or logical operator",
                        );
                        return Expr::Lit(0.0);
                    }
                };
                let a = self.real(&b.left, out);
                let c = self.real(&b.right, out);
                Expr::app(op, vec![a, c])
            }
            SExpr::Unary(u) => match u.op {
                UnOp::Neg(_) => {
                    let a = self.real(&u.expr, out);
                    Expr::neg(a)
                }
                // `*dt` of a constant `dt: &f64`.
                UnOp::Deref(_) if !self.reads_reals(&u.expr) => Expr::Const(self.opaque(e)),
                // `*r` of a real bound by reference (`if let Some(r) = x.get(i)`): its value.
                UnOp::Deref(_) => self.real(&u.expr, out),
                _ => {
                    self.errors.at(e, "unsupported operator on a real");
                    Expr::Lit(0.0)
                }
            },
            SExpr::Cast(c) => match self.ty_of(&c.expr) {
                Some(Ty::Real) => self.real(&c.expr, out),
                _ => Expr::Const(self.opaque(e)),
            },
            // A field of a constant (`p.a`, `t.0`).
            SExpr::Field(_) if !self.reads_reals(e) => Expr::Const(self.opaque(e)),
            SExpr::MethodCall(mc) => self.method(mc, out),
            SExpr::Call(c) => {
                // `j0(x)` of `#[sparse_diff(rules(j0 = J0))]`: the user's rule.
                if let SExpr::Path(p) = &*c.func {
                    if let Some(rule) = self.user_rule(&p.path) {
                        return self.apply_user_rule(rule, c, out);
                    }
                }
                // `f64::sin(x)` is the method `x.sin()`.
                if let SExpr::Path(p) = &*c.func {
                    let segs = &p.path.segments;
                    if segs.len() == 2 && segs[0].ident == "f64" {
                        let name = segs[1].ident.to_string();
                        let args: Vec<SExpr> = c.args.iter().cloned().collect();
                        return self.apply_method(&name, &args, e, out);
                    }
                    // `erf(x)`, `asd::math::erf(x)`: a function of the table.
                    if let Some(rule) = math_function(&p.path) {
                        if c.args.len() != rule.arity {
                            self.errors
                                .at(e, format!("this function takes {} argument(s)", rule.arity));
                            return Expr::Lit(0.0);
                        }
                        let args = c.args.iter().map(|a| self.real(a, out)).collect();
                        return Expr::app(rule.op, args);
                    }
                }
                let Some(call) = self.call(e, out) else {
                    return Expr::Lit(0.0);
                };
                let t = self.temp(Ty::Real);
                out.push(Stmt::Call {
                    results: vec![t],
                    declare: true,
                    call,
                });
                Expr::Var(t)
            }
            SExpr::If(i) => {
                let t = self.temp(Ty::Real);
                out.push(Stmt::Let { var: t, init: None });
                self.if_stmt(i, Some(t), out);
                Expr::Var(t)
            }
            SExpr::Block(b) => {
                // `{ stmts; value }`: the statements, then the value in a temporary.
                let t = self.temp(Ty::Real);
                out.push(Stmt::Let { var: t, init: None });
                let body = self.block(&b.block.stmts, Tail::Assign(t));
                out.push(Stmt::Block(body));
                Expr::Var(t)
            }
            other => {
                self.unsupported(other);
                Expr::Lit(0.0)
            }
        }
    }

    /// The position of the rule the attribute maps `callee` to.
    pub(super) fn user_rule(&self, callee: &syn::Path) -> Option<usize> {
        self.rules.iter().position(|r| same_path(&r.callee, callee))
    }

    /// `g(a, b)` of a rule: the operation of the rule's value on the arguments, each a
    /// real expression (of the input or not). Its arity is the call's: the rule's type
    /// must implement `asd::Rule` of that many arguments, which the compiler checks.
    fn apply_user_rule(&mut self, rule: usize, c: &syn::ExprCall, out: &mut Vec<Stmt>) -> Expr {
        if c.args.is_empty() {
            self.errors.at(
                c,
                "a rule takes at least one real argument: a function of none is a constant",
            );
            return Expr::Lit(0.0);
        }
        let args: Vec<Expr> = c.args.iter().map(|a| self.real(a, out)).collect();
        Expr::app(
            Op::User(UserOp {
                rule,
                order: Order::Value,
            }),
            args,
        )
    }

    /// A call of a function of scalars whose path ends like a mapped one but is written
    /// differently (`libm::j0` where the attribute maps `j0`): the rule would silently not
    /// apply, so it is an error that says how to write it.
    fn check_rule_spelling(&mut self, callee: &syn::Path) {
        let Some(last) = callee.segments.last() else {
            return;
        };
        if let Some(r) = self.rules.iter().find(|r| {
            r.callee
                .segments
                .last()
                .is_some_and(|l| l.ident == last.ident)
        }) {
            let mapped = &r.callee;
            let mapped = quote::quote!(#mapped).to_string().replace(' ', "");
            let written = quote::quote!(#callee).to_string().replace(' ', "");
            self.errors.at(
                callee,
                format!(
                    "`rules(..)` maps `{mapped}`, but this call is written `{written}`: write the call as the attribute names it, or map `{written}`"
                ),
            );
        }
    }

    fn method(&mut self, mc: &syn::ExprMethodCall, out: &mut Vec<Stmt>) -> Expr {
        let name = mc.method.to_string();
        let mut args = vec![(*mc.receiver).clone()];
        args.extend(mc.args.iter().cloned());
        self.apply_method(&name, &args, &SExpr::MethodCall(mc.clone()), out)
    }

    fn apply_method(
        &mut self,
        name: &str,
        args: &[SExpr],
        whole: &SExpr,
        out: &mut Vec<Stmt>,
    ) -> Expr {
        let Some(rule) = rules::method(name) else {
            if !self.reads_reals(whole) {
                // A method of a constant (`p.rate(t)`): a real of no real variable.
                return Expr::Const(self.opaque(whole));
            }
            let msg = if on_call(whole) {
                // `g(x)?` of a `Result<f64, E>` function (`desugar::fallible`).
                "the value of a call on reals through `?` or a method (`g(x)?`, `g(x).unwrap()`) is not supported: make `g` a #[sparse_diff] function that returns `f64` and call it as `g(x)`".to_string()
            } else {
                format!(
                    "the method `{name}` is not supported on reals by #[sparse_diff]; supported: {}",
                    rules::method_names().join(", ")
                )
            };
            self.errors.at(whole, msg);
            return Expr::Lit(0.0);
        };
        if args.len() != rule.arity {
            self.errors.at(
                whole,
                format!("`{name}` takes {} argument(s)", rule.arity - 1),
            );
            return Expr::Lit(0.0);
        }
        // Integer arguments (`powi`'s exponent) are integer code.
        let args = args
            .iter()
            .enumerate()
            .map(|(k, a)| match rule.ints.contains(&k) {
                true => Expr::Int(self.opaque(a)),
                false => self.real(a, out),
            })
            .collect();
        Expr::app(rule.op, args)
    }

    // ----- vectors -----------------------------------------------------------------------

    pub(super) fn vector(&mut self, e: &SExpr, out: &mut Vec<Stmt>) -> Option<VecExpr> {
        match e {
            SExpr::Paren(p) => self.vector(&p.expr, out),
            SExpr::Macro(m) if m.mac.path.is_ident("vec") => {
                let parsed: syn::Result<VecMacro> = m.mac.parse_body();
                match parsed {
                    Ok(VecMacro::Repeat(v, n)) => {
                        let v = self.real(&v, out);
                        Some(VecExpr::Filled(v, self.opaque(&n)))
                    }
                    Ok(VecMacro::List(items)) => Some(VecExpr::List(
                        items.iter().map(|i| self.real(i, out)).collect(),
                    )),
                    Err(err) => {
                        self.errors.push(err);
                        None
                    }
                }
            }
            // `[a, b]` and `[v; n]` of reals, as `vec!` of them.
            SExpr::Array(a) if self.ty_of(e) == Some(Ty::RealVec) => Some(VecExpr::List(
                a.elems.iter().map(|i| self.real(i, out)).collect(),
            )),
            SExpr::Repeat(r) if self.ty_of(e) == Some(Ty::RealVec) => {
                let v = self.real(&r.expr, out);
                Some(VecExpr::Filled(v, self.opaque(&r.len)))
            }
            // `if c { v } else { w }` of vectors: each branch assigns a temporary.
            SExpr::If(i) => {
                let t = self.temp(Ty::RealVec);
                let mut body = Vec::new();
                self.if_stmt(i, Some(t), &mut body);
                out.push(vector_temp(t, &body));
                out.extend(body);
                Some(VecExpr::Move(t))
            }
            // `{ stmts; vector }` (a closure's body inlined, a `match` arm): the
            // statements, then the vector moved out of a temporary.
            SExpr::Block(b) => {
                let t = self.temp(Ty::RealVec);
                let body = self.block(&b.block.stmts, Tail::Assign(t));
                out.push(vector_temp(t, &body));
                out.push(Stmt::Block(body));
                Some(VecExpr::Move(t))
            }
            SExpr::Call(c) if matches!(&*c.func, SExpr::Path(p) if path_is(&p.path, &["Vec", "new"])) => {
                Some(VecExpr::Empty(None))
            }
            SExpr::Call(c)
                if matches!(&*c.func, SExpr::Path(p) if path_is(&p.path, &["Vec", "with_capacity"]))
                    && c.args.len() == 1 =>
            {
                Some(VecExpr::Empty(Some(self.opaque(&c.args[0]))))
            }
            SExpr::MethodCall(mc)
                if (mc.method == "to_vec" || mc.method == "clone") && mc.args.is_empty() =>
            {
                match self.path_var(&mc.receiver) {
                    Some(v) if self.vars[v].ty == Ty::RealVec => Some(VecExpr::Copy(v)),
                    _ => {
                        self.errors.at(
                            &mc.receiver,
                            "only a named real vector can be copied here, as in `x.to_vec()`",
                        );
                        None
                    }
                }
            }
            SExpr::Path(_) => match self.path_var(e) {
                Some(v) if self.vars[v].ty == Ty::RealVec => {
                    if self.vars[v].is_param() {
                        self.errors.at(e, format!("a parameter slice cannot become a local vector by moving it: write `{}.to_vec()`", self.vars[v].name));
                        return None;
                    }
                    Some(VecExpr::Move(v))
                }
                _ => {
                    self.errors.at(e, "expected a real vector (`Vec<f64>`)");
                    None
                }
            },
            other => {
                let msg = unsupported_message(other).unwrap_or_else(|| {
                    "unsupported vector expression: build vectors with `vec![v; n]`, `vec![a, b]`, `Vec::new()`, `Vec::with_capacity(n)` or `x.to_vec()`".to_string()
                });
                self.errors.at(other, msg);
                None
            }
        }
    }
}

/// The body of `vec![...]`.
pub(super) enum VecMacro {
    Repeat(Box<SExpr>, Box<SExpr>),
    List(Vec<SExpr>),
}

impl syn::parse::Parse for VecMacro {
    fn parse(input: syn::parse::ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Ok(VecMacro::List(Vec::new()));
        }
        let first: SExpr = input.parse()?;
        if input.peek(syn::Token![;]) {
            input.parse::<syn::Token![;]>()?;
            let n: SExpr = input.parse()?;
            return Ok(VecMacro::Repeat(Box::new(first), Box::new(n)));
        }
        let mut items = vec![first];
        while input.peek(syn::Token![,]) {
            input.parse::<syn::Token![,]>()?;
            if input.is_empty() {
                break;
            }
            items.push(input.parse()?);
        }
        Ok(VecMacro::List(items))
    }
}

pub(super) fn path_is(p: &syn::Path, segs: &[&str]) -> bool {
    p.segments.len() == segs.len() && p.segments.iter().zip(segs).all(|(s, n)| s.ident == n)
}

pub(super) fn is_call(e: &SExpr) -> bool {
    matches!(e, SExpr::Call(_))
}

/// A method called on a call's result, `count(d).ok().expect(..)`: of whatever type
/// the function returns, not of a real the body computed.
pub(super) fn on_call(e: &SExpr) -> bool {
    match e {
        SExpr::MethodCall(mc) => is_call(&mc.receiver) || on_call(&mc.receiver),
        _ => false,
    }
}

impl Lowerer<'_> {
    /// `Vec::new()`, `f64::sin(x)`, `erf(x)`, a call of a user rule: calls that are not
    /// calls of other functions.
    pub(super) fn is_builtin_call(&self, e: &SExpr) -> bool {
        match e {
            SExpr::Call(c) => matches!(&*c.func, SExpr::Path(p)
                if path_is(&p.path, &["Vec", "new"]) || path_is(&p.path, &["Vec", "with_capacity"])
                || (p.path.segments.len() == 2 && p.path.segments[0].ident == "f64")
                || math_function(&p.path).is_some()
                || self.user_rule(&p.path).is_some()),
            _ => false,
        }
    }
}

/// The row of a call of a table function: `erf`, or a path to it in `asd::math`
/// (`libm` and `statrs` name the same functions).
pub(super) fn math_function(p: &syn::Path) -> Option<&'static rules::Rule> {
    let last = p.segments.last()?.ident.to_string();
    let first = p.segments.first()?.ident.to_string();
    let known =
        p.segments.len() == 1 || ["asd", "math", "libm", "statrs"].contains(&first.as_str());
    known.then(|| rules::function(&last)).flatten()
}

/// The declaration of `t`, the vector `body` leaves as its value. Where no path assigns
/// it (every one returns, `{ ..; return r; }`), an empty vector: the code after it is
/// unreachable, and the compiler needs the type of what it moves.
fn vector_temp(t: VarId, body: &[Stmt]) -> Stmt {
    let mut assigned = false;
    visit_stmts(body, &mut |s| s.for_each_write(|v| assigned |= v == t));
    let init = (!assigned).then_some(Rhs::Vec(VecExpr::Empty(None)));
    Stmt::Let { var: t, init }
}

/// `Some(v)`, `Ok(v)`, `Point(v, w)`: a constructor, not a function.
pub(crate) fn is_constructor(p: &syn::Path) -> bool {
    (p.segments.last()).is_some_and(|s| crate::parse::names_a_constant(&s.ident))
}

pub(crate) const CONSTRUCTOR_OF_REALS: &str = "an `Option`, enum variant or tuple struct that holds a differentiated real is not supported: keep the real in an `f64` (and whether it is set in a `bool`)";
