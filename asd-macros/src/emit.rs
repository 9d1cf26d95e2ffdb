//! Stage 5, statements: IR to Rust tokens. Variables with `lanes` hold `L` derivative
//! directions (`[f64; L]`, or a vector of them); an expression assigned to one is
//! emitted as `core::array::from_fn(|l| ...)` with every lane variable indexed by `l`,
//! and the lane-invariant factors and the rows of lane vectors it reads hoisted into
//! `let`s before it. Vectors come from the workspace's pool, so a warm sweep allocates
//! nothing.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use crate::ir::*;
use crate::names::{rt, Hidden};
use crate::rules::{self, Op, Order, Syntax};

pub struct Emitter<'f> {
    pub f: &'f Function,
    pub ws: Ident,
    /// Inside a loop over lanes: [`expr`](Self::expr) reads lane `l` of lane variables
    /// (the adjoint of tangent code works one lane at a time).
    pub lane_reads: bool,
    /// `x.to_vec()` of the active input shares its lanes until written
    /// (`Workspace::lane_view`): only where the input's lanes outlive the result, in the
    /// Jacobian kernel `__asd_derivs_f`.
    pub view_input: bool,
    /// The recording primal `__asd_decisions_f` ([`trace_local`](crate::trace_local)):
    /// every branch on an active real and every `max`/`min` of one records its decision
    /// in the `Decisions` this names, and a `return` returns nothing.
    pub record: Option<Ident>,
    /// The pooled primal `__asd_value_f`: a `return` returns the value alone.
    pub value: bool,
    /// In the Jacobian kernel `__asd_derivs_f`: the derivative of the active input,
    /// whose rows are a compressed sweep's seeds, unit vectors, and the name of their
    /// `UnitLanes`. A lane value that reads a row adds its coefficient into that row's
    /// one lane (`seed_lanes.add(&mut t, j, c)`) instead of multiplying `L` lanes: one
    /// operation where a 5 x 5 convolution of 32 lanes took 32 multiply-adds a tap.
    pub unit_seeds: Option<(VarId, Ident)>,
    /// Whether the emitted code used `unit_seeds`' name, which must then be bound.
    pub unit_seeds_used: bool,
    /// For each variable, how many statements of the innermost loop being emitted name
    /// it (nested ones included); empty outside loops.
    loop_names: Vec<(VarId, usize)>,
    hoisted: usize,
    /// The rows of lane vectors the lane value being emitted reads, each bound once
    /// before it (`let r0 = &x_d[i - 1];`), by their source text.
    rows: Vec<(String, Ident)>,
}

/// Binding strength of an emitted expression, to parenthesise only where needed.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Prec {
    Add,
    Mul,
    Cast,
    Unary,
    Atom,
}

pub fn lane_ident() -> Ident {
    Ident::new("l", Span::mixed_site())
}

impl<'f> Emitter<'f> {
    pub fn new(f: &'f Function) -> Self {
        Emitter {
            f,
            ws: Ident::new("__ws", Span::mixed_site()),
            lane_reads: false,
            view_input: false,
            record: None,
            value: false,
            unit_seeds: None,
            unit_seeds_used: false,
            loop_names: Vec::new(),
            hoisted: 0,
            rows: Vec::new(),
        }
    }

    fn name(&self, v: VarId) -> &Ident {
        &self.f.vars[v].name
    }

    fn lanes(&self, v: VarId) -> bool {
        self.f.vars[v].lanes
    }

