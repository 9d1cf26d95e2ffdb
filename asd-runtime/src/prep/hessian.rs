//! [`HessianPrep`]: sparse Hessians by compressed Hessian-vector products.

use std::fmt;

use sprs::CsMat;

use super::constants::Constants;
use super::driver::Driver;
use super::{
    buys_nothing, cheaper_below, check_prepared_len, check_varying_shape, choose_lanes_on,
    on_threads, plural, warn_once, HessianMethod, HessianOptions, Hvp, Sweeps,
};
use crate::coloring::{
    acyclic_coloring_best_with, every_color, star_coloring_best_with, Sides, BEST_ORDERS,
};
use crate::decompress::Decompression;
use crate::{Coloring, Order, SparsityPattern, Workspace};

/// A prepared sparse Hessian: symmetric coloring, seeds, decompression map and buffers,
/// computed once. Each evaluation is `nsweeps()` calls of an [`Hvp`] kernel and a gather
/// (plus substitutions for acyclic colorings) into a symmetric matrix with both
/// triangles stored; it allocates nothing.
///
/// ```
/// # use asd_runtime::{Hvp, Workspace};
/// # /// `f(x) = sum x[i]^2 x[i + 1]`: `H[i][i] = 2 x[i + 1]`, `H[i][i + 1] = 2 x[i]`.
/// # struct Cubic<'a>(&'a [f64]);
/// # impl Hvp for Cubic<'_> {
/// #     fn hvp<const L: usize>(&mut self, _: &Workspace, v: &[[f64; L]], hv: &mut [[f64; L]]) {
/// #         let x = self.0;
/// #         for i in 0..x.len() - 1 {
/// #             for l in 0..L {
/// #                 hv[i][l] += 2.0 * x[i + 1] * v[i][l] + 2.0 * x[i] * v[i + 1][l];
/// #                 hv[i + 1][l] += 2.0 * x[i] * v[i][l];
/// #             }
/// #         }
/// #     }
/// # }
/// # let tridiagonal = |n: usize| asd_runtime::SparsityPattern::from_coordinates(n, n, (0..n).flat_map(|i| [(i, i.saturating_sub(1)), (i, i), (i, (i + 1).min(n - 1))]));
/// // `Cubic` (hidden): an Hvp kernel of f(x) = sum x[i]^2 x[i + 1], written by hand
/// // as in the `Hvp` example; `tridiagonal(n)`: its n x n pattern.
/// use asd_runtime::{HessianOptions, HessianPrep};
/// let x = [1.0, 2.0, 3.0, 4.0, 5.0];
/// let mut prep = HessianPrep::new(tridiagonal(5), &HessianOptions::default());
/// let h = prep.evaluate(&mut Cubic(&x));
/// assert_eq!(h.get(1, 1), Some(&6.0)); // 2 x[2]
/// assert_eq!(h.get(1, 2), Some(&4.0)); // 2 x[1]
/// assert_eq!(h.get(2, 1), Some(&4.0)); // both triangles
/// assert_eq!(h.nnz(), 13);
/// ```
#[derive(Clone, Debug)]
pub struct HessianPrep {
    method: HessianMethod,
    driver: Driver,
    /// Entries proved constant ([`with_constant_entries`](Self::with_constant_entries))
    /// and the preparation that evaluates them.
    constants: Constants<HessianPrep>,
    /// The options generated code prepared it with ([`made_with`](Self::made_with)), to
    /// prepare again with when the constants that shape it change.
    options: Option<HessianOptions>,
}

impl HessianPrep {
    /// Remembers the options and the key of the constants (those that can change the
    /// pattern) it was prepared with: what the generated `f_*_prepare_with` calls.
    #[doc(hidden)]
    pub fn made_with(&mut self, options: &HessianOptions, key: Option<u64>) {
        self.options = Some(*options);
        self.driver.structure_at(key);
    }

