//! Type inference for locals: from an expression's shape, from an annotation, or from
//! how a variable is used afterwards.

use syn::visit::Visit;
use syn::{BinOp, Expr as SExpr, Ident, Lit, Stmt as SStmt, Type, UnOp};

use super::reals::{math_function, path_is, VecMacro};
use super::Lowerer;
use crate::ir::*;
use crate::parse::{is_type, is_vec_of, INT_TYPES};
use crate::rules;

impl Lowerer<'_> {
    /// The type of an expression, from its shape and the types of the variables it
    /// reads; `None` where only its use can tell (the result of a call).
    pub(super) fn ty_of(&self, e: &SExpr) -> Option<Ty> {
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
            // `[a, b]` and `[v; n]` of reals are real vectors.
            SExpr::Array(a) if a.elems.iter().any(|e| self.ty_of(e) == Some(Ty::Real)) => {
                Ty::RealVec
            }
            SExpr::Repeat(r) if self.ty_of(&r.expr) == Some(Ty::Real) => Ty::RealVec,
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
                    // Arithmetic on calls that read reals (`g(x[0]) + g(c)`): reals.
                    (None, None) if self.reads_reals(e) => Ty::Real,
                    (None, None) => return None,
                },
            },
            SExpr::Unary(u) => match u.op {
                UnOp::Not(_) => return self.ty_of(&u.expr).or(Some(Ty::Bool)),
                // `*k` of a constant behind a reference (a variant's field bound by
                // reference, `&f64`): of the type its use says.
                UnOp::Deref(_) if self.ty_of(&u.expr) == Some(Ty::Other) => return None,
                _ => return self.ty_of(&u.expr),
            },
            SExpr::Cast(c) => match &*c.ty {
                t if is_type(t, "f64") || is_type(t, "f32") => Ty::Real,
                t if INT_TYPES.iter().any(|n| is_type(t, n)) => Ty::Int,
                _ => Ty::Other,
            },
            SExpr::Index(ix) => {
                let v = self.path_var(&ix.expr);
                match v.map(|v| self.vars[v].ty) {
                    // `x[a..b]`: a slice of it.
                    Some(t @ (Ty::RealVec | Ty::Other))
                        if matches!(&*ix.index, SExpr::Range(_)) =>
                    {
                        t
                    }
                    Some(Ty::RealVec) => Ty::Real,
                    // An element of a slice of records (`tb[k]` of `&[(f64, f64)]`): of
                    // the type its use says; of anything else, an index.
                    Some(Ty::Other) if v.is_some_and(|v| self.records.contains(&v)) => return None,
                    Some(Ty::Other) => Ty::Int,
                    _ => return None,
                }
            }
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
                    _ if rules::method(&name).is_some() => {
                        // `max`, `min`, `abs`, `rem_euclid` work on integers too: follow
                        // the receiver.
                        match self.ty_of(&mc.receiver) {
                            Some(Ty::Int)
                                if matches!(
                                    name.as_str(),
                                    "max" | "min" | "abs" | "rem_euclid"
                                ) =>
                            {
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
                        || math_function(&p.path).is_some()
                        || self.user_rule(&p.path).is_some() =>
                {
                    Ty::Real
                }
                _ => return None,
            },
            // A branch's tail may name what the branch declares: then the other's.
            SExpr::If(i) => {
                return (block_tail(&i.then_branch).and_then(|t| self.ty_of(t)))
                    .or_else(|| i.else_branch.as_ref().and_then(|(_, e)| self.ty_of(e)));
            }
            SExpr::Block(b) => return block_tail(&b.block).and_then(|t| self.ty_of(t)),
            _ => return None,
        })
    }

    /// The type of `let name = <call>;` from how `name` is used afterwards: indexed,
    /// borrowed or measured means a vector, a field read a constant tuple or struct,
    /// otherwise a real.
    pub(super) fn ty_from_use(&self, name: &Ident, rest: &[SStmt]) -> Ty {
        struct Uses<'a> {
            name: &'a Ident,
            vector: bool,
            fields: bool,
            /// Cast (`k as f64`), an index (`v[k]`) or a range's bound (`0..k`): an
            /// integer.
            integer: bool,
            /// The function returns a vector: so is a name it returns.
            returns_vector: bool,
        }
        impl<'ast> Visit<'ast> for Uses<'_> {
            fn visit_macro(&mut self, m: &'ast syn::Macro) {
                vec_macro_exprs(m).iter().for_each(|e| self.visit_expr(e));
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
                    SExpr::Cast(c) if is_name(&c.expr) => self.integer = true,
                    SExpr::Index(ix) if is_name(&ix.index) => self.integer = true,
                    SExpr::Range(r)
                        if r.start.as_deref().is_some_and(is_name)
                            || r.end.as_deref().is_some_and(is_name) =>
                    {
                        self.integer = true
                    }
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
            integer: false,
            returns_vector: self.output == Output::Vector,
        };
        for s in rest {
            u.visit_stmt(s);
        }
        // The body's value: a vector if the function returns one.
        if let Some(SStmt::Expr(e, None)) = rest.last() {
            u.vector |= u.returns_vector && yields(e, name);
        }
        match (u.fields, u.vector, u.integer) {
            // A tuple or a struct: only a constant is supported.
            (true, _, _) => Ty::Other,
            (false, true, _) => Ty::RealVec,
            (false, false, true) => Ty::Int,
            (false, false, false) => Ty::Real,
        }
    }

    /// Whether `e` names a real or a real vector: a value that may carry derivatives.
    pub(super) fn reads_reals(&self, e: &SExpr) -> bool {
        self.reads_reals_but(e, false)
    }

    /// Whether `e` reads a real that is not a constant parameter: one that may be
    /// differentiated.
    pub(super) fn reads_varying_reals(&self, e: &SExpr) -> bool {
        self.reads_reals_but(e, true)
    }

    fn reads_reals_but(&self, e: &SExpr, constants: bool) -> bool {
        struct Finds<'a, 'e>(&'a Lowerer<'e>, bool, bool);
        impl<'ast> Visit<'ast> for Finds<'_, '_> {
            // `vec![x[0], 1.0]`, `vec![v; n]`: what the vector holds.
            fn visit_macro(&mut self, m: &'ast syn::Macro) {
                if m.path.is_ident("vec") {
                    vec_macro_exprs(m).iter().for_each(|e| self.visit_expr(e));
                }
            }
            fn visit_path(&mut self, p: &'ast syn::Path) {
                if let Some(v) = p.get_ident().and_then(|i| self.0.lookup(&i.to_string())) {
                    let skipped = self.2 && self.0.constants.contains(&v);
                    self.1 |= self.0.vars[v].ty.is_real() && !skipped;
                }
                syn::visit::visit_path(self, p);
            }
        }
        let mut f = Finds(self, false, constants);
        f.visit_expr(e);
        f.1
    }

    pub(super) fn ty_of_annotation(&mut self, ty: &Type) -> Option<Ty> {
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
}

