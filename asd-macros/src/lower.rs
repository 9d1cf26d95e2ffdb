//! Stage 2: the body, from syn into the IR. Reals become expression trees; integer and
//! boolean expressions are checked and kept as written (with shadowed locals renamed);
//! every construct outside the subset becomes an error at its own span, and lowering
//! goes on so that all of them are reported.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{BinOp, Expr as SExpr, Ident, ItemFn, Lit, Pat, Stmt as SStmt, Type, UnOp};

use crate::errors::Errors;
use crate::ir::*;
use crate::parse::{is_type, is_vec_of, ParamKind, Signature, INT_TYPES};
use crate::rules::{self, Op};

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

pub fn lower(item: &ItemFn, sig: &Signature, errors: &mut Errors) -> Function {
    let mut l = Lowerer {
        vars: Vec::new(),
        scopes: vec![HashMap::new()],
        used: HashSet::new(),
        errors,
        temps: 0,
        output: sig.output,
    };
    let mut params = Vec::new();
    for (i, p) in sig.params.iter().enumerate() {
        let ty = match p.kind {
            ParamKind::RealSlice | ParamKind::RealSliceMut => Ty::RealVec,
            ParamKind::Real => Ty::Real,
            ParamKind::Int => Ty::Int,
            ParamKind::Bool => Ty::Bool,
            ParamKind::Other => Ty::Other,
        };
        let var = l.declare(&p.name, ty, Origin::Param(i));
        params.push(Param {
            var,
            ty: p.ty.clone(),
            role: p.role,
        });
    }
    let body = l.block(&item.block.stmts, Tail::Return);
    Function {
        params,
        output: sig.output,
        vars: l.vars,
        body,
    }
}

/// What the value of a block's tail expression is for.
#[derive(Clone, Copy)]
enum Tail {
    /// The function body: the tail is returned.
    Return,
    /// An `if` used as a value: the tail is assigned to this variable.
    Assign(VarId),
    /// A statement block: there must be no tail value.
    None,
}

struct Lowerer<'e> {
    vars: Vec<Var>,
    scopes: Vec<HashMap<String, VarId>>,
    used: HashSet<String>,
    errors: &'e mut Errors,
    temps: usize,
    output: Output,
}

