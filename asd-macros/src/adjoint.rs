//! Pass: adjoint (reverse mode), IR to Rust tokens. The generated function runs a
//! forward sweep that computes the primal and records on the runtime's tape what the
//! reverse sweep will need, then a reverse sweep that walks the statements backwards
//! and accumulates adjoints (`v_b`, `L` directions each) from the table of rules.
//!
//! What the forward sweep saves, and why:
//! - the old value of every overwritten integer or boolean, and of every overwritten
//!   real some partial reads (`s = s * x[i]`; not `s += ...`, whose partials read no
//!   value); old vector elements before a store, whole vectors before a reassignment:
//!   the reverse sweep restores them one statement at a time, so every partial sees the
//!   values its statement saw;
//! - at the end of a nested block (a loop body, a branch), the final values of the
//!   block's own locals, for the reverse block to start from, except those set once from
//!   values that never change (`let t = x[i] * x[i];`), which it recomputes;
//! - the bounds of a loop without early exit, which the reverse sweep walks backwards
//!   (other loops: the loop variable per iteration and the trip count), and the
//!   branches taken.
//!
//! Locals of the function's top block live on into the reverse sweep, so they are never
//! saved. An early `return` sets `ret` and a `done` flag; the rest of its block runs
//! under `if !done`, and loops break: the reverse sweep replays that as any branch.
//!
//! ```text
//! for i in 0..n {                 let lo = 0; let hi = n; for i in lo..hi { tape.push_real(s); s = s * x[i]; }
//!     s = s * x[i];               tape.push_int(lo); tape.push_int(hi);
//! }                               ...
//!                                 for i in (lo..hi).rev() {
//!                                     let seed = s_b; s_b = [0.0; L]; s = tape.pop_real();
//!                                     for l in 0..L { s_b[l] += x[i] * seed[l]; x_b[i][l] += s * seed[l]; } }
//! ```
//!
//! The same pass, run over tangent code (lane variables are read lane by lane), gives
//! Hessian-vector products: reverse over forward.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use crate::emit::{call_args, hidden_path, lane_ident, let_type, range_tokens, Emitter};
use crate::ir::*;
use crate::names::rt;
use crate::rules::{self, Op};

/// The signature pieces and body of `__asd_adjoint_f`.
pub struct AdjointFn {
    /// The parameters after `__ws` and `__tape`.
    pub params: Vec<TokenStream>,
    /// `-> f64`, `-> Buf<'w>` or nothing.
    pub ret: TokenStream,
    pub body: TokenStream,
}

/// Generates the adjoint of an analysed primal function.
pub fn adjoint(primal: &Function) -> AdjointFn {
    Adjoint::start(primal.clone(), &primal.body, None).finish(&primal.body)
}

/// Hessian-vector products, reverse over forward: the adjoint of the tangent code of a
/// scalar function, seeded on its `L` directional derivatives only. Lane `l` of the
/// input's adjoint is the gradient of `f_d[l] = ∇f · v_l`, that is `H v_l`. `None` when
/// the function calls one that writes an output parameter.
pub fn hvp(tangent: &Function) -> Option<AdjointFn> {
    if tangent.output != Output::Scalar || calls_output_functions(tangent) {
        return None;
    }
    let direction = tangent.vars[tangent.active_param().var].deriv?;
    let mut a = Adjoint::start(tangent.clone(), &tangent.body, Some(direction));
    // The directions are constants here, and only the derivative is returned.
    a.f.vars[direction].active = false;
    a.ret = None;
    a.ret_d = Some(a.f.new_var("ret_d", Ty::Real, true));
    Some(a.finish(&tangent.body))
}

/// The adjoint of the tangent code of any function with a returned value: inputs `x`
/// and directions `x_d` both get adjoints, and both results (`y`, `y_d`) seeds. Calls of
/// annotated functions in tangent code reverse through it, so second order goes through
/// calls. `None` for functions that write an output parameter.
pub fn tangent_adjoint(tangent: &Function) -> Option<AdjointFn> {
    if matches!(tangent.output, Output::Param(_)) || calls_output_functions(tangent) {
        return None;
    }
    let direction = tangent.vars[tangent.active_param().var].deriv?;
    let mut a = Adjoint::start(tangent.clone(), &tangent.body, Some(direction));
    let ty = a.f.vars[a.ret.expect("a returned value")].ty;
    a.ret_d = Some(a.f.new_var("ret_d", ty, true));
    a.direction_adjoint = true;
    Some(a.finish(&tangent.body))
}

/// Calls in tangent code of functions that write an output parameter: their second
/// order is not generated.
fn calls_output_functions(tangent: &Function) -> bool {
    let mut found = false;
    visit_stmts(&tangent.body, &mut |s| {
        if let Stmt::Call { call, .. } = s {
            found |= call.kind == CallKind::Tangent
                && call.args.iter().any(|a| matches!(a, Arg::Out(_)));
        }
    });
    found
}

impl Adjoint {
    /// `direction`: the tangent's input directions, a parameter after the input's
    /// adjoint (tangent code only).
    fn start(mut f: Function, body: &[Stmt], direction: Option<VarId>) -> Adjoint {
        let done = f.new_var("done", Ty::Bool, false);
        let ret = match f.output {
            Output::Scalar => Some(f.new_var("ret", Ty::Real, false)),
            Output::Vector => Some(f.new_var("ret", Ty::RealVec, false)),
            Output::Param(_) => None,
        };
        let needed = value_needed(&f, body);
        let recompute = recomputable(&f, body);
        Adjoint {
            f,
            done,
            ret,
            ret_d: None,
            needed,
            recompute,
            direction,
            direction_adjoint: false,
            lane_mode: false,
            hoists: Vec::new(),
            temps: 0,
            loops: 0,
        }
    }

    /// The adjoint function of `body`.
    fn finish(mut self, body: &[Stmt]) -> AdjointFn {
        let body = self.eliminate_returns(body);
        self.mark_ret_active(&body);
        self.function(&body)
    }

    /// `ret` (and `ret_d`) is active when some returned value is.
    fn mark_ret_active(&mut self, body: &[Stmt]) {
        for r in [self.ret, self.ret_d].into_iter().flatten() {
            let mut active = false;
            visit_stmts(body, &mut |s| {
                if let Stmt::Assign {
                    var,
                    rhs: Rhs::Real(Expr::Var(v)) | Rhs::Vec(VecExpr::Copy(v)),
                } = s
                {
                    active |= *var == r && self.f.vars[*v].active;
                }
            });
            self.f.vars[r].active = active;
        }
    }
}

