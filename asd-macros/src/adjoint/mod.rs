//! Pass: adjoint (reverse mode), IR to Rust tokens. The generated function runs a
//! forward sweep that computes the primal and records on the runtime's tape what the
//! reverse sweep will need, then a reverse sweep that walks the statements backwards
//! and accumulates adjoints (`v_b`, `L` directions each) from the table of rules.
//!
//! What the forward sweep saves, and why:
//! - the old value of every overwritten integer or boolean, and of every overwritten
//!   real some partial reads (`s = s * x[i]`; not `s += ...`, whose partials read no
//!   value); old vector elements before a store into a vector some partial reads (not
//!   `z` in `z[i] = y[i + 1] - y[i]`), whole vectors before a reassignment: the reverse
//!   sweep restores them one statement at a time, so every partial sees the values its
//!   statement saw;
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
//! A return runs once and nothing reads what it sets, so that is not saved either.
//!
//! ```text
//! for i in 0..n {                 let lo = 0; let hi = n; for i in lo..hi { tape.push_real(s); s = s * x[i]; }
//!     s = s * x[i];               tape.push_int(lo); tape.push_int(hi);
//! }                               ...
//!                                 for i in (lo..hi).rev() {
//!                                     let seed = s_b; s_b = [0.0; L]; s = tape.pop_real();
//!                                     { let to = &mut s_b; for l in 0..L { to[l] += x[i] * seed[l]; } }
//!                                     { let to = &mut x_b[i]; for l in 0..L { to[l] += s * seed[l]; } } }
//! ```
//!
//! The same pass, run over tangent code (lane variables are read lane by lane), gives
//! Hessian-vector products: reverse over forward.
//!
//! In order: [`returns`] turns returns into assignments (IR to IR), [`record`] decides
//! what the tape must keep (pure analyses of the IR), [`forward`] emits the forward
//! sweep and the pops that undo it, [`reverse`] the reverse sweep, and [`backprop`] the
//! adjoint of each real expression in it. This file holds the entry points and the
//! generated function's signature.

mod backprop;
mod forward;
mod record;
mod returns;
mod reverse;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use crate::analyse::{reaching, Need};
use crate::emit::Emitter;
use crate::ir::*;
use crate::names::rt;

use record::{block_locals, recomputable, stable_opaque, stable_vars, value_needed};
use returns::Returns;
use reverse::Hoist;

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
    a.returns.ret = None;
    a.returns.ret_d = Some(a.f.new_var("ret_d", Ty::Real, true));
    Some(a.finish(&tangent.body))
}

/// The adjoint of the tangent code of any function with a returned value: inputs `x`
/// and directions `x_d` both get adjoints, and both results (`y`, `y_d`) seeds. Calls of
/// annotated functions in tangent code reverse through it, so second order goes through
/// calls. `None` for functions that write an output parameter.
///
/// A function that calls one that writes an output parameter gets the signature alone,
/// with a body that panics saying so: its callers compile, and their second order
/// panics, as this function has no Hessian operators of its own.
pub fn tangent_adjoint(tangent: &Function) -> Option<AdjointFn> {
    if matches!(tangent.output, Output::Param(_)) {
        return None;
    }
    let unsupported = calls_output_functions(tangent);
    let body: &[Stmt] = if unsupported { &[] } else { &tangent.body };
    let direction = tangent.vars[tangent.active_param().var].deriv?;
    let mut a = Adjoint::start(tangent.clone(), body, Some(direction));
    let ty = a.f.vars[a.returns.ret?].ty;
    a.returns.ret_d = Some(a.f.new_var("ret_d", ty, true));
    a.direction_adjoint = true;
    let mut f = a.finish(body);
    if unsupported {
        let message = "asd: second order through this function is not generated: it calls a function that writes an output parameter";
        f.body = quote::quote!(::core::panic!(#message));
    }
    Some(f)
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
        let returns = Returns::new(&mut f);
        let needed = value_needed(&f, body);
        let stable = stable_vars(&f, body);
        let recompute = recomputable(&f, body, &stable);
        Adjoint {
            f,
            returns,
            needed,
            recompute,
            stable,
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
        let body = self.returns.eliminate(&self.f, body);
        self.returns.mark_active(&mut self.f, &body);
        let mut roots: Vec<VarId> = self.f.params.iter().map(|p| p.var).collect();
        roots.extend([self.returns.ret, self.returns.ret_d].into_iter().flatten());
        // What cannot reach them gets no adjoint (the primal `f` of a Hessian-vector
        // product, whose seed is on `f_d` alone): every value but real scalars counts.
        let mut useful: Vec<bool> = self.f.vars.iter().map(|v| v.ty != Ty::Real).collect();
        roots.iter().for_each(|&r| useful[r] = true);
        let useful = reaching(&self.f, &body, useful, Need::Derivative);
        for (var, useful) in self.f.vars.iter_mut().zip(useful) {
            var.active &= useful;
        }
        self.function(&body)
    }
}

struct Adjoint {
    f: Function,
    /// Reals whose value the reverse sweep reads: only these are saved and restored.
    needed: Vec<bool>,
    /// Locals set once from values that never change (inputs, constants, the loop
    /// variable): the reverse block recomputes them instead of reading the tape.
    recompute: std::collections::HashMap<VarId, Rhs>,
    /// Values that never change during the call ([`record::stable_vars`]): a branch
    /// condition reading only these is evaluated again by the reverse sweep, not taped.
    stable: Vec<bool>,
    /// `done`, `ret` and `ret_d`: what early returns set.
    returns: Returns,
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

fn ws() -> Ident {
    Ident::new("__ws", Span::mixed_site())
}

fn tape() -> Ident {
    Ident::new("__tape", Span::mixed_site())
}

fn seed() -> Ident {
    Ident::new("seed", Span::mixed_site())
}

/// The value `v`, in a block after the statements `pre` it reads, if there are any.
fn value_after(pre: TokenStream, v: TokenStream) -> TokenStream {
    if pre.is_empty() {
        v
    } else {
        quote!({ #pre #v })
    }
}

/// The emitted statements `inner` of the block `body`, in braces if it declares
/// locals, which are scoped to it. Without any, braces would scope only the sweeps' own
/// helpers, and those are numbered (`lo1`, `trips1`) or declared again before each use
/// (`taken`): the early return `{ ret = t0; done = true; }` needs none.
fn scoped(body: &[Stmt], inner: TokenStream) -> TokenStream {
    if block_locals(body).is_empty() {
        inner
    } else {
        quote!({ #inner })
    }
}

/// `if cond { then } else { els }`, without an empty `else`.
fn if_else(cond: TokenStream, then: TokenStream, els: TokenStream) -> TokenStream {
    if els.is_empty() {
        quote!(if #cond { #then })
    } else {
        quote!(if #cond { #then } else { #els })
    }
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

    /// Whether the reverse sweep evaluates the condition `cond` again (it reads only
    /// stable values: `i + 1 < n` in a loop over `i`) instead of popping the branch.
    fn replays_cond(&self, cond: &Opaque) -> bool {
        stable_opaque(&self.f, &self.stable, cond)
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
        value_after(pre, v)
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
        let done = self.name(self.returns.done).clone();
        prologue.extend(quote!(let mut #done = false;));
        let (ret_ty, primal) = match (self.returns.ret, self.returns.ret_d) {
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
        let result = if self.returns.ret.is_some() || self.returns.ret_d.is_some() {
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
}
