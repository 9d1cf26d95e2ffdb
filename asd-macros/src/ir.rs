//! The IR every pass reads and writes: structured statements over real expression trees.
//!
//! Reals are the only values that get derivatives, so they are the only values the IR
//! looks into. Integer and boolean expressions (indices, loop bounds, conditions) are
//! kept as the user wrote them ([`Opaque`]: their tokens, with shadowed locals renamed,
//! and the variables they read), since every pass evaluates them the same way.
//!
//! ```text
//! z[i] = y[i + 1] - y[i];     Store { vec: z, index: `i`, value: Sub(Index(y, `i + 1`), Index(y, `i`)) }
//! s += x[i].sin();            Assign { var: s, rhs: Real(Add(Var(s), Sin(Index(x, `i`)))) }
//! ```

use proc_macro2::{Span, TokenStream};
use syn::Ident;

use crate::rules::Op;

/// Index into [`Function::vars`].
pub type VarId = usize;

/// What a variable holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// `f64`
    Real,
    /// `Vec<f64>` or `&[f64]`
    RealVec,
    /// any primitive integer
    Int,
    /// `bool`
    Bool,
    /// a constant the passes only pass through (`&[usize]`, ...)
    Other,
}

impl Ty {
    /// Reals and real vectors: the values that can carry derivatives.
    pub fn is_real(self) -> bool {
        matches!(self, Ty::Real | Ty::RealVec)
    }
}

/// Where a variable comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The function's parameter at this position.
    Param(usize),
    /// A `let` of the user's, or a `for` loop variable.
    Local,
    /// A temporary introduced by a pass.
    Temp,
    /// The statement `panic!(..)` (or `unreachable!`, `todo!`, `unimplemented!`), held
    /// as a `let` of nothing: code that computes values runs it where the function
    /// does, and the analysis drops it where its condition or message reads a
    /// differentiated real, as it does assertions (the tracers run both arms of such a
    /// branch).
    Panic,
}

#[derive(Clone, Debug)]
pub struct Var {
    /// The emitted name: the user's own, renamed (`y_1`) only where shadowing would clash.
    pub name: Ident,
    pub ty: Ty,
    pub origin: Origin,
    /// Depends on the active input (set by `analyse`).
    pub active: bool,
    /// Holds `L` derivative directions: `[f64; L]` for a real, `[[f64; L]]` for a vector.
    pub lanes: bool,
    /// The derivative of this variable, once a pass made one.
    pub deriv: Option<VarId>,
}

impl Var {
    /// Whether it is one of the function's parameters.
    pub fn is_param(&self) -> bool {
        matches!(self.origin, Origin::Param(_))
    }
}

/// An integer, boolean or constant expression kept as written.
#[derive(Clone, Debug)]
pub struct Opaque {
    pub tokens: TokenStream,
    /// The variables whose *values* it reads (`y.len()` reads no value of `y`).
    pub reads: Vec<VarId>,
    pub span: Span,
}

/// A real-valued expression tree.
#[derive(Clone, Debug)]
pub enum Expr {
    /// A real scalar variable.
    Var(VarId),
    /// `v[index]` of a real vector.
    Index(VarId, Opaque),
    /// A float literal.
    Lit(f64),
    /// A real that depends on no real variable: `i as f64`, `f64::consts::PI`.
    Const(Opaque),
    /// An operation of the table of rules.
    Apply(Op, Vec<Expr>),
    /// An integer operand of an operation (`powi`'s exponent), kept as written: it has
    /// no derivative.
    Int(Opaque),
}

