//! The sweep loop shared by Jacobian and Hessian preparations.

use std::fmt;
use std::sync::OnceLock;

use sprs::CsMat;

use super::isa::{self, Forward, Isa, Reverse, SecondOrder};
use super::{Hvp, Jvp, Vjp};
use crate::decompress::{fill_seed, Decompression};
use crate::{Coloring, SparsityPattern, Workspace};

/// Pattern, coloring, decompression map and every buffer an evaluation touches,
/// allocated once.
pub(super) struct Driver {
    /// The pattern, made from the result's structure when first asked for
    /// ([`pattern`](Self::pattern)): a preparation keeps one copy of the structure, not
    /// two, and a large one is mostly that structure.
    pattern: OnceLock<SparsityPattern>,
    pub(super) coloring: Coloring,
    pub(super) decompression: Decompression,
    /// The seed lanes of one sweep (`colors.len() x L`). With a single sweep it is filled
    /// once here; otherwise each sweep refills it.
    seed: Vec<f64>,
    /// The compressed products of all sweeps, laid out by the decompression's layout.
    /// Allocated here but filled on first use ([`sweeps`](Self::sweeps)): a single
    /// forward sweep whose kernel hands over its own buffer never touches it.
    compressed: Vec<f64>,
    pub(super) result: CsMat<f64>,
    pub(super) ws: Workspace,
    /// The instruction set of wide sweeps, detected here.
    pub(super) isa: Isa,
}

impl Driver {
    pub(super) fn new(
        pattern: SparsityPattern,
        coloring: Coloring,
        decompression: Decompression,
    ) -> Self {
        let layout = *decompression.layout();
        let mut seed = vec![0.0; coloring.colors().len() * layout.lanes()];
        fill_seed(coloring.colors(), 0, layout.lanes(), &mut seed);
        Driver {
            compressed: Vec::with_capacity(layout.len()),
            result: pattern.into_sprs_filled(0.0),
            seed,
            pattern: OnceLock::new(),
            coloring,
            decompression,
            ws: Workspace::new(),
            isa: Isa::detect(),
        }
    }

    /// Runs wide sweeps with wide vectors where the processor has them (the default),
    /// or with the baseline instruction set.
    pub(super) fn set_wide_vectors(&mut self, on: bool) {
        self.isa = if on { Isa::detect() } else { Isa::Baseline };
    }

    pub(super) fn wide_vectors(&self) -> bool {
        self.isa.is_wide()
    }

    pub(super) fn pattern(&self) -> &SparsityPattern {
        self.pattern
            .get_or_init(|| SparsityPattern::of_csr(&self.result))
    }

    /// `(m, n)` of the result.
    pub(super) fn shape(&self) -> (usize, usize) {
        self.result.shape()
    }

    pub(super) fn lanes(&self) -> usize {
        self.decompression.layout().lanes()
    }

    pub(super) fn nsweeps(&self) -> usize {
        self.decompression.layout().nsweeps()
    }

    /// Runs every sweep through `kernel(ws, seed, block)`, over lanes laid out flat,
    /// and decompresses. Not generic: only the kernel call depends on the lane count,
    /// so a user's crate compiles this loop once, not once per kernel and lane count.
    pub(super) fn sweeps(&mut self, kernel: &mut FlatKernel<'_>) -> &CsMat<f64> {
        let Driver {
            coloring,
            decompression,
            seed,
            compressed,
            result,
            ws,
            ..
        } = self;
        let layout = *decompression.layout();
        // A kernel that panicked in an earlier evaluation may have left the tape half full.
        let mut tape = ws.tape();
        if !tape.is_empty() {
            tape.clear();
        }
        drop(tape);
        // Within the capacity reserved at preparation: no allocation.
        compressed.resize(layout.len(), 0.0);
        for sweep in 0..layout.nsweeps() {
            if layout.nsweeps() > 1 {
                fill_seed(coloring.colors(), sweep, layout.lanes(), seed);
            }
            let block = &mut compressed[layout.block(sweep)];
            block.fill(0.0);
            kernel(ws, seed, block);
        }
        decompression.decompress_into(compressed, result);
        result
    }