fn is_f64_const(p: &syn::Path) -> bool {
    let segs: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
    let last = segs.last().map(String::as_str).unwrap_or("");
    rules::F64_CONSTS.contains(&last)
        && (segs.len() == 1 || segs.iter().any(|s| s == "f64" || s == "consts"))
}

/// Whether `e`'s value is the variable `name`: the name itself, or an `if` or a block
/// one of whose values is.
fn yields(e: &SExpr, name: &Ident) -> bool {
    match e {
        SExpr::Path(p) => p.path.is_ident(name),
        SExpr::Paren(p) => yields(&p.expr, name),
        SExpr::Block(b) => block_tail(&b.block).is_some_and(|t| yields(t, name)),
        SExpr::If(i) => {
            block_tail(&i.then_branch).is_some_and(|t| yields(t, name))
                || i.else_branch.as_ref().is_some_and(|(_, e)| yields(e, name))
        }
        _ => false,
    }
}

/// What a `vec!` holds (`vec![a, b]`: `a`, `b`; `vec![v; n]`: `v`, `n`), for the
/// visitors, which do not look into macros; nothing if it is not one.
fn vec_macro_exprs(m: &syn::Macro) -> Vec<SExpr> {
    match m.parse_body::<VecMacro>() {
        Ok(VecMacro::List(items)) => items,
        Ok(VecMacro::Repeat(value, len)) => vec![*value, *len],
        Err(_) => Vec::new(),
    }
}

fn block_tail(b: &syn::Block) -> Option<&SExpr> {
    match b.stmts.last() {
        Some(SStmt::Expr(e, None)) => Some(e),
        _ => None,
    }
}

pub(super) fn ty_name(t: Ty) -> &'static str {
    match t {
        Ty::Real => "a real (`f64`)",
        Ty::RealVec => "a real vector",
        Ty::Int => "an integer",
        Ty::Bool => "a `bool`",
        Ty::Other => "a constant of another type (a slice, a struct, a field of one)",
    }
}

/// Whether `ty` is a slice, array or `Vec` (or a reference to one) of tuples or named
/// types other than numbers, `bool`, `Vec` and `Option`: `&[(f64, f64)]`, `&[Spring]`,
/// `&[Link]` (an alias of an integer type too, which the macro cannot tell).
pub(super) fn holds_records(ty: &Type) -> bool {
    let element = match ty {
        Type::Reference(r) => return holds_records(&r.elem),
        Type::Slice(s) => &*s.elem,
        Type::Array(a) => &*a.elem,
        t => match crate::parse::vec_element(t) {
            Some(t) => t,
            None => return false,
        },
    };
    match element {
        Type::Tuple(t) => !t.elems.is_empty(),
        Type::Path(p) => p.path.segments.last().is_some_and(|last| {
            !["f64", "f32", "bool", "Vec", "Option"]
                .iter()
                .chain(INT_TYPES)
                .any(|n| last.ident == n)
        }),
        _ => false,
    }
}