impl Lowerer<'_> {
    // ----- names and scopes -------------------------------------------------------

    /// Declares a user variable, renaming it (`y_1`) if its name is already taken in
    /// this function, so every pass can hoist or reorder without clashes.
    fn declare(&mut self, ident: &Ident, ty: Ty, origin: Origin) -> VarId {
        let base = ident.to_string();
        let mut name = base.clone();
        let mut k = 1;
        while self.used.contains(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        self.used.insert(name.clone());
        self.vars.push(Var {
            name: Ident::new(&name, ident.span()),
            ty,
            origin,
            active: false,
            lanes: false,
            deriv: None,
        });
        let id = self.vars.len() - 1;
        self.scopes.last_mut().unwrap().insert(base, id);
        id
    }

    fn temp(&mut self, ty: Ty) -> VarId {
        loop {
            let name = format!("t{}", self.temps);
            self.temps += 1;
            if self.used.insert(name.clone()) {
                self.vars.push(Var {
                    name: Ident::new(&name, Span::mixed_site()),
                    ty,
                    origin: Origin::Temp,
                    active: false,
                    lanes: false,
                    deriv: None,
                });
                return self.vars.len() - 1;
            }
        }
    }

    fn lookup(&self, name: &str) -> Option<VarId> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied())
    }

    fn path_var(&self, e: &SExpr) -> Option<VarId> {
        match e {
            SExpr::Path(p) if p.qself.is_none() => {
                p.path.get_ident().and_then(|i| self.lookup(&i.to_string()))
            }
            SExpr::Paren(p) => self.path_var(&p.expr),
            SExpr::Group(g) => self.path_var(&g.expr),
            _ => None,
        }
    }

    fn scoped<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        self.scopes.push(HashMap::new());
        let r = f(self);
        self.scopes.pop();
        r
    }

    // ----- types --------------------------------------------------------------------

    /// The type of an expression, from its shape and the types of the variables it
    /// reads; `None` where only its use can tell (the result of a call).
    fn ty_of(&self, e: &SExpr) -> Option<Ty> {
        Some(match e {
            SExpr::Lit(l) => match &l.lit {
                Lit::Float(_) => Ty::Real,
                Lit::Int(i) if i.suffix() == "f64" || i.suffix() == "f32" => Ty::Real,
                Lit::Int(_) => Ty::Int,
                Lit::Bool(_) => Ty::Bool,
                _ => Ty::Other,
            },
            SExpr::Path(p) => match p.path.get_ident().and_then(|i| self.lookup(&i.to_string())) {
                Some(v) => self.vars[v].ty,
                None if is_f64_const(&p.path) => Ty::Real,
                None => return None,
            },
            SExpr::Paren(p) => return self.ty_of(&p.expr),
            SExpr::Group(g) => return self.ty_of(&g.expr),
            SExpr::Binary(b) => match b.op {
                BinOp::Lt(_)
                | BinOp::Le(_)
                | BinOp::Gt(_)
                | BinOp::Ge(_)
                | BinOp::Eq(_)
                | BinOp::Ne(_)
                | BinOp::And(_)
                | BinOp::Or(_) => Ty::Bool,
                _ => match (self.ty_of(&b.left), self.ty_of(&b.right)) {
                    (Some(Ty::Real), _) | (_, Some(Ty::Real)) => Ty::Real,
                    (Some(t), _) | (None, Some(t)) => t,
                    (None, None) => return None,
                },
            },
            SExpr::Unary(u) => match u.op {
                UnOp::Not(_) => return self.ty_of(&u.expr).or(Some(Ty::Bool)),
                _ => return self.ty_of(&u.expr),
            },
            SExpr::Cast(c) => match &*c.ty {
                t if is_type(t, "f64") || is_type(t, "f32") => Ty::Real,
                t if INT_TYPES.iter().any(|n| is_type(t, n)) => Ty::Int,
                _ => Ty::Other,
            },
            SExpr::Index(ix) => match self.path_var(&ix.expr).map(|v| self.vars[v].ty) {
                Some(Ty::RealVec) => Ty::Real,
                Some(Ty::Other) => Ty::Int,
                _ => return None,
            },
            SExpr::MethodCall(mc) => {
                let name = mc.method.to_string();
                match name.as_str() {
                    "len" | "count_ones" | "trailing_zeros" | "leading_zeros" | "ilog2" => Ty::Int,
                    "to_vec" | "clone" => {
                        return self.ty_of(&mc.receiver).map(|t| {
                            if t == Ty::Other {
                                Ty::Other
                            } else {
                                t
                            }
                        })
                    }
                    "is_nan" | "is_finite" | "is_infinite" | "is_sign_negative"
                    | "is_sign_positive" | "is_power_of_two" => Ty::Bool,
                    "powi" => Ty::Real,
                    _ if rules::method(&name).is_some() => {
                        // `max`, `min`, `abs` work on integers too: follow the receiver.
                        match self.ty_of(&mc.receiver) {
                            Some(Ty::Int) if matches!(name.as_str(), "max" | "min" | "abs") => {
                                Ty::Int
                            }
                            _ => Ty::Real,
                        }
                    }
                    _ => return self.ty_of(&mc.receiver),
                }
            }
            // `vec![0; n]`, `vec![1, 2]`: integer literals are never reals.
            SExpr::Macro(m) if m.mac.path.is_ident("vec") => match m.mac.parse_body::<VecMacro>() {
                Ok(VecMacro::Repeat(v, _)) if self.ty_of(&v) == Some(Ty::Int) => Ty::Other,
                Ok(VecMacro::List(items))
                    if items
                        .first()
                        .is_some_and(|v| self.ty_of(v) == Some(Ty::Int)) =>
                {
                    Ty::Other
                }
                _ => Ty::RealVec,
            },
            SExpr::Call(c) => match &*c.func {
                SExpr::Path(p)
                    if path_is(&p.path, &["Vec", "new"])
                        || path_is(&p.path, &["Vec", "with_capacity"]) =>
                {
                    Ty::RealVec
                }
                SExpr::Path(p)
                    if p.path.segments.len() == 2 && p.path.segments[0].ident == "f64"
                        || math_function(&p.path).is_some() =>
                {
                    Ty::Real
                }
                _ => return None,
            },
            SExpr::If(i) => {
                return block_tail(&i.then_branch).and_then(|t| self.ty_of(t));
            }
            SExpr::Block(b) => return block_tail(&b.block).and_then(|t| self.ty_of(t)),
            _ => return None,
        })
    }

    /// The type of `let name = <call>;` from how `name` is used afterwards: indexed,
    /// borrowed or measured means a vector, a field read a constant tuple or struct,
    /// otherwise a real.
    fn ty_from_use(&self, name: &Ident, rest: &[SStmt]) -> Ty {
        struct Uses<'a> {
            name: &'a Ident,
            vector: bool,
            fields: bool,
            /// The function returns a vector: so is a name it returns.
            returns_vector: bool,
        }
        impl<'ast> Visit<'ast> for Uses<'_> {
            fn visit_macro(&mut self, m: &'ast syn::Macro) {
                if let Ok(VecMacro::List(items)) = m.parse_body::<VecMacro>() {
                    items.iter().for_each(|e| self.visit_expr(e));
                }
            }
            fn visit_stmt(&mut self, s: &'ast SStmt) {
                if let SStmt::Expr(e, None) = s {
                    let is_name = matches!(e, SExpr::Path(p) if p.path.is_ident(self.name));
                    self.vector |= is_name && self.returns_vector;
                }
                syn::visit::visit_stmt(self, s);
            }
            fn visit_expr(&mut self, e: &'ast SExpr) {
                let is_name = |e: &SExpr| matches!(e, SExpr::Path(p) if p.path.is_ident(self.name));
                match e {
                    SExpr::Return(r) if r.expr.as_deref().is_some_and(is_name) => {
                        self.vector |= self.returns_vector
                    }
                    SExpr::Index(ix) if is_name(&ix.expr) => self.vector = true,
                    SExpr::Reference(r) if is_name(&r.expr) => self.vector = true,
                    SExpr::Field(f) if is_name(&f.base) => self.fields = true,
                    SExpr::MethodCall(mc)
                        if is_name(&mc.receiver)
                            && matches!(
                                mc.method.to_string().as_str(),
                                "len" | "push" | "to_vec"
                            ) =>
                    {
                        self.vector = true
                    }
                    _ => {}
                }
                syn::visit::visit_expr(self, e);
            }
        }
        let mut u = Uses {
            name,
            vector: false,
            fields: false,
            returns_vector: self.output == Output::Vector,
        };
        for s in rest {
            u.visit_stmt(s);
        }
        match (u.fields, u.vector) {
            // A tuple or a struct: only a constant is supported.
            (true, _) => Ty::Other,
            (false, true) => Ty::RealVec,
            (false, false) => Ty::Real,
        }
    }

    /// Whether `e` names a real or a real vector: a value that may carry derivatives.
    fn reads_reals(&self, e: &SExpr) -> bool {
        struct Finds<'a, 'e>(&'a Lowerer<'e>, bool);
        impl<'ast> Visit<'ast> for Finds<'_, '_> {
            fn visit_path(&mut self, p: &'ast syn::Path) {
                if let Some(v) = p.get_ident().and_then(|i| self.0.lookup(&i.to_string())) {
                    self.1 |= self.0.vars[v].ty.is_real();
                }
                syn::visit::visit_path(self, p);
            }
        }
        let mut f = Finds(self, false);
        f.visit_expr(e);
        f.1
    }

    fn ty_of_annotation(&mut self, ty: &Type) -> Option<Ty> {
        if is_type(ty, "f64") {
            Some(Ty::Real)
        } else if is_type(ty, "bool") {
            Some(Ty::Bool)
        } else if INT_TYPES.iter().any(|t| is_type(ty, t)) {
            Some(Ty::Int)
        } else if is_vec_of(ty, "f64") {
            Some(Ty::RealVec)
        } else if is_type(ty, "f32") || is_vec_of(ty, "f32") {
            self.errors.at(ty, "`f32` is not supported by #[sparse_diff]: write `f64` (the derivative code computes in `f64`)");
            None
        } else {
            // Any other type is a constant the passes pass through.
            Some(Ty::Other)
        }
    }

    // ----- statements ---------------------------------------------------------------

    fn block(&mut self, stmts: &[SStmt], tail: Tail) -> Vec<Stmt> {
        self.scoped(|l| {
            let mut out = Vec::new();
            for (i, s) in stmts.iter().enumerate() {
                let last = i + 1 == stmts.len();
                l.stmt(
                    s,
                    &stmts[i + 1..],
                    if last { tail } else { Tail::None },
                    &mut out,
                );
            }
            out
        })
    }

    fn stmt(&mut self, s: &SStmt, rest: &[SStmt], tail: Tail, out: &mut Vec<Stmt>) {
        match s {
            SStmt::Local(local) => self.local(local, rest, out),
            // Items of the function's own block (a `const`, a helper `fn`, a `use`) are
            // emitted in every generated function; the passes only see them used.
            SStmt::Item(_) if self.scopes.len() == 2 => {}
            SStmt::Item(item) => self.errors.at(item, "items in a nested block of a #[sparse_diff] function are not supported: define them at the top of the function's body"),
            SStmt::Macro(m) => self.unsupported_macro(&m.mac),
            SStmt::Expr(e, semi) => {
                if semi.is_none() && !is_statement_like(e) && !matches!(tail, Tail::None) {
                    self.tail(e, tail, out);
                } else {
                    self.expr_stmt(e, out);
                }
            }
        }
    }

    fn tail(&mut self, e: &SExpr, tail: Tail, out: &mut Vec<Stmt>) {
        match tail {
            Tail::Return => self.ret(Some(e), e, out),
            Tail::Assign(v) => {
                let rhs = self.rhs(e, self.vars[v].ty, out);
                if let Some(rhs) = rhs {
                    out.push(Stmt::Assign { var: v, rhs });
                }
            }
            Tail::None => {
                self.errors.at(
                    e,
                    "a block's value is not used here: end the expression with `;`",
                );
            }
        }
    }

    fn local(&mut self, local: &syn::Local, rest: &[SStmt], out: &mut Vec<Stmt>) {
        let (pat, annot) = match &local.pat {
            Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
            p => (p, None),
        };
        let ident = match pat {
            Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => pi.ident.clone(),
            other => {
                self.errors.at(
                    other,
                    "patterns are not supported in `let`: bind one name, as in `let y = ...;`",
                );
                return;
            }
        };
        let init = local.init.as_ref();
        if let Some(i) = init {
            if let Some((_, d)) = &i.diverge {
                self.errors
                    .at(d, "`let ... else` is not supported: use `if`");
                return;
            }
        }
        let annotated = match annot {
            Some(t) => match self.ty_of_annotation(t) {
                Some(t) => Some(t),
                None => return,
            },
            None => None,
        };
        let ty = match (annotated, init) {
            (Some(t), _) => t,
            (None, Some(i)) => match self.ty_of(&i.expr) {
                Some(t) => t,
                None if is_call(&i.expr) && self.reads_reals(&i.expr) => {
                    self.ty_from_use(&ident, rest)
                }
                // A plain call on constants: a constant of its own type, unless the
                // function goes on to write it (then a real or real vector).
                None if is_call(&i.expr) && !written(&ident, rest) => Ty::Other,
                None if is_call(&i.expr) => self.ty_from_use(&ident, rest),
                // A value computed from constants only (a field of a parameter struct, a
                // tuple, an integer array): passed through as it is.
                None if !self.reads_reals(&i.expr) && !is_call(&i.expr) => Ty::Other,
                None => {
                    let msg = match unsupported_initializer(&i.expr) {
                        Some(msg) => msg.to_string(),
                        None => format!("cannot tell the type of `{ident}`: annotate it, as in `let {ident}: f64 = ...;`"),
                    };
                    self.errors.at(&i.expr, msg);
                    return;
                }
            },
            (None, None) => {
                self.errors.at(
                    &ident,
                    format!(
                        "`let {ident};` needs a type: write `let {ident}: f64;` or give it a value"
                    ),
                );
                return;
            }
        };
        // Lower the initialiser before declaring, so `let y = y + 1.0` reads the old `y`.
        match init {
            // A call with a real result; one with an integer or constant result is
            // integer code like any other.
            Some(i) if is_call(&i.expr) && !is_builtin_call(&i.expr) && ty.is_real() => {
                let Some(call) = self.call(&i.expr, out) else {
                    return;
                };
                if !mentioned(&ident, rest) {
                    return; // an unused result: the call is pure, so it is left out
                }
                // A result the function goes on to change (`let mut h = g(&w); h[0] +=
                // x[0];`) is a copy of the call's: where the call is on constants, the
                // copy may still become active.
                let copied = written(&ident, rest);
                let result = if copied {
                    self.temp(ty)
                } else {
                    self.declare(&ident, ty, Origin::Local)
                };
                out.push(Stmt::Call {
                    results: vec![result],
                    declare: true,
                    call,
                });
                if copied {
                    let var = self.declare(&ident, ty, Origin::Local);
                    let init = match ty {
                        Ty::RealVec => Rhs::Vec(VecExpr::Copy(result)),
                        _ => Rhs::Real(Expr::Var(result)),
                    };
                    out.push(Stmt::Let {
                        var,
                        init: Some(init),
                    });
                }
            }
            Some(i) => {
                let rhs = self.rhs(&i.expr, ty, out);
                let var = self.declare(&ident, ty, Origin::Local);
                if let Some(rhs) = rhs {
                    out.push(Stmt::Let {
                        var,
                        init: Some(rhs),
                    });
                }
            }
            None => {
                let var = self.declare(&ident, ty, Origin::Local);
                out.push(Stmt::Let { var, init: None });
            }
        }
    }

    /// The right-hand side of a `let` or assignment of a variable of type `ty`.
    fn rhs(&mut self, e: &SExpr, ty: Ty, out: &mut Vec<Stmt>) -> Option<Rhs> {
        match ty {
            Ty::Real => {
                if let Some(t) = self.ty_of(e) {
                    if t != Ty::Real {
                        self.errors.at(
                            e,
                            format!("expected a real (`f64`) value, found {}", ty_name(t)),
                        );
                        return None;
                    }
                }
                Some(Rhs::Real(self.real(e, out)))
            }
            Ty::RealVec => self.vector(e, out).map(Rhs::Vec),
            Ty::Int | Ty::Bool | Ty::Other => Some(Rhs::Opaque(self.opaque(e))),
        }
    }

    fn expr_stmt(&mut self, e: &SExpr, out: &mut Vec<Stmt>) {
        match e {
            SExpr::Assign(a) => self.assign(&a.left, None, &a.right, out),
            SExpr::Binary(b) => match compound_op(&b.op) {
                Some(op) => self.assign(&b.left, Some(op), &b.right, out),
                None => self.errors.at(
                    e,
                    "this expression has no effect: assign its value or remove it",
                ),
            },
            SExpr::MethodCall(mc) if mc.method == "push" => {
                let Some(v) = self
                    .path_var(&mc.receiver)
                    .filter(|&v| self.vars[v].ty == Ty::RealVec)
                else {
                    self.errors.at(
                        &mc.receiver,
                        "`push` is supported on `Vec<f64>` locals only",
                    );
                    return;
                };
                if mc.args.len() != 1 {
                    self.errors.at(mc, "`push` takes one value");
                    return;
                }
                let value = self.real(&mc.args[0], out);
                out.push(Stmt::Push { vec: v, value });
            }
            SExpr::ForLoop(f) => self.for_loop(f, out),
            SExpr::While(w) => {
                if let SExpr::Let(l) = &*w.cond {
                    self.errors.at(
                        l,
                        "`while let` is not supported: use `while` with an integer condition",
                    );
                    return;
                }
                if let Some(label) = &w.label {
                    self.errors.at(label, "loop labels are not supported");
                }
                let cond = self.opaque(&w.cond);
                let body = self.block(&w.body.stmts, Tail::None);
                out.push(Stmt::While { cond, body });
            }
            SExpr::If(i) => self.if_stmt(i, None, out),
            SExpr::Block(b) => {
                if let Some(label) = &b.label {
                    self.errors.at(label, "block labels are not supported");
                }
                let body = self.block(&b.block.stmts, Tail::None);
                out.push(Stmt::Block(body));
            }
            SExpr::Return(r) => self.ret(r.expr.as_deref(), e, out),
            // A call for its effect on an output argument; one whose value is dropped
            // has none (calls are pure), so the derivative code leaves it out.
            SExpr::Call(_) => {
                if let Some(call) = self.call(e, out) {
                    if call.args.iter().any(|a| matches!(a, Arg::Out(_))) {
                        out.push(Stmt::Call {
                            results: vec![],
                            declare: false,
                            call,
                        });
                    }
                }
            }
            other => self.unsupported(other),
        }
    }

    fn assign(&mut self, left: &SExpr, op: Option<Op>, right: &SExpr, out: &mut Vec<Stmt>) {
        match left {
            SExpr::Index(ix) => {
                let Some(v) = self.path_var(&ix.expr) else {
                    self.errors.at(
                        &ix.expr,
                        "only a named vector can be indexed on the left of `=`, as in `y[i] = ...`",
                    );
                    return;
                };
                if self.vars[v].ty != Ty::RealVec {
                    self.errors.at(left, "indexed assignment is supported on real vectors (`Vec<f64>`, `&mut [f64]`) only");
                    return;
                }
                let index = self.opaque(&ix.index);
                let rhs = self.real(right, out);
                let value = match op {
                    Some(op) => Expr::app(op, vec![Expr::Index(v, index.clone()), rhs]),
                    None => rhs,
                };
                out.push(Stmt::Store {
                    vec: v,
                    index,
                    value,
                });
            }
            _ => {
                let Some(v) = self.path_var(left) else {
                    self.errors.at(
                        left,
                        "unsupported assignment target: assign to a local variable or to `v[i]`",
                    );
                    return;
                };
                let ty = self.vars[v].ty;
                match (ty, op) {
                    (Ty::Real, Some(op)) => {
                        let rhs = self.real(right, out);
                        out.push(Stmt::Assign {
                            var: v,
                            rhs: Rhs::Real(Expr::app(op, vec![Expr::Var(v), rhs])),
                        });
                    }
                    (Ty::Int, Some(op)) => {
                        let r = self.opaque(right);
                        let name = &self.vars[v].name;
                        let op = op_token(op);
                        let mut reads = r.reads.clone();
                        reads.push(v);
                        let t = &r.tokens;
                        out.push(Stmt::Assign {
                            var: v,
                            rhs: Rhs::Opaque(Opaque {
                                tokens: quote!(#name #op (#t)),
                                reads,
                                span: right.span(),
                            }),
                        });
                    }
                    (_, Some(_)) => self.errors.at(
                        left,
                        format!("compound assignment is not supported on {}", ty_name(ty)),
                    ),
                    // A vector result replaces the vector: it is made in a new one and
                    // moved in, as `y = z` is.
                    (Ty::RealVec, None) if is_call(right) && !is_builtin_call(right) => {
                        if let Some(call) = self.call(right, out) {
                            let t = self.temp(Ty::RealVec);
                            out.push(Stmt::Call {
                                results: vec![t],
                                declare: true,
                                call,
                            });
                            out.push(Stmt::Assign {
                                var: v,
                                rhs: Rhs::Vec(VecExpr::Move(t)),
                            });
                        }
                    }
                    (_, None) if is_call(right) && !is_builtin_call(right) => {
                        if let Some(call) = self.call(right, out) {
                            out.push(Stmt::Call {
                                results: vec![v],
                                declare: false,
                                call,
                            });
                        }
                    }
                    (_, None) => {
                        if let Some(rhs) = self.rhs(right, ty, out) {
                            out.push(Stmt::Assign { var: v, rhs });
                        }
                    }
                }
            }
        }
    }

    fn for_loop(&mut self, f: &syn::ExprForLoop, out: &mut Vec<Stmt>) {
        if let Some(label) = &f.label {
            self.errors.at(label, "loop labels are not supported");
        }
        let ident = match &*f.pat {
            Pat::Ident(pi) if pi.subpat.is_none() => pi.ident.clone(),
            Pat::Wild(w) => Ident::new("_i", w.span()),
            other => {
                self.errors.at(
                    other,
                    "loop patterns are not supported: write `for i in a..b`",
                );
                return;
            }
        };
        let Some(range) = self.range(&f.expr) else {
            return;
        };
        let (var, body) = self.scoped(|l| {
            let var = l.declare(&ident, Ty::Int, Origin::Local);
            let body = l.block(&f.body.stmts, Tail::None);
            (var, body)
        });
        out.push(Stmt::For { var, range, body });
    }

    /// `a..b`, `a..=b`, `(a..b).rev()`, `(a..b).step_by(s)`.
    fn range(&mut self, e: &SExpr) -> Option<Range> {
        match e {
            SExpr::Paren(p) => self.range(&p.expr),
            SExpr::Group(g) => self.range(&g.expr),
            SExpr::Range(r) => {
                let (Some(start), Some(end)) = (&r.start, &r.end) else {
                    self.errors.at(
                        e,
                        "open ranges are not supported in `for`: give both ends, as in `0..n`",
                    );
                    return None;
                };
                Some(Range {
                    start: self.opaque(start),
                    end: self.opaque(end),
                    inclusive: matches!(r.limits, syn::RangeLimits::Closed(_)),
                    adapters: Vec::new(),
                })
            }
            SExpr::MethodCall(mc) if mc.method == "rev" && mc.args.is_empty() => {
                let mut r = self.range(&mc.receiver)?;
                r.adapters.push(Adapter::Rev);
                Some(r)
            }
            SExpr::MethodCall(mc) if mc.method == "step_by" && mc.args.len() == 1 => {
                let mut r = self.range(&mc.receiver)?;
                let s = self.opaque(&mc.args[0]);
                r.adapters.push(Adapter::StepBy(s));
                Some(r)
            }
            _ => {
                self.errors.at(e, "this iterator is not supported by #[sparse_diff]: iterate over a range `a..b` or a slice (`x.iter()`, `iter_mut()`, `windows(k)`, `chunks(k)`, `chunks_exact(k)`), with `zip`, `enumerate`, `skip`, `take`, `step_by`, `rev`, `map` and `filter`");
                None
            }
        }
    }

    fn if_stmt(&mut self, i: &syn::ExprIf, value: Option<VarId>, out: &mut Vec<Stmt>) {
        if let SExpr::Let(l) = &*i.cond {
            self.errors
                .at(l, "`if let` is not supported: use `if` with a condition");
            return;
        }
        let tail = match value {
            Some(v) => Tail::Assign(v),
            None => Tail::None,
        };
        let cond = self.opaque(&i.cond);
        let then = self.block(&i.then_branch.stmts, tail);
        let els = match &i.else_branch {
            None => {
                if value.is_some() {
                    self.errors.at(i, "an `if` used as a value needs an `else`");
                }
                Vec::new()
            }
            Some((_, e)) => match &**e {
                SExpr::If(inner) => {
                    let mut v = Vec::new();
                    self.scoped(|l| l.if_stmt(inner, value, &mut v));
                    v
                }
                SExpr::Block(b) => self.block(&b.block.stmts, tail),
                other => {
                    self.unsupported(other);
                    Vec::new()
                }
            },
        };
        out.push(Stmt::If { cond, then, els });
    }

    fn ret(&mut self, e: Option<&SExpr>, whole: &SExpr, out: &mut Vec<Stmt>) {
        match (self.output, e) {
            (Output::Param(_), None) => out.push(Stmt::Return(None)),
            (Output::Param(_), Some(e)) => {
                if !matches!(e, SExpr::Tuple(t) if t.elems.is_empty()) {
                    self.errors.at(e, "this function writes its output parameter and returns nothing: remove the returned value");
                }
                out.push(Stmt::Return(None));
            }
            (_, None) => self.errors.at(whole, "a value must be returned here"),
            (Output::Scalar, Some(e)) => {
                let v = match self.path_var(e) {
                    Some(v) if self.vars[v].ty == Ty::Real => v,
                    _ => {
                        let value = self.real(e, out);
                        let t = self.temp(Ty::Real);
                        out.push(Stmt::Let {
                            var: t,
                            init: Some(Rhs::Real(value)),
                        });
                        t
                    }
                };
                out.push(Stmt::Return(Some(v)));
            }
            (Output::Vector, Some(e)) => {
                let v = match self.path_var(e) {
                    Some(v)
                        if self.vars[v].ty == Ty::RealVec
                            && self.vars[v].origin == Origin::Local =>
                    {
                        v
                    }
                    _ if is_call(e) && !is_builtin_call(e) => {
                        let Some(call) = self.call(e, out) else {
                            return;
                        };
                        let t = self.temp(Ty::RealVec);
                        out.push(Stmt::Call {
                            results: vec![t],
                            declare: true,
                            call,
                        });
                        t
                    }
                    _ => {
                        let Some(value) = self.vector(e, out) else {
                            return;
                        };
                        let t = self.temp(Ty::RealVec);
                        out.push(Stmt::Let {
                            var: t,
                            init: Some(Rhs::Vec(value)),
                        });
                        t
                    }
                };
                out.push(Stmt::Return(Some(v)));
            }
        }
    }

    // ----- calls ----------------------------------------------------------------------

    fn call(&mut self, e: &SExpr, _out: &mut [Stmt]) -> Option<Call> {
        let SExpr::Call(c) = e else {
            self.unsupported(e);
            return None;
        };
        let SExpr::Path(p) = &*c.func else {
            self.errors
                .at(&c.func, "only calls of named functions are supported");
            return None;
        };
        if p.qself.is_some() {
            self.errors.at(p, "qualified calls are not supported");
            return None;
        }
        let args = c
            .args
            .iter()
            .map(|a| match a {
                SExpr::Reference(r) => match self.path_var(&r.expr) {
                    Some(v) if self.vars[v].ty == Ty::RealVec => {
                        if r.mutability.is_some() {
                            Arg::Out(v)
                        } else {
                            Arg::Vec(v)
                        }
                    }
                    _ => Arg::Other(self.opaque(a)),
                },
                _ => match self.path_var(a) {
                    Some(v) if self.vars[v].ty == Ty::RealVec => Arg::Vec(v),
                    _ => Arg::Other(self.opaque(a)),
                },
            })
            .collect();
        Some(Call {
            path: p.path.clone(),
            args,
            kind: CallKind::Plain,
            span: e.span(),
        })
    }

    // ----- real expressions ------------------------------------------------------------

    /// A real-valued expression as a tree; calls and `if` values are hoisted into
    /// statements before it.
    fn real(&mut self, e: &SExpr, out: &mut Vec<Stmt>) -> Expr {
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
                    BinOp::Rem(_) => {
                        self.errors.at(e, "the remainder `%` of reals is not supported: compute it from `floor`, as in `a - b * (a / b).floor()`");
                        return Expr::Lit(0.0);
                    }
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
        if name == "powi" {
            if args.len() != 2 {
                self.errors.at(whole, "`powi` takes one integer exponent");
                return Expr::Lit(0.0);
            }
            let base = self.real(&args[0], out);
            let n = self.opaque(&args[1]);
            return Expr::Powi(Box::new(base), n);
        }
        let Some(rule) = rules::method(name) else {
            if !self.reads_reals(whole) {
                // A method of a constant (`p.rate(t)`): a real of no real variable.
                return Expr::Const(self.opaque(whole));
            }
            self.errors.at(
                whole,
                format!(
                    "the method `{name}` is not supported on reals by #[sparse_diff]; supported: {}",
                    rules::method_names().join(", ")
                ),
            );
            return Expr::Lit(0.0);
        };
        if args.len() != rule.arity {
            self.errors.at(
                whole,
                format!("`{name}` takes {} argument(s)", rule.arity - 1),
            );
            return Expr::Lit(0.0);
        }
        let args = args.iter().map(|a| self.real(a, out)).collect();
        Expr::app(rule.op, args)
    }

    // ----- vectors -----------------------------------------------------------------------

    fn vector(&mut self, e: &SExpr, out: &mut Vec<Stmt>) -> Option<VecExpr> {
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
                    if matches!(self.vars[v].origin, Origin::Param(_)) {
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
                self.errors.at(other, "unsupported vector expression: build vectors with `vec![v; n]`, `vec![a, b]`, `Vec::new()`, `Vec::with_capacity(n)` or `x.to_vec()`");
                None
            }
        }
    }

    // ----- integer and boolean expressions -------------------------------------------------

    /// An expression kept as written: checked against the subset, with shadowed locals
    /// renamed and the variables it reads recorded.
    fn opaque(&mut self, e: &SExpr) -> Opaque {
        let mut reads = Vec::new();
        let tokens = self.opaque_tokens(e, &mut reads);
        reads.sort_unstable();
        reads.dedup();
        Opaque {
            tokens,
            reads,
            span: e.span(),
        }
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
                if let UnOp::Deref(_) = u.op {
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
                let constant = !self.reads_reals(&mc.receiver);
                if !constant
                    && name != "len"
                    && name != "powi"
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
                        self.errors
                            .at(other, "only calls of named functions are supported");
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
            SExpr::Field(f) => {
                let base = self.opaque_tokens(&f.base, reads);
                let member = &f.member;
                quote!(#base.#member)
            }
            SExpr::Tuple(syn::ExprTuple { elems, .. })
            | SExpr::Array(syn::ExprArray { elems, .. }) => {
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
                self.errors.at(b, "a block used as an integer value is one expression here: compute the statements before it");
                quote!({ 0 })
            }
        }
    }

    // ----- errors ---------------------------------------------------------------------------

    fn unsupported_macro(&mut self, m: &syn::Macro) {
        let name = m
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        self.errors.at(m, format!("the macro `{name}!` is not supported inside #[sparse_diff]: only `vec!` is; move other macros out of the differentiated function"));
    }

    fn unsupported(&mut self, e: &SExpr) {
        let msg = match e {
            SExpr::Closure(_) => "closures are not supported by #[sparse_diff]: write a `for` loop, or a separate #[sparse_diff] function".to_string(),
            SExpr::Match(_) => "`match` is not supported by #[sparse_diff]: use `if` / `else if` / `else`".to_string(),
            SExpr::Loop(_) => "`loop` is not supported by #[sparse_diff]: use `for i in a..b` or `while` with an integer condition".to_string(),
            SExpr::Break(_) => "`break` is not supported by #[sparse_diff]: use a `while` loop with an integer condition, or `return`".to_string(),
            SExpr::Continue(_) => "`continue` is not supported by #[sparse_diff]: put the rest of the loop body under an `if`".to_string(),
            SExpr::Unsafe(_) => "`unsafe` blocks are not supported by #[sparse_diff]".to_string(),
            SExpr::Async(_) | SExpr::Await(_) => "`async` is not supported by #[sparse_diff]".to_string(),
            SExpr::Macro(m) => {
                let name = m.mac.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
                format!("the macro `{name}!` is not supported inside #[sparse_diff]: only `vec!` is")
            }
            SExpr::MethodCall(mc) => format!(
                "the method `{}` is not supported by #[sparse_diff]: iterator adapters and other methods have no derivative rule; write a `for` loop over indices",
                mc.method
            ),
            SExpr::Tuple(_) => "tuples are not supported by #[sparse_diff]".to_string(),
            SExpr::Field(_) => "field access is not supported by #[sparse_diff]: pass the values as parameters".to_string(),
            SExpr::Range(_) => "a range is only supported as the iterator of a `for` loop".to_string(),
            SExpr::Let(_) => "`let` expressions are not supported".to_string(),
            SExpr::Array(_) => "arrays are not supported by #[sparse_diff]: use `vec![a, b, c]`".to_string(),
            SExpr::Struct(_) => "struct literals are not supported by #[sparse_diff]".to_string(),
            SExpr::Try(_) => "`?` is not supported by #[sparse_diff]".to_string(),
            _ => "this expression is not supported by #[sparse_diff]".to_string(),
        };
        self.errors.at(e, msg);
    }
}