struct Adjoint {
    f: Function,
    /// Reals whose value the reverse sweep reads: only these are saved and restored.
    needed: Vec<bool>,
    /// Locals set once from values that never change (inputs, constants, the loop
    /// variable): the reverse block recomputes them instead of reading the tape.
    recompute: std::collections::HashMap<VarId, Rhs>,
    done: VarId,
    ret: Option<VarId>,
    /// The returned tangent, for the adjoint of tangent code called by tangent code.
    ret_d: Option<VarId>,
    /// The tangent's input directions (Hessian-vector products), a parameter.
    direction: Option<VarId>,
    /// Whether the directions get an adjoint parameter too.
    direction_adjoint: bool,
    /// Emitting inside a loop over lanes: lane variables are read at lane `l`.
    lane_mode: bool,
    /// One per reverse loop being emitted, innermost last.
    hoists: Vec<Hoist>,
    temps: usize,
    loops: usize,
}

/// The input's adjoint at indices a reverse loop does not change (`x_b[n - 1]` in a sum
/// over `i`): summed in a local across the loop and added to `x_b` once after it. `x_b`
/// is only ever added to, so the order of the additions is free, and a local keeps the
/// sum in a register instead of a chain of loads and stores through memory.
struct Hoist {
    /// The variables the loop assigns (its own included): an index reading one varies.
    assigned: Vec<bool>,
    /// `(index tokens, accumulator)`.
    sums: Vec<(String, TokenStream, Ident)>,
}

fn ws() -> Ident {
    Ident::new("__ws", Span::mixed_site())
}

fn tape() -> Ident {
    Ident::new("__tape", Span::mixed_site())
}

fn seed() -> Ident {
    Ident::new("seed", Span::mixed_site())
}

fn contains_return(s: &Stmt) -> bool {
    let mut found = false;
    visit_stmts(std::slice::from_ref(s), &mut |s| {
        found |= matches!(s, Stmt::Return(_))
    });
    found
}

impl Adjoint {
    fn name(&self, v: VarId) -> &Ident {
        &self.f.vars[v].name
    }

    fn adj(&self, v: VarId) -> Ident {
        format_ident!("{}_b", self.f.vars[v].name, span = Span::mixed_site())
    }

    fn active(&self, v: VarId) -> bool {
        self.f.vars[v].active && self.f.vars[v].ty.is_real()
    }

    fn lanes(&self, v: VarId) -> bool {
        self.f.vars[v].lanes
    }

    fn ex(&self, e: &Expr) -> TokenStream {
        let mut em = Emitter::new(&self.f);
        em.lane_reads = self.lane_mode;
        em.expr(e).0
    }

