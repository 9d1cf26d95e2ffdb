//! [`HessianPrep`]: sparse Hessians by compressed Hessian-vector products.

use std::fmt;

use sprs::CsMat;

use super::driver::Driver;
use super::{
    buys_nothing, check_prepared_len, choose_lanes, plural, warn_once, with_lanes, HessianMethod,
    HessianOptions, Hvp,
};
use crate::coloring::{
    acyclic_coloring, acyclic_coloring_best, color_columns, color_columns_best, every_color,
    star_coloring, star_coloring_best, Sides, BEST_ORDERS,
};
use crate::decompress::Decompression;
use crate::{Coloring, SparsityPattern, Workspace};

/// A prepared sparse Hessian: symmetric coloring, seeds, decompression map and buffers,
/// computed once. Each evaluation is `nsweeps()` calls of an [`Hvp`] kernel and a gather
/// (plus substitutions for acyclic colorings) into a symmetric matrix with both
/// triangles stored; it allocates nothing.
#[derive(Clone, Debug)]
pub struct HessianPrep {
    method: HessianMethod,
    driver: Driver,
}

impl HessianPrep {
    /// Colors the symmetric `n x n` pattern as `options` ask and allocates everything an
    /// evaluation needs. Panics if the pattern is not square and symmetric.
    ///
    /// When [`sparsity_buys_nothing`](Self::sparsity_buys_nothing) and `options.warn`
    /// (the default), prints one warning on standard error, once per process for each
    /// size; `HessianOptions::default().with_warn(false)` silences it.
    pub fn new(pattern: SparsityPattern, options: &HessianOptions) -> Self {
        let order = options.order;
        let star = |p: &SparsityPattern| match order {
            Some(o) => star_coloring(p, o).coloring().clone(),
            None => star_coloring_best(p).coloring().clone(),
        };
        let columns = |p: &SparsityPattern| match order {
            Some(o) => color_columns(p, o),
            None => color_columns_best(p),
        };
        let (method, coloring) = match options.method {
            Some(HessianMethod::Star) => (HessianMethod::Star, star(&pattern)),
            Some(HessianMethod::Columns) => (HessianMethod::Columns, columns(&pattern)),
            Some(HessianMethod::Acyclic) => {
                let coloring = match order {
                    Some(o) => acyclic_coloring(&pattern, o).coloring().clone(),
                    None => acyclic_coloring_best(&pattern).coloring().clone(),
                };
                (HessianMethod::Acyclic, coloring)
            }
            None => {
                // Star coloring never needs more colors in theory; greedy heuristics can
                // disagree, and then the cheaper, simpler column coloring wins. The
                // column coloring gives up as soon as it cannot beat the star, and is not
                // tried when the longest row already cannot (on a hub it would cost
                // O(n^2)). The star coloring checked the pattern is symmetric: it is its
                // own transpose.
                let s = star(&pattern);
                let orders = order
                    .as_ref()
                    .map_or(&BEST_ORDERS[..], std::slice::from_ref);
                match Sides::of_symmetric(&pattern).color_columns(orders, s.ncolors(), every_color)
                {
                    Some(c) => (HessianMethod::Columns, c),
                    None => (HessianMethod::Star, s),
                }
            }
        };
        let prep = Self::with_coloring(pattern, method, coloring, options.lanes);
        if options.warn && prep.sparsity_buys_nothing() {
            prep.warn_buys_nothing();
        }
        prep
    }

    /// Whether the coloring saves (almost) nothing over dense AD: it needs at least four
    /// fifths of the `n` HVPs a dense Hessian takes, with `n` at least 16. Pattern
    /// detection and coloring then cost time for nothing. [`new`](Self::new) warns once
    /// when it is so.
    ///
    /// ```
    /// use asd_runtime::{HessianOptions, HessianPrep, SparsityPattern};
    ///
    /// let n = 20;
    /// let dense = SparsityPattern::from_coordinates(n, n, (0..n).flat_map(|i| (0..n).map(move |j| (i, j))));
    /// let quiet = HessianOptions::default().with_warn(false);
    /// assert!(HessianPrep::new(dense, &quiet).sparsity_buys_nothing());
    /// // An arrowhead: dense last row and column, yet 2 colors.
    /// let arrow = SparsityPattern::from_coordinates(
    ///     n,
    ///     n,
    ///     (0..n).flat_map(|i| [(i, i), (i, n - 1), (n - 1, i)]),
    /// );
    /// let prep = HessianPrep::new(arrow, &quiet);
    /// assert_eq!(prep.ncolors(), 2);
    /// assert!(!prep.sparsity_buys_nothing());
    /// ```
    pub fn sparsity_buys_nothing(&self) -> bool {
        buys_nothing(self.ncolors(), self.driver.shape().1)
    }