    /// The options to prepare again with, when `key`, of an evaluation's constants, is
    /// not the one it was prepared with, or is not known (a constant type without a
    /// [`ConstKey`](crate::ConstKey)): its pattern may not hold for them. What the
    /// generated `f_*_prepared` asks before it evaluates.
    #[doc(hidden)]
    pub fn prepare_again(&self, key: Option<u64>) -> Option<HessianOptions> {
        self.options.filter(|_| !self.driver.shaped_by(key))
    }

    /// Colors the symmetric `n x n` pattern as `options` ask and allocates everything an
    /// evaluation needs. Panics if the pattern is not square and symmetric.
    ///
    /// When [`sparsity_buys_nothing`](Self::sparsity_buys_nothing) and `options.warn`
    /// (the default), prints one warning on standard error, once per process for each
    /// size; `HessianOptions::default().with_warn(false)` silences it.
    ///
    /// ```
    /// use asd_runtime::{HessianMethod, HessianOptions, HessianPrep, SparsityPattern};
    /// let n = 6;
    /// let tridiagonal = SparsityPattern::from_coordinates(
    ///     n,
    ///     n,
    ///     (0..n).flat_map(|i| [(i, i.saturating_sub(1)), (i, i), (i, (i + 1).min(n - 1))]),
    /// );
    /// let prep = HessianPrep::new(tridiagonal, &HessianOptions::default());
    /// assert_eq!(prep.method(), HessianMethod::Star);
    /// assert_eq!(prep.ncolors(), 3); // 3 HVPs instead of 6
    /// ```
    pub fn new(pattern: SparsityPattern, options: &HessianOptions) -> Self {
        let (method, coloring) = Self::choose(&pattern, options);
        let prep =
            Self::with_coloring_on(pattern, method, coloring, options.lanes, options.threads);
        prep.warn_if_it_buys_nothing(options);
        prep
    }

    /// The method and coloring `options` ask for on `pattern`.
    fn choose(pattern: &SparsityPattern, options: &HessianOptions) -> (HessianMethod, Coloring) {
        let order = options.order;
        // Recoloring keeps a coloring only when it makes an evaluation cheaper.
        let rounds = options.recolor_rounds;
        let below = |ncolors| cheaper_below(ncolors, options.lanes, Sweeps::Forward);
        let orders = order
            .as_ref()
            .map_or(&BEST_ORDERS[..], std::slice::from_ref);
        let star = |p: &SparsityPattern| {
            star_coloring_best_with(p, orders, rounds, &below).into_coloring()
        };
        match options.method {
            Some(HessianMethod::Star) => (HessianMethod::Star, star(pattern)),
            Some(HessianMethod::Columns) => {
                let sides = Sides::new(pattern);
                let c = sides
                    .color_columns(orders, usize::MAX, every_color)
                    .expect("no cap");
                (
                    HessianMethod::Columns,
                    sides.recolor_columns(c, rounds, &below),
                )
            }
            Some(HessianMethod::Acyclic) => {
                let a = acyclic_coloring_best_with(pattern, orders, rounds, &below);
                (HessianMethod::Acyclic, a.into_coloring())
            }
            None => {
                // Star coloring never needs more colors in theory; greedy heuristics can
                // disagree, and then the cheaper, simpler column coloring wins. The
                // column coloring gives up as soon as it cannot beat the star, and is not
                // tried when the longest row already cannot (on a hub it would cost
                // O(n^2)). The star coloring checked the pattern is symmetric: it is its
                // own transpose.
                let s = star(pattern);
                let sides = Sides::of_symmetric(pattern);
                match sides.color_columns(orders, s.ncolors(), every_color) {
                    Some(c) => (
                        HessianMethod::Columns,
                        sides.recolor_columns(c, rounds, &below),
                    ),
                    None => (HessianMethod::Star, s),
                }
            }
        }
    }

    /// [`warn_buys_nothing`](Self::warn_buys_nothing) where `options` allow it.
    fn warn_if_it_buys_nothing(&self, options: &HessianOptions) {
        if options.warn && self.sparsity_buys_nothing() {
            self.warn_buys_nothing();
        }
    }