    /// The `[f64; L]` value of an expression of tangent code.
    fn lane_value(&self, e: &Expr) -> TokenStream {
        let mut pre = TokenStream::new();
        let v = Emitter::new(&self.f).lane_value(e, &mut pre);
        quote!({ #pre #v })
    }

    fn reads_lanes(&self, e: &Expr) -> bool {
        let mut found = false;
        e.for_each_read(&mut |v| found |= self.lanes(v));
        found
    }

    fn temp(&mut self) -> VarId {
        let name = format!("a{}", self.temps);
        self.temps += 1;
        self.f.new_var(&name, Ty::Real, false)
    }

    fn is_active_expr(&self, e: &Expr) -> bool {
        match e {
            Expr::Var(v) | Expr::Index(v, _) => self.active(*v),
            Expr::Lit(_) | Expr::Const(_) => false,
            Expr::Apply(_, args) => args.iter().any(|a| self.is_active_expr(a)),
            Expr::Int(_) => false,
        }
    }

    // ---- early returns ------------------------------------------------------------

    /// `return v` becomes `ret = v; done = true;`, and what follows a statement that may
    /// have returned runs under `if !done`.
    fn eliminate_returns(&mut self, body: &[Stmt]) -> Vec<Stmt> {
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

    // ---- the function ---------------------------------------------------------------

    fn function(&mut self, body: &[Stmt]) -> AdjointFn {
        let rt = rt();
        let (ws, tape, seed) = (ws(), tape(), seed());
        let mut params = Vec::new();
        let mut prologue = TokenStream::new();
        let mut epilogue = TokenStream::new();
        for p in self.f.params.clone() {
            let n = self.name(p.var).clone();
            let ty = &p.ty;
            match p.role {
                Role::Active => {
                    let b = self.adj(p.var);
                    params.push(quote!(#n: #ty));
                    params.push(quote!(#b: &mut [[f64; L]]));
                    if let Some(d) = self.direction {
                        let (dn, db) = (self.name(d), self.adj(d));
                        params.push(quote!(#dn: &[[f64; L]]));
                        if self.direction_adjoint {
                            params.push(quote!(#db: &mut [[f64; L]]));
                        }
                    }
                }
                Role::Output => {
                    // Worked on as a local, so the reverse sweep may restore it.
                    let out = format_ident!("{}_out", n, span = Span::mixed_site());
                    let b = self.adj(p.var);
                    let b_io = format_ident!("{}_b_io", n, span = Span::mixed_site());
                    params.push(quote!(#out: &mut [f64]));
                    params.push(quote!(#b_io: &mut [[f64; L]]));
                    prologue.extend(quote! {
                        let mut #n = #ws.copy(#out);
                        let mut #b = #ws.lane_copy::<L>(#b_io);
                    });
                    epilogue.extend(quote!(#b_io.copy_from_slice(&#b);));
                }
                Role::Constant => params.push(quote!(mut #n: #ty)),
            }
        }
        let done = self.name(self.done).clone();
        prologue.extend(quote!(let mut #done = false;));
        let (ret_ty, primal) = match (self.ret, self.ret_d) {
            (Some(r), None) => {
                let (ty, value, seed_b) = self.output(r, &seed, &mut params, &mut prologue);
                (quote!(-> #ty), quote!(let __primal = #value; #seed_b))
            }
            (None, Some(rd)) => {
                let (ty, value, seed_b) = self.output(rd, &seed, &mut params, &mut prologue);
                (quote!(-> #ty), quote!(let __primal = #value; #seed_b))
            }
            (Some(r), Some(rd)) => {
                let seed_d = Ident::new("seed_d", Span::mixed_site());
                let (ty, value, seed_b) = self.output(r, &seed, &mut params, &mut prologue);
                let (ty_d, value_d, seed_db) = self.output(rd, &seed_d, &mut params, &mut prologue);
                (
                    quote!(-> (#ty, #ty_d)),
                    quote!(let __primal = (#value, #value_d); #seed_b #seed_db),
                )
            }
            (None, None) => {
                let p = self.f.output_param().expect("output parameter").var;
                let n = self.name(p).clone();
                let out = format_ident!("{}_out", n, span = Span::mixed_site());
                (quote!(), quote!(#out.copy_from_slice(&#n);))
            }
        };
        let forward = self.fwd_block(body, true);
        let adjoints = self.declare_adjoints(&block_locals(body));
        let reverse = self.rev_stmts(body);
        let result = if self.ret.is_some() || self.ret_d.is_some() {
            quote!(__primal)
        } else {
            quote!()
        };
        let body = quote! {
            let #tape = __tape_param;
            #prologue
            #forward
            #primal
            #adjoints
            #reverse
            #epilogue
            #result
        };
        let mut all = vec![quote!(__tape_param: &mut #rt::Tape)];
        all.extend(params);
        AdjointFn {
            params: all,
            ret: ret_ty,
            body,
        }
    }

    /// A returned value `r` and its seed parameter: the return type, the value handed
    /// back (taken before the reverse sweep restores `r`), and the seeding of `r_b`.
    fn output(
        &self,
        r: VarId,
        seed: &Ident,
        params: &mut Vec<TokenStream>,
        prologue: &mut TokenStream,
    ) -> (TokenStream, TokenStream, TokenStream) {
        let (rt, ws) = (rt(), ws());
        let (rn, rb) = (self.name(r).clone(), self.adj(r));
        let active = self.f.vars[r].active;
        let lanes = self.lanes(r);
        if self.f.vars[r].ty == Ty::Real {
            params.push(quote!(#seed: [f64; L]));
            prologue.extend(if lanes {
                quote!(let mut #rn = [0.0; L];)
            } else {
                quote!(let mut #rn = 0.0;)
            });
            let seed_b = if active {
                quote!(let mut #rb = #seed;)
            } else {
                quote!()
            };
            let ty = if lanes { quote!([f64; L]) } else { quote!(f64) };
            return (ty, quote!(#rn), seed_b);
        }
        params.push(quote!(#seed: &[[f64; L]]));
        let seed_b = if active {
            quote! {
                #rt::check_len("the adjoint seed", #rn.len(), #seed.len());
                let mut #rb = #ws.lane_copy::<L>(#seed);
            }
        } else {
            quote!()
        };
        if lanes {
            prologue.extend(quote!(let mut #rn = #ws.lane_zeros::<L>(0);));
            (
                quote!(#rt::LaneBuf<'w, L>),
                quote!(#ws.lane_copy::<L>(&#rn)),
                seed_b,
            )
        } else {
            prologue.extend(quote!(let mut #rn = #ws.zeros(0);));
            (quote!(#rt::Buf<'w>), quote!(#ws.copy(&#rn)), seed_b)
        }
    }

    /// `let mut v_b = ...` for the active locals of a block, all zero.
    fn declare_adjoints(&self, locals: &[VarId]) -> TokenStream {
        let ws = ws();
        let mut out = TokenStream::new();
        for &v in locals {
            if !self.active(v) {
                continue;
            }
            let b = self.adj(v);
            let n = self.name(v);
            out.extend(match self.f.vars[v].ty {
                Ty::Real => quote!(let mut #b = [0.0; L];),
                _ => quote!(let mut #b = #ws.lane_zeros::<L>(#n.len());),
            });
        }
        out
    }

    // ---- forward sweep --------------------------------------------------------------

    /// The statements of a block, then (except for the top block, whose locals live on)
    /// the final values of its locals, for the reverse block to start from.
    fn fwd_block(&mut self, body: &[Stmt], top: bool) -> TokenStream {
        let mut out: TokenStream = body.iter().map(|s| self.fwd(s)).collect();
        if !top {
            // Last local first, so the reverse block pops them in order and an
            // integer's type can be read from its initializer (`let b = a + 1;`).
            for v in block_locals(body).into_iter().rev() {
                out.extend(self.save(v));
            }
        }
        out
    }

    /// A real scalar that only enters sums (`s += ...`): no partial reads it, so the
    /// tape need not keep its old values.
    fn unneeded(&self, v: VarId) -> bool {
        self.f.vars[v].ty == Ty::Real && !self.needed.get(v).copied().unwrap_or(true)
    }

    /// Pushes the current value of `v`.
    fn save(&self, v: VarId) -> TokenStream {
        let tape = tape();
        let n = self.name(v);
        if n == "_" || self.unneeded(v) || self.recompute.contains_key(&v) {
            return quote!();
        }
        match self.f.vars[v].ty {
            Ty::Real if self.lanes(v) => quote!(#tape.push_lanes(&#n);),
            Ty::RealVec if self.lanes(v) => quote!(#tape.push_vec(#n.as_flattened());),
            Ty::Real => quote!(#tape.push_real(#n);),
            Ty::RealVec => quote!(#tape.push_vec(&#n);),
            Ty::Int => quote!(#tape.push_int(#n);),
            Ty::Bool => quote!(#tape.push_bool(#n);),
            Ty::Other => quote!(),
        }
    }

    /// Pops the value [`save`](Self::save) pushed into a new binding of `v`; `like` is
    /// an expression of `v`'s type (never evaluated) for integers.
    fn restore_new(&self, v: VarId, like: Option<&TokenStream>) -> TokenStream {
        let (tape, ws) = (tape(), ws());
        let n = self.name(v);
        if n == "_" || self.unneeded(v) {
            return quote!();
        }
        if let Some(Rhs::Real(e)) = self.recompute.get(&v) {
            let e = self.ex(e);
            return quote!(let mut #n: f64 = #e;);
        }
        match self.f.vars[v].ty {
            Ty::Real if self.lanes(v) => quote!(let mut #n = [0.0; L]; #tape.pop_lanes(&mut #n);),
            Ty::RealVec if self.lanes(v) => {
                quote!(let mut #n = #ws.lane_zeros::<L>(0); #tape.pop_lanes_into(&mut #n);)
            }
            Ty::Real => quote!(let mut #n: f64 = #tape.pop_real();),
            Ty::RealVec => quote!(let mut #n = #ws.zeros(0); #tape.pop_vec_into(&mut #n);),
            Ty::Int => match like {
                Some(like) => quote!(let mut #n = if false { #like } else { #tape.pop_int() };),
                None => quote!(let mut #n: usize = #tape.pop_int();),
            },
            Ty::Bool => quote!(let mut #n: bool = #tape.pop_bool();),
            // A constant of any type cannot be taped: it is computed again.
            Ty::Other => match like {
                Some(like) => quote!(let mut #n = #like;),
                None => quote!(),
            },
        }
    }

    /// Pops into the existing binding of `v`.
    fn restore(&self, v: VarId) -> TokenStream {
        let tape = tape();
        let n = self.name(v);
        if self.unneeded(v) {
            return quote!();
        }
        match self.f.vars[v].ty {
            Ty::Real if self.lanes(v) => quote!(#tape.pop_lanes(&mut #n);),
            Ty::RealVec if self.lanes(v) => quote!(#tape.pop_lanes_into(&mut #n);),
            Ty::Real => quote!(#n = #tape.pop_real();),
            Ty::RealVec => quote!(#tape.pop_vec_into(&mut #n);),
            Ty::Int => quote!(#n = #tape.pop_int();),
            Ty::Bool => quote!(#n = #tape.pop_bool();),
            Ty::Other => quote!(),
        }
    }

    fn fwd(&mut self, s: &Stmt) -> TokenStream {
        let (ws, tape) = (ws(), tape());
        match s {
            Stmt::Let { var, init } => {
                let n = self.name(*var).clone();
                match init {
                    // Set later in both arms of a branch; the overwrite saves the old
                    // value, so it needs one.
                    None => match self.f.vars[*var].ty {
                        Ty::Real if self.lanes(*var) => quote!(let mut #n = [0.0; L];),
                        Ty::RealVec if self.lanes(*var) => {
                            quote!(let mut #n = #ws.lane_zeros::<L>(0);)
                        }
                        Ty::Real => quote!(let mut #n: f64 = 0.0;),
                        Ty::RealVec => quote!(let mut #n = #ws.zeros(0);),
                        _ => quote!(let mut #n = ::core::default::Default::default();),
                    },
                    Some(rhs) => {
                        let v = self.fwd_rhs(*var, rhs);
                        let ty = let_type(&self.f, *var);
                        quote!(let mut #n #ty = #v;)
                    }
                }
            }
            Stmt::Assign { var, rhs } => {
                let n = self.name(*var).clone();
                let save = self.save(*var);
                let v = self.fwd_rhs(*var, rhs);
                quote!(#save #n = #v;)
            }
            Stmt::Store { vec, index, value } => {
                let n = self.name(*vec).clone();
                let i = &index.tokens;
                if self.lanes(*vec) {
                    let v = self.lane_value(value);
                    quote!(#tape.push_lanes(&#n[#i]); #n[#i] = #v;)
                } else {
                    let v = self.ex(value);
                    quote!(#tape.push_real(#n[#i]); #n[#i] = #v;)
                }
            }
            Stmt::Push { vec, value } => {
                let n = self.name(*vec).clone();
                let v = if self.lanes(*vec) {
                    self.lane_value(value)
                } else {
                    self.ex(value)
                };
                quote!(#n.push(#v);)
            }
            Stmt::Call {
                results,
                declare,
                call,
            } => {
                let mut pre = TokenStream::new();
                for a in &call.args {
                    if let Arg::Out(w) = a {
                        pre.extend(self.save(*w));
                    }
                }
                if !declare {
                    for &r in results {
                        pre.extend(self.save(r));
                    }
                }
                let args = call_args(&self.f, &call.args);
                let callee = match call.kind {
                    CallKind::Tangent => {
                        // Tangent code calling tangent code (second order through calls).
                        let p = hidden_path(&call.path, "__asd_tangent_");
                        quote!(#p::<L>(#ws, #(#args),*))
                    }
                    // The plain function's vector result goes into the workspace's
                    // pooled vectors, as every vector of the sweep does.
                    _ if results.len() == 1 && self.f.vars[results[0]].ty == Ty::RealVec => {
                        let p = &call.path;
                        quote!(#ws.copy(&#p(#(#args),*)))
                    }
                    _ => {
                        let p = &call.path;
                        quote!(#p(#(#args),*))
                    }
                };
                let names: Vec<&Ident> = results.iter().map(|&r| self.name(r)).collect();
                match (names.as_slice(), declare) {
                    ([], _) => quote!(#pre #callee;),
                    ([r], true) => quote!(#pre let mut #r = #callee;),
                    ([r], false) => quote!(#pre #r = #callee;),
                    (rs, true) => quote!(#pre let (#(mut #rs),*) = #callee;),
                    (rs, false) => quote!(#pre (#(#rs),*) = #callee;),
                }
            }
            Stmt::For { var, range, body } if self.replayable(range, body) => {
                // The reverse sweep walks the same range backwards: only its bounds,
                // evaluated once, go on the tape.
                let n = self.name(*var).clone();
                self.loops += 1;
                let (lo, hi) = bounds(self.loops);
                let (start, end) = (&range.start.tokens, &range.end.tokens);
                let r = range_tokens(&with_bounds(range, &lo, &hi));
                let inner = self.fwd_block(body, false);
                quote! {
                    let #lo = #start;
                    let #hi = #end;
                    for #n in #r { #inner }
                    #tape.push_int(#lo);
                    #tape.push_int(#hi);
                }
            }
            Stmt::For { var, range, body } => {
                let n = self.name(*var).clone();
                let cnt = self.loop_counter();
                let r = range_tokens(range);
                let inner = self.fwd_block(body, false);
                let save_var = self.save(*var);
                let brk = self.break_if_done(body);
                quote! {
                    let mut #cnt = 0usize;
                    for #n in #r { #inner #save_var #cnt += 1; #brk }
                    #tape.push_int(#cnt);
                }
            }
            Stmt::While { cond, body } => {
                let cnt = self.loop_counter();
                let c = &cond.tokens;
                let inner = self.fwd_block(body, false);
                let brk = self.break_if_done(body);
                quote! {
                    let mut #cnt = 0usize;
                    while #c { #inner #cnt += 1; #brk }
                    #tape.push_int(#cnt);
                }
            }
            Stmt::If { cond, then, els } => {
                let c = &cond.tokens;
                let taken = Ident::new("taken", Span::mixed_site());
                let then = self.fwd_block(then, false);
                let els = self.fwd_block(els, false);
                quote! {
                    let #taken: bool = #c;
                    if #taken { #then } else { #els }
                    #tape.push_bool(#taken);
                }
            }
            Stmt::Block(body) => {
                let inner = self.fwd_block(body, false);
                quote!({ #inner })
            }
            Stmt::Return(_) => {
                quote!(::core::compile_error!("asd: returns are eliminated before the adjoint");)
            }
        }
    }

    fn loop_counter(&mut self) -> Ident {
        self.loops += 1;
        format_ident!("trips{}", self.loops, span = Span::mixed_site())
    }

    /// A loop the reverse sweep can walk backwards from its bounds alone: no early exit,
    /// and no `step_by` (whose reverse is not defined on every integer range).
    fn replayable(&self, range: &Range, body: &[Stmt]) -> bool {
        let no_step = range.adapters.iter().all(|a| matches!(a, Adapter::Rev));
        no_step && self.break_if_done(body).is_empty()
    }

    fn break_if_done(&self, body: &[Stmt]) -> TokenStream {
        let mut returns = false;
        visit_stmts(body, &mut |s| {
            returns |= matches!(s, Stmt::Assign { var, .. } if *var == self.done)
        });
        if returns {
            let done = self.name(self.done);
            quote!(if #done { break; })
        } else {
            quote!()
        }
    }

    fn fwd_rhs(&mut self, var: VarId, rhs: &Rhs) -> TokenStream {
        let ws = ws();
        match rhs {
            Rhs::Vec(VecExpr::Move(u)) => {
                // The moved-from vector stays usable (emptied): blocks save their locals.
                let empty = if self.lanes(var) {
                    quote!(#ws.lane_zeros::<L>(0))
                } else {
                    quote!(#ws.zeros(0))
                };
                let u = self.name(*u);
                quote!(::core::mem::replace(&mut #u, #empty))
            }
            _ if self.lanes(var) => {
                let mut pre = TokenStream::new();
                let v = Emitter::new(&self.f).rhs(var, rhs, &mut pre);
                quote!({ #pre #v })
            }
            Rhs::Real(e) => self.ex(e),
            Rhs::Opaque(o) => o.tokens.clone(),
            Rhs::Vec(v) => {
                let mut pre = TokenStream::new();
                let mut e = Emitter::new(&self.f);
                let v = e.vector(v, false, &mut pre);
                quote!({ #pre #v })
            }
        }
    }

    // ---- reverse sweep --------------------------------------------------------------

    fn rev_stmts(&mut self, body: &[Stmt]) -> TokenStream {
        body.iter().rev().map(|s| self.rev(s)).collect()
    }

    /// A nested block backwards: its locals (and the loop variable) come back from the
    /// tape, then its statements run in reverse.
    fn rev_block(&mut self, body: &[Stmt], loop_var: Option<(VarId, TokenStream)>) -> TokenStream {
        let locals = block_locals(body);
        let mut out = TokenStream::new();
        if let Some((v, like)) = &loop_var {
            out.extend(self.restore_new(*v, Some(like)));
        }
        // Popped in order (they were pushed last first); recomputed afterwards, in
        // order, from what was popped.
        for &v in locals.iter().filter(|v| !self.recompute.contains_key(v)) {
            let like = let_init(body, v);
            out.extend(self.restore_new(v, like.as_ref()));
        }
        for &v in locals.iter().filter(|v| self.recompute.contains_key(v)) {
            out.extend(self.restore_new(v, None));
        }
        out.extend(self.declare_adjoints(&locals));
        out.extend(self.rev_stmts(body));
        out
    }

    fn rev(&mut self, s: &Stmt) -> TokenStream {
        let (tape, seed) = (tape(), seed());
        match s {
            Stmt::Let {
                var,
                init: Some(rhs),
            } => match rhs {
                Rhs::Real(e) if self.active(*var) => {
                    let b = self.adj(*var);
                    let bp = self.backprop(e, &seed);
                    quote!({ let #seed = #b; #bp })
                }
                Rhs::Vec(v) => self.rev_vector(*var, v),
                _ => quote!(),
            },
            Stmt::Let { init: None, .. } => quote!(),
            Stmt::Assign { var, rhs } => {
                let restore = self.restore(*var);
                match rhs {
                    Rhs::Real(e) if self.active(*var) => {
                        let b = self.adj(*var);
                        let bp = self.backprop(e, &seed);
                        quote!({ let #seed = #b; #b = [0.0; L]; #restore #bp })
                    }
                    Rhs::Vec(v) => {
                        let back = self.rev_vector(*var, v);
                        let reset = if self.active(*var) {
                            let b = self.adj(*var);
                            let n = self.name(*var);
                            quote!(#b.reset(#n.len());)
                        } else {
                            quote!()
                        };
                        quote!({ #back #restore #reset })
                    }
                    _ => restore,
                }
            }
            Stmt::Store { vec, index, value } => {
                let n = self.name(*vec).clone();
                let i = &index.tokens;
                let restore = if self.lanes(*vec) {
                    quote!(#tape.pop_lanes(&mut #n[#i]);)
                } else {
                    quote!(#n[#i] = #tape.pop_real();)
                };
                if self.active(*vec) {
                    let b = self.adj(*vec);
                    let bp = self.backprop(value, &seed);
                    quote!({ let #seed = #b[#i]; #b[#i] = [0.0; L]; #restore #bp })
                } else {
                    restore
                }
            }
            Stmt::Push { vec, value } => {
                let n = self.name(*vec).clone();
                if self.active(*vec) {
                    let b = self.adj(*vec);
                    let bp = self.backprop(value, &seed);
                    quote!({ #n.pop(); let #seed = #b.pop(); #bp })
                } else {
                    quote!(#n.pop();)
                }
            }
            Stmt::Call {
                results,
                declare,
                call,
            } => self.rev_call(results, *declare, call),
            Stmt::For { var, range, body } if self.replayable(range, body) => {
                let n = self.name(*var).clone();
                let (lo, hi) = bounds(0);
                let (start, end) = (&range.start.tokens, &range.end.tokens);
                let r = range_tokens(&with_bounds(range, &lo, &hi));
                let the_loop = self.rev_loop(Some(*var), body, |a| {
                    let inner = a.rev_block(body, None);
                    quote!(for #n in (#r).rev() { #inner })
                });
                quote!({
                    let #hi = if false { #end } else { #tape.pop_int() };
                    let #lo = if false { #start } else { #tape.pop_int() };
                    #the_loop
                })
            }
            Stmt::For { var, range, body } => {
                let cnt = Ident::new("trips", Span::mixed_site());
                let like = range.start.tokens.clone();
                let the_loop = self.rev_loop(Some(*var), body, |a| {
                    let inner = a.rev_block(body, Some((*var, like)));
                    quote!(for _ in 0..#cnt { #inner })
                });
                quote!({ let #cnt: usize = #tape.pop_int(); #the_loop })
            }
            Stmt::While { body, .. } => {
                let cnt = Ident::new("trips", Span::mixed_site());
                let the_loop = self.rev_loop(None, body, |a| {
                    let inner = a.rev_block(body, None);
                    quote!(for _ in 0..#cnt { #inner })
                });
                quote!({ let #cnt: usize = #tape.pop_int(); #the_loop })
            }
            Stmt::If { then, els, .. } => {
                let then = self.rev_block(then, None);
                let els = self.rev_block(els, None);
                quote!(if #tape.pop_bool() { #then } else { #els })
            }
            Stmt::Block(body) => {
                let inner = self.rev_block(body, None);
                quote!({ #inner })
            }
            Stmt::Return(_) => quote!(),
        }
    }

    /// The adjoint of `var = <vector>` (or `let`): what flows from `var_b` into the
    /// vector's sources. A moved-from vector gets its value back.
    fn rev_vector(&mut self, var: VarId, v: &VecExpr) -> TokenStream {
        let l = lane_ident();
        let seed = seed();
        let n = self.name(var).clone();
        let b = self.adj(var);
        let active = self.active(var);
        match v {
            VecExpr::Filled(e, _) if active && self.is_active_expr(e) => {
                let bp = self.backprop(e, &seed);
                quote!({
                    let mut #seed = [0.0; L];
                    for a in #b.iter() { for #l in 0..L { #seed[#l] += a[#l]; } }
                    #bp
                })
            }
            VecExpr::List(items) if active => {
                let mut out = TokenStream::new();
                for (k, e) in items.iter().enumerate() {
                    if self.is_active_expr(e) {
                        let bp = self.backprop(e, &seed);
                        out.extend(quote!({ let #seed = #b[#k]; #bp }));
                    }
                }
                out
            }
            VecExpr::Copy(u) if active && self.active(*u) => {
                let ub = self.adj(*u);
                quote!(for (a, d) in #ub.iter_mut().zip(#b.iter()) { for #l in 0..L { a[#l] += d[#l]; } })
            }
            VecExpr::Move(u) => {
                let un = self.name(*u).clone();
                let adjoint = if self.active(*u) {
                    let ub = self.adj(*u);
                    if active {
                        quote!(#ub.assign(&#b);)
                    } else {
                        quote!(#ub.reset(#un.len());)
                    }
                } else {
                    quote!()
                };
                quote!(#un.assign(&#n); #adjoint)
            }
            _ => quote!(),
        }
    }

    fn rev_call(&mut self, results: &[VarId], declare: bool, call: &Call) -> TokenStream {
        let (ws, tape) = (ws(), tape());
        let active = call
            .args
            .iter()
            .any(|a| matches!(a, Arg::Vec(v, _) if self.active(*v)));
        // Pops in the reverse order of the forward sweep's pushes.
        let mut restore_out = TokenStream::new();
        for a in call.args.iter().rev() {
            if let Arg::Out(w) = a {
                restore_out.extend(self.restore(*w));
            }
        }
        let mut restore_results = TokenStream::new();
        if !declare {
            for &r in results.iter().rev() {
                restore_results.extend(self.restore(r));
            }
        }
        if !active {
            return quote!(#restore_results #restore_out);
        }
        let mut args = Vec::new();
        let mut scratch = TokenStream::new();
        for a in &call.args {
            match a {
                Arg::Vec(v, range) => {
                    let n = self.name(*v);
                    let value = Arg::slice_of(range, n, false);
                    args.push(value.clone());
                    if self.active(*v) {
                        args.push(Arg::slice_of(range, &self.adj(*v), true));
                    } else if self.lanes(*v) {
                        // Directions that are constants here: the callee's adjoint of
                        // them goes to a scratch buffer.
                        args.push(quote!(&mut *#ws.lane_zeros::<L>((#value).len())));
                    }
                }
                Arg::Out(w) => {
                    // The callee's adjoint writes its output again: give it a copy of the
                    // value before the call, which the reverse sweep goes on with.
                    let n = self.name(*w);
                    let copy = format_ident!("{}_scratch", n, span = Span::mixed_site());
                    scratch.extend(quote!(let mut #copy = #ws.copy(&#n);));
                    args.push(quote!(&mut #copy));
                    let b = self.adj(*w);
                    args.push(quote!(&mut *#b));
                }
                Arg::Other(o) => args.push(o.tokens.clone()),
            }
        }
        // The seed is taken before the result is restored: `u = g(&u)` reads the old `u`
        // and accumulates into the old `u_b`.
        let mut take_seed = TokenStream::new();
        for (k, &r) in results.iter().enumerate() {
            let seed = format_ident!("seed{}", k, span = Span::mixed_site());
            let b = self.adj(r);
            let n = self.name(r);
            if self.f.vars[r].ty == Ty::Real {
                take_seed.extend(quote!(let #seed = #b; #b = [0.0; L];));
                args.push(quote!(#seed));
            } else {
                take_seed.extend(quote!(let #seed = #ws.lane_copy::<L>(&#b);));
                restore_results.extend(quote!(#b.reset(#n.len());));
                args.push(quote!(&#seed));
            }
        }
        let prefix = match call.kind {
            CallKind::Tangent => "__asd_tangent_adjoint_",
            _ => "__asd_adjoint_",
        };
        let p = hidden_path(&call.path, prefix);
        let check = Emitter::new(&self.f).wrt_check(call);
        quote!({
            #check
            #take_seed
            #restore_results
            #restore_out
            #scratch
            #p::<L>(#ws, &mut *#tape, #(#args),*);
        })
    }

    // ---- adjoints of expressions ---------------------------------------------------

    /// The local that sums the adjoint of `v[index]` across the innermost reverse loop,
    /// when `v` is the input and the loop does not change `index`.
    fn hoisted(&mut self, v: VarId, index: &Opaque) -> Option<Ident> {
        if v != self.f.active_param().var {
            return None;
        }
        let hoist = self.hoists.last()?;
        if index.reads.iter().any(|&r| hoist.assigned[r]) {
            return None;
        }
        let key = index.tokens.to_string();
        if let Some((.., sum)) = hoist.sums.iter().find(|(k, ..)| *k == key) {
            return Some(sum.clone());
        }
        let t = self.temp();
        let sum = self.name(t).clone();
        let hoist = self.hoists.last_mut().expect("checked above");
        hoist.sums.push((key, index.tokens.clone(), sum.clone()));
        Some(sum)
    }

    /// A reverse loop `emit` makes, with the sums of [`Hoist`] declared before it and
    /// added to the input's adjoint after it.
    fn rev_loop(
        &mut self,
        var: Option<VarId>,
        body: &[Stmt],
        emit: impl FnOnce(&mut Self) -> TokenStream,
    ) -> TokenStream {
        let mut assigned = assigned_in(self.f.vars.len(), body);
        if let Some(v) = var {
            assigned[v] = true;
        }
        self.hoists.push(Hoist {
            assigned,
            sums: Vec::new(),
        });
        let the_loop = emit(self);
        let hoist = self.hoists.pop().expect("pushed above");
        if hoist.sums.is_empty() {
            return the_loop;
        }
        let xb = self.adj(self.f.active_param().var);
        let l = lane_ident();
        let (decl, add): (TokenStream, TokenStream) = hoist
            .sums
            .iter()
            .map(|(_, i, sum)| {
                (
                    quote!(let mut #sum = [0.0; L];),
                    quote!(for #l in 0..L { #xb[#i][#l] += #sum[#l]; }),
                )
            })
            .unzip();
        quote!({ #decl #the_loop #add })
    }

    /// `leaf_b += (d e / d leaf) * seed` for every active leaf of `e`, lane by lane; the
    /// partials come from the table of rules, evaluated once outside the lane loop.
    fn backprop(&mut self, e: &Expr, seed: &Ident) -> TokenStream {
        // Tangent code: the partials differ from lane to lane, so they are computed
        // inside the loop over lanes.
        self.lane_mode = self.reads_lanes(e);
        let mut pre = TokenStream::new();
        let mut terms = Vec::new();
        self.collect(e, Expr::lit(1.0), &mut pre, &mut terms);
        if terms.is_empty() {
            let lane_mode = std::mem::replace(&mut self.lane_mode, false);
            return if lane_mode { quote!() } else { pre };
        }
        let l = lane_ident();
        let terms: Vec<_> = merge_leaves(terms)
            .into_iter()
            .map(|(leaf, coef)| (leaf, self.bind(coef, &mut pre)))
            .collect();
        let updates: Vec<TokenStream> = terms
            .into_iter()
            .map(|(leaf, coef)| match coef {
                Expr::Lit(1.0) => quote!(#leaf[#l] += #seed[#l];),
                Expr::Lit(-1.0) => quote!(#leaf[#l] -= #seed[#l];),
                c => {
                    let c = self.ex(&c);
                    quote!(#leaf[#l] += #c * #seed[#l];)
                }
            })
            .collect();
        let lane_mode = std::mem::replace(&mut self.lane_mode, false);
        if lane_mode {
            quote!(for #l in 0..L { #pre #(#updates)* })
        } else {
            quote!(#pre for #l in 0..L { #(#updates)* })
        }
    }

    /// Binds a non-trivial scalar expression to a temporary, so it is computed once.
    fn bind(&mut self, e: Expr, pre: &mut TokenStream) -> Expr {
        match e {
            Expr::Var(_) | Expr::Lit(_) | Expr::Index(..) | Expr::Const(_) | Expr::Int(_) => e,
            e => {
                let t = self.temp();
                let n = self.name(t).clone();
                let v = self.ex(&e);
                pre.extend(quote!(let #n = #v;));
                Expr::Var(t)
            }
        }
    }

    fn collect(
        &mut self,
        e: &Expr,
        coef: Expr,
        pre: &mut TokenStream,
        terms: &mut Vec<(TokenStream, Expr)>,
    ) {
        match e {
            Expr::Var(v) if self.active(*v) => {
                let b = self.adj(*v);
                terms.push((quote!(#b), coef));
            }
            Expr::Index(v, i) if self.active(*v) => {
                let leaf = match self.hoisted(*v, i) {
                    Some(sum) => quote!(#sum),
                    None => {
                        let b = self.adj(*v);
                        let i = &i.tokens;
                        quote!(#b[#i])
                    }
                };
                terms.push((leaf, coef));
            }
            // Sums pass the coefficient on unchanged and read no value.
            Expr::Apply(op @ (Op::Add | Op::Sub | Op::Neg), args) => {
                let signs = rules::partials(*op, args, e);
                for (a, p) in args.iter().zip(signs) {
                    if let (Some(p), true) = (p, self.is_active_expr(a)) {
                        let c = times(coef.clone(), p);
                        self.collect(a, c, pre, terms);
                    }
                }
            }
            Expr::Apply(op, args) if self.is_active_expr(e) => {
                let vals: Vec<Expr> = args.iter().map(|a| self.bind(a.clone(), pre)).collect();
                let probe = self.temp();
                let mut partials = rules::partials(*op, &vals, &Expr::Var(probe));
                if partials.iter().flatten().any(|p| p.reads(probe)) {
                    let r = self.bind(Expr::app(*op, vals.clone()), pre);
                    partials = rules::partials(*op, &vals, &r);
                }
                for (a, p) in args.iter().zip(partials) {
                    let Some(p) = p else { continue };
                    if self.is_active_expr(a) {
                        let c = self.bind(times(coef.clone(), p), pre);
                        self.collect(a, c, pre, terms);
                    }
                }
            }
            _ => {}
        }
    }
}

/// One term per adjoint: `x_b[i] += (a + b) * seed` instead of two updates of `x_b[i]`
/// (`x[i] * x[i]`). An adjoint updated twice in a loop is a chain through memory that
/// the sum avoids: arwhead's `x[n - 1]` made its gradient 5x the primal.
fn merge_leaves(terms: Vec<(TokenStream, Expr)>) -> Vec<(TokenStream, Expr)> {
    let mut merged: Vec<(String, TokenStream, Expr)> = Vec::with_capacity(terms.len());
    for (leaf, coef) in terms {
        let key = leaf.to_string();
        match merged.iter_mut().find(|(k, ..)| *k == key) {
            Some((_, _, sum)) => *sum = Expr::add(sum.clone(), coef),
            None => merged.push((key, leaf, coef)),
        }
    }
    merged
        .into_iter()
        .map(|(_, leaf, coef)| (leaf, coef))
        .collect()
}

/// `a * b`, with the unit and sign factors folded.
fn times(a: Expr, b: Expr) -> Expr {
    match (a, b) {
        (Expr::Lit(1.0), b) => b,
        (a, Expr::Lit(1.0)) => a,
        (Expr::Lit(-1.0), b) => Expr::app(Op::Neg, vec![b]),
        (a, Expr::Lit(-1.0)) => Expr::app(Op::Neg, vec![a]),
        (a, b) => Expr::mul(a, b),
    }
}

/// `assigned[v]`: whether `body` declares or assigns `v` anywhere, nested blocks included.
fn assigned_in(nvars: usize, body: &[Stmt]) -> Vec<bool> {
    let mut assigned = vec![false; nvars];
    visit_stmts(body, &mut |s| match s {
        Stmt::Let { var, .. } | Stmt::For { var, .. } => assigned[*var] = true,
        s => for_each_written(s, |v| assigned[v] = true),
    });
    assigned
}

/// Calls `f` on every variable `s` itself writes to (not those it declares).
fn for_each_written(s: &Stmt, mut f: impl FnMut(VarId)) {
    match s {
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
        _ => {}
    }
}

/// The variables a block declares itself (not in nested blocks), in order.
fn block_locals(body: &[Stmt]) -> Vec<VarId> {
    let mut out = Vec::new();
    for s in body {
        match s {
            Stmt::Let { var, .. } => out.push(*var),
            Stmt::Call {
                results,
                declare: true,
                ..
            } => out.extend(results),
            _ => {}
        }
    }
    out
}

/// The initializer tokens of an integer `let` in `body`, to give its type to a pop.
fn let_init(body: &[Stmt], v: VarId) -> Option<TokenStream> {
    body.iter().find_map(|s| match s {
        Stmt::Let {
            var,
            init: Some(Rhs::Opaque(o)),
        } if *var == v => Some(o.tokens.clone()),
        _ => None,
    })
}

/// Scalar locals, declared once and never assigned, whose initializer reads only values
/// that stay put for the whole call: parameters nobody assigns (not the output) and loop
/// variables. A reverse block recomputes them: cheaper than a push and a pop.
fn recomputable(f: &Function, body: &[Stmt]) -> std::collections::HashMap<VarId, Rhs> {
    let mut assigned = vec![false; f.vars.len()];
    let mut loop_vars = vec![false; f.vars.len()];
    let mut lets = Vec::new();
    visit_stmts(body, &mut |s| match s {
        Stmt::For { var, .. } => loop_vars[*var] = true,
        Stmt::Let {
            var,
            init: Some(rhs),
        } => lets.push((*var, rhs.clone())),
        s => for_each_written(s, |v| assigned[v] = true),
    });
    let output = f.output_param().map(|p| p.var);
    let mut stable: Vec<bool> = (0..f.vars.len())
        .map(|v| {
            !assigned[v]
                && (loop_vars[v]
                    || matches!(f.vars[v].origin, Origin::Param(_)) && output != Some(v))
        })
        .collect();
    // Integers set once from stable values (`let n = x.len();`) are stable too.
    let params: Vec<String> = f
        .params
        .iter()
        .filter(|p| Some(p.var) != output)
        .map(|p| f.vars[p.var].name.to_string())
        .collect();
    loop {
        let mut changed = false;
        for (v, rhs) in &lets {
            if let (Rhs::Opaque(o), false, Ty::Int) =
                (rhs, stable[*v] || assigned[*v], f.vars[*v].ty)
            {
                let lens_ok = len_targets(&o.tokens).iter().all(|t| params.contains(t));
                if lens_ok && o.reads.iter().all(|&r| stable[r]) {
                    stable[*v] = true;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let stable = |v: VarId| stable[v];
    lets.into_iter()
        .filter(|(v, rhs)| {
            let var = &f.vars[*v];
            let reads_stable = match rhs {
                Rhs::Real(e) => {
                    let mut ok = true;
                    e.for_each_read(&mut |r| ok &= stable(r));
                    // Opaque parts do not list the vectors whose length they read.
                    ok && !mentions_len(e)
                }
                _ => false,
            };
            !assigned[*v] && !var.lanes && var.ty == Ty::Real && reads_stable
        })
        .collect()
}

/// The vectors whose `.len()` some tokens read.
fn len_targets(tokens: &TokenStream) -> Vec<String> {
    use proc_macro2::TokenTree;
    let tts: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let mut out = Vec::new();
    for (k, tt) in tts.iter().enumerate() {
        match tt {
            TokenTree::Group(g) => out.extend(len_targets(&g.stream())),
            TokenTree::Ident(id) if id == "len" && k >= 2 => {
                if let (TokenTree::Punct(p), TokenTree::Ident(v)) = (&tts[k - 1], &tts[k - 2]) {
                    if p.as_char() == '.' {
                        out.push(v.to_string());
                        continue;
                    }
                }
                out.push(String::new());
            }
            TokenTree::Ident(id) if id == "len" => out.push(String::new()),
            _ => {}
        }
    }
    out
}

fn mentions_len(e: &Expr) -> bool {
    let opaque = |o: &Opaque| !len_targets(&o.tokens).is_empty();
    match e {
        Expr::Index(_, i) | Expr::Const(i) => opaque(i),
        Expr::Int(n) => opaque(n),
        Expr::Apply(_, args) => args.iter().any(mentions_len),
        Expr::Var(_) | Expr::Lit(_) => false,
    }
}

/// Which variables' values the reverse sweep reads: every real that appears other than
/// as a term of a sum, and every variable an opaque expression reads (call arguments,
/// indices, lengths). Branch and loop conditions are replayed from the tape, not read.
fn value_needed(f: &Function, body: &[Stmt]) -> Vec<bool> {
    fn expr(e: &Expr, linear: bool, needed: &mut [bool]) {
        match e {
            Expr::Var(v) => needed[*v] |= !linear,
            Expr::Index(_, i) => i.reads.iter().for_each(|&r| needed[r] = true),
            Expr::Lit(_) => {}
            Expr::Const(o) => o.reads.iter().for_each(|&r| needed[r] = true),
            Expr::Apply(op, args) => {
                let sum = linear && matches!(op, Op::Add | Op::Sub | Op::Neg);
                args.iter().for_each(|a| expr(a, sum, needed));
            }
            Expr::Int(n) => n.reads.iter().for_each(|&r| needed[r] = true),
        }
    }
    let mut needed = vec![false; f.vars.len()];
    let opaque = |o: &Opaque, needed: &mut [bool]| o.reads.iter().for_each(|&r| needed[r] = true);
    visit_stmts(body, &mut |s| match s {
        Stmt::Let {
            init: Some(rhs), ..
        }
        | Stmt::Assign { rhs, .. } => match rhs {
            Rhs::Real(e) => expr(e, true, &mut needed),
            Rhs::Vec(VecExpr::Filled(e, n)) => {
                expr(e, true, &mut needed);
                opaque(n, &mut needed);
            }
            Rhs::Vec(VecExpr::List(items)) => items.iter().for_each(|e| expr(e, true, &mut needed)),
            Rhs::Vec(VecExpr::Empty(Some(n)) | VecExpr::Overwritten(n)) | Rhs::Opaque(n) => {
                opaque(n, &mut needed)
            }
            Rhs::Vec(_) => {}
        },
        Stmt::Store { index, value, .. } => {
            opaque(index, &mut needed);
            expr(value, true, &mut needed);
        }
        Stmt::Push { value, .. } => expr(value, true, &mut needed),
        Stmt::Call { call, .. } => {
            for a in &call.args {
                if let Arg::Other(o) = a {
                    opaque(o, &mut needed);
                }
            }
        }
        _ => {}
    });
    needed
}

/// The names of a replayed loop's saved bounds.
fn bounds(k: usize) -> (Ident, Ident) {
    (
        format_ident!("lo{}", k, span = Span::mixed_site()),
        format_ident!("hi{}", k, span = Span::mixed_site()),
    )
}

/// The same range over bounds held in variables.
fn with_bounds(range: &Range, lo: &Ident, hi: &Ident) -> Range {
    Range {
        start: Opaque::new(quote!(#lo), vec![]),
        end: Opaque::new(quote!(#hi), vec![]),
        ..range.clone()
    }
}

#[cfg(test)]
mod tests {
    use crate::tests::generated;
    use quote::quote;

    #[test]
    fn one_update_per_adjoint_and_invariant_input_adjoints_summed_outside_the_loop() {
        let a = generated(
            quote! {
                fn f(x: &[f64]) -> f64 {
                    let n = x.len();
                    let mut f = 0.0;
                    for i in 0..n - 1 {
                        let t = x[i] * x[i] + x[n - 1] * x[n - 1];
                        f += t * t - 4.0 * x[i] + 3.0;
                    }
                    f
                }
            },
            "fn __asd_adjoint_f",
        );
        // `x[i] * x[i]` updates x_b[i] once; `t * t` updates t_b once.
        assert_eq!(a.matches("x_b[i][l] +=").count(), 2, "{a}");
        assert_eq!(a.matches("t_b[l] +=").count(), 1, "{a}");
        // x_b[n - 1] is added to once, after the reverse loop.
        assert_eq!(a.matches("x_b[n - 1][l] +=").count(), 1, "{a}");
        let after_loop = a.find("x_b[n - 1][l] +=").unwrap();
        assert!(a[..after_loop].contains("for i in (lo0..hi0).rev()"), "{a}");
    }

    #[test]
    fn adjoints_at_indices_the_loop_changes_or_of_locals_stay_in_the_loop() {
        let a = generated(
            quote! {
                fn f(x: &[f64]) -> f64 {
                    let n = x.len();
                    let v = x.to_vec();
                    let mut k = 0;
                    let mut s = 0.0;
                    for i in 0..n {
                        s += x[k] * x[i] + v[0] * x[i];
                        k = (k + 1) % n;
                    }
                    s
                }
            },
            "fn __asd_adjoint_f",
        );
        let in_loop = &a[a.find("for i in").expect(&a)..];
        assert!(in_loop.contains("x_b[k][l] +="), "{a}");
        assert!(in_loop.contains("v_b[0][l] +="), "{a}");
    }
}
