//! The sweep loop shared by Jacobian and Hessian preparations.

use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

use sprs::CsMat;

use super::isa::{self, Forward, Isa, Reverse, SecondOrder, Sweep};
use super::{Hvp, Jvp, Vjp};
use crate::decompress::{fill_seed, Decompression, Layout, Recovery};
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
    /// The compressed products of all sweeps, laid out by the decompression's layout.
    /// Allocated here but filled on first use ([`sweeps`](Self::sweeps)): a single
    /// forward sweep whose kernel hands over its own buffer never touches it.
    compressed: Vec<f64>,
    pub(super) result: CsMat<f64>,
    /// The instruction set of wide sweeps, detected here.
    pub(super) isa: Isa,
    /// One per thread of an evaluation ([`with_threads`](Self::with_threads)), each
    /// with its sweeps, seed and workspace; a serial evaluation has one, with every
    /// sweep.
    workers: Vec<Worker>,
    /// Threads a large decompression without substitutions is split over: those asked
    /// for, even where there are fewer sweeps (a single color's gather still has
    /// every entry to write).
    recover_threads: usize,
    /// What the constant entries outside the decompression's pattern add to the
    /// compressed product of each entry it recovers, subtracted from it
    /// ([`hold_constants`](Self::hold_constants)); empty: nothing.
    less: Vec<f64>,
    /// Every entry is constant and held ([`hold_constants`](Self::hold_constants)): an
    /// evaluation by a kernel that owns its products has nothing to sweep for.
    every_entry_held: bool,
    /// The key of the constants the pattern was found with, those that can change it
    /// (the generated code hashes them): an evaluation with others, or with constants of
    /// no key, prepares again. `None`: not known.
    structure: Option<u64>,
}

/// What one thread of an evaluation owns: a contiguous range of sweeps (and so of the
/// compressed buffer), its seed lanes (`colors.len() x L`, filled here for its first
/// sweep, refilled for each when it has several) and its workspace, allocated at
/// preparation, which records the lane of each seed (`Workspace::unit_lanes`) with it.
struct Worker {
    sweeps: Range<usize>,
    seed: Vec<f64>,
    ws: Workspace,
}

impl Clone for Worker {
    /// A fresh copy with its own (empty) workspace.
    fn clone(&self) -> Self {
        Worker {
            sweeps: self.sweeps.clone(),
            seed: self.seed.clone(),
            ws: self.ws.fresh_with_seed_lanes(),
        }
    }
}

impl Driver {
    pub(super) fn new(
        pattern: SparsityPattern,
        coloring: Coloring,
        decompression: Decompression,
    ) -> Self {
        let layout = *decompression.layout();
        let mut driver = Driver {
            compressed: Vec::with_capacity(layout.len()),
            result: pattern.into_sprs_filled(0.0),
            pattern: OnceLock::new(),
            coloring,
            decompression,
            isa: Isa::detect(),
            workers: Vec::new(),
            recover_threads: 1,
            less: Vec::new(),
            every_entry_held: false,
            structure: None,
        };
        driver.workers = driver.workers_for(1);
        driver
    }

    /// Remembers the key of the constants the pattern was found with.
    pub(super) fn structure_at(&mut self, key: Option<u64>) {
        self.structure = key;
    }

    /// Whether an evaluation's constants (their key) are known to be those the pattern
    /// was found with: not when either key is unknown (a constant of a type without a
    /// `ConstKey`, which the pattern depends on).
    pub(super) fn shaped_by(&self, key: Option<u64>) -> bool {
        matches!((self.structure, key), (Some(made), Some(now)) if made == now)
    }

    /// The same driver, evaluating on up to `threads` threads: the sweeps are split into
    /// `min(threads, nsweeps)` contiguous ranges as even as they can be, one per worker.
    /// One thread, or one sweep: serial, as before.
    pub(super) fn with_threads(mut self, threads: usize) -> Self {
        self.workers = self.workers_for(threads);
        self.recover_threads = threads;
        self
    }

