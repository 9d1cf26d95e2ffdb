//! Real expressions: every rule of the derivative table, each on operands kept in its
//! domain by construction (`ln` of `a² + 0.5`, `asin` of `0.8 sin a`, `exp` of `tanh a`),
//! so a program's values and derivatives stay finite and moderate at any point.

use super::code::{tpl2, Code, Rng};

/// What an expression may read where it is generated.
#[derive(Clone, Default)]
pub struct Scope {
    /// Real scalars in scope (locals, and `(*a)` in a closure or an element loop).
    pub scalars: Vec<String>,
    /// Real vectors of the input's length `n`.
    pub vectors: Vec<String>,
    /// Integer expressions that index a vector of length `n` here.
    pub indices: Vec<String>,
    /// The program's constants `p: &[f64]` and `c: f64` are parameters (not in helpers).
    pub constants: bool,
}

/// One-operand rules, as the user writes them and as the reference computes them. A
/// step's value is moved off the integers, and the operands of a two-operand rule
/// differ: an exact zero would reach the points where a partial is not finite
/// (`hypot(0, 0)`), and a branch of `max` that is not taken still multiplies its
/// derivative by zero, `0 · NaN = NaN`, where the reference, which branches, does not.
pub const UNARY: &[(&str, &str)] = &[
    ("{}.sin()", "{}.sin()"),
    ("{}.cos()", "{}.cos()"),
    ("{}.sin().tan()", "{}.sin().tan()"),
    ("({}.sin() * 0.8).asin()", "({}.sin() * 0.8).asin()"),
    ("({}.sin() * 0.8).acos()", "({}.sin() * 0.8).acos()"),
    ("{}.atan()", "{}.atan()"),
    ("{}.tanh().sinh()", "{}.tanh().sinh()"),
    ("{}.tanh().cosh()", "{}.tanh().cosh()"),
    ("{}.tanh()", "{}.tanh()"),
    ("{}.asinh()", "{}.asinh()"),
    ("({}.powi(2) + 1.5).acosh()", "({}.powi(2) + 1.5).acosh()"),
    ("({}.sin() * 0.8).atanh()", "({}.sin() * 0.8).atanh()"),
    ("{}.tanh().exp()", "{}.tanh().exp()"),
    ("{}.tanh().exp2()", "{}.tanh().exp2()"),
    ("{}.tanh().exp_m1()", "{}.tanh().exp_m1()"),
    ("({}.powi(2) + 0.5).ln()", "({}.powi(2) + 0.5).ln()"),
    ("{}.powi(2).ln_1p()", "{}.powi(2).ln_1p()"),
    ("({}.powi(2) + 0.5).log10()", "({}.powi(2) + 0.5).log10()"),
    ("({}.powi(2) + 0.5).log2()", "({}.powi(2) + 0.5).log2()"),
    ("({}.powi(2) + 0.5).sqrt()", "({}.powi(2) + 0.5).sqrt()"),
    ("({}.powi(2) + 0.5).cbrt()", "({}.powi(2) + 0.5).cbrt()"),
    ("({}.powi(2) + 0.5).recip()", "({}.powi(2) + 0.5).recip()"),
    (
        "({}.powi(2) + 0.5).powf(1.5)",
        "({}.powi(2) + 0.5).powf(1.5)",
    ),
    ("({}.powi(2) + 0.5).powi(-2)", "({}.powi(2) + 0.5).powi(-2)"),
    ("{}.powi(3)", "{}.powi(3)"),
    ("{}.abs()", "abs_d({})"),
    ("{}.signum()", "step_d({}, f64::signum)"),
    ("({}.floor() + 0.5)", "(step_d({}, f64::floor) + 0.5)"),
    ("({}.ceil() + 0.5)", "(step_d({}, f64::ceil) + 0.5)"),
    ("({}.round() + 0.5)", "(step_d({}, f64::round) + 0.5)"),
    ("({}.trunc() + 0.5)", "(step_d({}, f64::trunc) + 0.5)"),
    ("asd::math::erf({})", "erf_d({})"),
    ("asd::math::erfc({})", "erfc_d({})"),
    ("(-{})", "(-{})"),
];