/// The body of `vec![...]`.
enum VecMacro {
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

/// Whether the statements mention `name` at all (in `vec![..]` too).
fn mentioned(name: &Ident, rest: &[SStmt]) -> bool {
    rest.iter().any(|s| {
        s.to_token_stream()
            .into_iter()
            .any(|t| mentions_tree(&t, name))
    })
}

fn mentions_tree(t: &proc_macro2::TokenTree, name: &Ident) -> bool {
    match t {
        proc_macro2::TokenTree::Ident(i) => i == name,
        proc_macro2::TokenTree::Group(g) => g.stream().into_iter().any(|t| mentions_tree(&t, name)),
        _ => false,
    }
}

/// Whether the statements assign to `name`, store into it or push to it.
fn written(name: &Ident, rest: &[SStmt]) -> bool {
    struct Writes<'a>(&'a Ident, bool);
    impl<'ast> Visit<'ast> for Writes<'_> {
        fn visit_expr(&mut self, e: &'ast SExpr) {
            let is_name = |e: &SExpr| match e {
                SExpr::Path(p) => p.path.is_ident(self.0),
                SExpr::Index(ix) => matches!(&*ix.expr, SExpr::Path(p) if p.path.is_ident(self.0)),
                _ => false,
            };
            match e {
                SExpr::Assign(a) if is_name(&a.left) => self.1 = true,
                SExpr::Binary(b) if compound_op(&b.op).is_some() && is_name(&b.left) => {
                    self.1 = true
                }
                SExpr::MethodCall(mc) if mc.method == "push" && is_name(&mc.receiver) => {
                    self.1 = true
                }
                _ => {}
            }
            syn::visit::visit_expr(self, e);
        }
    }
    let mut w = Writes(name, false);
    rest.iter().for_each(|s| w.visit_stmt(s));
    w.1
}