    fn workers_for(&self, threads: usize) -> Vec<Worker> {
        let layout = *self.decompression.layout();
        let colors = self.coloring.colors();
        let nworkers = threads.clamp(1, layout.nsweeps().max(1));
        (0..nworkers)
            .map(|w| {
                let sweeps = sweep_range(layout.nsweeps(), nworkers, w);
                let mut worker = Worker {
                    seed: vec![0.0; colors.len() * layout.lanes()],
                    ws: Workspace::new(),
                    sweeps,
                };
                worker.seed_sweep(colors, worker.sweeps.start, layout.lanes());
                worker
            })
            .collect()
    }

    /// Threads an evaluation runs on: 1 when serial.
    pub(super) fn threads(&self) -> usize {
        self.workers.len()
    }

    /// The first worker's workspace, for work outside the sweeps (a primal run).
    pub(super) fn ws(&self) -> &Workspace {
        &self.workers[0].ws
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

    /// Runs every sweep through `kernel(ws, seed, block)`, over lanes laid out flat, on
    /// this thread (each worker's sweeps in turn), and decompresses. Not generic: only
    /// the kernel call depends on the lane count, so a user's crate compiles this loop
    /// once, not once per kernel and lane count.
    pub(super) fn sweeps(&mut self, kernel: &mut FlatKernel<'_>) -> &CsMat<f64> {
        self.on_compressed(|workers, colors, layout, compressed| {
            let block = layout.block(0).len();
            for w in workers {
                let out = &mut compressed[w.sweeps.start * block..w.sweeps.end * block];
                w.run(colors, layout, out, kernel);
            }
        })
    }

    /// [`sweeps`](Self::sweeps) on the workers' threads, each running its own range of
    /// sweeps (the primal included) in its own workspace and part of the compressed
    /// buffer; then one decompression.
    pub(super) fn par_sweeps(&mut self, kernel: &SharedKernel<'_>) -> &CsMat<f64> {
        if self.workers.len() == 1 {
            return self.sweeps(&mut |ws, seed, out| kernel(ws, seed, out));
        }
        self.on_compressed(|workers, colors, layout, compressed| {
            on_workers(workers, compressed, layout.block(0).len(), &|w, out| {
                w.run(colors, layout, out, &mut |ws, seed, out| {
                    kernel(ws, seed, out)
                })
            })
        })
    }

    /// `fill(workers, colors, layout, compressed)` fills the compressed buffer (sized
    /// here, within the capacity reserved at preparation: no allocation), then it is
    /// decompressed into the result.
    fn on_compressed(
        &mut self,
        fill: impl FnOnce(&mut [Worker], &[usize], &Layout, &mut [f64]),
    ) -> &CsMat<f64> {
        let Driver {
            coloring,
            decompression,
            compressed,
            result,
            workers,
            recover_threads,
            less,
            ..
        } = self;
        let layout = *decompression.layout();
        compressed.resize(layout.len(), 0.0);
        fill(workers, coloring.colors(), &layout, compressed);
        let entries = decompression.gather_map_len();
        if *recover_threads > 1 && decompression.is_gather() && entries >= PARALLEL_GATHER {
            let values = result.data_mut();
            let at = decompression.target(0);
            in_parts(
                decompression,
                &mut values[at..],
                0..entries,
                *recover_threads,
                &|ks, values| decompression.recover_part(compressed, less, ks, values),
            );
        } else {
            recover(decompression, less, compressed, result);
        }
        result
    }

    /// Writes the constant entries, at positions `constant` among the result's stored
    /// values, `values` being the whole result (a preparation of every entry evaluated
    /// once): no evaluation overwrites them. Their compressed products, which the seeds
    /// of the decompression's coloring add to those of the entries it recovers, are
    /// subtracted from those at each evaluation. No allocation after the first.
    pub(super) fn hold_constants(&mut self, constant: &[usize], values: &[f64]) {
        let Driver {
            coloring,
            decompression,
            compressed,
            result,
            less,
            ..
        } = self;
        let layout = *decompression.layout();
        let colors = coloring.colors();
        // An entry (i, j) is in the product of row i and the color of column j, or in
        // reverse mode of column j and the color of row i.
        let by_rows = decompression.recovery() == Recovery::Rows;
        compressed.clear();
        compressed.resize(layout.len(), 0.0);
        let mut next = constant.iter().peekable();
        let indptr = result.indptr();
        for (i, row) in indptr
            .as_slice()
            .expect("a CSR result")
            .windows(2)
            .enumerate()
        {
            for e in row[0]..row[1] {
                if next.next_if_eq(&&e).is_some() {
                    let j = result.indices()[e];
                    let at = if by_rows {
                        layout.index(j, colors[i])
                    } else {
                        layout.index(i, colors[j])
                    };
                    compressed[at] += values[e];
                }
            }
        }
        let data = result.data_mut();
        for &e in constant {
            data[e] = values[e];
        }
        self.every_entry_held = constant.len() == data.len();
        less.resize(decompression.gather_map_len(), 0.0);
        decompression.gather_part(compressed, 0, less);
    }

    /// [`sweeps`](Self::sweeps) of a [`Jvp`] kernel, taking the products from the
    /// kernel's own buffer when it has one ([`Jvp::OWNS_PRODUCTS`]).
    ///
    /// Generic over the kernel only: the lane count is matched in the call each sweep
    /// makes ([`Sweep::sweep_lanes`](isa::Sweep::sweep_lanes)), so that this function,
    /// its closures and their vtables are compiled once per kernel, not once per kernel
    /// and lane count (as the other sweeps below).
    pub(super) fn forward_sweeps<K: Jvp>(&mut self, kernel: &mut K) -> &CsMat<f64> {
        let (isa, m, lanes) = (self.isa, self.result.rows(), self.lanes());
        if K::OWNS_PRODUCTS {
            self.owned_sweeps(&mut |ws, dx, give| {
                isa::jvp_owned_lanes(isa, lanes, kernel, ws, dx, m, give)
            })
        } else {
            self.sweeps(&mut |ws, dx, dy| Forward(&mut *kernel).sweep_lanes(isa, lanes, ws, dx, dy))
        }
    }

    /// No colors (the forward half of a bicoloring that needs no JVP), or every entry
    /// constant and held (a linear map): the result is complete without a sweep. Asked
    /// for kernels that own their products only, whose sweep has no other effect (a
    /// function that writes an output parameter gives it its value in the sweep).
    fn nothing_to_sweep(&self) -> bool {
        self.nsweeps() == 0 || self.every_entry_held
    }

    /// [`sweeps`](Self::sweeps) of a kernel that owns its products: with one sweep they
    /// are decompressed where they are, with several copied into the compressed buffer.
    /// Not generic, as `sweeps`.
    fn owned_sweeps(&mut self, kernel: &mut OwnedKernel<'_>) -> &CsMat<f64> {
        let lanes = self.lanes();
        if self.nothing_to_sweep() {
            return &self.result;
        }
        if self.nsweeps() > 1 {
            return self.sweeps(&mut |ws, dx, out| {
                kernel(ws, dx, &mut |dy| copy_products(dy, out, lanes))
            });
        }
        let Driver {
            workers,
            decompression,
            result,
            less,
            ..
        } = self;
        let w = &workers[0];
        kernel(&w.ws, &w.seed, &mut |dy| {
            check_products(dy.len() / lanes, result.rows());
            recover(decompression, less, dy, result);
        });
        &self.result
    }

    /// [`sweeps`](Self::sweeps) of a [`Vjp`] kernel.
    pub(super) fn reverse_sweeps(&mut self, kernel: &mut impl Vjp) -> &CsMat<f64> {
        let (isa, lanes) = (self.isa, self.lanes());
        self.sweeps(&mut |ws, dy, dx| Reverse(&mut *kernel).sweep_lanes(isa, lanes, ws, dy, dx))
    }

    /// [`sweeps`](Self::sweeps) of an [`Hvp`] kernel.
    pub(super) fn hvp_sweeps(&mut self, kernel: &mut impl Hvp) -> &CsMat<f64> {
        let (isa, lanes) = (self.isa, self.lanes());
        self.sweeps(&mut |ws, v, hv| SecondOrder(&mut *kernel).sweep_lanes(isa, lanes, ws, v, hv))
    }

    /// [`forward_sweeps`](Self::forward_sweeps) on the workers' threads, each sweep with
    /// its own clone of `kernel`.
    pub(super) fn par_forward_sweeps<K: Jvp + Clone + Sync>(&mut self, kernel: &K) -> &CsMat<f64> {
        if self.workers.len() == 1 {
            return self.forward_sweeps(&mut kernel.clone());
        }
        let (isa, m, lanes) = (self.isa, self.result.rows(), self.lanes());
        if K::OWNS_PRODUCTS {
            self.par_sweeps(&|ws, dx, out| {
                let copy = &mut |dy: &[f64]| copy_products(dy, out, lanes);
                isa::jvp_owned_lanes(isa, lanes, &mut kernel.clone(), ws, dx, m, copy)
            })
        } else {
            self.par_sweeps(&|ws, dx, dy| {
                Forward(&mut kernel.clone()).sweep_lanes(isa, lanes, ws, dx, dy)
            })
        }
    }

    /// [`reverse_sweeps`](Self::reverse_sweeps) on the workers' threads, each sweep with
    /// its own clone of `kernel`.
    pub(super) fn par_reverse_sweeps<K: Vjp + Clone + Sync>(&mut self, kernel: &K) -> &CsMat<f64> {
        let (isa, lanes) = (self.isa, self.lanes());
        self.par_sweeps(&|ws, dy, dx| {
            Reverse(&mut kernel.clone()).sweep_lanes(isa, lanes, ws, dy, dx)
        })
    }

    /// [`hvp_sweeps`](Self::hvp_sweeps) on the workers' threads, each sweep with its own
    /// clone of `kernel`.
    pub(super) fn par_hvp_sweeps<K: Hvp + Clone + Sync>(&mut self, kernel: &K) -> &CsMat<f64> {
        let (isa, lanes) = (self.isa, self.lanes());
        self.par_sweeps(&|ws, v, hv| {
            SecondOrder(&mut kernel.clone()).sweep_lanes(isa, lanes, ws, v, hv)
        })
    }
}

impl Worker {
    /// Runs this worker's sweeps into `out`, their blocks of the compressed buffer: the
    /// one place a kernel is called. The seed is refilled only when there are several.
    fn run(
        &mut self,
        colors: &[usize],
        layout: &Layout,
        out: &mut [f64],
        kernel: &mut FlatKernel<'_>,
    ) {
        // A kernel that panicked in an earlier evaluation may have left the tape half
        // full.
        let mut tape = self.ws.tape();
        if !tape.is_empty() {
            tape.clear();
        }
        drop(tape);
        let refill = self.sweeps.len() > 1;
        let block = layout.block(0).len();
        for (k, sweep) in self.sweeps.clone().enumerate() {
            if refill {
                self.seed_sweep(colors, sweep, layout.lanes());
            }
            let block = &mut out[k * block..(k + 1) * block];
            block.fill(0.0);
            kernel(&self.ws, &self.seed, block);
        }
    }