    /// `let z: &mut [f64] = &mut *z;` for every vector a loop of plain assignments
    /// reads or stores into. Such a loop cannot resize or replace a vector, so the slices
    /// stay valid, and a slice's pointer and length stay in registers: through the pooled
    /// `Vec` every store may overwrite them, which keeps the loop from vectorizing.
    fn slices(&self, body: &[Stmt]) -> TokenStream {
        let mut used: Vec<(VarId, bool)> = Vec::new();
        let mut note = |v: VarId, stored: bool| match used.iter_mut().find(|(u, _)| *u == v) {
            Some((_, s)) => *s |= stored,
            None => used.push((v, stored)),
        };
        for s in body {
            match (s, s.real_assignment()) {
                (_, Some((target, e, index))) => {
                    if index.is_some() {
                        note(target, true);
                    }
                    indexed_vectors(e, &mut |v| note(v, false));
                }
                (
                    Stmt::Let {
                        init: Some(Rhs::Opaque(_)),
                        ..
                    }
                    | Stmt::Assign {
                        rhs: Rhs::Opaque(_),
                        ..
                    },
                    None,
                ) => {}
                _ => return TokenStream::new(),
            }
        }
        used.into_iter()
            .map(|(v, stored)| {
                let n = self.name(v);
                let elem = if self.lanes(v) {
                    quote!([f64; L])
                } else {
                    quote!(f64)
                };
                if stored {
                    quote!(let #n: &mut [#elem] = &mut *#n;)
                } else {
                    quote!(let #n: &[#elem] = &*#n;)
                }
            })
            .collect()
    }

    pub fn block(&mut self, body: &[Stmt]) -> TokenStream {
        body.iter().map(|s| self.stmt(s)).collect()
    }

    /// A loop's body, with [`loop_names`](Self::loop_names) counted for it where unit
    /// seeds are emitted (only their adds ask).
    fn loop_body(&mut self, body: &[Stmt]) -> TokenStream {
        if self.unit_seeds.is_none() {
            return self.block(body);
        }
        let mut names: Vec<(VarId, usize)> = Vec::new();
        visit_stmts(body, &mut |s| {
            let mut named = Vec::new();
            s.for_each_var(&mut |v| {
                if !named.contains(&v) {
                    named.push(v);
                }
            });
            for v in named {
                match names.iter_mut().find(|(u, _)| *u == v) {
                    Some((_, k)) => *k += 1,
                    None => names.push((v, 1)),
                }
            }
        });
        let outer = std::mem::replace(&mut self.loop_names, names);
        let body = self.block(body);
        self.loop_names = outer;
        body
    }

    fn stmt(&mut self, s: &Stmt) -> TokenStream {
        if let Some(p) = s.panic(&self.f.vars) {
            let p = &p.tokens;
            return quote!(#p;);
        }
        let ws = &self.ws.clone();
        match s {
            Stmt::Let { var, init } => {
                let name = self.name(*var).clone();
                let ty = let_type(self.f, *var);
                let zero = declared_zero(self.f, *var);
                match init {
                    None => quote!(let mut #name #ty #zero;),
                    Some(rhs) => {
                        let mut pre = TokenStream::new();
                        let value = self.rhs(*var, rhs, &mut pre);
                        quote!(#pre let mut #name #ty = #value;)
                    }
                }
            }
            Stmt::Assign { var, rhs, .. } => {
                let name = self.name(*var).clone();
                let mut pre = TokenStream::new();
                if let Rhs::Real(e) = rhs {
                    if let Some(adds) = self.unit_adds_in_place(e, &Expr::Var(*var), &mut pre) {
                        return quote!(#pre #adds);
                    }
                }
                let value = self.rhs(*var, rhs, &mut pre);
                quote!(#pre #name = #value;)
            }
            Stmt::Store { vec, index, value } => {
                let name = self.name(*vec).clone();
                let i = &index.tokens;
                let mut pre = TokenStream::new();
                let target = Expr::Index(*vec, index.clone());
                if let Some(adds) = self.unit_adds_in_place(value, &target, &mut pre) {
                    return quote!(#pre #adds);
                }
                let value = if self.lanes(*vec) {
                    self.lane_value(value, &mut pre)
                } else {
                    self.expr(value).0
                };
                quote!(#pre #name[#i] = #value;)
            }
            Stmt::Push { vec, value } => {
                let name = self.name(*vec).clone();
                let mut pre = TokenStream::new();
                let value = if self.lanes(*vec) {
                    self.lane_value(value, &mut pre)
                } else {
                    self.expr(value).0
                };
                quote!(#pre #name.push(#value);)
            }
            Stmt::Call {
                results,
                declare,
                call,
            } => {
                if call.kind == CallKind::Plain && call.written == Written::InPlace && !call.traced
                {
                    return plain_in_place(self.f, call);
                }
                let callee = match call.kind {
                    CallKind::Plain => plain_call(self.f, call, results, ws),
                    CallKind::Tangent => {
                        let args = passed_args(self.f, &call.args);
                        let p = Hidden::Tangent.path(&call.path);
                        let check = self.wrt_check(call);
                        quote!({ #check #p::<L>(#ws, #(#args),*) })
                    }
                };
                let names: Vec<&Ident> = results.iter().map(|&r| self.name(r)).collect();
                let lhs = match names.as_slice() {
                    [] => return quote!(#callee;),
                    [one] => quote!(#one),
                    many => quote!((#(#many),*)),
                };
                if *declare {
                    let muts = names.iter().map(|n| quote!(mut #n));
                    if names.len() == 1 {
                        quote!(let mut #lhs = #callee;)
                    } else {
                        quote!(let (#(#muts),*) = #callee;)
                    }
                } else {
                    quote!(#lhs = #callee;)
                }
            }
            Stmt::For { var, range, body } => {
                let name = self.name(*var).clone();
                let r = range_tokens(range);
                let slices = self.slices(body);
                let body = self.loop_body(body);
                if slices.is_empty() {
                    quote!(for #name in #r { #body })
                } else {
                    quote!({ #slices for #name in #r { #body } })
                }
            }
            Stmt::While { cond, body } => {
                let c = &cond.tokens;
                let body = self.loop_body(body);
                quote!(while #c { #body })
            }
            Stmt::If { cond, then, els } => {
                let c = match &self.record {
                    Some(rec) if crate::analyse::reads_active(cond, &self.f.vars) => {
                        crate::trace_local::record_branch(rec, cond)
                    }
                    _ => cond.tokens.clone(),
                };
                let then = self.block(then);
                if els.is_empty() {
                    quote!(if #c { #then })
                } else {
                    let els = self.block(els);
                    quote!(if #c { #then } else { #els })
                }
            }
            Stmt::Block(body) => {
                let body = self.block(body);
                quote!({ #body })
            }
            Stmt::Return(v) => self.ret(*v),
        }
    }

    /// `const` assertion that the active argument of a call sits where the callee's
    /// `wrt` input is, so a call never silently differentiates the wrong argument.
    pub(crate) fn wrt_check(&self, call: &Call) -> TokenStream {
        let mut pos = 0usize;
        let mut at = None;
        for a in &call.args {
            match a {
                Arg::Vec(v, _) | Arg::Out(v) if self.lanes(*v) => continue,
                Arg::Vec(v, _) if self.f.vars[*v].active && at.is_none() => at = Some(pos),
                _ => {}
            }
            pos += 1;
        }
        let Some(at) = at else { return quote!() };
        let wrt = Hidden::Wrt.path(&call.path);
        let callee = call
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        let msg = format!("asd: the differentiated argument of this call of `{callee}` is not its `wrt` input; pass the differentiated vector in that position");
        let in_place = (call.written == Written::InPlace).then(|| {
            let c = Hidden::InPlace.path(&call.path);
            let msg = format!("asd: `{callee}(&mut v, ..)` with no input vector is read as a function that updates `v` in place, and `{callee}` is not one; pass its input vector");
            quote!(const _: () = ::core::assert!(#c, #msg);)
        });
        quote!(
            const _: () = ::core::assert!(#wrt == #at, #msg);
            #in_place
        )
    }

    fn ret(&mut self, v: Option<VarId>) -> TokenStream {
        let Some(v) = v else { return quote!(return;) };
        if self.record.is_some() {
            return quote!(return;);
        }
        let name = self.name(v).clone();
        if self.value {
            return quote!(return #name;);
        }
        // Tangent code returns the value and its derivative lanes.
        match self.f.vars[v].deriv {
            Some(d) => {
                let dn = self.name(d);
                quote!(return (#name, #dn);)
            }
            None if self.f.vars[v].ty == Ty::Real => quote!(return (#name, [0.0; L]);),
            // A passive vector: a workspace buffer, or the `Vec` of a plain call on
            // constants, copied into one to match the return type.
            None => {
                let ws = &self.ws;
                quote!({ let __n = #name.len(); return (#ws.copy(&#name), #ws.lane_zeros(__n)); })
            }
        }
    }

    pub(crate) fn rhs(&mut self, var: VarId, rhs: &Rhs, pre: &mut TokenStream) -> TokenStream {
        let lanes = self.lanes(var);
        match rhs {
            Rhs::Real(e) if lanes => self.lane_value(e, pre),
            Rhs::Real(e) => self.expr(e).0,
            Rhs::Vec(v) => self.vector(v, lanes, pre),
            Rhs::Opaque(o) => o.tokens.clone(),
        }
    }

    pub(crate) fn vector(
        &mut self,
        v: &VecExpr,
        lanes: bool,
        pre: &mut TokenStream,
    ) -> TokenStream {
        let ws = self.ws.clone();
        match (v, lanes) {
            (VecExpr::Filled(Expr::Lit(z), n), false) if *z == 0.0 => {
                let n = &n.tokens;
                quote!(#ws.zeros(#n))
            }
            (VecExpr::Filled(e, n), false) => {
                let (e, _) = self.expr(e);
                let n = &n.tokens;
                quote!(#ws.filled(#e, #n))
            }
            (VecExpr::Filled(e, n), true) => {
                let n = &n.tokens;
                if is_zero(e) {
                    quote!(#ws.lane_zeros::<L>(#n))
                } else {
                    let e = self.lane_value(e, pre);
                    quote!(#ws.lane_filled::<L>(#e, #n))
                }
            }
            (VecExpr::Overwritten(n), false) => {
                let n = &n.tokens;
                quote!(#ws.scratch(#n))
            }
            (VecExpr::Overwritten(n), true) => {
                let n = &n.tokens;
                quote!(#ws.lane_scratch::<L>(#n))
            }
            (VecExpr::List(items), false) => {
                let items: Vec<_> = items.iter().map(|e| self.expr(e).0).collect();
                quote!(#ws.copy(&[#(#items),*]))
            }
            (VecExpr::List(items), true) => {
                let items: Vec<_> = items.iter().map(|e| self.lane_value(e, pre)).collect();
                quote!(#ws.lane_list::<L>(&[#(#items),*]))
            }
            (VecExpr::Empty(c), false) => {
                let c = c.as_ref().map(|c| c.tokens.clone()).unwrap_or(quote!(0));
                quote!(#ws.with_capacity(#c))
            }
            (VecExpr::Empty(c), true) => {
                let c = c.as_ref().map(|c| c.tokens.clone()).unwrap_or(quote!(0));
                quote!(#ws.lane_with_capacity::<L>(#c))
            }
            (VecExpr::Copy(u), false) => {
                let u = self.name(*u);
                quote!(#ws.copy(&#u))
            }
            (VecExpr::Copy(u), true) => {
                let input = self.f.vars[self.f.active_param().var].deriv;
                let name = self.name(*u);
                if self.view_input && input == Some(*u) {
                    quote!(#ws.lane_view::<L>(#name))
                } else {
                    quote!(#ws.lane_copy::<L>(&#name))
                }
            }
            (VecExpr::Move(u), _) => {
                let u = self.name(*u);
                quote!(#u)
            }
        }
    }

    /// The `[f64; L]` value of a lane expression.
    pub(crate) fn lane_value(&mut self, e: &Expr, pre: &mut TokenStream) -> TokenStream {
        if is_zero(e) {
            return quote!([0.0; L]);
        }
        if let Expr::Var(v) = e {
            if self.lanes(*v) {
                let n = self.name(*v);
                return quote!(#n);
            }
        }
        if let Expr::Index(v, i) = e {
            if self.lanes(*v) {
                let n = self.name(*v);
                let i = &i.tokens;
                return quote!(#n[#i]);
            }
        }
        self.rows.clear();
        let body = self.lane_expr(e, pre).0;
        let l = lane_ident();
        quote!(::core::array::from_fn(|#l| #body))
    }

    /// `e`'s terms that read a row of the unit seeds (`unit_seeds`), as (row, coefficient),
    /// and the rest of `e`; `None` when it reads none, or not linearly.
    fn unit_terms(&self, e: &Expr) -> Option<(Vec<UnitTerm>, Option<Expr>)> {
        let (seed, _) = self.unit_seeds.as_ref()?;
        let Linear { terms, rest } = self.linear(e)?;
        let (mut units, mut dense) = (Vec::new(), Vec::new());
        for (leaf, c) in terms {
            match leaf {
                Expr::Index(v, row) if v == *seed => units.push((row, c)),
                leaf => dense.push((leaf, c)),
            }
        }
        (!units.is_empty()).then(|| (units, sum_of(dense, rest)))
    }

    /// `seed_lanes.add(to, j, c);` for each unit term `(j, c)`, its coefficient hoisted.
    fn unit_adds(
        &mut self,
        units: &[UnitTerm],
        to: &TokenStream,
        pre: &mut TokenStream,
    ) -> TokenStream {
        let Some((_, lanes)) = self.unit_seeds.clone() else {
            return TokenStream::new();
        };
        self.unit_seeds_used = true;
        units
            .iter()
            .map(|(row, c)| {
                let c = self.lane_terms(c, pre).0;
                let j = &row.tokens;
                quote!(#lanes.add(#to, #j, #c);)
            })
            .collect()
    }

    /// `target = target + sum of c * seed[j]` as the adds into `target` alone, in a
    /// loop where no other statement names `target`'s variable. Written lane by lane
    /// and read as a whole, a value waits for its last add to be stored: where it is
    /// read every iteration (a running sum), or only built to be read (`a_d = c *
    /// x_d[i] + ..`), `L` multiply-adds cost less.
    fn unit_adds_in_place(
        &mut self,
        e: &Expr,
        target: &Expr,
        pre: &mut TokenStream,
    ) -> Option<TokenStream> {
        let (v, to) = match target {
            Expr::Var(v) => {
                let n = self.name(*v);
                (*v, quote!(&mut #n))
            }
            Expr::Index(v, i) => {
                let (n, i) = (self.name(*v), &i.tokens);
                (*v, quote!(&mut #n[#i]))
            }
            _ => return None,
        };
        if !self.loop_names.contains(&(v, 1)) {
            return None;
        }
        let (units, dense) = self.unit_terms(e)?;
        if !dense?.same(target) {
            return None;
        }
        Some(self.unit_adds(&units, &to, pre))
    }

    /// Lane `l` of a lane expression; factors without lanes are hoisted into `pre`, and
    /// so are the rows of lane vectors it reads: indexed and bounds-checked once, not
    /// once per lane, they leave a lane loop small enough to be inlined and vectorized.
    /// Tangent code, linear in its lanes, is first gathered into one coefficient per
    /// lane it reads ([`by_lane`](Self::by_lane)).
    pub(crate) fn lane_expr(&mut self, e: &Expr, pre: &mut TokenStream) -> (TokenStream, Prec) {
        let e = self.by_lane(e);
        self.lane_terms(&e, pre)
    }

    /// `e`, linear in its lane leaves, as `c0 * a_d + c1 * b_d[i] + ...`: one
    /// coefficient per leaf, without lanes, so hoisted and computed once, and a multiply
    /// per leaf and lane. The product rule alone gives `v * (u * u_d + u * u_d)`, four
    /// operations a lane where `(v * u + v * u) * u_d` takes one, and the compiler may
    /// not regroup floating-point sums. `e` itself where that takes no fewer operations
    /// per lane (`c * (a_d + b_d)`, two, would take three) or a lane is not read
    /// linearly.
    fn by_lane(&self, e: &Expr) -> Expr {
        let gathered = self.gathered(e);
        if self.lane_ops(&gathered) < self.lane_ops(e) {
            gathered
        } else {
            e.clone()
        }
    }

    /// The operations per lane of a lane expression: one per operation that reads a
    /// lane (the others are hoisted out of the lanes).
    fn lane_ops(&self, e: &Expr) -> usize {
        match e {
            Expr::Apply(_, args) if self.has_lanes(e) => {
                1 + args.iter().map(|a| self.lane_ops(a)).sum::<usize>()
            }
            _ => 0,
        }
    }

    /// [`by_lane`](Self::by_lane)'s gathered form of `e`, whatever it costs.
    fn gathered(&self, e: &Expr) -> Expr {
        match self.linear(e) {
            Some(Linear { terms, rest }) if !terms.is_empty() => {
                sum_of(terms, rest).expect("terms were given")
            }
            _ => e.clone(),
        }
    }

    /// `e` as `sum of coef * leaf` over the lane leaves it reads, and its part without
    /// lanes; `None` if it is not linear in them (a product of two lane values, a
    /// function of one).
    fn linear(&self, e: &Expr) -> Option<Linear> {
        if !self.has_lanes(e) {
            return Some(Linear {
                terms: Vec::new(),
                rest: Some(e.clone()),
            });
        }
        let scaled = |part: &Expr, by: &dyn Fn(Expr) -> Expr| {
            let Linear { terms, rest } = self.linear(part)?;
            let terms = terms.into_iter().map(|(leaf, c)| (leaf, by(c))).collect();
            Some(Linear {
                terms,
                rest: rest.map(by),
            })
        };
        match e {
            Expr::Var(_) | Expr::Index(..) => Some(Linear {
                terms: vec![(e.clone(), Expr::lit(1.0))],
                rest: None,
            }),
            Expr::Apply(Op::Add | Op::Sub, args) => {
                let Linear { mut terms, rest } = self.linear(&args[0])?;
                let sign = |c: Expr| match e {
                    Expr::Apply(Op::Sub, _) => Expr::negated(c),
                    _ => c,
                };
                let more = scaled(&args[1], &sign)?;
                for (leaf, c) in more.terms {
                    match terms.iter_mut().find(|(l, _)| l.same(&leaf)) {
                        Some((_, sum)) => *sum = Expr::plus(sum.clone(), c),
                        None => terms.push((leaf, c)),
                    }
                }
                let rest = match (rest, more.rest) {
                    (Some(a), Some(b)) => Some(Expr::plus(a, b)),
                    (a, b) => a.or(b),
                };
                Some(Linear { terms, rest })
            }
            Expr::Apply(Op::Neg, args) => scaled(&args[0], &Expr::negated),
            Expr::Apply(Op::Mul, args) if !self.has_lanes(&args[0]) => {
                scaled(&args[1], &|c| Expr::times(args[0].clone(), c))
            }
            Expr::Apply(Op::Mul, args) if !self.has_lanes(&args[1]) => {
                scaled(&args[0], &|c| Expr::times(c, args[1].clone()))
            }
            Expr::Apply(Op::Div, args) if !self.has_lanes(&args[1]) => {
                scaled(&args[0], &|c| Expr::div(c, args[1].clone()))
            }
            Expr::Apply(..) | Expr::Lit(_) | Expr::Const(_) | Expr::Int(_) => None,
        }
    }

    fn lane_terms(&mut self, e: &Expr, pre: &mut TokenStream) -> (TokenStream, Prec) {
        let l = lane_ident();
        match e {
            Expr::Var(v) if self.lanes(*v) => {
                let n = self.name(*v);
                (quote!(#n[#l]), Prec::Atom)
            }
            Expr::Index(v, i) if self.lanes(*v) => {
                let row = self.row(*v, i, pre);
                (quote!(#row[#l]), Prec::Atom)
            }
            _ if !self.has_lanes(e) => {
                let (t, p) = self.expr(e);
                if matches!(e, Expr::Apply(..)) {
                    let c = format_ident!("c{}", self.hoisted, span = Span::mixed_site());
                    self.hoisted += 1;
                    pre.extend(quote!(let #c = #t;));
                    (quote!(#c), Prec::Atom)
                } else {
                    (t, p)
                }
            }
            Expr::Apply(op, args) => {
                let parts: Vec<_> = args.iter().map(|a| self.lane_terms(a, pre)).collect();
                self.apply_tokens(*op, parts)
            }
            Expr::Var(_) | Expr::Index(..) | Expr::Lit(_) | Expr::Const(_) | Expr::Int(_) => {
                unreachable!("leaves without lanes are handled above")
            }
        }
    }

    /// The name bound to `&v[i]` before the lane value being emitted.
    fn row(&mut self, v: VarId, i: &Opaque, pre: &mut TokenStream) -> Ident {
        let n = self.name(v).clone();
        let i = &i.tokens;
        let text = quote!(#n[#i]).to_string();
        if let Some((_, row)) = self.rows.iter().find(|(t, _)| *t == text) {
            return row.clone();
        }
        let row = format_ident!("r{}", self.hoisted, span = Span::mixed_site());
        self.hoisted += 1;
        pre.extend(quote!(let #row = &#n[#i];));
        self.rows.push((text, row.clone()));
        row
    }

    fn has_lanes(&self, e: &Expr) -> bool {
        let mut found = false;
        e.for_each_read(&mut |v| found |= self.lanes(v));
        found
    }

    /// A plain (lane-free) real expression.
    pub fn expr(&self, e: &Expr) -> (TokenStream, Prec) {
        let l = lane_ident();
        match e {
            Expr::Var(v) if self.lane_reads && self.lanes(*v) => {
                let n = self.name(*v);
                (quote!(#n[#l]), Prec::Atom)
            }
            Expr::Index(v, i) if self.lane_reads && self.lanes(*v) => {
                let n = self.name(*v);
                let i = &i.tokens;
                (quote!(#n[#i][#l]), Prec::Atom)
            }
            Expr::Var(v) => {
                let n = self.name(*v);
                (quote!(#n), Prec::Atom)
            }
            Expr::Index(v, i) => {
                let n = self.name(*v);
                let i = &i.tokens;
                (quote!(#n[#i]), Prec::Atom)
            }
            Expr::Lit(v) => lit(*v),
            Expr::Const(o) => {
                let t = &o.tokens;
                (quote!(#t), Prec::Cast)
            }
            Expr::Apply(op, args) => {
                let parts: Vec<_> = args.iter().map(|a| self.expr(a)).collect();
                match &self.record {
                    Some(rec) if crate::trace_local::records(e, self.f) => {
                        crate::trace_local::record_choice(rec, *op, parts)
                    }
                    _ => self.apply_tokens(*op, parts),
                }
            }
            Expr::Int(n) => {
                let t = &n.tokens;
                (quote!(#t), Prec::Atom)
            }
        }
    }
}

fn is_zero(e: &Expr) -> bool {
    matches!(e, Expr::Lit(v) if *v == 0.0)
}

fn lit(v: f64) -> (TokenStream, Prec) {
    let l = Literal::f64_unsuffixed(v.abs());
    if v.is_sign_negative() {
        (quote!(-#l), Prec::Unary)
    } else {
        (quote!(#l), Prec::Atom)
    }
}

/// Whether tokens hold a name: a variable, a constant, a call.
fn has_ident(t: &TokenStream) -> bool {
    t.clone().into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(_) => true,
        proc_macro2::TokenTree::Group(g) => has_ident(&g.stream()),
        _ => false,
    })
}

fn paren_if((t, p): (TokenStream, Prec), need: Prec) -> TokenStream {
    if p < need {
        quote!((#t))
    } else {
        t
    }
}

impl Emitter<'_> {
    /// Tokens of one operation applied to emitted arguments: a row of the table, or a
    /// call of a user rule through the runtime, `rule_value::<G, N>([a, b])` (and
    /// `rule_partial`, `rule_second` for its derivatives).
    fn apply_tokens(&self, op: Op, parts: Vec<(TokenStream, Prec)>) -> (TokenStream, Prec) {
        let Op::User(u) = op else {
            return apply_row(op, parts);
        };
        let Some(rule) = self.f.rules.get(u.rule) else {
            // Lowering only makes user operations of the function's rules.
            let e = quote!(::core::compile_error!("asd: an unknown rule"));
            return (e, Prec::Atom);
        };
        let (rt, ty) = (rt(), &rule.ty);
        let n = Literal::usize_unsuffixed(parts.len());
        let args = parts.into_iter().map(|(t, _)| t);
        let x = quote!([#(#args),*]);
        let call = match u.order {
            Order::Value => quote!(#rt::rule_value::<#ty, #n>(#x)),
            Order::Partial(i) => {
                let i = Literal::usize_unsuffixed(i);
                quote!(#rt::rule_partial::<#ty, #n>(#x, #i))
            }
            Order::Second(i, j) => {
                let (i, j) = (Literal::usize_unsuffixed(i), Literal::usize_unsuffixed(j));
                quote!(#rt::rule_second::<#ty, #n>(#x, #i, #j))
            }
        };
        (call, Prec::Atom)
    }
}

/// Tokens of one operation of the table applied to emitted arguments.
fn apply_row(op: Op, mut parts: Vec<(TokenStream, Prec)>) -> (TokenStream, Prec) {
    let Some(row) = rules::rule(op) else {
        return (
            quote!(::core::compile_error!("asd: an operation without a row")),
            Prec::Atom,
        );
    };
    match row.syntax {
        Syntax::Infix(sym) => {
            let b = parts.pop().expect("infix ops are binary");
            let a = parts.pop().expect("infix ops are binary");
            let (prec, left_need, right_need) = match sym {
                // Floating-point `+` and `*` are not associative: `a + (b + c)` keeps
                // its parentheses, so the generated primal is bit-identical to the user's.
                "+" | "-" => (Prec::Add, Prec::Add, Prec::Mul),
                "*" => (Prec::Mul, Prec::Mul, Prec::Cast),
                _ => (Prec::Mul, Prec::Mul, Prec::Cast),
            };
            let a = paren_if(a, left_need);
            let b = paren_if(b, right_need);
            let op: TokenStream = sym.parse().expect("operator tokens");
            (quote!(#a #op #b), prec)
        }
        Syntax::Prefix(sym) => {
            let a = parts.pop().expect("prefix ops are unary");
            let a = paren_if(a, Prec::Unary);
            let op: TokenStream = sym.parse().expect("operator tokens");
            (quote!(#op #a), Prec::Unary)
        }
        Syntax::Method(name) => {
            let mut it = parts.into_iter();
            let recv = it.next().expect("methods have a receiver");
            let args: Vec<TokenStream> = it.map(|(t, _)| t).collect();
            let m = Ident::new(name, Span::call_site());
            // A receiver of literals alone (`2.0.sin()`, `(-0.5).exp()`,
            // `(1.0 + 2.0).sin()`) has no type of its own: the function form gives it
            // `f64`.
            if !has_ident(&recv.0) {
                let recv = recv.0;
                return (quote!(f64::#m(#recv #(, #args)*)), Prec::Atom);
            }
            let recv = paren_if(recv, Prec::Atom);
            (quote!(#recv.#m(#(#args),*)), Prec::Atom)
        }
        Syntax::Function(name) => {
            let args = parts.into_iter().map(|(t, _)| t);
            let (rt, f) = (rt(), Ident::new(name, Span::call_site()));
            (quote!(#rt::math::#f(#(#args),*)), Prec::Atom)
        }
        Syntax::Step => {
            let b = parts.pop().expect("step is binary").0;
            let a = parts.pop().expect("step is binary").0;
            (quote!((if #a >= #b { 1.0 } else { 0.0 })), Prec::Atom)
        }
        Syntax::ZeroSafe => {
            let b = paren_if(parts.pop().expect("a product is binary"), Prec::Cast);
            let a = paren_if(parts.pop().expect("a product is binary"), Prec::Mul);
            (quote!((if #b == 0.0 { 0.0 } else { #a * #b })), Prec::Atom)
        }
    }
}

/// `= 0.0` (`= [0.0; L]` for lanes) for a real declared before its value (`let a: f64;`,
/// an `if`'s value): rustc cannot always see that every path assigns it (arms that both
/// `return`).
pub fn declared_zero(f: &Function, v: VarId) -> TokenStream {
    match (f.vars[v].ty, f.vars[v].lanes) {
        (Ty::Real, true) => quote!(= [0.0; L]),
        (Ty::Real, false) => quote!(= 0.0),
        _ => quote!(),
    }
}

/// The type a `let` of `v` states: `[f64; L]` for lanes, `f64` for a real, so that a
/// literal's methods (`let s = 1.0; s.hypot(t)`) resolve; none for other types.
pub fn let_type(f: &Function, v: VarId) -> TokenStream {
    match (f.vars[v].ty, f.vars[v].lanes) {
        (Ty::Real, true) => quote!(: [f64; L]),
        (Ty::Real, false) => quote!(: f64),
        (Ty::RealVec | Ty::Int | Ty::Bool | Ty::Other, _) => quote!(),
    }
}

/// The arguments of a call as the callee takes them: `&v`, `&mut *v` (a reborrow, which
/// an output parameter `y: &mut [f64]` passed on needs), or as written.
pub fn call_args(f: &Function, args: &[Arg]) -> Vec<TokenStream> {
    let name = |v: &VarId| &f.vars[*v].name;
    args.iter()
        .map(|a| match a {
            Arg::Vec(v, range) => Arg::slice_of(range, name(v), false),
            Arg::Out(v) => {
                let n = name(v);
                quote!(&mut *#n)
            }
            Arg::Other(o) => o.tokens.clone(),
        })
        .collect()
}

/// The arguments of a call in generated code, where every vector is a buffer: a whole
/// one is passed as `param(&*v)`, which becomes the type the callee declares (`&[f64]`,
/// `&[f64; 3]`, `&Vec<f64>`).
pub fn passed_args(f: &Function, args: &[Arg]) -> Vec<TokenStream> {
    let rt = rt();
    let mut tokens = call_args(f, args);
    for (t, a) in tokens.iter_mut().zip(args) {
        if let Arg::Vec(v, None) = a {
            let n = &f.vars[*v].name;
            *t = quote!(#rt::param(&*#n));
        }
    }
    tokens
}

/// The arguments of a plain call as the user wrote them ([`Call::written`]): `&mut *v`
/// for the vector a function updates in place, `t[0]` for the one real of a function
/// of one real.
pub fn plain_args(f: &Function, call: &Call) -> Vec<TokenStream> {
    let args: Vec<Arg> = (call.args.iter())
        .map(|a| match (a, call.written) {
            (Arg::Vec(v, None), Written::InPlace) => Arg::Out(*v),
            (a, _) => a.clone(),
        })
        .collect();
    let mut tokens = passed_args(f, &args);
    if call.written == Written::OnReal {
        for (t, a) in tokens.iter_mut().zip(&args) {
            if let Arg::Vec(v, None) = a {
                let n = &f.vars[*v].name;
                *t = quote!(#n[0]);
            }
        }
    }
    tokens
}

/// The plain call of a function that updates its input in place, as the user wrote it:
/// `g(&mut *v, c..);`.
pub fn plain_in_place(f: &Function, call: &Call) -> TokenStream {
    let args = plain_args(f, call);
    let p = &call.path;
    quote!(#p(#(#args),*);)
}

/// The value of a plain call in a sweep, whose vector result is a pooled buffer. A
/// [traced](Call::traced) call is of an annotated function, so it calls that function's
/// pooled primal, `__asd_value_g(ws, ..)`, which takes the IR's arguments (a function
/// that updates `v` in place maps `&v` to its new value), and allocates nothing. A call
/// on constants may be of any function, and is emitted as the user wrote it.
pub fn plain_call(f: &Function, call: &Call, results: &[VarId], ws: &Ident) -> TokenStream {
    if call.traced {
        let p = Hidden::Value.path(&call.path);
        let args = passed_args(f, &call.args);
        return quote!(#p(#ws, #(#args),*));
    }
    let p = &call.path;
    let args = plain_args(f, call);
    match results {
        [r] if f.vars[*r].ty == Ty::RealVec => quote!(#ws.copy(&#p(#(#args),*))),
        _ => quote!(#p(#(#args),*)),
    }
}

/// `(start..end).rev().step_by(s)`
pub fn range_tokens(r: &Range) -> TokenStream {
    let s = &r.start.tokens;
    let e = &r.end.tokens;
    let base = if r.inclusive {
        quote!(#s..=#e)
    } else {
        quote!(#s..#e)
    };
    if r.adapters.is_empty() {
        return base;
    }
    let mut t = quote!((#base));
    for a in &r.adapters {
        t = match a {
            Adapter::Rev => quote!(#t.rev()),
            Adapter::StepBy(s) => {
                let s = &s.tokens;
                quote!(#t.step_by(#s))
            }
        };
    }
    t
}

/// Calls `f` on every vector `e` indexes.
fn indexed_vectors(e: &Expr, f: &mut impl FnMut(VarId)) {
    match e {
        Expr::Index(v, _) => f(*v),
        Expr::Apply(_, args) => args.iter().for_each(|a| indexed_vectors(a, f)),
        Expr::Var(_) | Expr::Lit(_) | Expr::Const(_) | Expr::Int(_) => {}
    }
}

/// A lane expression as `sum of coef * leaf`: its lane leaves in order of first
/// reading, a leaf read twice listed once, each with its coefficient (without lanes),
/// and its part without lanes.
struct Linear {
    terms: Vec<(Expr, Expr)>,
    rest: Option<Expr>,
}

/// A term `c * seed[j]` of a lane value: the row `j` and the coefficient `c`.
type UnitTerm = (Opaque, Expr);

/// `c0 * leaf0 + c1 * leaf1 + ... + rest`; `None` when there is nothing.
fn sum_of(terms: Vec<(Expr, Expr)>, rest: Option<Expr>) -> Option<Expr> {
    let mut sum: Option<Expr> = None;
    for (leaf, coef) in terms {
        let term = Expr::times(coef, leaf);
        sum = Some(match sum {
            None => term,
            Some(s) => Expr::plus(s, term),
        });
    }
    match (sum, rest) {
        (Some(s), Some(r)) => Some(Expr::plus(s, r)),
        (s, r) => s.or(r),
    }
}

#[cfg(test)]
mod tests {
    use crate::tests::{banded, flat, generated, lowered};
    use quote::quote;

    /// The plain expression of `f`'s returned value, as the emitter writes it.
    fn emitted(item: proc_macro2::TokenStream) -> String {
        let f = lowered(item);
        let tokens = super::Emitter::new(&f).block(&f.body);
        flat(&tokens.to_string())
    }

    /// In the Jacobian kernel, a sum over inputs adds each coefficient into its input's
    /// seed lane; a running sum that the loop reads again, and a value built from seeds
    /// to be read, keep their lanes.
    #[test]
    fn sums_over_seeds_add_into_their_lanes() {
        let t = generated(
            quote!(
                fn f(x: &[f64]) -> Vec<f64> {
                    let n = x.len();
                    let mut y = vec![0.0; n];
                    let mut s = 0.0;
                    let mut r = 0.0;
                    for i in 0..n {
                        s += 3.0 * x[i].sin();
                        r += x[i];
                        y[i] = r * (x[i] - x[0]);
                    }
                    y[0] += s;
                    y
                }
            ),
            "fn __asd_derivs_f",
        );
        assert!(
            t.contains("let seed_lanes = __ws.unit_lanes(x.len());"),
            "{t}"
        );
        assert!(t.contains("seed_lanes.add(&mut s_d, i, c0);"), "{t}");
        assert_eq!(t.matches("seed_lanes.add").count(), 1, "{t}");
        assert!(
            t.contains("r_d = ::core::array::from_fn(|l| r_d[l] + r1[l]);"),
            "{t}"
        );
        // The tangent of other callers takes any direction: its lanes are all kept.
        let t = generated(banded(), "fn __asd_tangent_f");
        assert!(!t.contains("seed_lanes"), "{t}");
    }

    #[test]
    fn parentheses_are_kept_where_float_arithmetic_needs_them() {
        let s = emitted(quote!(
            fn f(x: &[f64]) -> f64 {
                x[0] - (x[1] + x[2]) * -x[3] / (x[0] * x[1])
            }
        ));
        assert!(
            s.contains("x [0] - (x [1] + x [2]) * - x [3] / (x [0] * x [1])"),
            "{s}"
        );
        // `a + (b + c)` is not `a + b + c` in floating point.
        let s = emitted(quote!(
            fn f(x: &[f64]) -> f64 {
                x[0] + (x[1] + x[2])
            }
        ));
        assert!(s.contains("x [0] + (x [1] + x [2])"), "{s}");
    }

    #[test]
    fn integer_operands_and_runtime_functions_are_written_as_such() {
        let s = emitted(quote!(
            fn f(x: &[f64], n: i32) -> f64 {
                x[0].powi(n + 1) + erf(x[1])
            }
        ));
        assert!(s.contains("x [0] . powi (n + 1)"), "{s}");
        assert!(
            s.contains(":: asd :: __private :: math :: erf (x [1])"),
            "{s}"
        );
    }

    #[test]
    fn a_lane_value_takes_one_coefficient_per_lane_it_reads() {
        let gathered = flat(&generated(
            quote!(
                fn f(x: &[f64]) -> f64 {
                    x[0] * x[0] * x[1] - 3.0 * x[0]
                }
            ),
            "fn __asd_tangent_f",
        ));
        // `x_d[0]` three times (twice by the product rule), one multiply each, became one
        // coefficient computed before the lanes.
        assert!(
            gathered.contains("let c0 = x[1] * (x[0] + x[0]) - 3.0;"),
            "{gathered}"
        );
        assert!(
            gathered.contains("from_fn(|l| c0 * r1[l] + u0 * r2[l])"),
            "{gathered}"
        );
        // A factor over a sum of lanes stays one: spread, it would take a multiply more.
        let kept = flat(&generated(
            quote!(
                fn f(x: &[f64]) -> f64 {
                    (x[0] + x[1]) * x[2]
                }
            ),
            "fn __asd_tangent_f",
        ));
        assert!(
            kept.contains("from_fn(|l| { x[2] * (r0[l] + r1[l]) + u0 * r2[l] })"),
            "{kept}"
        );
    }

    #[test]
    fn a_lane_value_hoists_what_does_not_vary_by_lane() {
        let t = flat(&generated(
            quote!(
                fn f(x: &[f64]) -> f64 {
                    x[0].sin() * x[1]
                }
            ),
            "fn __asd_tangent_f",
        ));
        // The coefficient of `x_d[0]`, `x[1] * x[0].cos()`, is computed once, before the
        // lanes: a multiply-add per lane and direction.
        assert!(t.contains("let c0 = x[1] * x[0].cos();"), "{t}");
        assert!(t.contains("from_fn(|l| c0 * r1[l] + u0 * r2[l])"), "{t}");
    }
}
