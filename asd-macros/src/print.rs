//! A readable printout of the IR, for tests: one statement a line, nested bodies
//! indented, variables by name, every declaration with its type.
//!
//! ```text
//! fn(x: RealVec active, k: Int) -> RealVec
//! let y: RealVec = copy(x)
//! for _i in 0..k {
//!     let z: RealVec = vec![0.0; y.len() - 1]
//!     for i in 0..y.len() - 1 {
//!         z[i] = y[i + 1] - y[i]
//!     }
//!     y = move(z)
//! }
//! return y
//! ```
//!
//! Real expressions are printed as [`emit`](crate::emit) writes them, so parentheses
//! show the tree exactly where Rust's precedence would not.

use std::fmt::{self, Display, Formatter, Write};

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::{call_args, range_tokens, Emitter};
use crate::ir::*;

impl Display for Function {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| {
                let role = match p.role {
                    Role::Active => " active",
                    Role::Output => " output",
                    Role::Constant => "",
                };
                format!("{}{role}", self.decl(p.var))
            })
            .collect();
        write!(f, "fn({})", params.join(", "))?;
        match self.output {
            Output::Scalar => writeln!(f, " -> Real")?,
            Output::Vector => writeln!(f, " -> RealVec")?,
            Output::Param(_) => writeln!(f)?,
        }
        let mut out = String::new();
        self.stmts(&self.body, 0, &mut out);
        f.write_str(&out)
    }
}

impl Function {
    fn stmts(&self, body: &[Stmt], depth: usize, out: &mut String) {
        for s in body {
            self.stmt(s, depth, out);
        }
    }

    /// One statement and the bodies it holds, `depth` levels in.
    fn stmt(&self, s: &Stmt, depth: usize, out: &mut String) {
        let pad = "    ".repeat(depth);
        let mut line = |text: String| {
            let _ = writeln!(out, "{pad}{text}");
        };
        match s {
            Stmt::Let { var, init: None } => line(format!("let {}", self.decl(*var))),
            Stmt::Let {
                var,
                init: Some(rhs),
            } => line(format!("let {} = {}", self.decl(*var), self.rhs(rhs))),
            Stmt::Assign { var, rhs, .. } => {
                line(format!("{} = {}", self.name(*var), self.rhs(rhs)))
            }
            Stmt::Store { vec, index, value } => line(format!(
                "{}[{}] = {}",
                self.name(*vec),
                show(&index.tokens),
                self.expr(value)
            )),
            Stmt::Push { vec, value } => {
                line(format!("{}.push({})", self.name(*vec), self.expr(value)))
            }
            Stmt::Call {
                results,
                declare,
                call,
            } => {
                let path = &call.path;
                let args = call_args(self, &call.args);
                let mut text = show(&quote!(#path(#(#args),*)));
                if call.kind == CallKind::Tangent {
                    text = format!("tangent {text}");
                }
                let results: Vec<String> = results
                    .iter()
                    .map(|&r| if *declare { self.decl(r) } else { self.name(r) })
                    .collect();
                line(match (results.as_slice(), declare) {
                    ([], _) => text,
                    ([r], true) => format!("let {r} = {text}"),
                    ([r], false) => format!("{r} = {text}"),
                    (rs, true) => format!("let ({}) = {text}", rs.join(", ")),
                    (rs, false) => format!("({}) = {text}", rs.join(", ")),
                });
            }
            Stmt::For { var, range, body } => {
                let r = show(&range_tokens(range));
                line(format!("for {} in {r} {{", self.name(*var)));
                self.stmts(body, depth + 1, out);
                let _ = writeln!(out, "{pad}}}");
            }
            Stmt::While { cond, body } => {
                line(format!("while {} {{", show(&cond.tokens)));
                self.stmts(body, depth + 1, out);
                let _ = writeln!(out, "{pad}}}");
            }
            Stmt::If { cond, then, els } => {
                line(format!("if {} {{", show(&cond.tokens)));
                self.stmts(then, depth + 1, out);
                if !els.is_empty() {
                    let _ = writeln!(out, "{pad}}} else {{");
                    self.stmts(els, depth + 1, out);
                }
                let _ = writeln!(out, "{pad}}}");
            }
            Stmt::Return(Some(v)) => line(format!("return {}", self.name(*v))),
            Stmt::Return(None) => line("return".to_string()),
            Stmt::Block(body) => {
                line("{".to_string());
                self.stmts(body, depth + 1, out);
                let _ = writeln!(out, "{pad}}}");
            }
        }
    }

    fn rhs(&self, rhs: &Rhs) -> String {
        match rhs {
            Rhs::Real(e) => self.expr(e),
            Rhs::Opaque(o) => show(&o.tokens),
            Rhs::Vec(v) => match v {
                VecExpr::Filled(e, n) => format!("vec![{}; {}]", self.expr(e), show(&n.tokens)),
                VecExpr::Overwritten(n) => format!("overwritten({})", show(&n.tokens)),
                VecExpr::List(items) => {
                    let items: Vec<String> = items.iter().map(|e| self.expr(e)).collect();
                    format!("vec![{}]", items.join(", "))
                }
                VecExpr::Empty(None) => "Vec::new()".to_string(),
                VecExpr::Empty(Some(n)) => format!("Vec::with_capacity({})", show(&n.tokens)),
                VecExpr::Copy(u) => format!("copy({})", self.name(*u)),
                VecExpr::Move(u) => format!("move({})", self.name(*u)),
            },
        }
    }

    fn expr(&self, e: &Expr) -> String {
        show(&Emitter::new(self).expr(e).0)
    }

    fn name(&self, v: VarId) -> String {
        self.vars[v].name.to_string()
    }

    /// `name: Ty`
    fn decl(&self, v: VarId) -> String {
        format!("{}: {:?}", self.vars[v].name, self.vars[v].ty)
    }
}

/// Tokens as Rust source on one line, as rustfmt would space them (`y.len() - 1`, not
/// the token stream's own `y . len () - 1`).
fn show(tokens: &TokenStream) -> String {
    let Ok(e) = syn::parse2::<syn::Expr>(tokens.clone()) else {
        return tokens.to_string();
    };
    let file: syn::File = syn::parse_quote!(fn f() { #e });
    let text = prettyplease::unparse(&file);
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    // `fn f() {`, the expression (on one line or several), `}`.
    lines[1..lines.len() - 1].join(" ")
}