impl Expr {
    pub fn lit(v: f64) -> Expr {
        Expr::Lit(v)
    }
    pub fn app(op: Op, args: Vec<Expr>) -> Expr {
        Expr::Apply(op, args)
    }
    pub fn add(a: Expr, b: Expr) -> Expr {
        Expr::Apply(Op::Add, vec![a, b])
    }
    pub fn sub(a: Expr, b: Expr) -> Expr {
        Expr::Apply(Op::Sub, vec![a, b])
    }
    pub fn mul(a: Expr, b: Expr) -> Expr {
        Expr::Apply(Op::Mul, vec![a, b])
    }
    pub fn div(a: Expr, b: Expr) -> Expr {
        Expr::Apply(Op::Div, vec![a, b])
    }
    pub fn neg(a: Expr) -> Expr {
        Expr::Apply(Op::Neg, vec![a])
    }

    /// Calls `f` on every variable the tree reads (vectors of `Index` included, and the
    /// variables read by its integer parts).
    pub fn for_each_read(&self, f: &mut impl FnMut(VarId)) {
        match self {
            Expr::Var(v) => f(*v),
            Expr::Index(v, i) => {
                f(*v);
                i.reads.iter().for_each(|&r| f(r));
            }
            Expr::Lit(_) => {}
            Expr::Const(o) | Expr::Int(o) => o.reads.iter().for_each(|&r| f(r)),
            Expr::Apply(_, args) => args.iter().for_each(|a| a.for_each_read(f)),
        }
    }

    /// Whether the tree reads variable `v`.
    pub fn reads(&self, v: VarId) -> bool {
        let mut found = false;
        self.for_each_read(&mut |r| found |= r == v);
        found
    }

    /// Whether two expressions are the same computation: the same tree over the same
    /// variables, told apart by id (a temporary and a user's variable may share a name).
    pub fn same(&self, other: &Expr) -> bool {
        let same_opaque = |o: &Opaque, p: &Opaque| {
            o.reads == p.reads && o.tokens.to_string() == p.tokens.to_string()
        };
        match (self, other) {
            (Expr::Var(u), Expr::Var(v)) => u == v,
            (Expr::Index(u, i), Expr::Index(v, j)) => u == v && same_opaque(i, j),
            (Expr::Lit(x), Expr::Lit(y)) => x.to_bits() == y.to_bits(),
            (Expr::Const(o), Expr::Const(p)) | (Expr::Int(o), Expr::Int(p)) => same_opaque(o, p),
            (Expr::Apply(f, xs), Expr::Apply(g, ys)) => {
                f == g && xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| x.same(y))
            }
            (
                Expr::Var(_)
                | Expr::Index(..)
                | Expr::Lit(_)
                | Expr::Const(_)
                | Expr::Int(_)
                | Expr::Apply(..),
                _,
            ) => false,
        }
    }

    /// `a * b`, with the unit and sign factors folded.
    pub fn times(a: Expr, b: Expr) -> Expr {
        match (a, b) {
            (Expr::Lit(1.0), b) => b,
            (a, Expr::Lit(1.0)) => a,
            (Expr::Lit(-1.0), b) => Expr::neg(b),
            (a, Expr::Lit(-1.0)) => Expr::neg(a),
            (a, b) => Expr::mul(a, b),
        }
    }

    /// `-c`, a literal's sign flipped and `--c` undone.
    pub fn negated(c: Expr) -> Expr {
        match c {
            Expr::Lit(v) => Expr::lit(-v),
            Expr::Apply(Op::Neg, mut a) => a.remove(0),
            c => Expr::neg(c),
        }
    }

    /// `a + b`, two literals added here, and `a - c` where `b` is `-c`, `-4.0` or
    /// `-4.0 * x`.
    pub fn plus(a: Expr, b: Expr) -> Expr {
        if let (Expr::Lit(x), Expr::Lit(y)) = (&a, &b) {
            return Expr::lit(x + y);
        }
        match negative(b) {
            Ok(c) => Expr::sub(a, c),
            Err(b) => Expr::add(a, b),
        }
    }
}

