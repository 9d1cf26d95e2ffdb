//! The instruction set lane kernels run with. The default build targets the x86-64
//! baseline (SSE2: two lanes per instruction) so that it runs anywhere; sweeps of
//! [`WIDE`] lanes or more run through entry points compiled for AVX2 with FMA (four
//! lanes per instruction, fused multiply-adds), chosen once per preparation by run-time
//! detection. Generated kernels are `#[inline(always)]`, so each entry point holds a
//! whole kernel compiled for its instruction set.
//!
//! Each lane count is compiled once: narrow sweeps for the baseline only (wide vectors
//! gain little on one to four lanes), wide ones for AVX2 only. A processor without AVX2
//! runs a wide sweep as several four-lane ones ([`split`]), so every lane count still
//! works everywhere, at the price of more primal runs there. Other architectures compile
//! every count for their own baseline.

use super::{Hvp, Jvp, Vjp};
use crate::{LaneBuf, Workspace};

/// Sweeps of at least this many lanes run with wide vectors where the processor has
/// them.
pub(super) const WIDE: usize = 8;

/// `Lanes::<L>::WIDE`: whether `L` lanes take the wide entry points. An associated
/// constant, so that the compiler drops the other branch from each instance (a `L >=
/// WIDE` comparison in the function body would compile both).
struct Lanes<const L: usize>;

impl<const L: usize> Lanes<L> {
    const WIDE: bool = cfg!(target_arch = "x86_64") && L >= WIDE;
}

/// The instruction set of a preparation's wide sweeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Isa {
    /// The target's baseline: on x86-64 without AVX2, wide sweeps run four lanes at a
    /// time.
    Baseline,
    /// AVX2 with FMA.
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Isa {
    /// The widest instruction set this processor has.
    pub(super) fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return Isa::Avx2;
        }
        Isa::Baseline
    }

    /// Whether wide sweeps use wide vectors.
    pub(super) fn is_wide(self) -> bool {
        self != Isa::Baseline
    }
}

/// One sweep of a lane kernel: [`Jvp::jvp`], [`Vjp::vjp`] or [`Hvp::hvp`], so that one
/// set of entry points serves all three.
pub(super) trait Sweep {
    fn sweep<const L: usize>(&mut self, ws: &Workspace, seed: &[[f64; L]], out: &mut [[f64; L]]);
}

/// A [`Jvp`] kernel's sweep.
pub(super) struct Forward<'k, K>(pub(super) &'k mut K);

/// A [`Vjp`] kernel's sweep.
pub(super) struct Reverse<'k, K>(pub(super) &'k mut K);

/// An [`Hvp`] kernel's sweep.
pub(super) struct SecondOrder<'k, K>(pub(super) &'k mut K);

impl<K: Jvp> Sweep for Forward<'_, K> {
    #[inline(always)]
    fn sweep<const L: usize>(&mut self, ws: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
        self.0.jvp(ws, dx, dy)
    }
}

impl<K: Vjp> Sweep for Reverse<'_, K> {
    #[inline(always)]
    fn sweep<const L: usize>(&mut self, ws: &Workspace, dy: &[[f64; L]], dx: &mut [[f64; L]]) {
        self.0.vjp(ws, dy, dx)
    }
}

impl<K: Hvp> Sweep for SecondOrder<'_, K> {
    #[inline(always)]
    fn sweep<const L: usize>(&mut self, ws: &Workspace, v: &[[f64; L]], hv: &mut [[f64; L]]) {
        self.0.hvp(ws, v, hv)
    }
}

/// [`Sweep::sweep`] with `isa`, over lanes laid out flat.
pub(super) fn sweep<S: Sweep, const L: usize>(
    isa: Isa,
    kernel: &mut S,
    ws: &Workspace,
    seed: &[f64],
    out: &mut [f64],
) {
    if !Lanes::<L>::WIDE {
        let (seed, out) = (lanes::<L>(seed), lanes_mut::<L>(out));
        return baseline::sweep(kernel, ws, seed, out);
    }
    match isa {
        // SAFETY: `Isa::Avx2` is only ever detected on processors with AVX2 and FMA.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { avx2::sweep(kernel, ws, lanes::<L>(seed), lanes_mut::<L>(out)) },
        Isa::Baseline => split(ws, L, seed, out, &mut |ws, seed, out| {
            baseline::sweep(kernel, ws, seed, out)
        }),
    }
}

/// Flat values as lanes of `L`.
pub(super) fn lanes<const L: usize>(flat: &[f64]) -> &[[f64; L]] {
    flat.as_chunks::<L>().0
}

/// Flat values as lanes of `L`, to write.
pub(super) fn lanes_mut<const L: usize>(flat: &mut [f64]) -> &mut [[f64; L]] {
    flat.as_chunks_mut::<L>().0
}

