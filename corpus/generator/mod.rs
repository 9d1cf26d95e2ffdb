//! The random-program generator: a batch of test modules, each a program in the
//! language `#[sparse_diff]` accepts, written as a user writes it and again over
//! hyper-dual numbers, and the test that compares them.

mod code;
mod expr;

use code::{tpl, tpl2, Code, Lines, Rng};
use expr::{Exprs, Scope};

/// What a program returns.
#[derive(Clone, Copy, PartialEq)]
enum Output {
    Vector,
    Scalar,
    /// Writes `y: &mut [f64]`.
    Param,
}

/// An annotated helper a program may call.
#[derive(Clone)]
struct Helper {
    name: String,
    vector: bool,
}

impl Helper {
    fn call(&self, arg: &str) -> Code {
        Code {
            plain: format!("{}({arg})", self.name),
            dual: format!("{}_ref({arg})", self.name),
        }
    }
}

/// The source of one batch: `count` programs from `seed`.
pub fn batch(seed: u64, count: usize) -> String {
    let mut out = String::new();
    for i in 0..count {
        let mut rng = Rng::new(seed.wrapping_mul(1_000_003).wrapping_add(i as u64));
        let mut g = Gen {
            rng: &mut rng,
            fresh: 0,
            helpers: Vec::new(),
            output: Output::Vector,
            short: false,
        };
        out.push_str(&g.program(&format!("p{seed}_{i:03}")));
    }
    out
}

struct Gen<'r> {
    rng: &'r mut Rng,
    fresh: usize,
    helpers: Vec<Helper>,
    output: Output,
    /// The vector output has `n - 1` entries, not `n`: then nothing returns early, since
    /// every return must give the output's length.
    short: bool,
}