    /// [`new`](Self::new) for a Hessian whose entries outside `varying` are the same at
    /// every input, as the tracer proves of a pair of inputs that interact only through
    /// constant second derivatives (a quadratic term: the stencil of `0.5 * d * d` with
    /// `d = x[i + 1] - x[i]`, beside a nonlinear term on the diagonal), where the
    /// function has no `abs`, `max`, `min`, step or branch on a real. The first
    /// evaluation computes them, with every other entry, by a preparation of its own,
    /// and so does the first after [`constants_at`](Self::constants_at) was given
    /// another key of the other parameters. Every other evaluation colors, sweeps and
    /// decompresses only the entries of `varying`, which may need far fewer colors:
    /// from each compressed product it subtracts what the constant entries of its row
    /// and color add to it (computed once with them), and takes the entry.
    ///
    /// Star or column coloring only, whose recovery is a gather: with
    /// [`HessianMethod::Acyclic`] asked for, with `options.constant_entries` off, or no
    /// constant entry, this is [`new`](Self::new). Entries of `varying` outside
    /// `pattern` are not in the Hessian; `varying` must be symmetric.
    ///
    /// ```
    /// use asd_runtime::{HessianOptions, HessianPrep, Hvp, SparsityPattern, Workspace};
    ///
    /// /// `f = sum (x[i + 1] - x[i])^2 / 2 + x[i]^4 / 12`: only the diagonal varies.
    /// struct F<'a>(&'a [f64]);
    ///
    /// impl Hvp for F<'_> {
    ///     fn hvp<const L: usize>(&mut self, _: &Workspace, v: &[[f64; L]], hv: &mut [[f64; L]]) {
    ///         let (x, n) = (self.0, self.0.len());
    ///         for i in 0..n {
    ///             for l in 0..L {
    ///                 hv[i][l] = x[i] * x[i] * v[i][l];
    ///                 if i > 0 {
    ///                     hv[i][l] += v[i][l] - v[i - 1][l];
    ///                 }
    ///                 if i + 1 < n {
    ///                     hv[i][l] += v[i][l] - v[i + 1][l];
    ///                 }
    ///             }
    ///         }
    ///     }
    /// }
    ///
    /// let n = 5;
    /// let p = SparsityPattern::from_coordinates(n, n, (0..n).flat_map(|i| {
    ///     [(i, i.saturating_sub(1)), (i, i), (i, (i + 1).min(n - 1))]
    /// }));
    /// let diagonal = SparsityPattern::from_coordinates(n, n, (0..n).map(|i| (i, i)));
    /// let options = HessianOptions::default();
    /// let mut prep = HessianPrep::with_constant_entries(p, &diagonal, &options);
    /// assert_eq!((prep.constant_entries(), prep.ncolors()), (8, 1)); // 3 colors without
    /// let x = [1.0, 2.0, 3.0, 4.0, 5.0];
    /// let h = prep.evaluate(&mut F(&x));
    /// assert_eq!((h.get(2, 2), h.get(2, 1), h.get(1, 2)), (Some(&11.0), Some(&-1.0), Some(&-1.0)));
    /// let h = prep.evaluate(&mut F(&[0.0; 5]));
    /// assert_eq!((h.get(0, 0), h.get(2, 2), h.get(2, 3)), (Some(&1.0), Some(&2.0), Some(&-1.0)));
    /// ```
    pub fn with_constant_entries(
        pattern: SparsityPattern,
        varying: &SparsityPattern,
        options: &HessianOptions,
    ) -> Self {
        check_varying_shape(varying, &pattern, "Hessian");
        if !options.constant_entries || options.method == Some(HessianMethod::Acyclic) {
            return Self::new(pattern, options);
        }
        let (varying, varying_at, fixed_at) = pattern.split_varying(varying);
        if fixed_at.is_empty() {
            return Self::new(pattern, options);
        }
        // Star or columns, without the acyclic coloring asked for: a gather.
        let (method, coloring) = Self::choose(&varying, options);
        let decompression =
            Self::decompression_of(&varying, method, &coloring, options.lanes, options.threads)
                .scattered(varying_at, pattern.nnz());
        // Evaluated once per key: serial, quiet, one greedy pass (its colors are paid
        // for once, a search for fewer at each preparation).
        let once = HessianOptions {
            order: Some(Order::Natural),
            recolor_rounds: 0,
            ..options.with_warn(false).with_threads(1)
        };
        let every_entry = Self::new(pattern.clone(), &once);
        let prep = HessianPrep {
            method,
            driver: Driver::new(pattern, coloring, decompression).with_threads(options.threads),
            constants: Constants::new(every_entry, fixed_at),
            options: None,
        };
        prep.warn_if_it_buys_nothing(options);
        prep
    }