fn path_is(p: &syn::Path, segs: &[&str]) -> bool {
    p.segments.len() == segs.len() && p.segments.iter().zip(segs).all(|(s, n)| s.ident == n)
}

fn is_f64_const(p: &syn::Path) -> bool {
    let segs: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
    let last = segs.last().map(String::as_str).unwrap_or("");
    rules::F64_CONSTS.contains(&last)
        && (segs.len() == 1 || segs.iter().any(|s| s == "f64" || s == "consts"))
}

fn is_call(e: &SExpr) -> bool {
    matches!(e, SExpr::Call(_))
}

/// `Vec::new()`, `f64::sin(x)`, `erf(x)`: calls that are not calls of user functions.
fn is_builtin_call(e: &SExpr) -> bool {
    match e {
        SExpr::Call(c) => matches!(&*c.func, SExpr::Path(p)
            if path_is(&p.path, &["Vec", "new"]) || path_is(&p.path, &["Vec", "with_capacity"])
            || (p.path.segments.len() == 2 && p.path.segments[0].ident == "f64")
            || math_function(&p.path).is_some()),
        _ => false,
    }
}

/// The row of a call of a table function: `erf`, or a path to it in `asd::math`
/// (`libm` and `statrs` name the same functions).
fn math_function(p: &syn::Path) -> Option<&'static rules::Rule> {
    let last = p.segments.last()?.ident.to_string();
    let first = p.segments.first()?.ident.to_string();
    let known =
        p.segments.len() == 1 || ["asd", "math", "libm", "statrs"].contains(&first.as_str());
    known.then(|| rules::function(&last)).flatten()
}

