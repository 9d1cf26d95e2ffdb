//! Control flow: `for` over integer ranges, `if` (as a statement or a value) and
//! `return`.

use syn::spanned::Spanned;
use syn::{Expr as SExpr, Ident, Pat};

use super::reals::is_call;
use super::unsupported::LABEL;
use super::{Lowerer, Tail};
use crate::ir::*;

impl Lowerer<'_> {
    pub(super) fn for_loop(&mut self, f: &syn::ExprForLoop, out: &mut Vec<Stmt>) {
        if let Some(label) = &f.label {
            self.errors.at(label, LABEL);
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
        let wild = matches!(&*f.pat, Pat::Wild(_));
        let (var, body) = self.scoped(|l| {
            let var = l.declare(&ident, Ty::Int, Origin::Local);
            if wild {
                // `for _ in`: a variable the body cannot name (its `_i` is its own).
                l.scopes
                    .last_mut()
                    .expect("a scope")
                    .remove(&ident.to_string());
            }
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

    pub(super) fn if_stmt(&mut self, i: &syn::ExprIf, value: Option<VarId>, out: &mut Vec<Stmt>) {
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

    pub(super) fn ret(&mut self, e: Option<&SExpr>, whole: &SExpr, out: &mut Vec<Stmt>) {
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
                    _ if is_call(e) && !self.is_builtin_call(e) => {
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
}
