//! The one table of rules. Every supported elementary operation is one row: how it is
//! written, its partial derivatives, which of them are globally zero, and its
//! second-order class. The tangent pass, the adjoint pass and both tracers read this
//! table and nothing else, so they cannot disagree; a new function is one row.

use crate::ir::Expr;

/// How a row's arguments interact at second order (Hessian sparsity).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Second {
    /// Linear or piecewise linear: no interactions of its own (`+`, `-`, `abs`, `max`).
    Linear,
    /// Every pair of arguments interacts, each with itself too (`sin`, `powf`, `hypot`).
    All,
    /// Only the first two arguments interact, with each other (`x * y`, `mul_add`).
    Cross,
    /// Nonlinear in the second argument only, which also interacts with the first (`x / y`).
    Divide,
}

/// An operation of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Neg,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Asinh,
    Acosh,
    Atanh,
    Exp,
    Exp2,
    ExpM1,
    Ln,
    Ln1p,
    Log10,
    Log2,
    Sqrt,
    Cbrt,
    Recip,
    Abs,
    Signum,
    Floor,
    Ceil,
    Round,
    Trunc,
    Powf,
    Max,
    Min,
    Hypot,
    Atan2,
    MulAdd,
    /// `1.0` where `a >= b`, else `0.0`: the derivative of `max` and `min`.
    Ge,
}

