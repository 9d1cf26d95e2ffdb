//! The one table of rules. Every supported elementary operation is one row: how it is
//! written, its partial derivatives, which of them are globally zero, and its
//! second-order class. The tangent pass, the adjoint pass and both tracers read this
//! table and nothing else, so they cannot disagree; a new function is one row.
//!
//! Beside the rows, [`Op::User`]: a call of a rule the user wrote (`asd::Rule`, mapped
//! by `#[sparse_diff(rules(g = G))]`), whose partials are the rule's own, computed at run
//! time (`∂G/∂aᵢ` is the operation `User { order: Partial(i) }` of the same arguments),
//! and whose second-order class is the rule's `CLASS`, which the Hessian tracer
//! reads at run time.

use crate::ir::{Expr, Opaque};

/// A call of a user rule, or one of its derivatives, as an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UserOp {
    /// The rule's position in [`Function::rules`](crate::ir::Function::rules).
    pub rule: usize,
    pub order: Order,
}

/// Which derivative of a user rule an operation computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Order {
    /// `G::value(a)`
    Value,
    /// `∂G/∂aᵢ`, from `G::gradient(a)`
    Partial(usize),
    /// `∂²G/∂aᵢ∂aⱼ`, from `G::hessian(a)`: the passes never differentiate it (Hessian
    /// operators differentiate tangent code once).
    Second(usize, usize),
}

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