    /// Panics unless the kernels are called with the preparation's lane count.
    fn check_lanes<const L: usize>(&self) {
        assert_eq!(
            L,
            self.lanes(),
            "asd: lane dispatch does not match the preparation"
        );
    }

    /// [`sweeps`](Self::sweeps) of a [`Jvp`] kernel, taking the products from the
    /// kernel's own buffer when it has one ([`Jvp::OWNS_PRODUCTS`]): with one sweep they
    /// are decompressed where they are.
    pub(super) fn forward_sweeps<K: Jvp, const L: usize>(&mut self, kernel: &mut K) -> &CsMat<f64> {
        self.check_lanes::<L>();
        let isa = self.isa;
        if !K::OWNS_PRODUCTS {
            return self.sweeps(&mut |ws, dx, dy| {
                isa::sweep(
                    isa,
                    &mut Forward(&mut *kernel),
                    ws,
                    lanes::<L>(dx),
                    lanes_mut(dy),
                )
            });
        }
        if self.nsweeps() == 1 {
            let m = self.result.rows();
            let dy = isa::jvp_owned(isa, kernel, &self.ws, lanes::<L>(&self.seed), m)
                .expect("asd: a kernel that owns its products gave none");
            check_products(dy.len(), self.result.rows());
            self.decompression
                .decompress_into(dy.as_flattened(), &mut self.result);
            return &self.result;
        }
        let m = self.result.rows();
        self.sweeps(&mut |ws, dx, dy| {
            let owned = isa::jvp_owned(isa, kernel, ws, lanes::<L>(dx), m)
                .expect("asd: a kernel that owns its products gave none");
            check_products(owned.len(), dy.len() / L);
            dy.copy_from_slice(owned.as_flattened());
        })
    }

    /// [`sweeps`](Self::sweeps) of a [`Vjp`] kernel.
    pub(super) fn reverse_sweeps<const L: usize>(&mut self, kernel: &mut impl Vjp) -> &CsMat<f64> {
        self.check_lanes::<L>();
        let isa = self.isa;
        self.sweeps(&mut |ws, dy, dx| {
            isa::sweep(
                isa,
                &mut Reverse(&mut *kernel),
                ws,
                lanes::<L>(dy),
                lanes_mut(dx),
            )
        })
    }

    /// [`sweeps`](Self::sweeps) of an [`Hvp`] kernel.
    pub(super) fn hvp_sweeps<const L: usize>(&mut self, kernel: &mut impl Hvp) -> &CsMat<f64> {
        self.check_lanes::<L>();
        let isa = self.isa;
        self.sweeps(&mut |ws, v, hv| {
            isa::sweep(
                isa,
                &mut SecondOrder(&mut *kernel),
                ws,
                lanes::<L>(v),
                lanes_mut(hv),
            )
        })
    }
}

/// `kernel(ws, seed, products)` over lanes laid out flat: one sweep.
type FlatKernel<'k> = dyn FnMut(&Workspace, &[f64], &mut [f64]) + 'k;

/// Flat values as lanes of `L`.
fn lanes<const L: usize>(flat: &[f64]) -> &[[f64; L]] {
    flat.as_chunks::<L>().0
}

/// Flat values as lanes of `L`, to write.
fn lanes_mut<const L: usize>(flat: &mut [f64]) -> &mut [[f64; L]] {
    flat.as_chunks_mut::<L>().0
}

impl Driver {
    /// Copies the last result's values into `out`, which must have the result's
    /// structure (compressed rows, same shape, `indptr` and `indices`), as a clone of
    /// the result has; panics naming the first difference otherwise. No allocation.
    #[track_caller]
    pub(super) fn copy_result_into(&self, what: &str, out: &mut CsMat<f64>) {
        let result = &self.result;
        if out.shape() != result.shape() {
            panic!(
                "asd: the matrix to write the {what} into has shape {:?} but the preparation's is {:?}",
                out.shape(),
                result.shape()
            );
        }
        if !out.is_csr() {
            panic!(
                "asd: the matrix to write the {what} into is stored by columns (CSC) but the \
                 preparation's is by rows (CSR): start from a clone of the prepared {what}"
            );
        }
        if out.indptr() != result.indptr().raw_storage() || out.indices() != result.indices() {
            panic!(
                "asd: the matrix to write the {what} into has {} stored entries in another \
                 structure (indptr, indices) than the preparation's {}: start from a clone of \
                 the prepared {what}",
                out.nnz(),
                result.nnz()
            );
        }
        out.data_mut().copy_from_slice(result.data());
    }
}