/// `Ok(c)` for an `e` that is `-c`, a negative literal or a product whose first factor
/// is one of them; `Err(e)` for the others.
fn negative(e: Expr) -> Result<Expr, Expr> {
    match e {
        Expr::Apply(Op::Neg, mut c) => Ok(c.remove(0)),
        Expr::Lit(y) if y < 0.0 => Ok(Expr::lit(-y)),
        Expr::Apply(Op::Mul, mut m) => {
            let b = m.pop().expect("a product of two");
            match negative(m.pop().expect("a product of two")) {
                Ok(a) => Ok(Expr::mul(a, b)),
                Err(a) => Err(Expr::mul(a, b)),
            }
        }
        e => Err(e),
    }
}

/// The right-hand side of a `let` or an assignment.
#[derive(Clone, Debug)]
pub enum Rhs {
    Real(Expr),
    Vec(VecExpr),
    /// An integer, boolean or constant value.
    Opaque(Opaque),
}

/// A whole real vector.
#[derive(Clone, Debug)]
pub enum VecExpr {
    /// `vec![value; len]`
    Filled(Expr, Opaque),
    /// `vec![0.0; len]` whose every element the loop right after it writes before
    /// anything reads it (found by `analyse`): its buffer need not be zeroed.
    Overwritten(Opaque),
    /// `vec![a, b, c]`
    List(Vec<Expr>),
    /// `Vec::new()` / `Vec::with_capacity(n)`
    Empty(Option<Opaque>),
    /// `v.to_vec()`, `v.clone()`
    Copy(VarId),
    /// `y = z`: `z` is moved.
    Move(VarId),
}

/// A call to another function.
#[derive(Clone, Debug)]
pub struct Call {
    /// The callee as written (`g`, `crate::m::g`).
    pub path: syn::Path,
    pub args: Vec<Arg>,
    /// The operation this call is lowered to (set by the passes).
    pub kind: CallKind,
    /// How the user wrote it, where the IR holds it in vector form; a plain call is
    /// emitted as written ([`crate::emit::plain_args`]).
    pub written: Written,
    /// It reads a vector that depends on the active input (set by
    /// [`analyse`](crate::analyse::analyse)): the tracers call the callee's tracer, so the
    /// callee is an annotated function, and sweeps call its pooled primal for the value
    /// ([`crate::emit::plain_call`]). A call on constants may be of any function.
    pub traced: bool,
    pub span: Span,
}

impl Call {
    /// The output parameters it writes (`&mut w`).
    pub fn outputs(&self) -> impl Iterator<Item = &VarId> {
        self.args.iter().filter_map(|a| match a {
            Arg::Out(v) => Some(v),
            Arg::Vec(..) | Arg::Other(_) => None,
        })
    }
}

/// How the user wrote a call that the IR holds with a vector argument in its place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    /// As the IR holds it.
    AsIs,
    /// `g(&mut v)` of a function that updates its input in place: the map `v = g(&v)`.
    InPlace,
    /// `g(t)` of a function of one real: its input is the one-element vector `[t]`.
    OnReal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    /// The plain function, on constants.
    Plain,
    /// The callee's tangent code (`L` lanes): each active or output argument is
    /// followed by its derivative.
    Tangent,
}

#[derive(Clone, Debug)]
pub enum Arg {
    /// `&v`, `x`: a real vector passed by reference; `&v[a..b]` with the range.
    Vec(VarId, Option<Opaque>),
    /// `&mut v`: an output the callee writes.
    Out(VarId),
    /// Anything else: integers, booleans, constant reals.
    Other(Opaque),
}