/// Two-operand rules.
const BINARY: &[(&str, &str)] = &[
    ("({} + {})", "({} + {})"),
    ("({} - {})", "({} - {})"),
    ("({} * {})", "({} * {})"),
    ("({} / ({}.powi(2) + 1.0))", "({} / ({}.powi(2) + 1.0))"),
    ("{}.max({})", "max_d({}, {})"),
    ("{}.min({})", "min_d({}, {})"),
    ("{}.hypot({})", "hypot_d({}, {})"),
    ("{}.atan2({})", "{}.atan2({})"),
    (
        "({}.powi(2) + 0.5).powf({}.sin())",
        "powf_d({}.powi(2) + 0.5, {}.sin())",
    ),
    (
        "{}.rem_euclid({}.powi(2) + 0.5)",
        "rem_euclid_d({}, {}.powi(2) + 0.5)",
    ),
];

pub struct Exprs<'r> {
    pub rng: &'r mut Rng,
}

impl Exprs<'_> {
    /// A real expression of at most `depth` levels of operations.
    pub fn expr(&mut self, s: &Scope, depth: usize) -> Code {
        if depth == 0 || self.rng.chance(0.2) {
            return self.leaf(s);
        }
        let d = depth - 1;
        match self.rng.below(100) {
            0..=39 => {
                let &(p, q) = self.rng.pick(BINARY);
                let a = self.operand(s, d);
                let mut b = self.operand(s, d);
                for _ in 0..20 {
                    if b.plain != a.plain {
                        break;
                    }
                    b = self.operand(s, d);
                }
                tpl2(p, q, &[&a, &b])
            }
            40..=89 => {
                let &(p, q) = self.rng.pick(UNARY);
                let a = self.operand(s, d);
                tpl2(p, q, &[&a])
            }
            90..=94 => {
                let (a, b, c) = (self.operand(s, d), self.operand(s, d), self.expr(s, d));
                tpl2("{}.mul_add({}, {})", "mul_add_d({}, {}, {})", &[&a, &b, &c])
            }
            _ => {
                let (a, b) = self.condition(s, d);
                let (t, e) = (self.operand(s, d), self.expr(s, d));
                tpl2(
                    "(if {} > {} { {} } else { {} })",
                    "(if {}.re > {}.re { {} } else { {} })",
                    &[&a, &b, &t, &e],
                )
            }
        }
    }

    /// An expression a method may be called on: never a bare literal, whose type Rust
    /// cannot infer for a method call.
    pub fn operand(&mut self, s: &Scope, depth: usize) -> Code {
        loop {
            let e = self.expr(s, depth);
            if e.plain.parse::<f64>().is_err() {
                return e;
            }
        }
    }

    /// The two sides of a comparison of reals, `a > b`, `a.re > b.re` in the reference.
    pub fn condition(&mut self, s: &Scope, depth: usize) -> (Code, Code) {
        let a = self.operand(s, depth);
        let b = self.expr(s, depth.min(1));
        (a, b)
    }

    fn index(&mut self, s: &Scope) -> String {
        self.rng.pick(&s.indices).clone()
    }

    /// An input element, a vector element, a scalar, a constant, or a literal.
    fn leaf(&mut self, s: &Scope) -> Code {
        loop {
            match self.rng.below(12) {
                0..=3 if !s.indices.is_empty() => {
                    return Code::same(format!("x[{}]", self.index(s)));
                }
                4..=5 if !s.vectors.is_empty() && !s.indices.is_empty() => {
                    let v = self.rng.pick(&s.vectors).clone();
                    return Code::same(format!("{v}[{}]", self.index(s)));
                }
                6..=8 if !s.scalars.is_empty() => {
                    return Code::same(self.rng.pick(&s.scalars).clone());
                }
                9 => return Code::real(self.rng.literal()),
                10 if s.constants => return Code::real("c"),
                11 if s.constants && !s.indices.is_empty() => {
                    return Code::real(format!("p[{}]", self.index(s)));
                }
                _ => {}
            }
        }
    }
}