/// How an operation is written in Rust.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// `a + b`
    Infix(&'static str),
    /// `-a`
    Prefix(&'static str),
    /// `a.name(b, ..)`
    Method(&'static str),
    /// `name(a, ..)`, a function of the runtime's `math` module (`asd::math::erf`), for
    /// what `f64` has no method for.
    Function(&'static str),
    /// `if a >= b { 1.0 } else { 0.0 }`
    Step,
    /// `if b == 0.0 { 0.0 } else { a * b }`
    ZeroSafe,
}

/// The partial derivatives of one row, as expressions in the arguments `a` and the
/// result `r`; `None` where the derivative is globally zero.
pub type Partials = fn(a: &[Expr], r: &Expr) -> Vec<Option<Expr>>;

pub struct Rule {
    pub op: Op,
    pub syntax: Syntax,
    pub arity: usize,
    /// The positions of integer arguments ([`Expr::Int`], as `powi`'s exponent): never
    /// differentiated, their partial is `None`.
    pub ints: &'static [usize],
    pub partials: Partials,
    pub second: Second,
}

/// `rules! { Name = syntax, second-order class, [ints [k, ..],] |a, r| [partial per
/// argument]; .. }` makes the enum [`Op`] and the table [`RULES`], in one order, so a row
/// is the only place an operation is written; its arity is its number of partials.
/// A row's integer arguments: none unless it says `ints [..]`.
macro_rules! ints {
    () => {
        &[]
    };
    ($ints:expr) => {
        &$ints
    };
}

macro_rules! rules {
    ($( $(#[$doc:meta])* $op:ident = $syntax:expr, $second:ident, $(ints $ints:expr,)?
        |$a:pat_param, $r:pat_param| [$($partial:expr),+ $(,)?]; )*) => {
        /// An operation of the table, or a call of a user's rule.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Op {
            $( $(#[$doc])* $op, )*
            /// A call of a rule the user wrote (not a row of the table).
            User(UserOp),
        }

        /// The rows of the table, one per built-in [`Op`], in order.
        #[derive(Clone, Copy)]
        enum Row {
            $( $op, )*
        }

        impl Op {
            /// The position of the op's row; `None` for a user rule.
            fn row(self) -> Option<usize> {
                match self {
                    $( Op::$op => Some(Row::$op as usize), )*
                    Op::User(_) => None,
                }
            }
        }

        /// The table. Row `k` is the row of the `k`-th `Op`.
        pub static RULES: &[Rule] = &[$(
            Rule {
                op: Op::$op,
                syntax: $syntax,
                arity: [$(stringify!($partial)),+].len(),
                ints: ints!($($ints)?),
                second: Second::$second,
                partials: |$a, $r| vec![$($partial),+],
            },
        )*];
    };
}

use std::f64::consts::FRAC_2_SQRT_PI;
use Expr as E;
use Syntax::{Function, Infix, Method, Prefix, Step, ZeroSafe};
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
/// `d/da a.powi(n) = n * a.powi(n - 1)`, for `a = [base, Int(n)]`.
fn powi_partial(a: &[Expr]) -> Expr {
    let Expr::Int(n) = &a[1] else {
        return E::lit(1.0); // the table's own checks, which pass reals: any non-zero
    };
    let t = &n.tokens;
    let int = |tokens| Opaque {
        tokens,
        ..n.clone()
    };
    // `0 * a.powi(-1)` is NaN at `a = 0`: for `n = 0` the power is any finite one.
    let less = match syn::parse2::<syn::LitInt>(t.clone()).and_then(|l| l.base10_parse::<i32>()) {
        Ok(0) => return E::lit(0.0),
        Ok(k) => {
            let k = proc_macro2::Literal::i32_unsuffixed(k - 1);
            quote::quote!(#k)
        }
        Err(_) => quote::quote!(if (#t) == 0 { 0 } else { (#t) - 1 }),
    };
    E::mul(
        E::Const(int(quote::quote!((#t) as f64))),
        E::app(Op::Powi, vec![a[0].clone(), E::Int(int(less))]),
    )
}

/// Whether `op` can have a finite value where a partial is infinite or NaN (`sqrt`,
/// `cbrt` and `powf` at 0, `asin` at 1, `hypot` at (0, 0)): the tangent then takes a
/// zero direction to a zero derivative, not NaN ([`Op::ZeroSafeMul`]). Where the value
/// is not finite either (`1 / 0`, `ln(0)`), neither is what reads it.
pub fn finite_at_infinite_slope(op: Op) -> bool {
    matches!(
        op,
        Op::Sqrt
            | Op::Cbrt
            | Op::Powf
            | Op::Asin
            | Op::Acos
            | Op::Acosh
            | Op::Hypot
            | Op::Atan2
            | Op::User(_)
    )
}

/// Whether the partial `e` can be infinite where the value it is the partial of is
/// finite: `0.5 / r` of `r = x.sqrt()` at 0, `1 / x` of `x.ln()`, a negative power. Then
/// a zero tangent or adjoint times it is NaN, where the derivative is 0 (`r` unused on
/// the path taken; a direction or a lane that does not move `x`). `bound` gives the
/// expression a temporary stands for. A division by a constant, or a power with a
/// literal exponent of at least 0, is finite.
pub fn can_be_infinite(e: &Expr, bound: &dyn Fn(crate::ir::VarId) -> Option<Expr>) -> bool {
    let constant = |e: &Expr| matches!(e, Expr::Lit(_) | Expr::Const(_) | Expr::Int(_));
    match e {
        Expr::Apply(op, args) => {
            let own = match op {
                Op::Div => !constant(&args[1]),
                Op::Powi => {
                    !matches!(&args[1], Expr::Int(n) if syn::parse2::<syn::LitInt>(n.tokens.clone()).is_ok())
                }
                Op::Powf
                | Op::Ln
                | Op::Ln1p
                | Op::Log10
                | Op::Log2
                | Op::Recip
                | Op::Tan
                | Op::User(_) => true,
                _ => false,
            };
            own || args.iter().any(|a| can_be_infinite(a, bound))
        }
        Expr::Var(v) => bound(*v).is_some_and(|b| can_be_infinite(&b, bound)),
        Expr::Index(..) | Expr::Lit(_) | Expr::Const(_) | Expr::Int(_) => false,
    }
}

/// `1.0` where `a >= b`, else `0.0`.
fn ge(a: &Expr, b: &Expr) -> Expr {
    E::app(Op::Ge, vec![a.clone(), b.clone()])
}
fn one_minus(e: Expr) -> Expr {
    E::sub(E::lit(1.0), e)
}

rules! {
    Add = Infix("+"), Linear, |_, _| [c(1.0), c(1.0)];
    Sub = Infix("-"), Linear, |_, _| [c(1.0), c(-1.0)];
    Mul = Infix("*"), Cross, |a, _| [s(a[1].clone()), s(a[0].clone())];
    Div = Infix("/"), Divide, |a, r| [s(inv(a[1].clone())), s(E::neg(E::div(r.clone(), a[1].clone())))];
    Neg = Prefix("-"), Linear, |_, _| [c(-1.0)];
    /// `a % b = a - b * (a / b).trunc()`, exactly (IEEE `fmod`).
    Rem = Infix("%"), Linear, |a, _| [c(1.0), s(E::neg(m(Op::Trunc, &E::div(a[0].clone(), a[1].clone()))))];
    Sin = Method("sin"), All, |a, _| [s(m(Op::Cos, &a[0]))];
    Cos = Method("cos"), All, |a, _| [s(E::neg(m(Op::Sin, &a[0])))];
    Tan = Method("tan"), All, |_, r| [s(E::add(E::lit(1.0), sq(r)))];
    Asin = Method("asin"), All, |a, _| [s(inv(m(Op::Sqrt, &one_minus(sq(&a[0])))))];
    Acos = Method("acos"), All, |a, _| [s(E::neg(inv(m(Op::Sqrt, &one_minus(sq(&a[0]))))))];
    Atan = Method("atan"), All, |a, _| [s(inv(E::add(E::lit(1.0), sq(&a[0]))))];
    Sinh = Method("sinh"), All, |a, _| [s(m(Op::Cosh, &a[0]))];
    Cosh = Method("cosh"), All, |a, _| [s(m(Op::Sinh, &a[0]))];
    Tanh = Method("tanh"), All, |_, r| [s(one_minus(sq(r)))];
    Asinh = Method("asinh"), All, |a, _| [s(inv(m(Op::Sqrt, &E::add(sq(&a[0]), E::lit(1.0)))))];
    Acosh = Method("acosh"), All, |a, _| [s(inv(m(Op::Sqrt, &E::sub(sq(&a[0]), E::lit(1.0)))))];
    Atanh = Method("atanh"), All, |a, _| [s(inv(one_minus(sq(&a[0]))))];
    Exp = Method("exp"), All, |_, r| [s(r.clone())];
    Exp2 = Method("exp2"), All, |_, r| [s(E::mul(r.clone(), E::lit(std::f64::consts::LN_2)))];
    ExpM1 = Method("exp_m1"), All, |_, r| [s(E::add(r.clone(), E::lit(1.0)))];
    Ln = Method("ln"), All, |a, _| [s(inv(a[0].clone()))];
    Ln1p = Method("ln_1p"), All, |a, _| [s(inv(E::add(E::lit(1.0), a[0].clone())))];
    Log10 = Method("log10"), All, |a, _| [s(inv(E::mul(a[0].clone(), E::lit(std::f64::consts::LN_10))))];
    Log2 = Method("log2"), All, |a, _| [s(inv(E::mul(a[0].clone(), E::lit(std::f64::consts::LN_2))))];
    Sqrt = Method("sqrt"), All, |_, r| [s(E::div(E::lit(0.5), r.clone()))];
    Cbrt = Method("cbrt"), All, |_, r| [s(inv(E::mul(E::lit(3.0), sq(r))))];
    Recip = Method("recip"), All, |_, r| [s(E::neg(sq(r)))];
    Abs = Method("abs"), Linear, |a, _| [s(m(Op::Signum, &a[0]))];
    Signum = Method("signum"), Linear, |_, _| [None];
    Floor = Method("floor"), Linear, |_, _| [None];
    Ceil = Method("ceil"), Linear, |_, _| [None];
    Round = Method("round"), Linear, |_, _| [None];
    Trunc = Method("trunc"), Linear, |_, _| [None];
    Powf = Method("powf"), All, |a, r| [
        s(E::mul(a[1].clone(), E::app(Op::Powf, vec![a[0].clone(), E::sub(a[1].clone(), E::lit(1.0))]))),
        s(E::mul(r.clone(), m(Op::Ln, &a[0]))),
    ];
    Max = Method("max"), Linear, |a, _| [s(ge(&a[0], &a[1])), s(one_minus(ge(&a[0], &a[1])))];
    Min = Method("min"), Linear, |a, _| [s(ge(&a[1], &a[0])), s(one_minus(ge(&a[1], &a[0])))];
    Hypot = Method("hypot"), All, |a, r| [s(E::div(a[0].clone(), r.clone())), s(E::div(a[1].clone(), r.clone()))];
    Atan2 = Method("atan2"), All, |a, _| [
        s(E::div(a[1].clone(), E::add(sq(&a[0]), sq(&a[1])))),
        s(E::neg(E::div(a[0].clone(), E::add(sq(&a[0]), sq(&a[1]))))),
    ];
    Powi = Method("powi"), All, ints [1], |a, _| [s(powi_partial(a)), None];
    MulAdd = Method("mul_add"), Cross, |a, _| [s(a[1].clone()), s(a[0].clone()), c(1.0)];
    /// `a.rem_euclid(b) = a - b * q` for the integer `q = (a - r) / b`.
    RemEuclid = Method("rem_euclid"), Linear, |a, r| [c(1.0), s(E::neg(E::div(E::sub(a[0].clone(), r.clone()), a[1].clone())))];
    Erf = Function("erf"), All, |a, _| [s(E::mul(E::lit(FRAC_2_SQRT_PI), m(Op::Exp, &E::neg(sq(&a[0])))))];
    Erfc = Function("erfc"), All, |a, _| [s(E::mul(E::lit(-FRAC_2_SQRT_PI), m(Op::Exp, &E::neg(sq(&a[0])))))];
    /// `1.0` where `a >= b`, else `0.0`: the derivative of `max` and `min`.
    Ge = Step, Linear, |_, _| [None, None];
    /// `a * b`, but `0` where `b` is `0` even if `a` is infinite: a partial that can be
    /// infinite ([`singular`]) times a tangent, in a direction that does not move it.
    ZeroSafeMul = ZeroSafe, Cross, |a, _| [s(a[1].clone()), s(a[0].clone())];
}

/// The constants of `f64::consts` and `f64`'s own, which may be used as reals.
pub const F64_CONSTS: &[&str] = &[
    "PI",
    "TAU",
    "E",
    "SQRT_2",
    "LN_2",
    "LN_10",
    "LOG2_E",
    "LOG10_E",
    "LOG2_10",
    "LOG10_2",
    "FRAC_PI_2",
    "FRAC_PI_3",
    "FRAC_PI_4",
    "FRAC_PI_6",
    "FRAC_PI_8",
    "FRAC_1_PI",
    "FRAC_2_PI",
    "FRAC_2_SQRT_PI",
    "FRAC_1_SQRT_2",
    "EPSILON",
    "MAX",
    "MIN",
    "MIN_POSITIVE",
    "INFINITY",
    "NEG_INFINITY",
];

/// The row of `op`; `None` for a user rule, which has no row.
pub fn rule(op: Op) -> Option<&'static Rule> {
    op.row().map(|k| &RULES[k])
}

/// The row of a method name (`sin`, `powf`, ...), for lowering `a.name(..)`.
pub fn method(name: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| matches!(r.syntax, Syntax::Method(n) if n == name))
}

/// The row of a runtime function's name (`erf`), for lowering `erf(a)`.
pub fn function(name: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| matches!(r.syntax, Syntax::Function(n) if n == name))
}

/// The method names of the table, for error messages.
pub fn method_names() -> Vec<&'static str> {
    let names: Vec<_> = RULES
        .iter()
        .filter_map(|r| match r.syntax {
            Syntax::Method(n) => Some(n),
            _ => None,
        })
        .collect();
    names
}

/// The partial derivatives of `op` at arguments `a` with result `r`.
pub fn partials(op: Op, a: &[Expr], r: &Expr) -> Vec<Option<Expr>> {
    let Op::User(u) = op else {
        return rule(op).map_or_else(Vec::new, |rule| (rule.partials)(a, r));
    };
    let of = |order| Some(Expr::app(Op::User(UserOp { order, ..u }), a.to_vec()));
    match u.order {
        Order::Value => (0..a.len()).map(|i| of(Order::Partial(i))).collect(),
        Order::Partial(i) => (0..a.len()).map(|j| of(Order::Second(i, j))).collect(),
        // Never asked for: Hessian operators differentiate first derivatives only. Should
        // a pass ever ask, the generated code says so instead of computing a wrong zero.
        Order::Second(..) => {
            let unsupported = quote::quote! {
                ::core::compile_error!("asd: third derivatives of user rules are not generated")
            };
            let third = Opaque::new(unsupported, Vec::new());
            a.iter().map(|_| Some(Expr::Const(third.clone()))).collect()
        }
    }
}

/// Which of the `arity` arguments of `op` have a derivative that is not globally zero
/// (every argument of a user rule).
pub fn nonzero_args(op: Op, arity: usize) -> Vec<bool> {
    let Some(rule) = rule(op) else {
        return vec![true; arity];
    };
    let dummy: Vec<Expr> = (0..rule.arity).map(|_| E::lit(1.0)).collect();
    (rule.partials)(&dummy, &E::lit(1.0))
        .iter()
        .map(Option::is_some)
        .collect()
}

/// Whether `op` is linear only piecewise: no interactions of its own, yet a function
/// using it on the input is not affine — a kink (`abs`, `max`, `min`: a derivative that
/// is not a number) or a step (`floor`, `signum`, `round`: a derivative globally zero,
/// a value that still changes, so `x.floor() * x` is not affine). Read off the table: a
/// [`Second::Linear`] row with a partial that is not a number; any user rule.
pub fn kinked(op: Op) -> bool {
    // A user rule's class is known at run time only: not proved affine.
    let Some(rule) = rule(op) else {
        return true;
    };
    let dummy: Vec<Expr> = (0..rule.arity).map(|_| E::lit(1.0)).collect();
    rule.second == Second::Linear
        && (rule.partials)(&dummy, &E::lit(1.0))
            .iter()
            .any(|p| !matches!(p, Some(Expr::Lit(_))))
}

/// The pairs of argument positions `op` (of `arity` arguments) makes interact at
/// second order. For a user rule, every pair it may make interact: its class, known at
/// run time, decides which do (the tracer asks `asd::__private::rule_interacts`).
pub fn interactions(op: Op, arity: usize) -> Vec<(usize, usize)> {
    let nz = nonzero_args(op, arity);
    let second = match rule(op) {
        Some(rule) => rule.second,
        None => Second::All,
    };
    let mut pairs = Vec::new();
    match second {
        Second::Linear => {}
        Second::All => {
            for i in 0..arity {
                for j in i..arity {
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

/// Whether the second partial derivative of `op` (at arguments `args`) in its
/// arguments `i` and `j` is a constant: the cross term of a product (`x * y`: 1), a
/// square (`x.powi(2)`: 2), a linear operation's. The Hessian tracer then keeps the
/// interaction constant unless what it multiplies varies.
pub fn constant_second(op: Op, args: &[Expr], i: usize, j: usize) -> bool {
    match rule(op).map(|r| r.second) {
        Some(Second::Linear) => true,
        Some(Second::Cross) => (i, j) == (0, 1),
        _ if op == Op::Powi => matches!(&args[1], Expr::Int(n)
            if syn::parse2::<syn::LitInt>(n.tokens.clone())
                .and_then(|l| l.base10_parse::<i32>())
                .is_ok_and(|k| (0..=2).contains(&k))),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_op_is_its_own_row_with_matching_arity() {
        for (k, r) in RULES.iter().enumerate() {
            let op = r.op;
            assert_eq!(op.row(), Some(k), "{op:?} is not the row of its position");
            let a: Vec<Expr> = (0..r.arity).map(|_| Expr::lit(1.0)).collect();
            assert_eq!((r.partials)(&a, &Expr::lit(1.0)).len(), r.arity, "{op:?}");
        }
        assert_eq!(rule(Op::MulAdd).map(|r| r.arity), Some(3));
        assert_eq!(rule(Op::Neg).map(|r| r.arity), Some(1));
    }

    #[test]
    fn zero_derivative_rows_are_the_step_functions() {
        for r in RULES {
            let all_zero = nonzero_args(r.op, r.arity).iter().all(|nz| !nz);
            let step = matches!(
                r.op,
                Op::Signum | Op::Floor | Op::Ceil | Op::Round | Op::Trunc | Op::Ge
            );
            assert_eq!(all_zero, step, "{:?}", r.op);
        }
    }

    #[test]
    fn second_order_classes() {
        assert_eq!(interactions(Op::Add, 2), vec![]);
        assert_eq!(interactions(Op::Mul, 2), vec![(0, 1)]);
        assert_eq!(interactions(Op::Sin, 1), vec![(0, 0)]);
        assert_eq!(interactions(Op::Div, 2), vec![(0, 1), (1, 1)]);
        assert_eq!(interactions(Op::Abs, 1), vec![]);
        assert_eq!(interactions(Op::Signum, 1), vec![]);
        assert_eq!(interactions(Op::Powf, 2), vec![(0, 0), (0, 1), (1, 1)]);
        let kinks: Vec<Op> = RULES
            .iter()
            .map(|r| r.op)
            .filter(|&op| kinked(op))
            .collect();
        for op in [Op::Abs, Op::Max, Op::Min, Op::Floor, Op::Signum, Op::Ge] {
            assert!(kinks.contains(&op), "{op:?}");
        }
        for op in [Op::Add, Op::Sub, Op::Neg, Op::Mul, Op::Sin] {
            assert!(!kinks.contains(&op), "{op:?}");
        }
    }

    #[test]
    fn a_user_rule_may_make_every_pair_interact_and_its_partials_are_its_own() {
        let value = Op::User(UserOp {
            rule: 0,
            order: Order::Value,
        });
        assert_eq!(rule(value).map(|r| r.arity), None);
        assert_eq!(nonzero_args(value, 2), vec![true, true]);
        assert_eq!(interactions(value, 2), vec![(0, 0), (0, 1), (1, 1)]);
        let a = vec![Expr::lit(1.0), Expr::lit(2.0)];
        let orders = |ps: Vec<Option<Expr>>| -> Vec<Order> {
            ps.into_iter()
                .map(|p| match p {
                    Some(Expr::Apply(Op::User(u), args)) if args.len() == 2 => u.order,
                    other => panic!("not a user rule's derivative: {other:?}"),
                })
                .collect()
        };
        let first = orders(partials(value, &a, &Expr::lit(0.0)));
        assert_eq!(first, [Order::Partial(0), Order::Partial(1)]);
        let d1 = Op::User(UserOp {
            rule: 0,
            order: Order::Partial(1),
        });
        let second = orders(partials(d1, &a, &Expr::lit(0.0)));
        assert_eq!(second, [Order::Second(1, 0), Order::Second(1, 1)]);
    }
}