impl Arg {
    /// `&v`, or `&v[a..b]`, of the vector named `n` (the argument's vector, or its
    /// derivative or adjoint) with the argument's range; `mutable` for `&mut`.
    pub fn slice_of(range: &Option<Opaque>, n: &Ident, mutable: bool) -> TokenStream {
        let m = mutable.then(|| quote::quote!(mut));
        match range {
            None if mutable => quote::quote!(&mut *#n),
            None => quote::quote!(&#n),
            Some(r) => {
                let r = &r.tokens;
                quote::quote!(&#m #n[#r])
            }
        }
    }
}

/// How a `for` loop walks its range.
#[derive(Clone, Debug)]
pub struct Range {
    pub start: Opaque,
    pub end: Opaque,
    pub inclusive: bool,
    /// `.rev()` / `.step_by(s)` in the order written.
    pub adapters: Vec<Adapter>,
}

impl Range {
    /// The integer operands of the range: its start, its end and any `.step_by(s)`.
    pub fn bounds(&self) -> impl Iterator<Item = &Opaque> {
        [&self.start, &self.end]
            .into_iter()
            .chain(self.adapters.iter().filter_map(|a| match a {
                Adapter::StepBy(s) => Some(s),
                Adapter::Rev => None,
            }))
    }
}

#[derive(Clone, Debug)]
pub enum Adapter {
    Rev,
    StepBy(Opaque),
}

#[derive(Clone, Debug)]
pub enum Stmt {
    /// `let var = init;` (declares `var` in the current block)
    Let {
        var: VarId,
        init: Option<Rhs>,
    },
    /// `var = rhs;`, written at `span` (where explanations say it is; the call site
    /// for assignments the compiler made).
    Assign {
        var: VarId,
        rhs: Rhs,
        span: Span,
    },
    /// `vec[index] = value;`
    Store {
        vec: VarId,
        index: Opaque,
        value: Expr,
    },
    /// `vec.push(value);`
    Push {
        vec: VarId,
        value: Expr,
    },
    /// `results = path(args);` — `declare` for a `let`. The tangent of a call has two
    /// results: the value and its derivative.
    Call {
        results: Vec<VarId>,
        declare: bool,
        call: Call,
    },
    For {
        var: VarId,
        range: Range,
        body: Vec<Stmt>,
    },
    While {
        cond: Opaque,
        body: Vec<Stmt>,
    },
    If {
        cond: Opaque,
        then: Vec<Stmt>,
        els: Vec<Stmt>,
    },
    /// `return value;` (`None` for functions that write an output parameter).
    Return(Option<VarId>),
    Block(Vec<Stmt>),
}

impl Stmt {
    /// A `for`, block or `if` with nothing left inside, which can go. (A `while` stays:
    /// its condition decides whether the function ends.)
    pub fn is_emptied(&self) -> bool {
        match self {
            Stmt::For { body, .. } | Stmt::Block(body) => body.is_empty(),
            Stmt::If { then, els, .. } => then.is_empty() && els.is_empty(),
            Stmt::Let { .. }
            | Stmt::Assign { .. }
            | Stmt::Store { .. }
            | Stmt::Push { .. }
            | Stmt::Call { .. }
            | Stmt::While { .. }
            | Stmt::Return(_) => false,
        }
    }

    /// The `panic!(..)` (or its kin) this statement is ([`Origin::Panic`]).
    pub fn panic(&self, vars: &[Var]) -> Option<&Opaque> {
        match self {
            Stmt::Let {
                var,
                init: Some(Rhs::Opaque(o)),
            } if vars[*var].origin == Origin::Panic => Some(o),
            _ => None,
        }
    }

    /// The bodies the statement holds: a loop's or a block's, or both arms of an `if`.
    pub fn bodies(&self) -> impl Iterator<Item = &Vec<Stmt>> {
        let (a, b) = match self {
            Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Block(body) => {
                (Some(body), None)
            }
            Stmt::If { then, els, .. } => (Some(then), Some(els)),
            Stmt::Let { .. }
            | Stmt::Assign { .. }
            | Stmt::Store { .. }
            | Stmt::Push { .. }
            | Stmt::Call { .. }
            | Stmt::Return(_) => (None, None),
        };
        a.into_iter().chain(b)
    }

    /// [`bodies`](Self::bodies), to change in place.
    pub fn bodies_mut(&mut self) -> impl Iterator<Item = &mut Vec<Stmt>> {
        let (a, b) = match self {
            Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Block(body) => {
                (Some(body), None)
            }
            Stmt::If { then, els, .. } => (Some(then), Some(els)),
            Stmt::Let { .. }
            | Stmt::Assign { .. }
            | Stmt::Store { .. }
            | Stmt::Push { .. }
            | Stmt::Call { .. }
            | Stmt::Return(_) => (None, None),
        };
        a.into_iter().chain(b)
    }

    /// The statement with every body it holds (a loop's, a block's, both arms of an
    /// `if`) replaced by `f` of it: the recursion of passes that rebuild the tree.
    pub fn map_bodies(mut self, f: &mut impl FnMut(&[Stmt]) -> Vec<Stmt>) -> Stmt {
        for body in self.bodies_mut() {
            *body = f(body);
        }
        self
    }

    /// Calls `f` on every variable the statement itself names (not those of the bodies it
    /// holds): what it reads, writes or declares.
    pub fn for_each_var(&self, f: &mut impl FnMut(VarId)) {
        let opaque = |o: &Opaque, f: &mut dyn FnMut(VarId)| o.reads.iter().for_each(|&r| f(r));
        let rhs = |r: &Rhs, f: &mut dyn FnMut(VarId)| match r {
            Rhs::Real(e) => e.for_each_read(&mut |v| f(v)),
            Rhs::Opaque(o) => opaque(o, f),
            Rhs::Vec(VecExpr::Filled(e, n)) => {
                e.for_each_read(&mut |v| f(v));
                opaque(n, f);
            }
            Rhs::Vec(VecExpr::Overwritten(n) | VecExpr::Empty(Some(n))) => opaque(n, f),
            Rhs::Vec(VecExpr::List(items)) => {
                items.iter().for_each(|e| e.for_each_read(&mut |v| f(v)))
            }
            Rhs::Vec(VecExpr::Empty(None)) => {}
            Rhs::Vec(VecExpr::Copy(u) | VecExpr::Move(u)) => f(*u),
        };
        match self {
            Stmt::Let { var, init } => {
                f(*var);
                if let Some(r) = init {
                    rhs(r, f);
                }
            }
            Stmt::Assign { var, rhs: r, .. } => {
                f(*var);
                rhs(r, f);
            }
            Stmt::Store { vec, index, value } => {
                f(*vec);
                opaque(index, f);
                value.for_each_read(f);
            }
            Stmt::Push { vec, value } => {
                f(*vec);
                value.for_each_read(f);
            }
            Stmt::Call { results, call, .. } => {
                results.iter().for_each(|&r| f(r));
                for a in &call.args {
                    match a {
                        Arg::Vec(v, range) => {
                            f(*v);
                            range.iter().for_each(|r| opaque(r, f));
                        }
                        Arg::Out(v) => f(*v),
                        Arg::Other(o) => opaque(o, f),
                    }
                }
            }
            Stmt::For { var, range, .. } => {
                f(*var);
                range.bounds().for_each(|o| opaque(o, f));
            }
            Stmt::While { cond, .. } | Stmt::If { cond, .. } => opaque(cond, f),
            Stmt::Return(v) => v.iter().for_each(|&v| f(v)),
            Stmt::Block(_) => {}
        }
    }

    /// A real assigned by `let var = e;`, `var = e;` or `var[index] = e;`: the target,
    /// the value and, for a store, the index. The passes that reorder or drop such
    /// statements read them through this.
    pub fn real_assignment(&self) -> Option<(VarId, &Expr, Option<&Opaque>)> {
        match self {
            Stmt::Let {
                var,
                init: Some(Rhs::Real(e)),
            }
            | Stmt::Assign {
                var,
                rhs: Rhs::Real(e),
                ..
            } => Some((*var, e, None)),
            Stmt::Store { vec, index, value } => Some((*vec, value, Some(index))),
            Stmt::Let { .. }
            | Stmt::Assign { .. }
            | Stmt::Push { .. }
            | Stmt::Call { .. }
            | Stmt::For { .. }
            | Stmt::While { .. }
            | Stmt::If { .. }
            | Stmt::Return(_)
            | Stmt::Block(_) => None,
        }
    }
}

/// What the function gives back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// `-> f64`
    Scalar,
    /// `-> Vec<f64>`
    Vector,
    /// `y: &mut [f64]`, the parameter at this position.
    Param(usize),
}

/// One parameter of the user's function.
#[derive(Clone, Debug)]
pub struct Param {
    pub var: VarId,
    pub ty: syn::Type,
    pub role: Role,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The active input `x: &[f64]`.
    Active,
    /// The output `y: &mut [f64]`.
    Output,
    /// Passed through unchanged.
    Constant,
}

/// A rule the user wrote for a function the macro cannot see into:
/// `#[sparse_diff(rules(callee = ty))]`, `ty` implementing `asd::Rule`.
#[derive(Clone, Debug)]
pub struct UserRule {
    /// The function as the body calls it (`libm::j0`).
    pub callee: syn::Path,
    /// The rule's type (`J0`).
    pub ty: syn::Type,
}

/// A lowered function.
#[derive(Clone, Debug)]
pub struct Function {
    pub params: Vec<Param>,
    pub output: Output,
    pub vars: Vec<Var>,
    pub body: Vec<Stmt>,
    /// The user's rules, which [`Op::User`] operations name by position.
    pub rules: Vec<UserRule>,
}

impl Function {
    /// Adds a variable the user did not write (a temporary, a derivative), named `name`
    /// or, where a variable has that name already, `name_1`, `name_2`...: names are
    /// unique in a function, so the names derived from them (`v_d`, `v_b`) are too.
    pub fn new_var(&mut self, name: &str, ty: Ty, lanes: bool) -> VarId {
        let taken = |n: &str| self.vars.iter().any(|v| v.name == n);
        let mut unique = name.to_string();
        let mut k = 1;
        while taken(&unique) {
            unique = format!("{name}_{k}");
            k += 1;
        }
        self.vars.push(Var {
            name: Ident::new(&unique, Span::mixed_site()),
            ty,
            origin: Origin::Temp,
            active: false,
            lanes,
            deriv: None,
        });
        self.vars.len() - 1
    }

    /// The active input parameter.
    pub fn active_param(&self) -> &Param {
        self.params
            .iter()
            .find(|p| p.role == Role::Active)
            .expect("parse guarantees an active parameter")
    }

    /// The output parameter, for functions that write `y: &mut [f64]`.
    pub fn output_param(&self) -> Option<&Param> {
        self.params.iter().find(|p| p.role == Role::Output)
    }
}

/// What a statement writes itself, and from what: the flow-insensitive analyses (the
/// activity, the forms of scaled rows) join the one into the other until nothing changes.
pub enum Def<'a> {
    /// `let var = rhs;`, `var = rhs;`
    Whole(VarId, &'a Rhs),
    /// `vec[i] = value;`, `vec.push(value);`
    Element(VarId, &'a Expr),
    /// `results = g(args);`, which also writes its `&mut` outputs.
    Call(&'a [VarId], &'a Call),
}

impl Stmt {
    /// What it writes itself: nothing for a loop, branch or block (their bodies do).
    pub fn def(&self) -> Option<Def<'_>> {
        match self {
            Stmt::Let {
                var,
                init: Some(rhs),
            }
            | Stmt::Assign { var, rhs, .. } => Some(Def::Whole(*var, rhs)),
            Stmt::Store { vec, value, .. } | Stmt::Push { vec, value } => {
                Some(Def::Element(*vec, value))
            }
            Stmt::Call { results, call, .. } => Some(Def::Call(results, call)),
            Stmt::Let { init: None, .. }
            | Stmt::For { .. }
            | Stmt::While { .. }
            | Stmt::If { .. }
            | Stmt::Block(_)
            | Stmt::Return(_) => None,
        }
    }
}

/// Walks every statement, nested ones included, in order.
pub fn visit_stmts<'a>(body: &'a [Stmt], f: &mut impl FnMut(&'a Stmt)) {
    for s in body {
        f(s);
        s.bodies().for_each(|body| visit_stmts(body, f));
    }
}

impl Opaque {
    /// Tokens made by a pass, reading `reads`.
    pub fn new(tokens: TokenStream, reads: Vec<VarId>) -> Self {
        Opaque {
            tokens,
            reads,
            span: Span::call_site(),
        }
    }
}

// ---- what a statement writes ----------------------------------------------------------

impl Stmt {
    /// Calls `f` on every variable this statement itself (not a body it holds) gives a
    /// value to, other than by a `let` or as a loop variable: an assignment's target, the
    /// vector of a store or a push, a call's results (declared by it or not) and the
    /// outputs it passes as `&mut`.
    pub fn for_each_write(&self, mut f: impl FnMut(VarId)) {
        match self {
            Stmt::Assign { var, .. } => f(*var),
            Stmt::Store { vec, .. } | Stmt::Push { vec, .. } => f(*vec),
            Stmt::Call { results, call, .. } => {
                results.iter().for_each(|&r| f(r));
                for a in &call.args {
                    if let Arg::Out(w) = a {
                        f(*w);
                    }
                }
            }
            Stmt::Let { .. }
            | Stmt::For { .. }
            | Stmt::While { .. }
            | Stmt::If { .. }
            | Stmt::Return(_)
            | Stmt::Block(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::lowered;
    use quote::quote;

    fn names(f: &Function, vs: impl IntoIterator<Item = VarId>) -> Vec<String> {
        vs.into_iter().map(|v| f.vars[v].name.to_string()).collect()
    }

    #[test]
    fn a_new_variable_never_takes_a_name_the_function_has() {
        let mut f = lowered(quote!(
            fn f(x: &[f64]) -> f64 {
                let ret = x[0];
                let ret_1 = ret;
                ret_1
            }
        ));
        let a = f.new_var("ret", Ty::Real, false);
        let b = f.new_var("ret", Ty::Real, false);
        let c = f.new_var("t", Ty::Real, false);
        assert_eq!(names(&f, [a, b, c]), ["ret_2", "ret_3", "t"]);
    }

    #[test]
    fn a_statement_names_what_it_reads_writes_and_declares_but_not_its_bodies() {
        let f = lowered(quote! {
            fn f(x: &[f64], n: usize) -> Vec<f64> {
                let mut y = vec![0.0; n];
                for i in 0..n { y[i] = x[i] * 2.0; }
                y
            }
        });
        let mut seen = Vec::new();
        f.body[1].for_each_var(&mut |v| seen.push(v));
        assert_eq!(
            names(&f, seen),
            ["i", "n"],
            "a loop names its variable and bounds"
        );
        let inner = f.body[1].bodies().next().expect("a loop body");
        let mut seen = Vec::new();
        inner[0].for_each_var(&mut |v| seen.push(v));
        assert_eq!(names(&f, seen), ["y", "i", "x", "i"]);
        let mut written = Vec::new();
        inner[0].for_each_write(|v| written.push(v));
        assert_eq!(names(&f, written), ["y"]);
    }

    #[test]
    fn both_arms_of_an_if_are_its_bodies() {
        let f = lowered(quote! {
            fn f(x: &[f64], k: usize) -> f64 {
                let mut s = 0.0;
                if k > 1 { s = x[0]; } else { s = x[1]; }
                s
            }
        });
        assert_eq!(f.body[1].bodies().count(), 2);
        assert_eq!(f.body[0].bodies().count(), 0);
        let rebuilt = f.body[1].clone().map_bodies(&mut |b| b[..0].to_vec());
        assert!(rebuilt.bodies().all(|b| b.is_empty()));
    }
}