    /// The warning of [`new`](Self::new); returns whether it was printed (not before
    /// for this size).
    pub(crate) fn warn_buys_nothing(&self) -> bool {
        let n = self.driver.shape().1;
        warn_once(("Hessian", n, n), || {
            format!(
                "asd: warning: sparsity buys nothing for this {n} x {n} Hessian: its {} coloring \
                 needs {} where a dense Hessian needs {}; a dense method may be as fast. \
                 (Printed once per size; silence with HessianOptions::with_warn(false) and \
                 f_hessian_prepare_with.)",
                self.method,
                plural(self.ncolors(), "HVP"),
                plural(n, "HVP"),
            )
        })
    }

    /// A preparation from a coloring computed elsewhere (a star, acyclic or column
    /// coloring, as `method` says). Panics if the pattern is not symmetric or the
    /// coloring does not allow `method`'s recovery.
    pub fn with_coloring(
        pattern: SparsityPattern,
        method: HessianMethod,
        coloring: Coloring,
        lanes: Option<usize>,
    ) -> Self {
        let lanes = choose_lanes(coloring.ncolors(), lanes);
        let decompression = match method {
            HessianMethod::Star => Decompression::star(&pattern, &coloring, lanes),
            HessianMethod::Acyclic => Decompression::acyclic(&pattern, &coloring, lanes),
            HessianMethod::Columns => {
                crate::decompress::check_symmetric(&pattern);
                Decompression::columns(&pattern, &coloring, lanes)
            }
        };
        HessianPrep {
            method,
            driver: Driver::new(pattern, coloring, decompression),
        }
    }

    /// Runs the sweeps and recovers the Hessian.
    pub fn evaluate(&mut self, kernel: &mut impl Hvp) -> &CsMat<f64> {
        let d = &mut self.driver;
        with_lanes!(d.lanes(), L => d.sweeps::<L>(|ws, v, hv| kernel.hvp(ws, v, hv)))
    }

    /// Panics unless the input has the `n` the preparation was made for.
    #[track_caller]
    pub fn check_input_len(&self, n: usize) {
        check_prepared_len("input", self.driver.shape().1, n);
    }

    /// Star, acyclic or column coloring.
    pub fn method(&self) -> HessianMethod {
        self.method
    }

    /// The Hessian's (symmetric) sparsity pattern.
    ///
    /// The preparation keeps the structure once, in its result matrix; the first call
    /// copies it out.
    pub fn pattern(&self) -> &SparsityPattern {
        self.driver.pattern()
    }

    /// The coloring of the variables.
    pub fn coloring(&self) -> &Coloring {
        &self.driver.coloring
    }

    /// Number of colors: HVPs per evaluation.
    pub fn ncolors(&self) -> usize {
        self.driver.coloring.ncolors()
    }

    /// Color of every variable.
    pub fn colors(&self) -> &[usize] {
        self.driver.coloring.colors()
    }

    /// Seed directions per kernel call, one of [`LANES`](crate::LANES).
    pub fn lanes(&self) -> usize {
        self.driver.lanes()
    }

    /// Kernel calls per evaluation, `ceil(ncolors / lanes)`.
    pub fn nsweeps(&self) -> usize {
        self.driver.nsweeps()
    }

    /// The decompression map.
    pub fn decompression(&self) -> &Decompression {
        &self.driver.decompression
    }

    /// The workspace kernels receive.
    pub fn workspace(&self) -> &Workspace {
        &self.driver.ws
    }

    /// The Hessian of the last evaluation (zeros before the first).
    pub fn hessian(&self) -> &CsMat<f64> {
        &self.driver.result
    }

    /// Copies the last Hessian into `out`, a matrix of the prepared structure (a clone
    /// of [`hessian`](Self::hessian)): no allocation. Panics, naming the difference, if
    /// the shape, storage order, `indptr` or `indices` differ.
    #[track_caller]
    pub fn copy_into(&self, out: &mut CsMat<f64>) {
        self.driver.copy_result_into("Hessian", out);
    }

    /// Gives up the preparation and keeps the last Hessian (no copy).
    pub fn into_hessian(self) -> CsMat<f64> {
        self.driver.result
    }
}

impl fmt::Display for HessianPrep {
    /// `Hessian preparation, star coloring: 2 HVPs in 1 sweep of 2 lanes (instead of
    /// 1000 HVPs)`, then the spy plot of the pattern.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Hessian preparation, {} coloring: {} in {} of {} (instead of {})",
            self.method,
            plural(self.ncolors(), "HVP"),
            plural(self.nsweeps(), "sweep"),
            plural(self.lanes(), "lane"),
            plural(self.pattern().ncols(), "HVP"),
        )?;
        write!(f, "{}", self.pattern())
    }
}