/// How an operation is written in Rust.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// `a + b`
    Infix(&'static str),
    /// `-a`
    Prefix(&'static str),
    /// `a.name(b, ..)`
    Method(&'static str),
    /// `if a >= b { 1.0 } else { 0.0 }`
    Step,
}

/// The partial derivatives of one row, as expressions in the arguments `a` and the
/// result `r`; `None` where the derivative is globally zero.
pub type Partials = fn(a: &[Expr], r: &Expr) -> Vec<Option<Expr>>;

pub struct Rule {
    pub op: Op,
    pub syntax: Syntax,
    pub arity: usize,
    pub partials: Partials,
    pub second: Second,
}

use Expr as E;
fn c(v: f64) -> Option<Expr> {
    Some(E::lit(v))
}
fn s(e: Expr) -> Option<Expr> {
    Some(e)
}
fn m(op: Op, a: &Expr) -> Expr {
    E::app(op, vec![a.clone()])
}
fn sq(a: &Expr) -> Expr {
    E::mul(a.clone(), a.clone())
}
fn inv(e: Expr) -> Expr {
    E::div(E::lit(1.0), e)
}

/// The table. Row order is the order `Op` lists them.
pub static RULES: &[Rule] = &[
    Rule {
        op: Op::Add,
        syntax: Syntax::Infix("+"),
        arity: 2,
        second: Second::Linear,
        partials: |_, _| vec![c(1.0), c(1.0)],
    },
    Rule {
        op: Op::Sub,
        syntax: Syntax::Infix("-"),
        arity: 2,
        second: Second::Linear,
        partials: |_, _| vec![c(1.0), c(-1.0)],
    },
    Rule {
        op: Op::Mul,
        syntax: Syntax::Infix("*"),
        arity: 2,
        second: Second::Cross,
        partials: |a, _| vec![s(a[1].clone()), s(a[0].clone())],
    },
    Rule {
        op: Op::Div,
        syntax: Syntax::Infix("/"),
        arity: 2,
        second: Second::Divide,
        partials: |a, r| {
            vec![
                s(inv(a[1].clone())),
                s(E::neg(E::div(r.clone(), a[1].clone()))),
            ]
        },
    },
    Rule {
        op: Op::Neg,
        syntax: Syntax::Prefix("-"),
        arity: 1,
        second: Second::Linear,
        partials: |_, _| vec![c(-1.0)],
    },
    Rule {
        op: Op::Sin,
        syntax: Syntax::Method("sin"),
        arity: 1,
        second: Second::All,
        partials: |a, _| vec![s(m(Op::Cos, &a[0]))],
    },
    Rule {
        op: Op::Cos,
        syntax: Syntax::Method("cos"),
        arity: 1,
        second: Second::All,
        partials: |a, _| vec![s(E::neg(m(Op::Sin, &a[0])))],
    },
    Rule {
        op: Op::Tan,
        syntax: Syntax::Method("tan"),
        arity: 1,
        second: Second::All,
        partials: |_, r| vec![s(E::add(E::lit(1.0), sq(r)))],
    },
    Rule {
        op: Op::Asin,
        syntax: Syntax::Method("asin"),
        arity: 1,
        second: Second::All,
        partials: |a, _| vec![s(inv(m(Op::Sqrt, &E::sub(E::lit(1.0), sq(&a[0])))))],
    },
    Rule {
        op: Op::Acos,
        syntax: Syntax::Method("acos"),
        arity: 1,
        second: Second::All,
        partials: |a, _| vec![s(E::neg(inv(m(Op::Sqrt, &E::sub(E::lit(1.0), sq(&a[0]))))))],
    },
    Rule {
        op: Op::Atan,
        syntax: Syntax::Method("atan"),
        arity: 1,
        second: Second::All,
        partials: |a, _| vec![s(inv(E::add(E::lit(1.0), sq(&a[0]))))],
    },
    Rule {
        op: Op::Sinh,
        syntax: Syntax::Method("sinh"),
        arity: 1,
        second: Second::All,
        partials: |a, _| vec![s(m(Op::Cosh, &a[0]))],
    },
    Rule {
        op: Op::Cosh,
        syntax: Syntax::Method("cosh"),
        arity: 1,
        second: Second::All,
        partials: |a, _| vec![s(m(Op::Sinh, &a[0]))],
    },
    Rule {
        op: Op::Tanh,
        syntax: Syntax::Method("tanh"),
        arity: 1,
        second: Second::All,
        partials: |_, r| vec![s(E::sub(E::lit(1.0), sq(r)))],
    },
    Rule {
        op: Op::Asinh,
        syntax: Syntax::Method("asinh"),
        arity: 1,
        second: Second::All,
        partials: |a, _| vec![s(inv(m(Op::Sqrt, &E::add(sq(&a[0]), E::lit(1.0)))))],
    },
    Rule {
        op: Op::Acosh,
        syntax: Syntax::Method("acosh"),
        arity: 1,
        second: Second::All,
        partials: |a, _| vec![s(inv(m(Op::Sqrt, &E::sub(sq(&a[0]), E::lit(1.0)))))],
    },
    Rule {
        op: Op::Atanh,
        syntax: Syntax::Method("atanh"),
        arity: 1,
        second: Second::All,
        partials: |a, _| vec![s(inv(E::sub(E::lit(1.0), sq(&a[0]))))],
    },
    Rule {
        op: Op::Exp,
        syntax: Syntax::Method("exp"),
        arity: 1,
        second: Second::All,
        partials: |_, r| vec![s(r.clone())],
    },
    Rule {
        op: Op::Exp2,
        syntax: Syntax::Method("exp2"),
        arity: 1,
        second: Second::All,
        partials: |_, r| vec![s(E::mul(r.clone(), E::lit(std::f64::consts::LN_2)))],
    },
    Rule {
        op: Op::ExpM1,
        syntax: Syntax::Method("exp_m1"),
        arity: 1,
        second: Second::All,
        partials: |_, r| vec![s(E::add(r.clone(), E::lit(1.0)))],
    },
    Rule {
        op: Op::Ln,
        syntax: Syntax::Method("ln"),
        arity: 1,
        second: Second::All,
        partials: |a, _| vec![s(inv(a[0].clone()))],
    },
    Rule {
        op: Op::Ln1p,
        syntax: Syntax::Method("ln_1p"),
        arity: 1,
        second: Second::All,
        partials: |a, _| vec![s(inv(E::add(E::lit(1.0), a[0].clone())))],
    },
    Rule {
        op: Op::Log10,
        syntax: Syntax::Method("log10"),
        arity: 1,
        second: Second::All,
        partials: |a, _| {
            vec![s(inv(E::mul(
                a[0].clone(),
                E::lit(std::f64::consts::LN_10),
            )))]
        },
    },
    Rule {
        op: Op::Log2,
        syntax: Syntax::Method("log2"),
        arity: 1,
        second: Second::All,
        partials: |a, _| vec![s(inv(E::mul(a[0].clone(), E::lit(std::f64::consts::LN_2))))],
    },
    Rule {
        op: Op::Sqrt,
        syntax: Syntax::Method("sqrt"),
        arity: 1,
        second: Second::All,
        partials: |_, r| vec![s(E::div(E::lit(0.5), r.clone()))],
    },
    Rule {
        op: Op::Cbrt,
        syntax: Syntax::Method("cbrt"),
        arity: 1,
        second: Second::All,
        partials: |_, r| vec![s(inv(E::mul(E::lit(3.0), sq(r))))],
    },
    Rule {
        op: Op::Recip,
        syntax: Syntax::Method("recip"),
        arity: 1,
        second: Second::All,
        partials: |_, r| vec![s(E::neg(sq(r)))],
    },
    Rule {
        op: Op::Abs,
        syntax: Syntax::Method("abs"),
        arity: 1,
        second: Second::Linear,
        partials: |a, _| vec![s(m(Op::Signum, &a[0]))],
    },
    Rule {
        op: Op::Signum,
        syntax: Syntax::Method("signum"),
        arity: 1,
        second: Second::Linear,
        partials: |_, _| vec![None],
    },
    Rule {
        op: Op::Floor,
        syntax: Syntax::Method("floor"),
        arity: 1,
        second: Second::Linear,
        partials: |_, _| vec![None],
    },
    Rule {
        op: Op::Ceil,
        syntax: Syntax::Method("ceil"),
        arity: 1,
        second: Second::Linear,
        partials: |_, _| vec![None],
    },
    Rule {
        op: Op::Round,
        syntax: Syntax::Method("round"),
        arity: 1,
        second: Second::Linear,
        partials: |_, _| vec![None],
    },
    Rule {
        op: Op::Trunc,
        syntax: Syntax::Method("trunc"),
        arity: 1,
        second: Second::Linear,
        partials: |_, _| vec![None],
    },
    Rule {
        op: Op::Powf,
        syntax: Syntax::Method("powf"),
        arity: 2,
        second: Second::All,
        partials: |a, r| {
            vec![
                s(E::mul(
                    a[1].clone(),
                    E::app(
                        Op::Powf,
                        vec![a[0].clone(), E::sub(a[1].clone(), E::lit(1.0))],
                    ),
                )),
                s(E::mul(r.clone(), m(Op::Ln, &a[0]))),
            ]
        },
    },
    Rule {
        op: Op::Max,
        syntax: Syntax::Method("max"),
        arity: 2,
        second: Second::Linear,
        partials: |a, _| {
            let ge = E::app(Op::Ge, vec![a[0].clone(), a[1].clone()]);
            vec![s(ge.clone()), s(E::sub(E::lit(1.0), ge))]
        },
    },
    Rule {
        op: Op::Min,
        syntax: Syntax::Method("min"),
        arity: 2,
        second: Second::Linear,
        partials: |a, _| {
            let ge = E::app(Op::Ge, vec![a[1].clone(), a[0].clone()]);
            vec![s(ge.clone()), s(E::sub(E::lit(1.0), ge))]
        },
    },
    Rule {
        op: Op::Hypot,
        syntax: Syntax::Method("hypot"),
        arity: 2,
        second: Second::All,
        partials: |a, r| {
            vec![
                s(E::div(a[0].clone(), r.clone())),
                s(E::div(a[1].clone(), r.clone())),
            ]
        },
    },
    Rule {
        op: Op::Atan2,
        syntax: Syntax::Method("atan2"),
        arity: 2,
        second: Second::All,
        partials: |a, _| {
            let d = E::add(sq(&a[0]), sq(&a[1]));
            vec![
                s(E::div(a[1].clone(), d.clone())),
                s(E::neg(E::div(a[0].clone(), d))),
            ]
        },
    },
    Rule {
        op: Op::MulAdd,
        syntax: Syntax::Method("mul_add"),
        arity: 3,
        second: Second::Cross,
        partials: |a, _| vec![s(a[1].clone()), s(a[0].clone()), c(1.0)],
    },
    Rule {
        op: Op::Ge,
        syntax: Syntax::Step,
        arity: 2,
        second: Second::Linear,
        partials: |_, _| vec![None, None],
    },
];

/// The row of `op`.
pub fn rule(op: Op) -> &'static Rule {
    RULES
        .iter()
        .find(|r| r.op == op)
        .expect("every Op has a row")
}

/// The row of a method name (`sin`, `powf`, ...), for lowering `a.name(..)`.
pub fn method(name: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| matches!(r.syntax, Syntax::Method(n) if n == name))
}