    /// Constant entries are constant in the input only: called before an evaluation
    /// with the key of the other parameters (the generated code hashes them, see
    /// [`ConstKey`](crate::ConstKey)), so that a change of them evaluates the constant
    /// entries again. `None`: the parameters have no key, and the constant entries are
    /// evaluated every time.
    pub fn constants_at(&mut self, key: Option<u64>) {
        self.constants.at(key);
    }

    /// Entries proved constant, evaluated once (see
    /// [`with_constant_entries`](Self::with_constant_entries)), both triangles; 0
    /// otherwise.
    pub fn constant_entries(&self) -> usize {
        self.constants.len()
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
    ///
    /// ```
    /// # use asd_runtime::{Hvp, Workspace};
    /// # /// `f(x) = sum x[i]^2 x[i + 1]`: `H[i][i] = 2 x[i + 1]`, `H[i][i + 1] = 2 x[i]`.
    /// # struct Cubic<'a>(&'a [f64]);
    /// # impl Hvp for Cubic<'_> {
    /// #     fn hvp<const L: usize>(&mut self, _: &Workspace, v: &[[f64; L]], hv: &mut [[f64; L]]) {
    /// #         let x = self.0;
    /// #         for i in 0..x.len() - 1 {
    /// #             for l in 0..L {
    /// #                 hv[i][l] += 2.0 * x[i + 1] * v[i][l] + 2.0 * x[i] * v[i + 1][l];
    /// #                 hv[i + 1][l] += 2.0 * x[i] * v[i][l];
    /// #             }
    /// #         }
    /// #     }
    /// # }
    /// # let tridiagonal = |n: usize| asd_runtime::SparsityPattern::from_coordinates(n, n, (0..n).flat_map(|i| [(i, i.saturating_sub(1)), (i, i), (i, (i + 1).min(n - 1))]));
    /// // `Cubic` (hidden): an Hvp kernel of f(x) = sum x[i]^2 x[i + 1], written by hand
    /// // as in the `Hvp` example; `tridiagonal(n)`: its n x n pattern.
    /// use asd_runtime::{acyclic_coloring, HessianMethod, HessianPrep, Order};
    /// let x = [1.0, 2.0, 3.0, 4.0];
    /// let p = tridiagonal(4);
    /// let colors = acyclic_coloring(&p, Order::Natural).into_coloring();
    /// let mut prep = HessianPrep::with_coloring(p, HessianMethod::Acyclic, colors, None);
    /// assert_eq!(prep.ncolors(), 2);
    /// let h = prep.evaluate(&mut Cubic(&x));
    /// assert_eq!((h.get(1, 1), h.get(1, 2), h.get(2, 1)), (Some(&6.0), Some(&4.0), Some(&4.0)));
    /// ```
    pub fn with_coloring(
        pattern: SparsityPattern,
        method: HessianMethod,
        coloring: Coloring,
        lanes: Option<usize>,
    ) -> Self {
        Self::with_coloring_on(pattern, method, coloring, lanes, 1)
    }

    /// [`with_coloring`](Self::with_coloring) evaluating on up to `threads` threads.
    fn with_coloring_on(
        pattern: SparsityPattern,
        method: HessianMethod,
        coloring: Coloring,
        lanes: Option<usize>,
        threads: usize,
    ) -> Self {
        let decompression = Self::decompression_of(&pattern, method, &coloring, lanes, threads);
        HessianPrep {
            method,
            driver: Driver::new(pattern, coloring, decompression).with_threads(threads),
            constants: Constants::none(),
            options: None,
        }
    }

    /// The decompression of `pattern` by `method`'s `coloring`, in the lanes asked for
    /// or chosen for `threads`.
    fn decompression_of(
        pattern: &SparsityPattern,
        method: HessianMethod,
        coloring: &Coloring,
        lanes: Option<usize>,
        threads: usize,
    ) -> Decompression {
        let lanes = choose_lanes_on(coloring.ncolors(), lanes, threads, Sweeps::Forward);
        match method {
            HessianMethod::Star => Decompression::star(pattern, coloring, lanes),
            HessianMethod::Acyclic => Decompression::acyclic(pattern, coloring, lanes),
            HessianMethod::Columns => {
                crate::decompress::check_symmetric(pattern);
                Decompression::columns(pattern, coloring, lanes)
            }
        }
    }

    /// Runs the sweeps and recovers the Hessian.
    ///
    /// ```
    /// # use asd_runtime::{Hvp, Workspace};
    /// # /// `f(x) = sum x[i]^2 x[i + 1]`: `H[i][i] = 2 x[i + 1]`, `H[i][i + 1] = 2 x[i]`.
    /// # struct Cubic<'a>(&'a [f64]);
    /// # impl Hvp for Cubic<'_> {
    /// #     fn hvp<const L: usize>(&mut self, _: &Workspace, v: &[[f64; L]], hv: &mut [[f64; L]]) {
    /// #         let x = self.0;
    /// #         for i in 0..x.len() - 1 {
    /// #             for l in 0..L {
    /// #                 hv[i][l] += 2.0 * x[i + 1] * v[i][l] + 2.0 * x[i] * v[i + 1][l];
    /// #                 hv[i + 1][l] += 2.0 * x[i] * v[i][l];
    /// #             }
    /// #         }
    /// #     }
    /// # }
    /// # let tridiagonal = |n: usize| asd_runtime::SparsityPattern::from_coordinates(n, n, (0..n).flat_map(|i| [(i, i.saturating_sub(1)), (i, i), (i, (i + 1).min(n - 1))]));
    /// // `Cubic` (hidden): an Hvp kernel of f(x) = sum x[i]^2 x[i + 1], written by hand
    /// // as in the `Hvp` example; `tridiagonal(n)`: its n x n pattern.
    /// use asd_runtime::{HessianOptions, HessianPrep};
    /// let mut prep = HessianPrep::new(tridiagonal(4), &HessianOptions::default());
    /// for x in [[1.0, 2.0, 3.0, 4.0], [0.5; 4]] {
    ///     let h = prep.evaluate(&mut Cubic(&x)); // no allocation
    ///     assert_eq!(h.get(0, 0), Some(&(2.0 * x[1])));
    ///     assert_eq!(h.get(2, 3), Some(&(2.0 * x[2])));
    ///     assert_eq!(h.get(3, 3), Some(&0.0)); // in the pattern, though f is linear in x[3]
    /// }
    /// ```
    pub fn evaluate(&mut self, kernel: &mut impl Hvp) -> &CsMat<f64> {
        self.constants
            .hold(&mut self.driver, |every| every.evaluate(kernel));
        self.driver.hvp_sweeps(kernel)
    }

    /// [`evaluate`](Self::evaluate) on the preparation's [`threads`](Self::threads),
    /// each sweep with its own clone of `kernel` (for a generated kernel, a few borrowed
    /// pointers). With one thread it is `evaluate` of one clone. The result equals the
    /// serial one bit for bit: each sweep computes the same products.
    pub fn evaluate_par(&mut self, kernel: &(impl Hvp + Clone + Sync)) -> &CsMat<f64> {
        // The preparation of every entry is serial: its parallel evaluation is the serial
        // one, and asking for it compiles no second copy of the kernel's sweeps.
        self.constants
            .hold(&mut self.driver, |every| every.evaluate_par(kernel));
        self.driver.par_hvp_sweeps(kernel)
    }

    /// Threads a parallel evaluation ([`evaluate_par`](Self::evaluate_par)) runs on:
    /// those asked for ([`HessianOptions::with_threads`]), at most one per sweep; 1
    /// when serial.
    pub fn threads(&self) -> usize {
        self.driver.threads()
    }

    /// Panics unless the input has the `n` the preparation was made for.
    ///
    /// ```
    /// use asd_runtime::{HessianOptions, HessianPrep, SparsityPattern};
    /// use std::panic::{catch_unwind, AssertUnwindSafe};
    /// let prep = HessianPrep::new(SparsityPattern::empty(3, 3), &HessianOptions::default());
    /// prep.check_input_len(3);
    /// assert!(catch_unwind(AssertUnwindSafe(|| prep.check_input_len(4))).is_err());
    /// ```
    #[track_caller]
    pub fn check_input_len(&self, n: usize) {
        check_prepared_len("input", self.driver.shape().1, n);
    }

    /// Star, acyclic or column coloring.
    ///
    /// See [`pattern`](Self::pattern) for an example.
    pub fn method(&self) -> HessianMethod {
        self.method
    }

    /// The Hessian's (symmetric) sparsity pattern.
    ///
    /// The preparation keeps the structure once, in its result matrix; the first call
    /// copies it out.
    ///
    /// ```
    /// # use asd_runtime::{Hvp, Workspace};
    /// # /// `f(x) = sum x[i]^2 x[i + 1]`: `H[i][i] = 2 x[i + 1]`, `H[i][i + 1] = 2 x[i]`.
    /// # struct Cubic<'a>(&'a [f64]);
    /// # impl Hvp for Cubic<'_> {
    /// #     fn hvp<const L: usize>(&mut self, _: &Workspace, v: &[[f64; L]], hv: &mut [[f64; L]]) {
    /// #         let x = self.0;
    /// #         for i in 0..x.len() - 1 {
    /// #             for l in 0..L {
    /// #                 hv[i][l] += 2.0 * x[i + 1] * v[i][l] + 2.0 * x[i] * v[i + 1][l];
    /// #                 hv[i + 1][l] += 2.0 * x[i] * v[i][l];
    /// #             }
    /// #         }
    /// #     }
    /// # }
    /// # let tridiagonal = |n: usize| asd_runtime::SparsityPattern::from_coordinates(n, n, (0..n).flat_map(|i| [(i, i.saturating_sub(1)), (i, i), (i, (i + 1).min(n - 1))]));
    /// // `Cubic` (hidden): an Hvp kernel of f(x) = sum x[i]^2 x[i + 1], written by hand
    /// // as in the `Hvp` example; `tridiagonal(n)`: its n x n pattern.
    /// use asd_runtime::{HessianMethod, HessianOptions, HessianPrep};
    /// let p = tridiagonal(4);
    /// let prep = HessianPrep::new(p.clone(), &HessianOptions::default().with_lanes(2));
    /// assert_eq!(prep.pattern(), &p);
    /// assert_eq!(prep.method(), HessianMethod::Star);
    /// assert_eq!((prep.ncolors(), prep.colors()), (3, &[0, 1, 0, 2][..]));
    /// assert_eq!(prep.coloring().colors(), prep.colors());
    /// assert_eq!((prep.lanes(), prep.nsweeps()), (2, 2));
    /// assert_eq!(prep.decompression().shape(), (4, 4));
    /// assert_eq!(prep.hessian().nnz(), 10); // both triangles, zeros before an evaluation
    /// let mut hv = [[0.0; 1]; 4];
    /// Cubic(&[1.0; 4]).hvp(prep.workspace(), &[[1.0], [0.0], [0.0], [0.0]], &mut hv);
    /// assert_eq!(hv, [[2.0], [2.0], [0.0], [0.0]]); // the first column of H
    /// ```
    pub fn pattern(&self) -> &SparsityPattern {
        self.driver.pattern()
    }

    /// The coloring of the variables.
    ///
    /// See [`pattern`](Self::pattern) for an example.
    pub fn coloring(&self) -> &Coloring {
        &self.driver.coloring
    }

    /// Number of colors: HVPs per evaluation.
    ///
    /// See [`pattern`](Self::pattern) for an example.
    pub fn ncolors(&self) -> usize {
        self.driver.coloring.ncolors()
    }

    /// Color of every variable.
    ///
    /// See [`pattern`](Self::pattern) for an example.
    pub fn colors(&self) -> &[usize] {
        self.driver.coloring.colors()
    }

    /// Seed directions per kernel call, one of [`LANES`](crate::LANES).
    ///
    /// See [`pattern`](Self::pattern) for an example.
    pub fn lanes(&self) -> usize {
        self.driver.lanes()
    }

    /// Runs sweeps of 4 lanes or more with AVX2 and FMA where the processor has them
    /// (`true`, the default), or with the x86-64 baseline, two lanes at a time
    /// (`false`), as [`JacobianPrep::set_wide_vectors`](crate::JacobianPrep::set_wide_vectors)
    /// does.
    ///
    /// ```
    /// use asd_runtime::{HessianOptions, HessianPrep, Hvp, SparsityPattern, Workspace};
    ///
    /// /// `f = sum x[i]^3 / 6`: `H = diag(x)`.
    /// struct Cubic<'a>(&'a [f64]);
    /// impl Hvp for Cubic<'_> {
    ///     fn hvp<const L: usize>(&mut self, _: &Workspace, v: &[[f64; L]], hv: &mut [[f64; L]]) {
    ///         for ((hv, v), x) in hv.iter_mut().zip(v).zip(self.0) {
    ///             for l in 0..L {
    ///                 hv[l] = x * v[l];
    ///             }
    ///         }
    ///     }
    /// }
    ///
    /// let x = [1.0, 2.0, 3.0];
    /// let diagonal = SparsityPattern::from_coordinates(3, 3, (0..3).map(|i| (i, i)));
    /// let mut prep = HessianPrep::new(diagonal, &HessianOptions::default().with_lanes(8));
    /// let wide = prep.evaluate(&mut Cubic(&x)).clone();
    /// prep.set_wide_vectors(false);
    /// assert!(!prep.wide_vectors());
    /// assert_eq!(prep.evaluate(&mut Cubic(&x)), &wide);
    /// assert_eq!(wide.data(), [1.0, 2.0, 3.0]);
    /// ```
    pub fn set_wide_vectors(&mut self, on: bool) {
        self.driver.set_wide_vectors(on);
        if let Some(every) = self.constants.prep_mut() {
            every.set_wide_vectors(on);
        }
    }

    /// Whether sweeps of 4 lanes or more run with AVX2 and FMA (see
    /// [`set_wide_vectors`](Self::set_wide_vectors)).
    ///
    /// See [`set_wide_vectors`](Self::set_wide_vectors) for an example.
    pub fn wide_vectors(&self) -> bool {
        self.driver.wide_vectors()
    }

    /// Kernel calls per evaluation, `ceil(ncolors / lanes)`.
    ///
    /// See [`pattern`](Self::pattern) for an example.
    pub fn nsweeps(&self) -> usize {
        self.driver.nsweeps()
    }

    /// The decompression map.
    ///
    /// See [`pattern`](Self::pattern) for an example.
    pub fn decompression(&self) -> &Decompression {
        &self.driver.decompression
    }

    /// The workspace kernels receive.
    ///
    /// See [`pattern`](Self::pattern) for an example.
    pub fn workspace(&self) -> &Workspace {
        self.driver.ws()
    }

    /// The Hessian of the last evaluation (zeros before the first).
    ///
    /// See [`pattern`](Self::pattern) for an example.
    pub fn hessian(&self) -> &CsMat<f64> {
        &self.driver.result
    }

    /// Copies the last Hessian into `out`, a matrix of the prepared structure (a clone
    /// of [`hessian`](Self::hessian)): no allocation. Panics, naming the difference, if
    /// the shape, storage order, `indptr` or `indices` differ.
    ///
    /// ```
    /// # use asd_runtime::{Hvp, Workspace};
    /// # /// `f(x) = sum x[i]^2 x[i + 1]`: `H[i][i] = 2 x[i + 1]`, `H[i][i + 1] = 2 x[i]`.
    /// # struct Cubic<'a>(&'a [f64]);
    /// # impl Hvp for Cubic<'_> {
    /// #     fn hvp<const L: usize>(&mut self, _: &Workspace, v: &[[f64; L]], hv: &mut [[f64; L]]) {
    /// #         let x = self.0;
    /// #         for i in 0..x.len() - 1 {
    /// #             for l in 0..L {
    /// #                 hv[i][l] += 2.0 * x[i + 1] * v[i][l] + 2.0 * x[i] * v[i + 1][l];
    /// #                 hv[i + 1][l] += 2.0 * x[i] * v[i][l];
    /// #             }
    /// #         }
    /// #     }
    /// # }
    /// # let tridiagonal = |n: usize| asd_runtime::SparsityPattern::from_coordinates(n, n, (0..n).flat_map(|i| [(i, i.saturating_sub(1)), (i, i), (i, (i + 1).min(n - 1))]));
    /// // `Cubic` (hidden): an Hvp kernel of f(x) = sum x[i]^2 x[i + 1], written by hand
    /// // as in the `Hvp` example; `tridiagonal(n)`: its n x n pattern.
    /// use asd_runtime::{HessianOptions, HessianPrep};
    /// let mut prep = HessianPrep::new(tridiagonal(3), &HessianOptions::default());
    /// let mut kept = prep.hessian().clone(); // allocated once
    /// prep.evaluate(&mut Cubic(&[1.0, 2.0, 3.0]));
    /// prep.copy_into(&mut kept); // no allocation
    /// assert_eq!(&kept, prep.hessian());
    /// ```
    #[track_caller]
    pub fn copy_into(&self, out: &mut CsMat<f64>) {
        self.driver.copy_result_into("Hessian", out);
    }

    /// Gives up the preparation and keeps the last Hessian (no copy).
    ///
    /// ```
    /// # use asd_runtime::{Hvp, Workspace};
    /// # /// `f(x) = sum x[i]^2 x[i + 1]`: `H[i][i] = 2 x[i + 1]`, `H[i][i + 1] = 2 x[i]`.
    /// # struct Cubic<'a>(&'a [f64]);
    /// # impl Hvp for Cubic<'_> {
    /// #     fn hvp<const L: usize>(&mut self, _: &Workspace, v: &[[f64; L]], hv: &mut [[f64; L]]) {
    /// #         let x = self.0;
    /// #         for i in 0..x.len() - 1 {
    /// #             for l in 0..L {
    /// #                 hv[i][l] += 2.0 * x[i + 1] * v[i][l] + 2.0 * x[i] * v[i + 1][l];
    /// #                 hv[i + 1][l] += 2.0 * x[i] * v[i][l];
    /// #             }
    /// #         }
    /// #     }
    /// # }
    /// # let tridiagonal = |n: usize| asd_runtime::SparsityPattern::from_coordinates(n, n, (0..n).flat_map(|i| [(i, i.saturating_sub(1)), (i, i), (i, (i + 1).min(n - 1))]));
    /// // `Cubic` (hidden): an Hvp kernel of f(x) = sum x[i]^2 x[i + 1], written by hand
    /// // as in the `Hvp` example; `tridiagonal(n)`: its n x n pattern.
    /// use asd_runtime::{HessianOptions, HessianPrep};
    /// let mut prep = HessianPrep::new(tridiagonal(3), &HessianOptions::default());
    /// prep.evaluate(&mut Cubic(&[1.0, 2.0, 3.0]));
    /// let h = prep.into_hessian();
    /// assert_eq!(h.get(1, 0), Some(&2.0));
    /// ```
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
            "Hessian preparation, {} coloring: {} in {} of {}{} (instead of {})",
            self.method,
            plural(self.ncolors(), "HVP"),
            plural(self.nsweeps(), "sweep"),
            plural(self.lanes(), "lane"),
            on_threads(self.threads()),
            plural(self.pattern().ncols(), "HVP"),
        )?;
        if self.constant_entries() > 0 {
            writeln!(
                f,
                "{} of {} entries constant, evaluated once",
                self.constant_entries(),
                self.pattern().nnz(),
            )?;
        }
        write!(f, "{}", self.pattern())
    }
}
