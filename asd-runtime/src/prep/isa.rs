//! The instruction set lane kernels run with. The default build targets the x86-64
//! baseline (SSE2: two lanes per instruction) so that it runs anywhere; sweeps of
//! [`WIDE`] lanes or more run through entry points compiled for AVX2 with FMA (four
//! lanes per instruction, fused multiply-adds), chosen once per preparation by run-time
//! detection. Generated kernels are `#[inline(always)]`, so each entry point holds a
//! whole kernel compiled for its instruction set.
//!
//! Each lane count is compiled once: narrow sweeps (one or two lanes, one SSE2 register)
//! for the baseline only, wide ones for AVX2 only. A processor without AVX2 runs a wide
//! sweep as several narrow ones ([`split`]) of a count the kernel is compiled for anyway
//! (two lanes, one for a reverse sweep), so every lane count still works everywhere, at
//! the price of more primal runs there. Other architectures compile every count for
//! their own baseline.

use super::{with_lanes, Hvp, Jvp, Vjp};
use crate::{LaneBuf, Workspace};

/// Sweeps of at least this many lanes run with wide vectors where the processor has
/// them: four lanes fill one AVX2 register, where the baseline takes two SSE2 ones (a
/// sweep of four lanes, J2 split over two threads for instance, runs about 15% faster).
pub(super) const WIDE: usize = 4;

/// The lanes of the narrow sweeps a wide forward or second-order one is split into
/// without wide vectors: the widest narrow count that divides every wide one (checked
/// below). Reverse sweeps split into one-lane ones, the only narrow count they are
/// compiled for ([`REVERSE_LANES`](super::REVERSE_LANES)).
const CHUNK: usize = WIDE / 2;

const _: () = {
    let mut k = 0;
    while k < super::LANES.len() {
        assert!(super::LANES[k] < WIDE || super::LANES[k].is_multiple_of(CHUNK));
        k += 1;
    }
};

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
    /// The target's baseline: on x86-64 without AVX2, wide sweeps run two lanes at a
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
pub(super) trait Sweep: Sized {
    fn sweep<const L: usize>(&mut self, ws: &Workspace, seed: &[[f64; L]], out: &mut [[f64; L]]);

    /// [`sweep`] of `lanes` lanes, matched here among the counts this kind of sweep is
    /// compiled for ([`LANES`](super::LANES)), so that its callers are not generic over
    /// the lane count.
    fn sweep_lanes(
        &mut self,
        isa: Isa,
        lanes: usize,
        ws: &Workspace,
        seed: &[f64],
        out: &mut [f64],
    ) {
        with_lanes!(lanes, L => sweep::<_, L>(isa, self, ws, seed, out))
    }

    /// One sweep of `lanes` lanes as baseline sweeps of [`CHUNK`] lanes.
    fn split(&mut self, ws: &Workspace, lanes: usize, seed: &[f64], out: &mut [f64]) {
        split_into::<_, CHUNK>(self, ws, lanes, seed, out)
    }
}