fn is_statement_like(e: &SExpr) -> bool {
    matches!(
        e,
        SExpr::ForLoop(_) | SExpr::While(_) | SExpr::Loop(_) | SExpr::Assign(_) | SExpr::Return(_)
    ) || matches!(e, SExpr::If(i) if i.else_branch.is_none())
        || matches!(e, SExpr::Binary(b) if compound_op(&b.op).is_some())
}

fn block_tail(b: &syn::Block) -> Option<&SExpr> {
    match b.stmts.last() {
        Some(SStmt::Expr(e, None)) => Some(e),
        _ => None,
    }
}

fn compound_op(op: &BinOp) -> Option<Op> {
    match op {
        BinOp::AddAssign(_) => Some(Op::Add),
        BinOp::SubAssign(_) => Some(Op::Sub),
        BinOp::MulAssign(_) => Some(Op::Mul),
        BinOp::DivAssign(_) => Some(Op::Div),
        _ => None,
    }
}

fn op_token(op: Op) -> TokenStream {
    match op {
        Op::Add => quote!(+),
        Op::Sub => quote!(-),
        Op::Mul => quote!(*),
        _ => quote!(/),
    }
}

fn ty_name(t: Ty) -> &'static str {
    match t {
        Ty::Real => "a real (`f64`)",
        Ty::RealVec => "a real vector",
        Ty::Int => "an integer",
        Ty::Bool => "a `bool`",
        Ty::Other => "a constant slice",
    }
}

/// What to say about an initializer whose kind the language has no place for, rather
/// than "cannot tell its type".
fn unsupported_initializer(e: &SExpr) -> Option<&'static str> {
    Some(match e {
        SExpr::Tuple(_) => "a tuple of reals is not supported as one value: destructure it, as in `let (a, b) = (x[0], x[1]);`",
        SExpr::Array(_) | SExpr::Repeat(_) => {
            "arrays are not supported by #[sparse_diff]: write `vec![a, b, c]` or `vec![v; n]`"
        }
        SExpr::Unsafe(_) => "`unsafe` blocks are not supported by #[sparse_diff]: index with `x[i]`",
        SExpr::Match(_) => {
            "`match` is not supported by #[sparse_diff]: write `if` / `else if` / `else` on integer conditions"
        }
        SExpr::Closure(_) => "closures are not supported by #[sparse_diff]: write the computation inline or in another #[sparse_diff] function",
        _ => return None,
    })
}