impl Gen<'_> {
    fn exprs(&mut self) -> Exprs<'_> {
        Exprs {
            rng: &mut *self.rng,
        }
    }

    fn expr(&mut self, s: &Scope, depth: usize) -> Code {
        self.exprs().expr(s, depth)
    }

    fn operand(&mut self, s: &Scope, depth: usize) -> Code {
        self.exprs().operand(s, depth)
    }

    fn name(&mut self, prefix: &str) -> String {
        self.fresh += 1;
        format!("{prefix}{}", self.fresh)
    }

    /// A test module: the helpers, the program, its reference, and the test.
    fn program(&mut self, name: &str) -> String {
        self.output = *self.rng.pick(&[
            Output::Vector,
            Output::Vector,
            Output::Scalar,
            Output::Scalar,
            Output::Param,
        ]);
        let mut plain = String::new();
        let mut dual = String::new();
        self.short = false;
        for _ in 0..self.rng.below(3) {
            let (p, d) = self.helper();
            plain.push_str(&p);
            dual.push_str(&d);
        }
        self.short = self.output == Output::Vector && self.rng.chance(0.25);
        let (p, d) = self.main_fn();
        plain.push_str(&p);
        dual.push_str(&d);
        let n = 3 + self.rng.below(5);
        let c = self.rng.literal();
        let k = 1 + self.rng.below(3);
        let test = match self.output {
            Output::Vector => format!(
                "common::check_vector(&case, \
                 |x| {name}::f(x, &p, c, k), \
                 |x| {name}::reference(x, &p, c, k), \
                 |x| ({name}::f_jacobian_sparsity(x, &p, c, k), {name}::f_jacobian_sparsity_local(x, &p, c, k)), \
                 |x| {name}::f_jacobian(x, &p, c, k), \
                 |x0, x1, o| {{ let mut prep = {name}::f_jacobian_prepare_with(x0, &p, c, k, o); \
                   {name}::f_jacobian_prepared(&mut prep, x0, &p, c, k); \
                   case.allocates_nothing({name}::__asd_calls_on_constants_f(0), \"the prepared Jacobian evaluated again at its point\", || {{ {name}::f_jacobian_prepared(&mut prep, x0, &p, c, k); }}); \
                   {name}::f_jacobian_prepared(&mut prep, x1, &p, c, k).clone() }}, \
                 |x, d| {name}::f_jvp(x, &p, c, k, d), \
                 |x, d| {name}::f_vjp(x, &p, c, k, d));"
            ),
            Output::Param => format!(
                "common::check_vector(&case, \
                 |x| {{ let mut y = vec![0.0; n]; {name}::f(&mut y, x, &p, c, k); y }}, \
                 |x| {{ let mut y = vec![common::D::from(0.0); n]; {name}::reference(&mut y, x, &p, c, k); y }}, \
                 |x| ({name}::f_jacobian_sparsity(&mut vec![0.0; n], x, &p, c, k), \
                   {name}::f_jacobian_sparsity_local(&mut vec![0.0; n], x, &p, c, k)), \
                 |x| {name}::f_jacobian(&mut vec![0.0; n], x, &p, c, k), \
                 |x0, x1, o| {{ let mut y = vec![0.0; n]; \
                   let mut prep = {name}::f_jacobian_prepare_with(&mut y, x0, &p, c, k, o); \
                   {name}::f_jacobian_prepared(&mut prep, &mut y, x0, &p, c, k); \
                   case.allocates_nothing({name}::__asd_calls_on_constants_f(0), \"the prepared Jacobian evaluated again at its point\", || {{ {name}::f_jacobian_prepared(&mut prep, &mut y, x0, &p, c, k); }}); \
                   {name}::f_jacobian_prepared(&mut prep, &mut y, x1, &p, c, k).clone() }}, \
                 |x, d| {{ let mut y = vec![0.0; n]; let dy = {name}::f_jvp(&mut y, x, &p, c, k, d); (y, dy) }}, \
                 |x, d| {{ let mut y = vec![0.0; n]; let dx = {name}::f_vjp(&mut y, x, &p, c, k, d); (y, dx) }});"
            ),
            Output::Scalar => format!(
                "common::check_scalar(&case, \
                 |x| {name}::f(x, &p, c, k), \
                 |x| {name}::reference(x, &p, c, k), \
                 |x| {name}::f_gradient(x, &p, c, k), \
                 |x, d| {name}::f_jvp(x, &p, c, k, d), \
                 |x, d| {name}::f_vjp(x, &p, c, k, d), \
                 |x, v| {name}::f_hvp(x, &p, c, k, v), \
                 |x| ({name}::f_jacobian_sparsity(x, &p, c, k), {name}::f_jacobian_sparsity_local(x, &p, c, k)), \
                 |x| ({name}::f_hessian_sparsity(x, &p, c, k), {name}::f_hessian_sparsity_local(x, &p, c, k)), \
                 |x| {name}::f_hessian(x, &p, c, k), \
                 |x0, x1| {{ let mut prep = {name}::f_hessian_prepare(x0, &p, c, k); \
                   {name}::f_hessian_prepared(&mut prep, x0, &p, c, k); \
                   case.allocates_nothing({name}::__asd_calls_on_constants_f(0), \"the prepared Hessian evaluated again at its point\", || {{ {name}::f_hessian_prepared(&mut prep, x0, &p, c, k); }}); \
                   {name}::f_hessian_prepared(&mut prep, x1, &p, c, k).clone() }});"
            ),
        };
        format!(
            "pub mod {name} {{\n\
             use super::common::*;\n\n\
             /// The program as generated, printed when a check fails.\n\
             pub const SOURCE: &str = r####\"{plain}\"####;\n\n\
             {plain}\n{dual}}}\n\n\
             #[test]\nfn {name}() {{\n\
             let (n, c, k) = ({n}usize, {c}f64, {k}usize);\n\
             let case = common::Case::new(\"{name}\", {name}::SOURCE, n);\n\
             let p = case.constants();\n\
             {test}\n}}\n\n"
        )
    }

    /// `f(x, p, c, k)` and `reference(..)` over hyper-duals.
    fn main_fn(&mut self) -> (String, String) {
        let mut s = Scope {
            constants: true,
            ..Scope::default()
        };
        let (plain_sig, dual_sig) = match self.output {
            Output::Vector => (
                "pub fn f(x: &[f64], p: &[f64], c: f64, k: usize) -> Vec<f64>",
                "pub fn reference(x: &[D], p: &[f64], c: f64, k: usize) -> Vec<D>",
            ),
            Output::Scalar => (
                "pub fn f(x: &[f64], p: &[f64], c: f64, k: usize) -> f64",
                "pub fn reference(x: &[D], p: &[f64], c: f64, k: usize) -> D",
            ),
            Output::Param => (
                "pub fn f(y: &mut [f64], x: &[f64], p: &[f64], c: f64, k: usize)",
                "pub fn reference(y: &mut [D], x: &[D], p: &[f64], c: f64, k: usize)",
            ),
        };
        let mut lines = Lines::default();
        lines.line2("#[asd::sparse_diff]", "", &[]);
        lines.block(tpl2(plain_sig, dual_sig, &[]), |l| {
            l.line("let n = x.len();", &[]);
            s.indices = ["0", "n - 1", "n / 2", "k % n"].map(String::from).to_vec();
            let count = 2 + self.rng.below(6);
            for _ in 0..count {
                self.top_statement(l, &mut s);
            }
            self.finish(l, &s, self.output);
        });
        (lines.plain, lines.dual)
    }

    /// An annotated helper `hN(x: &[f64]) -> Vec<f64>` (of `x`'s length) or `-> f64`.
    fn helper(&mut self) -> (String, String) {
        let name = self.name("h");
        let vector = self.rng.chance(0.5);
        let (ret, dual_ret, output) = if vector {
            ("Vec<f64>", "Vec<D>", Output::Vector)
        } else {
            ("f64", "D", Output::Scalar)
        };
        let saved = std::mem::take(&mut self.helpers);
        let main_output = std::mem::replace(&mut self.output, output);
        let mut s = Scope::default();
        let mut lines = Lines::default();
        lines.line2("#[asd::sparse_diff]", "", &[]);
        lines.block(
            tpl2(
                &format!("pub fn {name}(x: &[f64]) -> {ret}"),
                &format!("pub fn {name}_ref(x: &[D]) -> {dual_ret}"),
                &[],
            ),
            |l| {
                l.line("let n = x.len();", &[]);
                s.indices = vec!["0".into(), "n - 1".into()];
                for _ in 0..1 + self.rng.below(3) {
                    self.top_statement(l, &mut s);
                }
                self.finish(l, &s, output);
            },
        );
        self.helpers = saved;
        self.output = main_output;
        self.helpers.push(Helper { name, vector });
        (lines.plain, lines.dual)
    }

    /// The last statements: the output.
    fn finish(&mut self, l: &mut Lines, s: &Scope, output: Output) {
        let inner = self.loop_scope(s, "i");
        match output {
            Output::Scalar => {
                let e = self.expr(s, 3);
                if self.rng.chance(0.3) {
                    let it = self.iterator_sum(s);
                    l.line("{} + {}", &[&e, &it]);
                } else {
                    l.line("{}", &[&e]);
                }
            }
            Output::Vector => {
                let helper = self.pick_helper(true);
                match if self.short { 2 } else { self.rng.below(5) } {
                    4 if s.constants => {
                        l.line2(
                            "let mut out = vec![0.0; n];",
                            "let mut out = vec![D::from(0.0); n];",
                            &[],
                        );
                        self.layer(l, "out");
                        l.line("out", &[]);
                    }
                    0 if !s.vectors.is_empty() => {
                        l.push(Code::same(self.rng.pick(&s.vectors).clone()));
                    }
                    1 if helper.is_some() => {
                        let arg = self.vector_arg(s);
                        l.push(helper.unwrap().call(&arg));
                    }
                    2 => {
                        let e = self.expr(&inner, 3);
                        l.line2(
                            "let mut out = Vec::new();",
                            "let mut out = Vec::new();",
                            &[],
                        );
                        let range = if self.short {
                            "for i in 0..n - 1"
                        } else {
                            "for i in 0..n"
                        };
                        l.block(Code::same(range), |l| l.line("out.push({});", &[&e]));
                        l.line("out", &[]);
                    }
                    _ => {
                        let e = self.expr(&inner, 3);
                        l.line2(
                            "let mut out = vec![0.0; n];",
                            "let mut out = vec![D::from(0.0); n];",
                            &[],
                        );
                        l.block(Code::same("for i in 0..n"), |l| {
                            l.line("out[i] = {};", &[&e])
                        });
                        l.line("out", &[]);
                    }
                }
            }
            Output::Param => {
                let e = self.expr(&inner, 3);
                if s.constants && self.rng.chance(0.25) {
                    self.layer(l, "y");
                } else {
                    l.block(Code::same("for i in 0..n"), |l| l.line("y[i] = {};", &[&e]));
                }
                if self.rng.chance(0.4) {
                    let (a, b) = self.exprs().condition(s, 2);
                    l.block(tpl2("if {} > {}", "if {}.re > {}.re", &[&a, &b]), |l| {
                        l.line("return;", &[])
                    });
                    let mut inner = inner.clone();
                    inner.vectors.push("y".into());
                    let e = self.expr(&inner, 2);
                    l.block(Code::same("for i in 0..n"), |l| {
                        l.compound(&Code::same("y[i]"), "+", &e)
                    });
                }
            }
        }
    }

    /// `out[i]` a function of one affine form of a window of the input, `p` its weights:
    /// a layer, whose rows are multiples of constant ones (scaled rows), unless a
    /// statement before steers by a differentiated real.
    fn layer(&mut self, l: &mut Lines, out: &str) {
        let width = 2 + self.rng.below(3);
        let bias = Code::real(self.rng.pick(&["c", "0.25"]).to_string());
        let &(p, q) = self.rng.pick(expr::UNARY);
        let mut f = tpl2(p, q, &[&Code::same("s")]);
        if self.rng.chance(0.3) {
            let &(p, q) = self.rng.pick(expr::UNARY);
            f = tpl2(p, q, &[&f]);
        }
        l.block(Code::same("for i in 0..n"), |l| {
            l.line("let mut s = {};", &[&bias]);
            l.block(Code::same(format!("for j in 0..{width}")), |l| {
                l.line2(
                    "s += p[(i + j) % n] * x[(i + j) % n];",
                    "s = s + D::from(p[(i + j) % n]) * x[(i + j) % n];",
                    &[],
                )
            });
            l.line2(
                &format!("{out}[i] = 0.5 * {{}} + c;"),
                &format!("{out}[i] = D::from(0.5) * {{}} + D::from(c);"),
                &[&f],
            );
        });
    }

    fn pick_helper(&mut self, vector: bool) -> Option<Helper> {
        let hs: Vec<Helper> = self
            .helpers
            .iter()
            .filter(|h| h.vector == vector)
            .cloned()
            .collect();
        (!hs.is_empty()).then(|| self.rng.pick(&hs).clone())
    }

    /// `x`, or `&v` for a vector in scope: an argument of `x`'s length.
    fn vector_arg(&mut self, s: &Scope) -> String {
        if s.vectors.is_empty() || self.rng.chance(0.3) {
            "x".into()
        } else {
            format!("&{}", self.rng.pick(&s.vectors))
        }
    }

    /// The scope inside `for i in 0..n`.
    fn loop_scope(&self, s: &Scope, i: &str) -> Scope {
        let mut inner = s.clone();
        inner.indices = vec![
            i.to_string(),
            i.to_string(),
            format!("({i} + 1) % n"),
            format!("n - 1 - {i}"),
            "0".into(),
        ];
        inner
    }

    fn new_scalar(&mut self, l: &mut Lines, s: &mut Scope, value: Code) {
        let name = self.name("s");
        if value.plain.parse::<f64>().is_ok() {
            // As people write it: a literal alone does not say it is an `f64`.
            l.line2(
                &format!("let mut {name}: f64 = {{}};"),
                &format!("let mut {name}: D = {{}};"),
                &[&value],
            );
        } else {
            l.line(&format!("let mut {name} = {{}};"), &[&value]);
        }
        s.scalars.push(name);
    }

    /// A statement at the top of a body: it may declare.
    fn top_statement(&mut self, l: &mut Lines, s: &mut Scope) {
        match self.rng.below(20) {
            0..=2 => {
                let e = self.expr(s, 3);
                self.new_scalar(l, s, e);
            }
            3..=6 => self.new_vector(l, s),
            7..=9 => {
                let inner = self.loop_scope(s, "i");
                l.block(Code::same("for i in 0..n"), |l| {
                    for _ in 0..1 + self.rng.below(3) {
                        self.loop_statement(l, &inner, true);
                    }
                });
            }
            10 => self.recurrence(l, s),
            11 => self.reassignment(l, s),
            12 => {
                let (a, b) = self.exprs().condition(s, 2);
                l.block(tpl2("if {} > {}", "if {}.re > {}.re", &[&a, &b]), |l| {
                    self.loop_statement(l, s, false)
                });
                l.block(Code::same("else"), |l| self.loop_statement(l, s, false));
            }
            13 => {
                let j = self.name("j");
                let inner = self.loop_scope(s, &j);
                let step = 1 + self.rng.below(2);
                l.line(&format!("let mut {j} = 0;"), &[]);
                if self.rng.chance(0.5) {
                    l.block(Code::same(format!("while {j} < n")), |l| {
                        self.loop_statement(l, &inner, false);
                        l.line(&format!("{j} += {step};"), &[]);
                    });
                } else {
                    l.block(Code::same("loop"), |l| {
                        l.block(Code::same(format!("if {j} >= n")), |l| {
                            l.line("break;", &[])
                        });
                        self.loop_statement(l, &inner, false);
                        l.line(&format!("{j} += {step};"), &[]);
                    });
                }
            }
            14..=15 => self.helper_call(l, s),
            16 => {
                let it = self.iterator_sum(s);
                if s.scalars.is_empty() {
                    self.new_scalar(l, s, it);
                } else {
                    let t = Code::same(self.rng.pick(&s.scalars).clone());
                    l.compound(&t, "+", &it);
                }
            }
            17 if !s.vectors.is_empty() => {
                // Elements through `iter_mut().zip(..)`: read and written through `*a`.
                let v = self.rng.pick(&s.vectors).clone();
                let mut inner = s.clone();
                inner
                    .scalars
                    .extend(["(*a)".to_string(), "(*b)".to_string()]);
                inner.vectors.clear();
                inner.indices = vec!["0".into()];
                let e = self.expr(&inner, 2);
                l.block(
                    Code::same(format!("for (a, b) in {v}.iter_mut().zip(x.iter())")),
                    |l| l.line("*a = {};", &[&e]),
                );
            }
            18 if self.output == Output::Scalar || self.output == Output::Vector && !self.short => {
                let (a, b) = self.exprs().condition(s, 2);
                let value = self.return_value(s);
                l.block(tpl2("if {} > {}", "if {}.re > {}.re", &[&a, &b]), |l| {
                    l.line("return {};", &[&value])
                });
            }
            _ => {
                let e = self.expr(s, 2);
                self.new_scalar(l, s, e);
            }
        }
    }

    /// What an early return gives back.
    fn return_value(&mut self, s: &Scope) -> Code {
        match self.output {
            Output::Scalar => self.expr(s, 2),
            _ if !s.vectors.is_empty() => Code::same(self.rng.pick(&s.vectors).clone()),
            _ => Code::same("x.to_vec()"),
        }
    }

    /// A new vector of length `n`, built one of the ways people build them.
    fn new_vector(&mut self, l: &mut Lines, s: &mut Scope) {
        let v = self.name("v");
        let inner = self.loop_scope(s, "i");
        match self.rng.below(6) {
            0 => l.line(&format!("let mut {v} = x.to_vec();"), &[]),
            1 => {
                let e = self.expr(&inner, 3);
                l.line2(
                    &format!("let mut {v}: Vec<f64> = vec![0.0; n];"),
                    &format!("let mut {v}: Vec<D> = vec![D::from(0.0); n];"),
                    &[],
                );
                l.block(Code::same("for i in 0..n"), |l| {
                    l.line(&format!("{v}[i] = {{}};"), &[&e])
                });
            }
            2 => {
                let e = self.expr(&inner, 3);
                l.line2(
                    &format!("let mut {v}: Vec<f64> = Vec::new();"),
                    &format!("let mut {v}: Vec<D> = Vec::new();"),
                    &[],
                );
                l.block(Code::same("for i in 0..n"), |l| {
                    l.line(&format!("{v}.push({{}});"), &[&e])
                });
            }
            3 => {
                // `push` reading the vector it grows.
                let first = self.expr(s, 2);
                let e = self.expr(&inner, 2);
                let &(p, q) = self.rng.pick(&[
                    ("{}.sin()", "{}.sin()"),
                    ("{}.tanh()", "{}.tanh()"),
                    ("{}.max({})", "max_d({}, {})"),
                ]);
                let prev = Code::same(format!("{v}[i - 1]"));
                let f = if p.contains("max") {
                    tpl2(p, q, &[&prev, &e])
                } else {
                    tpl2(p, q, &[&prev])
                };
                l.line2(
                    &format!("let mut {v}: Vec<f64> = vec![{{}}];"),
                    &format!("let mut {v}: Vec<D> = vec![{{}}];"),
                    &[&first],
                );
                l.block(Code::same("for i in 1..n"), |l| {
                    l.line(&format!("{v}.push({{}} * 0.5 + {{}});"), &[&f, &e])
                });
            }
            4 => {
                let e = self.expr(s, 2);
                l.line2(
                    &format!("let mut {v}: Vec<f64> = vec![{{}}; n];"),
                    &format!("let mut {v}: Vec<D> = vec![{{}}; n];"),
                    &[&e],
                );
            }
            _ => {
                let mut closure = s.clone();
                closure.scalars.push("t".into());
                closure.indices.clear();
                let e = self.expr(&closure, 2);
                l.line2(
                    &format!("let mut {v}: Vec<f64> = x.iter().copied().map(|t| {{}}).collect();"),
                    &format!("let mut {v}: Vec<D> = x.iter().copied().map(|t| {{}}).collect();"),
                    &[&e],
                );
            }
        }
        s.vectors.push(v);
    }

    /// A statement inside a loop or a branch: assignments only. `in_for`: a `for` body,
    /// where `continue` and an integer early return may appear.
    fn loop_statement(&mut self, l: &mut Lines, s: &Scope, in_for: bool) {
        let target = if !s.vectors.is_empty() && self.rng.chance(0.6) {
            let v = self.rng.pick(&s.vectors).clone();
            Some(Code::same(format!("{v}[{}]", s.indices[0])))
        } else if !s.scalars.is_empty() {
            Some(Code::same(self.rng.pick(&s.scalars).clone()))
        } else {
            None
        };
        let Some(target) = target else {
            return;
        };
        let e = self.expr(s, 2);
        match self.rng.below(12) {
            0..=2 => l.line("{} = {};", &[&target, &e]),
            3..=5 => l.compound(&target, "+", &e),
            6 => l.compound(&target, "-", &e),
            7 => {
                let factor = tpl("({}.sin() * 0.25 + 0.5)", &[&self.operand(s, 1)]);
                l.compound(&target, "*", &factor)
            }
            8 if in_for => {
                let (a, b) = self.exprs().condition(s, 1);
                l.block(tpl2("if {} > {}", "if {}.re > {}.re", &[&a, &b]), |l| {
                    l.line("continue;", &[])
                });
                l.compound(&target, "+", &e);
            }
            9 if in_for && s.constants && self.output == Output::Scalar => {
                l.block(Code::same(format!("if {} == k", s.indices[0])), |l| {
                    l.line("return {};", &[&e])
                });
            }
            10 => {
                l.block(Code::same(format!("if {} % 2 == 0", s.indices[0])), |l| {
                    l.compound(&target, "+", &e)
                });
            }
            _ => {
                let (a, b) = self.exprs().condition(s, 1);
                let e2 = self.expr(s, 1);
                l.block(tpl2("if {} > {}", "if {}.re > {}.re", &[&a, &b]), |l| {
                    l.line("{} = {};", &[&target, &e])
                });
                l.block(Code::same("else"), |l| l.compound(&target, "+", &e2));
            }
        }
    }

    /// An in-place recurrence: each element from its neighbour's new value.
    fn recurrence(&mut self, l: &mut Lines, s: &mut Scope) {
        if s.vectors.is_empty() {
            return self.new_vector(l, s);
        }
        let v = self.rng.pick(&s.vectors).clone();
        let mut inner = self.loop_scope(s, "i");
        let forward = self.rng.chance(0.6);
        let (head, prev) = if forward {
            ("for i in 1..n", format!("{v}[i - 1]"))
        } else {
            ("for i in (0..n - 1).rev()", format!("{v}[i + 1]"))
        };
        inner.indices.retain(|i| i != "(i + 1) % n");
        let e = self.expr(&inner, 2);
        let &(p, q) = self.rng.pick(&[
            ("{}.sin()", "{}.sin()"),
            ("{}.tanh()", "{}.tanh()"),
            ("{}", "{}"),
        ]);
        let f = tpl2(p, q, &[&Code::same(prev)]);
        l.block(Code::same(head), |l| {
            l.line(&format!("{v}[i] = {v}[i] * 0.5 + {{}} * {{}};"), &[&f, &e])
        });
    }

    /// Whole-vector reassignment, `k` times: `v = w` from a fresh `w`.
    fn reassignment(&mut self, l: &mut Lines, s: &mut Scope) {
        if s.vectors.is_empty() {
            return self.new_vector(l, s);
        }
        let v = self.rng.pick(&s.vectors).clone();
        let w = self.name("w");
        let inner = self.loop_scope(s, "i");
        let e = self.expr(&inner, 2);
        l.block(Code::same(repeat(s)), |l| {
            l.line2(
                &format!("let mut {w} = vec![0.0; n];"),
                &format!("let mut {w} = vec![D::from(0.0); n];"),
                &[],
            );
            l.block(Code::same("for i in 0..n"), |l| {
                l.line(
                    &format!("{w}[i] = {v}[(i + 1) % n] - {v}[i] + {{}};"),
                    &[&e],
                )
            });
            l.line(&format!("{v} = {w};"), &[]);
        });
    }

    /// A call of an annotated helper, its result used one of the ways people use one.
    fn helper_call(&mut self, l: &mut Lines, s: &mut Scope) {
        let vector = self.rng.chance(0.5);
        let Some(h) = self.pick_helper(vector) else {
            let e = self.expr(s, 2);
            return self.new_scalar(l, s, e);
        };
        let arg = self.vector_arg(s);
        if h.vector {
            match self.rng.below(5) {
                0 | 1 => {
                    let u = self.name("u");
                    l.line(&format!("let mut {u} = {{}};"), &[&h.call(&arg)]);
                    s.vectors.push(u);
                }
                2 if !s.vectors.is_empty() => {
                    let v = self.rng.pick(&s.vectors).clone();
                    l.line(&format!("{v} = {{}};"), &[&h.call(&format!("&{v}"))]);
                }
                3 if !s.vectors.is_empty() => {
                    let v = self.rng.pick(&s.vectors).clone();
                    l.block(Code::same(repeat(s)), |l| {
                        l.line(&format!("{v} = {{}};"), &[&h.call(&format!("&{v}"))])
                    });
                }
                _ => {
                    let u = self.name("_unused");
                    l.line(&format!("let {u} = {{}};"), &[&h.call(&arg)]);
                }
            }
        } else {
            let arg = if arg != "x" && self.rng.chance(0.3) {
                format!("{arg}[1..]")
            } else {
                arg
            };
            let call = h.call(&arg);
            match self.rng.below(3) {
                0 => {
                    let v = self.name("v");
                    l.line2(
                        &format!("let mut {v} = vec![{{}}; n];"),
                        &format!("let mut {v} = vec![{{}}; n];"),
                        &[&call],
                    );
                    s.vectors.push(v);
                }
                1 => {
                    let e = self.expr(s, 2);
                    self.new_scalar(l, s, tpl("({} * {}).sin()", &[&call, &e]));
                }
                _ => self.new_scalar(l, s, call),
            }
        }
    }

    /// An iterator chain consumed to a real.
    fn iterator_sum(&mut self, s: &Scope) -> Code {
        let v = if s.vectors.is_empty() {
            "x".to_string()
        } else {
            self.rng.pick(&s.vectors).clone()
        };
        let mut closure = s.clone();
        closure.indices.clear();
        closure.vectors.clear();
        match self.rng.below(3) {
            0 => {
                closure.scalars.push("t".into());
                let e = self.expr(&closure, 2);
                tpl2(
                    &format!("{v}.iter().copied().map(|t| {{}}).sum::<f64>()"),
                    &format!("{v}.iter().copied().map(|t| {{}}).sum::<D>()"),
                    &[&e],
                )
            }
            1 => {
                closure.scalars.extend(["a".to_string(), "b".to_string()]);
                let e = self.expr(&closure, 2);
                tpl2(
                    &format!("{v}.iter().zip(x.iter()).map(|(&a, &b)| {{}}).sum::<f64>()"),
                    &format!("{v}.iter().zip(x.iter()).map(|(&a, &b)| {{}}).sum::<D>()"),
                    &[&e],
                )
            }
            _ => {
                closure.scalars.extend(["acc".to_string(), "t".to_string()]);
                let e = self.expr(&closure, 2);
                tpl2(
                    &format!("{v}.iter().fold(0.0_f64, |acc, &t| acc + {{}})"),
                    &format!("{v}.iter().fold(D::from(0.0), |acc, &t| acc + {{}})"),
                    &[&e],
                )
            }
        }
    }
}

/// A few repetitions: `k` times in a program, twice in a helper (which has no `k`).
fn repeat(s: &Scope) -> &'static str {
    if s.constants {
        "for _ in 0..k"
    } else {
        "for _ in 0..2"
    }
}