/// One sweep of `lanes` lanes as baseline sweeps of `N` lanes, each through the
/// kernel's entry point for `N`.
fn split_into<S: Sweep, const N: usize>(
    kernel: &mut S,
    ws: &Workspace,
    lanes: usize,
    seed: &[f64],
    out: &mut [f64],
) {
    split(ws, lanes, N, seed, out, &mut |ws, seed, out| {
        baseline::sweep::<_, N>(kernel, ws, self::lanes(seed), lanes_mut(out))
    })
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

    /// Among [`REVERSE_LANES`](super::REVERSE_LANES).
    fn sweep_lanes(
        &mut self,
        isa: Isa,
        lanes: usize,
        ws: &Workspace,
        seed: &[f64],
        out: &mut [f64],
    ) {
        with_lanes!(reverse: lanes, L => sweep::<_, L>(isa, self, ws, seed, out))
    }

    /// As one-lane sweeps: a reverse kernel is compiled for no other narrow count (a
    /// two-lane copy, run only without AVX2, was a twentieth of a user's build).
    fn split(&mut self, ws: &Workspace, lanes: usize, seed: &[f64], out: &mut [f64]) {
        split_into::<_, 1>(self, ws, lanes, seed, out)
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
        Isa::Baseline => kernel.split(ws, L, seed, out),
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
/// products ([`Jvp::OWNS_PRODUCTS`]) of `m` outputs: hands them, flat, to `give`.
/// Without wide vectors, the kernel's `jvp` writes into a buffer of the workspace,
/// [`CHUNK`] lanes at a time. Not inlined: the serial and the parallel evaluation share
/// one copy.
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
            // Split here rather than through `sweep`, whose AVX2 arm would compile the
            // kernel's `jvp` once more per lane count, never to be run; each narrow
            // sweep through the kernel's own narrow entry point, not its `jvp`, which
            // would be compiled for this alone.
            Isa::Baseline => {
                let mut dy = ws.lane_zeros::<L>(m);
                let (dx, out) = (dx.as_flattened(), dy.as_flattened_mut());
                split(ws, L, CHUNK, dx, out, &mut |ws, seed, out| {
                    let dy = baseline::jvp_owned::<_, CHUNK>(kernel, ws, lanes(seed));
                    let dy = dy.expect("asd: a kernel that owns its products gave none");
                    out.copy_from_slice(dy.as_flattened());
                });
                Some(dy)
            }
        }
    };
    give(
        dy.expect("asd: a kernel that owns its products gave none")
            .as_flattened(),
    )
}

/// [`jvp_owned`] of `lanes` lanes, matched here as in [`Sweep::sweep_lanes`].
pub(super) fn jvp_owned_lanes<K: Jvp>(
    isa: Isa,
    lanes: usize,
    kernel: &mut K,
    ws: &Workspace,
    dx: &[f64],
    m: usize,
    give: &mut dyn FnMut(&[f64]),
) {
    with_lanes!(lanes, L => jvp_owned::<K, L>(isa, kernel, ws, dx, m, give))
}

/// `run(ws, seed, out)` of a narrow sweep, over lanes laid out flat.
type Narrow<'k> = dyn FnMut(&Workspace, &[f64], &mut [f64]) + 'k;

/// One sweep of `lanes` lanes as `lanes / narrow` sweeps of `narrow` lanes, through
/// buffers of the workspace: `run(ws, seed, out)` adds the products of `narrow` seed
/// lanes into `out`. Not generic, so that it is compiled once, not once per kernel and
/// lane count.
fn split(
    ws: &Workspace,
    lanes: usize,
    narrow: usize,
    seed: &[f64],
    out: &mut [f64],
    run: &mut Narrow<'_>,
) {
    let mut seed_part = ws.scratch(seed.len() / lanes * narrow);
    let mut out_part = ws.scratch(out.len() / lanes * narrow);
    for part in 0..lanes / narrow {
        let at = part * narrow;
        for (to, from) in seed_part
            .chunks_exact_mut(narrow)
            .zip(seed.chunks_exact(lanes))
        {
            to.copy_from_slice(&from[at..at + narrow]);
        }
        out_part.fill(0.0);
        let _unshift = ShiftedSeedLanes::new(ws, at);
        run(ws, &seed_part, &mut out_part);
        assert_eq!(
            out_part.len() / narrow * lanes,
            out.len(),
            "asd: a narrow sweep gave another length"
        );
        for (to, from) in out
            .chunks_exact_mut(lanes)
            .zip(out_part.chunks_exact(narrow))
        {
            for (t, f) in to[at..at + narrow].iter_mut().zip(from) {
                *t += f;
            }
        }
    }
}

/// The workspace's seed lanes shifted for a narrow part of a sweep, until dropped
/// (a kernel that panics leaves them as they were).
struct ShiftedSeedLanes<'w>(&'w Workspace);

impl<'w> ShiftedSeedLanes<'w> {
    fn new(ws: &'w Workspace, by: usize) -> Self {
        ws.shift_seed_lanes(by);
        ShiftedSeedLanes(ws)
    }
}

impl Drop for ShiftedSeedLanes<'_> {
    fn drop(&mut self) {
        self.0.shift_seed_lanes(0);
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