/// The method names of the table, for error messages.
pub fn method_names() -> Vec<&'static str> {
    let mut names: Vec<_> = RULES
        .iter()
        .filter_map(|r| match r.syntax {
            Syntax::Method(n) => Some(n),
            _ => None,
        })
        .collect();
    names.push("powi");
    names
}

/// The partial derivatives of `op` at arguments `a` with result `r`. `powi` is not a
/// row (its exponent is an integer): see [`powi_partial`].
pub fn partials(op: Op, a: &[Expr], r: &Expr) -> Vec<Option<Expr>> {
    (rule(op).partials)(a, r)
}

/// `d/da a.powi(n) = n * a.powi(n - 1)`.
pub fn powi_partial(a: &Expr, n: &crate::ir::Opaque) -> Expr {
    let n_minus_1 = crate::ir::Opaque {
        tokens: {
            let t = &n.tokens;
            quote::quote!((#t) - 1)
        },
        reads: n.reads.clone(),
        span: n.span,
    };
    let n_f64 = crate::ir::Opaque {
        tokens: {
            let t = &n.tokens;
            quote::quote!((#t) as f64)
        },
        reads: n.reads.clone(),
        span: n.span,
    };
    E::mul(E::Const(n_f64), E::Powi(Box::new(a.clone()), n_minus_1))
}

/// Which arguments of `op` have a derivative that is not globally zero.
pub fn nonzero_args(op: Op) -> Vec<bool> {
    let rule = rule(op);
    let dummy: Vec<Expr> = (0..rule.arity).map(|_| E::lit(1.0)).collect();
    (rule.partials)(&dummy, &E::lit(1.0))
        .iter()
        .map(Option::is_some)
        .collect()
}

/// The pairs of argument positions `op` makes interact at second order.
pub fn interactions(op: Op) -> Vec<(usize, usize)> {
    let rule = rule(op);
    let nz = nonzero_args(op);
    let mut pairs = Vec::new();
    match rule.second {
        Second::Linear => {}
        Second::All => {
            for i in 0..rule.arity {
                for j in i..rule.arity {
                    if nz[i] && nz[j] {
                        pairs.push((i, j));
                    }
                }
            }
        }
        Second::Cross => pairs.push((0, 1)),
        Second::Divide => {
            pairs.push((0, 1));
            pairs.push((1, 1));
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_op_has_exactly_one_row_with_matching_arity() {
        let ops = [
            Op::Add,
            Op::Sub,
            Op::Mul,
            Op::Div,
            Op::Neg,
            Op::Sin,
            Op::Cos,
            Op::Tan,
            Op::Asin,
            Op::Acos,
            Op::Atan,
            Op::Sinh,
            Op::Cosh,
            Op::Tanh,
            Op::Asinh,
            Op::Acosh,
            Op::Atanh,
            Op::Exp,
            Op::Exp2,
            Op::ExpM1,
            Op::Ln,
            Op::Ln1p,
            Op::Log10,
            Op::Log2,
            Op::Sqrt,
            Op::Cbrt,
            Op::Recip,
            Op::Abs,
            Op::Signum,
            Op::Floor,
            Op::Ceil,
            Op::Round,
            Op::Trunc,
            Op::Powf,
            Op::Max,
            Op::Min,
            Op::Hypot,
            Op::Atan2,
            Op::MulAdd,
            Op::Ge,
        ];
        assert_eq!(ops.len(), RULES.len());
        for op in ops {
            assert_eq!(RULES.iter().filter(|r| r.op == op).count(), 1, "{op:?}");
            let r = rule(op);
            let a: Vec<Expr> = (0..r.arity).map(|_| Expr::lit(1.0)).collect();
            assert_eq!((r.partials)(&a, &Expr::lit(1.0)).len(), r.arity, "{op:?}");
        }
    }

    #[test]
    fn zero_derivative_rows_are_the_step_functions() {
        for r in RULES {
            let all_zero = nonzero_args(r.op).iter().all(|nz| !nz);
            let step = matches!(
                r.op,
                Op::Signum | Op::Floor | Op::Ceil | Op::Round | Op::Trunc | Op::Ge
            );
            assert_eq!(all_zero, step, "{:?}", r.op);
        }
    }

    #[test]
    fn second_order_classes() {
        assert_eq!(interactions(Op::Add), vec![]);
        assert_eq!(interactions(Op::Mul), vec![(0, 1)]);
        assert_eq!(interactions(Op::Sin), vec![(0, 0)]);
        assert_eq!(interactions(Op::Div), vec![(0, 1), (1, 1)]);
        assert_eq!(interactions(Op::Abs), vec![]);
        assert_eq!(interactions(Op::Signum), vec![]);
        assert_eq!(interactions(Op::Powf), vec![(0, 0), (0, 1), (1, 1)]);
    }
}
