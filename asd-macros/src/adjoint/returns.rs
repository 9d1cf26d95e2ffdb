//! Return elimination, before the sweeps: `return v` becomes `ret = v; done = true;`
//! and what may follow it runs under `if !done`.

use quote::quote;

use super::Adjoint;
use crate::ir::*;

fn contains_return(s: &Stmt) -> bool {
    let mut found = false;
    visit_stmts(std::slice::from_ref(s), &mut |s| {
        found |= matches!(s, Stmt::Return(_))
    });
    found
}

impl Adjoint {
    /// `return v` becomes `ret = v; done = true;`, and what follows a statement that may
    /// have returned runs under `if !done`.
    pub(super) fn eliminate_returns(&mut self, body: &[Stmt]) -> Vec<Stmt> {
        let mut out = Vec::new();
        for (k, s) in body.iter().enumerate() {
            out.push(self.eliminate_in(s));
            if contains_return(s) && k + 1 < body.len() {
                let done = self.name(self.done).clone();
                let rest = self.eliminate_returns(&body[k + 1..]);
                let cond = Opaque::new(quote!(!#done), vec![self.done]);
                out.push(Stmt::If {
                    cond,
                    then: rest,
                    els: Vec::new(),
                });
                break;
            }
        }
        out
    }

    fn eliminate_in(&mut self, s: &Stmt) -> Stmt {
        match s {
            Stmt::Return(v) => {
                let mut stmts = Vec::new();
                if let (Some(v), Some(r)) = (v, self.ret) {
                    let rhs = match self.f.vars[r].ty {
                        Ty::Real => Rhs::Real(Expr::Var(*v)),
                        _ => Rhs::Vec(VecExpr::Copy(*v)),
                    };
                    stmts.push(Stmt::Assign { var: r, rhs });
                }
                if let (Some(v), Some(rd)) = (v, self.ret_d) {
                    let n = self.name(*v).clone();
                    let rhs = match (self.f.vars[rd].ty, self.f.vars[*v].deriv) {
                        (Ty::Real, Some(d)) => Rhs::Real(Expr::Var(d)),
                        (Ty::Real, None) => Rhs::Real(Expr::lit(0.0)),
                        (_, Some(d)) => Rhs::Vec(VecExpr::Copy(d)),
                        (_, None) => Rhs::Vec(VecExpr::Filled(
                            Expr::lit(0.0),
                            Opaque::new(quote!(#n.len()), vec![]),
                        )),
                    };
                    stmts.push(Stmt::Assign { var: rd, rhs });
                }
                let t = Opaque::new(quote!(true), vec![]);
                stmts.push(Stmt::Assign {
                    var: self.done,
                    rhs: Rhs::Opaque(t),
                });
                Stmt::Block(stmts)
            }
            s => s
                .clone()
                .map_bodies(&mut |body| self.eliminate_returns(body)),
        }
    }
}