/// Panics unless a kernel gave as many products as the output has entries.
fn check_products(given: usize, expected: usize) {
    assert_eq!(
        given, expected,
        "asd: the kernel gave {given} products but the output has {expected} entries"
    );
}

impl Clone for Driver {
    /// A fresh copy with its own (empty) workspace, e.g. one per thread.
    fn clone(&self) -> Self {
        Driver {
            pattern: self.pattern.clone(),
            coloring: self.coloring.clone(),
            decompression: self.decompression.clone(),
            seed: self.seed.clone(),
            compressed: Vec::with_capacity(self.decompression.layout().len()),
            result: self.result.clone(),
            ws: Workspace::new(),
            isa: self.isa,
        }
    }
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("shape", &self.result.shape())
            .field("nnz", &self.result.nnz())
            .field("ncolors", &self.coloring.ncolors())
            .field("recovery", &self.decompression.recovery())
            .field("layout", self.decompression.layout())
            .field("isa", &self.isa)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_of_one_sweep_is_filled_at_preparation() {
        let colors = vec![0, 3, 1, 0, 5, 2, 4, 1];
        // Diagonal: any coloring is valid.
        let pattern = SparsityPattern::from_rows(8, (0..8).map(|i| vec![i]).collect());
        for lanes in [1, 2, 3, 4, 8] {
            let coloring = Coloring::from_colors(colors.clone());
            let decompression = Decompression::columns(&pattern, &coloring, lanes);
            let d = Driver::new(pattern.clone(), coloring, decompression);
            let mut expected = vec![f64::NAN; colors.len() * lanes];
            fill_seed(&colors, 0, lanes, &mut expected);
            assert_eq!(d.seed, expected, "lanes = {lanes}");
        }
    }

    /// The pattern lives in the result's structure until asked for, then reads back whole
    /// (empty rows included), in clones too.
    #[test]
    fn the_pattern_is_read_back_from_the_result() {
        let pattern = SparsityPattern::from_rows(4, vec![vec![0, 3], vec![], vec![1, 2, 3]]);
        let coloring = Coloring::from_colors(vec![0, 1, 2, 3]);
        let decompression = Decompression::columns(&pattern, &coloring, 4);
        let d = Driver::new(pattern.clone(), coloring, decompression);
        assert!(d.pattern.get().is_none());
        assert_eq!(d.shape(), (3, 4));
        assert_eq!(d.clone().pattern(), &pattern);
        assert_eq!(d.pattern(), &pattern);
    }

    /// The compressed buffer is filled on first use, within the capacity reserved at
    /// preparation (also in clones), so that the first evaluation does not allocate.
    #[test]
    fn compressed_buffer_is_reserved_and_filled_on_first_use() {
        let pattern = SparsityPattern::from_rows(3, vec![vec![0, 1], vec![1, 2]]);
        let coloring = Coloring::from_colors(vec![0, 1, 2]);
        let decompression = Decompression::columns(&pattern, &coloring, 2);
        let mut d = Driver::new(pattern, coloring, decompression);
        let len = d.decompression.layout().len();
        assert_eq!(len, 2 * 2 * 2);
        for d in [&mut d.clone(), &mut d] {
            assert!(d.compressed.is_empty() && d.compressed.capacity() >= len);
            let buffer = d.compressed.as_ptr();
            let jac = d.sweeps(&mut |_, seed, block| {
                for (b, s) in block.iter_mut().zip(seed) {
                    *b = *s;
                }
            });
            assert_eq!(jac.data(), &[1.0, 0.0, 1.0, 0.0]);
            assert_eq!((d.compressed.len(), d.compressed.as_ptr()), (len, buffer));
        }
    }
}