    /// Seeds the sweep `sweep`: its seed lanes, and in the workspace the lane of each
    /// input's seed, which the generated kernels read (`Workspace::unit_lanes`).
    fn seed_sweep(&mut self, colors: &[usize], sweep: usize, lanes: usize) {
        fill_seed(colors, sweep, lanes, &mut self.seed);
        self.ws.set_seed_lanes(colors, sweep, lanes);
    }
}

/// Sweeps `0..s` split into `parts` contiguous ranges, the first ones a sweep longer.
fn sweep_range(s: usize, parts: usize, part: usize) -> Range<usize> {
    let at = |p: usize| p * (s / parts) + p.min(s % parts);
    at(part)..at(part + 1)
}

/// Runs `f` on every worker and its part of `out` (`block` entries per sweep), in
/// parallel, by halves.
fn on_workers(
    workers: &mut [Worker],
    out: &mut [f64],
    block: usize,
    f: &(dyn Fn(&mut Worker, &mut [f64]) + Sync),
) {
    match workers {
        [] => {}
        [w] => f(w, out),
        _ => {
            let (left, right) = workers.split_at_mut(workers.len() / 2);
            let first = left[0].sweeps.start;
            let (out_left, out_right) = out.split_at_mut((right[0].sweeps.start - first) * block);
            join(
                || on_workers(left, out_left, block, f),
                || on_workers(right, out_right, block, f),
            );
        }
    }
}

/// The result from the compressed products, less what constant entries add to them
/// when there are ([`Driver::hold_constants`]).
fn recover(
    decompression: &Decompression,
    less: &[f64],
    compressed: &[f64],
    result: &mut CsMat<f64>,
) {
    if less.is_empty() {
        decompression.decompress_into(compressed, result);
    } else {
        decompression.decompress_less(compressed, less, result.data_mut());
    }
}

/// Stored entries from which a gather is split over the evaluation's threads: below,
/// a serial gather (about a nanosecond an entry) costs less than waking them again.
const PARALLEL_GATHER: usize = 1 << 16;

/// Runs `f(ks, part)` on `parts` ranges `ks` of the entries a decompression
/// recovers, as even as they can be, in parallel by halves, `part` being the stored
/// values they land in ([`Decompression::target`]): `values` from `target(ks.start)`
/// on.
fn in_parts(
    d: &Decompression,
    values: &mut [f64],
    ks: Range<usize>,
    parts: usize,
    f: &(dyn Fn(Range<usize>, &mut [f64]) + Sync),
) {
    if parts <= 1 {
        return f(ks, values);
    }
    let half = parts / 2;
    let mid = ks.start + ks.len() * half / parts;
    let (left, right) = values.split_at_mut(d.target(mid) - d.target(ks.start));
    join(
        || in_parts(d, left, ks.start..mid, half, f),
        || in_parts(d, right, mid..ks.end, parts - half, f),
    );
}

/// `a` and `b` at the same time: by `rayon::join` (no allocation once the pool is up),
/// or, without the `parallel` feature, `b` on a scoped thread spawned here.
fn join(a: impl FnOnce() + Send, b: impl FnOnce() + Send) {
    #[cfg(feature = "parallel")]
    rayon::join(a, b);
    #[cfg(not(feature = "parallel"))]
    std::thread::scope(|s| {
        s.spawn(b);
        a();
    });
}

/// `kernel(ws, seed, products)` over lanes laid out flat: one sweep.
type FlatKernel<'k> = dyn FnMut(&Workspace, &[f64], &mut [f64]) + 'k;

/// A [`FlatKernel`] that threads share.
type SharedKernel<'k> = dyn Fn(&Workspace, &[f64], &mut [f64]) + Sync + 'k;

/// `kernel(ws, seed, give)`: one sweep of a kernel that owns its products, which it
/// hands, flat, to `give`.
type OwnedKernel<'k> = dyn FnMut(&Workspace, &[f64], &mut dyn FnMut(&[f64])) + 'k;

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

/// Copies one sweep's products of `lanes` lanes, flat, into `out`, after
/// [`check_products`].
fn copy_products(products: &[f64], out: &mut [f64], lanes: usize) {
    check_products(products.len() / lanes, out.len() / lanes);
    out.copy_from_slice(products);
}

impl Clone for Driver {
    /// A fresh copy with its own (empty) workspace, e.g. one per thread.
    fn clone(&self) -> Self {
        Driver {
            pattern: self.pattern.clone(),
            coloring: self.coloring.clone(),
            decompression: self.decompression.clone(),
            compressed: Vec::with_capacity(self.decompression.layout().len()),
            result: self.result.clone(),
            isa: self.isa,
            workers: self.workers.clone(),
            recover_threads: self.recover_threads,
            less: self.less.clone(),
            every_entry_held: self.every_entry_held,
            structure: self.structure,
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
            .field("threads", &self.threads())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prep::isa::{lanes, lanes_mut};
    use crate::prep::with_lanes;

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
            assert_eq!(d.workers[0].seed, expected, "lanes = {lanes}");
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

    /// Sweeps split over threads (odd counts, more threads than sweeps) give the serial
    /// result bit for bit, and their buffers stay where preparation put them.
    #[test]
    fn parallel_sweeps_equal_the_serial_ones() {
        // A band of width 5 on 13 columns: 5 colors.
        let n = 13;
        let pattern =
            SparsityPattern::from_rows(n, (0..n).map(|i| (i..(i + 5).min(n)).collect()).collect());
        let colors: Vec<usize> = (0..n).map(|j| j % 5).collect();
        // Row i of the product: sum over the band of (i + 1) * (j + 1) * seed[j].
        fn kernel<const L: usize>(seed: &[f64], block: &mut [f64]) {
            let (seed, block) = (lanes::<L>(seed), lanes_mut::<L>(block));
            let n = seed.len();
            for (i, row) in block.iter_mut().enumerate() {
                for j in i..(i + 5).min(n) {
                    for l in 0..L {
                        row[l] += ((i + 1) * (j + 1)) as f64 * seed[j][l];
                    }
                }
            }
        }
        for lanes in [1, 2, 4] {
            let driver = || {
                let coloring = Coloring::from_colors(colors.clone());
                let decompression = Decompression::columns(&pattern, &coloring, lanes);
                Driver::new(pattern.clone(), coloring, decompression)
            };
            let mut serial = driver();
            let expected =
                with_lanes!(lanes, L => serial.sweeps(&mut |_, s, b| kernel::<L>(s, b)).clone());
            for threads in [1, 2, 3, 7] {
                let mut d = driver().with_threads(threads);
                assert_eq!(d.threads(), threads.min(d.nsweeps()));
                for _ in 0..2 {
                    let got = with_lanes!(lanes, L => d.par_sweeps(&|_, s, b| kernel::<L>(s, b)));
                    assert_eq!(got, &expected, "lanes = {lanes}, threads = {threads}");
                }
                // Workers cover the sweeps in order, without overlap.
                let covered: Vec<usize> = d.workers.iter().flat_map(|w| w.sweeps.clone()).collect();
                if threads > 1 && d.nsweeps() > 1 {
                    assert_eq!(covered, (0..d.nsweeps()).collect::<Vec<_>>());
                }
                let cloned = d.clone();
                assert_eq!(cloned.threads(), d.threads());
            }
        }
    }

    #[test]
    fn sweeps_split_evenly() {
        assert_eq!(sweep_range(5, 2, 0), 0..3);
        assert_eq!(sweep_range(5, 2, 1), 3..5);
        assert_eq!(
            (0..3)
                .map(|p| sweep_range(7, 3, p).len())
                .collect::<Vec<_>>(),
            [3, 2, 2]
        );
    }

    /// A gather of many entries is split over the threads, and recovers each entry
    /// where the serial one does: 2 x 2 blocks down the diagonal, 2 colors of 1 lane, so
    /// 2 sweeps, one a thread, and 2^17 entries.
    #[test]
    fn a_large_gather_in_parts_recovers_every_entry() {
        let blocks = 1 << 15;
        let n = 2 * blocks;
        let pattern =
            SparsityPattern::from_coordinates(n, n, (0..n).flat_map(|i| [(i, i & !1), (i, i | 1)]));
        assert!(pattern.nnz() >= PARALLEL_GATHER);
        let coloring = Coloring::from_colors((0..n).map(|j| j % 2).collect());
        let decompression = Decompression::columns(&pattern, &coloring, 1);
        let entry = |i: usize, j: usize| (3 * i + j + 1) as f64;
        // dy = J dx, J[i][j] = entry(i, j) on the pattern.
        let jvp = |_: &Workspace, dx: &[f64], dy: &mut [f64]| {
            for (i, y) in dy.iter_mut().enumerate() {
                *y = entry(i, i & !1) * dx[i & !1] + entry(i, i | 1) * dx[i | 1];
            }
        };
        let mut d = Driver::new(pattern.clone(), coloring, decompression).with_threads(2);
        assert_eq!((d.nsweeps(), d.threads()), (2, 2));
        let jac = d.par_sweeps(&jvp);
        for (i, row) in jac.outer_iterator().enumerate() {
            for (j, &v) in row.iter() {
                assert_eq!(v, entry(i, j), "({i}, {j})");
            }
        }
        assert_eq!(jac.nnz(), pattern.nnz());
    }

    /// A scattered gather (constant entries held, one color for the off-diagonal of 2
    /// x 2 blocks, so that the first entry it recovers is not the first stored) is
    /// split over the threads asked for, though one sweep runs on one: each part
    /// writes its own entries, less their corrections. Serially too.
    #[test]
    fn a_large_scattered_gather_in_parts_recovers_every_varying_entry() {
        // Large enough that the serial scatter prefetches (`decompress::PREFETCH_FROM`).
        let n = 1 << 17;
        let pattern =
            SparsityPattern::from_coordinates(n, n, (0..n).flat_map(|i| [(i, i & !1), (i, i | 1)]));
        let off = SparsityPattern::from_coordinates(n, n, (0..n).map(|i| (i, i ^ 1)));
        let (varying, varying_at, constant_at) = pattern.split_varying(&off);
        assert_eq!(varying_at[0], 1);
        assert!(varying_at.len() >= PARALLEL_GATHER);
        let coloring = Coloring::from_colors(vec![0; n]);
        let decompression =
            Decompression::columns(&varying, &coloring, 1).scattered(varying_at, pattern.nnz());
        let entry = |i: usize, j: usize| (3 * i + j + 1) as f64;
        let jvp = |_: &Workspace, dx: &[f64], dy: &mut [f64]| {
            for (i, y) in dy.iter_mut().enumerate() {
                *y = entry(i, i & !1) * dx[i & !1] + entry(i, i | 1) * dx[i | 1];
            }
        };
        let every: Vec<f64> = pattern.iter().map(|(i, j)| entry(i, j)).collect();
        let serial = Driver::new(pattern.clone(), coloring, decompression);
        for mut d in [serial.clone().with_threads(2), serial] {
            assert_eq!((d.nsweeps(), d.threads()), (1, 1));
            d.hold_constants(&constant_at, &every);
            let jac = d.par_sweeps(&jvp);
            // Whole numbers below 2^53: the corrections are exact.
            assert_eq!(jac.data(), every);
        }
    }

    /// The workers' sweeps do run at the same time (when the pool has the threads): a
    /// kernel that waits counts how many sweeps are in flight. Waiting, not computing,
    /// so that the check holds on a loaded machine.
    #[test]
    fn workers_run_their_sweeps_at_the_same_time() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        #[cfg(feature = "parallel")]
        if rayon::current_num_threads() < 2 {
            return;
        }
        let pattern = SparsityPattern::from_rows(2, vec![vec![0], vec![1]]);
        let coloring = Coloring::from_colors(vec![0, 1]);
        let decompression = Decompression::columns(&pattern, &coloring, 1);
        let mut d = Driver::new(pattern, coloring, decompression).with_threads(2);
        assert_eq!((d.nsweeps(), d.threads()), (2, 2));
        let (now, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        for _ in 0..3 {
            let jac = d.par_sweeps(&|_, seed, block| {
                most.fetch_max(now.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(50));
                now.fetch_sub(1, Ordering::SeqCst);
                block.copy_from_slice(seed);
            });
            assert_eq!(jac.data(), &[1.0, 1.0]);
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }
}