/// [`Jvp::jvp_owned`] with `isa`, over flat seed lanes, for kernels that own their
/// products ([`Jvp::OWNS_PRODUCTS`]) of `m` outputs: hands them, flat, to `give`. Four
/// lanes at a time, the kernel's `jvp` writes into a buffer of the workspace. Not
/// inlined: the serial and the parallel evaluation share one copy.
#[inline(never)]
pub(super) fn jvp_owned<K: Jvp, const L: usize>(
    isa: Isa,
    kernel: &mut K,
    ws: &Workspace,
    dx: &[f64],
    m: usize,
    give: &mut dyn FnMut(&[f64]),
) {
    let dx = lanes::<L>(dx);
    let dy = if !Lanes::<L>::WIDE {
        baseline::jvp_owned(kernel, ws, dx)
    } else {
        match isa {
            // SAFETY: as in `sweep`.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => unsafe { avx2::jvp_owned(kernel, ws, dx) },
            Isa::Baseline => {
                let mut dy = ws.lane_zeros::<L>(m);
                let mut kernel = Forward(kernel);
                split(
                    ws,
                    L,
                    dx.as_flattened(),
                    dy.as_flattened_mut(),
                    &mut |ws, dx, dy| baseline::sweep(&mut kernel, ws, dx, dy),
                );
                Some(dy)
            }
        }
    };
    give(
        dy.expect("asd: a kernel that owns its products gave none")
            .as_flattened(),
    )
}

/// `run(ws, seed, out)` of a four-lane sweep.
type FourLanes<'k> = dyn FnMut(&Workspace, &[[f64; 4]], &mut [[f64; 4]]) + 'k;

/// One sweep of `lanes` lanes as `lanes / 4` sweeps of four, through buffers of the
/// workspace: `run(ws, seed, out)` adds the products of four seed lanes into `out`.
/// Over flat lanes, so that it is compiled once, not once per kernel and lane count.
fn split(ws: &Workspace, lanes: usize, seed: &[f64], out: &mut [f64], run: &mut FourLanes<'_>) {
    let mut seed4 = ws.lane_scratch::<4>(seed.len() / lanes);
    let mut out4 = ws.lane_scratch::<4>(out.len() / lanes);
    for chunk in 0..lanes / 4 {
        gather(seed, lanes, chunk, &mut seed4);
        out4.fill([0.0; 4]);
        run(ws, &seed4, &mut out4);
        scatter(&out4, lanes, chunk, out);
    }
}

/// Lanes `4 chunk .. 4 chunk + 4` of `from` (entries of `lanes` lanes), into `to`.
fn gather(from: &[f64], lanes: usize, chunk: usize, to: &mut [[f64; 4]]) {
    for (to, from) in to.iter_mut().zip(from.chunks_exact(lanes)) {
        to.copy_from_slice(&from[4 * chunk..4 * chunk + 4]);
    }
}

/// Adds `from` into lanes `4 chunk .. 4 chunk + 4` of `to` (entries of `lanes` lanes).
fn scatter(from: &[[f64; 4]], lanes: usize, chunk: usize, to: &mut [f64]) {
    assert_eq!(
        from.len() * lanes,
        to.len(),
        "asd: a four-lane sweep gave another length"
    );
    for (to, from) in to.chunks_exact_mut(lanes).zip(from) {
        for (t, f) in to[4 * chunk..4 * chunk + 4].iter_mut().zip(from) {
            *t += f;
        }
    }
}

/// The baseline entry points: never inlined, so that a kernel is compiled once per lane
/// count however many places call it.
mod baseline {
    use super::*;

    #[inline(never)]
    pub(super) fn sweep<S: Sweep, const L: usize>(
        kernel: &mut S,
        ws: &Workspace,
        seed: &[[f64; L]],
        out: &mut [[f64; L]],
    ) {
        kernel.sweep(ws, seed, out)
    }

    #[inline(never)]
    pub(super) fn jvp_owned<'w, K: Jvp, const L: usize>(
        kernel: &mut K,
        ws: &'w Workspace,
        dx: &'w [[f64; L]],
    ) -> Option<LaneBuf<'w, L>> {
        kernel.jvp_owned(ws, dx)
    }
}

/// The AVX2 entry points: the inlined kernel is compiled for AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::*;

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn sweep<S: Sweep, const L: usize>(
        kernel: &mut S,
        ws: &Workspace,
        seed: &[[f64; L]],
        out: &mut [[f64; L]],
    ) {
        kernel.sweep(ws, seed, out)
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn jvp_owned<'w, K: Jvp, const L: usize>(
        kernel: &mut K,
        ws: &'w Workspace,
        dx: &'w [[f64; L]],
    ) -> Option<LaneBuf<'w, L>> {
        kernel.jvp_owned(ws, dx)
    }
}
