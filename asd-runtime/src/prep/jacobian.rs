//! [`JacobianPrep`]: sparse Jacobians by compressed forward or reverse mode, or both.

mod bidirectional;
mod scaled;

use std::fmt;

use sprs::CsMat;

use super::constants::Constants;
use super::driver::Driver;
use super::{
    buys_nothing, cheaper_below, check_prepared_len, check_varying_shape, choose_lanes_on,
    on_threads, plural, warn_once, JacobianOptions, Jvp, Mode, ModeChoice, Sweeps, Vjp,
};
use crate::coloring::{bicoloring_among, Sides, SEARCH_ORDERS};
use crate::decompress::Decompression;
use crate::{
    BranchSwitch, Coloring, Decisions, OnSwitch, Order, Sparsity, SparsityPattern, Workspace,
};

/// A prepared sparse Jacobian: pattern, coloring, seeds, decompression map and buffers,
/// computed once and reused by every evaluation, which then allocates nothing.
///
/// Evaluating costs `nsweeps()` calls of the kernel, each carrying `lanes()` seed
/// directions, then a gather into the preallocated result.
///
/// ```
/// use asd_runtime::{JacobianOptions, JacobianPrep, Jvp, SparsityPattern, Workspace};
///
/// /// `y[i] = x[i]^2`, differentiated by hand: `dy[i] = 2 x[i] dx[i]`, lane by lane.
/// struct Square<'a>(&'a [f64]);
///
/// impl Jvp for Square<'_> {
///     fn jvp<const L: usize>(&mut self, _: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
///         for ((dy, dx), x) in dy.iter_mut().zip(dx).zip(self.0) {
///             for l in 0..L {
///                 dy[l] = 2.0 * x * dx[l];
///             }
///         }
///     }
/// }
///
/// let pattern = SparsityPattern::from_coordinates(3, 3, [(0, 0), (1, 1), (2, 2)]);
/// let mut prep = JacobianPrep::new(pattern, &JacobianOptions::forward());
/// assert_eq!(prep.ncolors(), 1); // one JVP instead of three
///
/// let x = [1.0, 2.0, 3.0];
/// prep.check_input_len(x.len());
/// let jac = prep.evaluate_forward(&mut Square(&x));
/// assert_eq!(jac.get(2, 2), Some(&6.0));
/// assert_eq!(jac.nnz(), 3);
/// ```
#[derive(Clone, Debug)]
pub struct JacobianPrep {
    mode: Mode,
    driver: Driver,
    /// Entries proved constant ([`with_constant_entries`](Self::with_constant_entries))
    /// and the preparation that evaluates them; how many whole rows they make.
    constants: Constants<JacobianPrep>,
    constant_rows: usize,
    /// For a local pattern: the decisions it was traced with.
    local: Option<Box<Local>>,
    /// [`Mode::Bidirectional`]: the reverse sweeps and the bicoloring (`driver` makes
    /// the forward ones).
    reverse: Option<Box<bidirectional::Reverse>>,
    /// Rows proved to be multiples of constant rows
    /// ([`with_scaled_rows`](Self::with_scaled_rows)): what is learned of them.
    scaled: Option<Box<scaled::Scaled>>,
    /// The options generated code prepared it with ([`made_with`](Self::made_with)), to
    /// prepare again with when the constants that shape it change.
    options: Option<JacobianOptions>,
}

/// What a preparation of a local pattern keeps to check that the pattern still holds.
#[derive(Clone, Debug)]
struct Local {
    /// The decisions at the preparation's input, which the pattern follows.
    decisions: Decisions,
    /// The decisions at the input being evaluated (kept for its memory).
    now: Decisions,
    /// The options it was prepared with, to prepare again.
    options: JacobianOptions,
    on_switch: OnSwitch,
}

impl JacobianPrep {
    /// Remembers the options and the key of the constants (those that can change the
    /// pattern) it was prepared with: what the generated `f_*_prepare_with` calls.
    #[doc(hidden)]
    pub fn made_with(&mut self, options: &JacobianOptions, key: Option<u64>) {
        self.options = Some(*options);
        self.driver.structure_at(key);
    }

    /// The options to prepare again with, when `key`, of an evaluation's constants, is
    /// not the one it was prepared with, or is not known (a constant type without a
    /// [`ConstKey`](crate::ConstKey)): its pattern may not hold for them. What the
    /// generated `f_*_prepared` asks before it evaluates.
    #[doc(hidden)]
    pub fn prepare_again(&self, key: Option<u64>) -> Option<JacobianOptions> {
        self.options.filter(|_| !self.driver.shaped_by(key))
    }

    /// Colors `pattern` (`m x n`) as `options` ask and allocates everything an evaluation
    /// needs.
    ///
    /// When [`sparsity_buys_nothing`](Self::sparsity_buys_nothing) and `options.warn`
    /// (the default), prints one warning on standard error, once per process for each
    /// shape; `JacobianOptions::default().with_warn(false)` silences it.
    ///
    /// ```
    /// use asd_runtime::{JacobianOptions, JacobianPrep, Mode, SparsityPattern};
    /// // y[i] = x[i] * x[i + 1]: a 4 x 5 bidiagonal Jacobian, 2 colors either way.
    /// let p = SparsityPattern::from_coordinates(4, 5, (0..4).flat_map(|i| [(i, i), (i, i + 1)]));
    /// let prep = JacobianPrep::new(p, &JacobianOptions::default());
    /// assert_eq!(prep.mode(), Mode::Forward); // ties go to the cheaper products
    /// assert_eq!(prep.colors(), [0, 1, 0, 1, 0]);
    /// assert_eq!((prep.lanes(), prep.nsweeps()), (2, 1));
    /// ```
    pub fn new(pattern: SparsityPattern, options: &JacobianOptions) -> Self {
        let prep = if options.mode == ModeChoice::Bidirectional {
            let b = bicoloring_among(&pattern, search_orders(options));
            Self::with_bicoloring(pattern, b, options.lanes)
        } else {
            let (mode, coloring) = Self::choose(&pattern, options);
            let better = match options.mode {
                ModeChoice::Auto => Self::better_bicoloring(&pattern, coloring.ncolors(), options),
                _ => None,
            };
            match better {
                Some(b) => Self::with_bicoloring(pattern, b, options.lanes),
                None => Self::build(pattern, mode, coloring, options, false),
            }
        };
        prep.warn_if_it_buys_nothing(options);
        prep
    }

    /// [`with_constant_entries`](Self::with_constant_entries) for a Jacobian whose rows
    /// `constant[i]` are the same at every input, as the tracer proves of outputs affine
    /// in the input: JuMP's linear constraints.
    ///
    /// ```
    /// use asd_runtime::{JacobianOptions, JacobianPrep, Jvp, SparsityPattern, Workspace};
    ///
    /// /// `y = [x0 + x1 + x2, x0 * x1]`: the first row is constant, `[1, 1, 1]`.
    /// struct F<'a>(&'a [f64]);
    ///
    /// impl Jvp for F<'_> {
    ///     fn jvp<const L: usize>(&mut self, _: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
    ///         let x = self.0;
    ///         for l in 0..L {
    ///             dy[0][l] = dx[0][l] + dx[1][l] + dx[2][l];
    ///             dy[1][l] = x[1] * dx[0][l] + x[0] * dx[1][l];
    ///         }
    ///     }
    /// }
    ///
    /// let p = SparsityPattern::from_rows(3, vec![vec![0, 1, 2], vec![0, 1]]);
    /// let mut prep = JacobianPrep::with_constant_rows(p, &[true, false], &JacobianOptions::forward());
    /// assert_eq!((prep.constant_rows(), prep.ncolors()), (1, 2)); // 3 colors without
    /// let j = prep.evaluate_forward(&mut F(&[2.0, 3.0, 4.0]));
    /// assert_eq!((j.get(0, 2), j.get(1, 0)), (Some(&1.0), Some(&3.0)));
    /// let j = prep.evaluate_forward(&mut F(&[5.0, 7.0, 1.0]));
    /// assert_eq!((j.get(0, 2), j.get(1, 0)), (Some(&1.0), Some(&7.0)));
    /// ```
    pub fn with_constant_rows(
        pattern: SparsityPattern,
        constant: &[bool],
        options: &JacobianOptions,
    ) -> Self {
        assert_eq!(
            constant.len(),
            pattern.nrows(),
            "asd: {} constant-row flags were given for a pattern of {} rows",
            constant.len(),
            pattern.nrows()
        );
        let (varying, _) = pattern.entries_only(|i, _| !constant[i]);
        Self::with_constant_entries(pattern, &varying, options)
    }

    /// [`new`](Self::new) for a Jacobian whose entries outside `varying` are the same at
    /// every input, as the tracer proves of the entries of an input that enters an
    /// output linearly (it interacts with no input in the output's second-order trace,
    /// and the function has no `abs`, `max`, `min`, step or branch on a real): the
    /// stencil of a diffusion term beside a nonlinear reaction, a linear constraint. The
    /// first evaluation computes them, with every other entry, by a preparation of its
    /// own, and so does the first after [`constants_at`](Self::constants_at) was given
    /// another key of the other parameters. Every other evaluation colors, sweeps and
    /// decompresses only the entries of `varying`, which may need far fewer colors: from
    /// each compressed product it subtracts what the constant entries of its row and
    /// color add to it (computed once with them), and takes the entry.
    ///
    /// In forward or reverse mode, as `options` ask; [`ModeChoice::Auto`] takes the one
    /// with fewer colors of the varying entries (reverse wins where they have a dense
    /// row: a nonlinear objective beside linear constraints), unless a bicoloring of
    /// every entry costs less. With bidirectional mode asked for, `options.
    /// constant_entries` off, or no constant entry, this is [`new`](Self::new). Entries
    /// of `varying` outside `pattern` are not in the Jacobian.
    ///
    /// ```
    /// use asd_runtime::{JacobianOptions, JacobianPrep, Jvp, SparsityPattern, Workspace};
    ///
    /// /// `y[i] = x[i-1] - 2 x[i] + x[i+1] + x[i]^3`: only the diagonal varies.
    /// struct F<'a>(&'a [f64]);
    ///
    /// impl Jvp for F<'_> {
    ///     fn jvp<const L: usize>(&mut self, _: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
    ///         let (x, n) = (self.0, self.0.len());
    ///         for i in 0..n {
    ///             for l in 0..L {
    ///                 let mut d = (3.0 * x[i] * x[i] - 2.0) * dx[i][l];
    ///                 if i > 0 {
    ///                     d += dx[i - 1][l];
    ///                 }
    ///                 if i + 1 < n {
    ///                     d += dx[i + 1][l];
    ///                 }
    ///                 dy[i][l] = d;
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
    /// let options = JacobianOptions::forward();
    /// let mut prep = JacobianPrep::with_constant_entries(p, &diagonal, &options);
    /// assert_eq!((prep.constant_entries(), prep.ncolors()), (8, 1)); // 3 colors without
    /// let x = [1.0, 2.0, 3.0, 4.0, 5.0];
    /// let j = prep.evaluate_forward(&mut F(&x));
    /// assert_eq!((j.get(2, 2), j.get(2, 1), j.get(2, 3)), (Some(&25.0), Some(&1.0), Some(&1.0)));
    /// let j = prep.evaluate_forward(&mut F(&[0.0; 5]));
    /// assert_eq!((j.get(2, 2), j.get(2, 1)), (Some(&-2.0), Some(&1.0)));
    /// ```
    pub fn with_constant_entries(
        pattern: SparsityPattern,
        varying: &SparsityPattern,
        options: &JacobianOptions,
    ) -> Self {
        check_varying_shape(varying, &pattern, "Jacobian");
        if !options.constant_entries || options.mode == ModeChoice::Bidirectional {
            return Self::new(pattern, options);
        }
        let (varying, varying_at, fixed_at) = pattern.split_varying(varying);
        if fixed_at.is_empty() {
            return Self::new(pattern, options);
        }
        let (mode, coloring) = Self::choose(&varying, options);
        if options.mode == ModeChoice::Auto {
            if let Some(b) = Self::better_bicoloring(&pattern, coloring.ncolors(), options) {
                let prep = Self::with_bicoloring(pattern, b, options.lanes);
                prep.warn_if_it_buys_nothing(options);
                return prep;
            }
        }
        let decompression = Self::decompression_of(&varying, mode, &coloring, options, false)
            .scattered(varying_at, pattern.nnz());
        let constant_rows = (0..pattern.nrows())
            .filter(|&i| varying.row(i).is_empty())
            .count();
        // In the same mode: its kernel is the one given to the evaluation.
        let same_mode = JacobianOptions {
            mode: match mode {
                Mode::Reverse => ModeChoice::Reverse,
                Mode::Forward | Mode::Bidirectional => ModeChoice::Forward,
            },
            ..*options
        };
        let every_entry = Self::new(pattern.clone(), &once(same_mode));
        let constants = Constants::new(every_entry, fixed_at);
        let prep = JacobianPrep {
            mode,
            driver: Driver::new(pattern, coloring, decompression).with_threads(options.threads),
            constants,
            constant_rows,
            local: None,
            reverse: None,
            scaled: None,
            options: None,
        };
        prep.warn_if_it_buys_nothing(options);
        prep
    }

    /// [`new`](Self::new) for a Jacobian each of whose rows is a multiple of a constant
    /// row, `J[i] = s_i(x) a_i`, as the macro proves of outputs that are each a function
    /// of one affine form of the input (`y[i] = tanh(w . x[..] + b)`: a convolution or a
    /// layer of fixed weights, then an activation), with no branch on a real.
    ///
    /// The first evaluation sweeps every color, forward or reverse, and learns each row
    /// up to its scale; every later one makes far fewer JVPs, of seeds that group the
    /// inputs so that no row's product cancels ([`scaled_jvps`](Self::scaled_jvps): most
    /// often one), and scales the learned rows by their products: `J_ij(x) = p_i(x)
    /// J_ij(x0) / p_i(x0)`, within about ten roundings. A row that is zero where it is
    /// learned (a saturated `tanh`) is tried again at the next evaluations, up to 4, which
    /// sweep every color; a row zero at all of them (a ReLU that is off) leaves every
    /// color swept. The rows hold for one key of the other parameters
    /// ([`constants_at`](Self::constants_at)), and are learned again under another, unless
    /// two learnings went unused (parameters that change at every evaluation, a time):
    /// then it sweeps every color. An evaluation that learns allocates the sweeps of the
    /// seeds; the others allocate nothing. Learned in [`evaluate`](Self::evaluate), [`evaluate_par`](Self::evaluate_par)
    /// and in forward mode [`evaluate_forward`](Self::evaluate_forward) and
    /// [`evaluate_forward_par`](Self::evaluate_forward_par): their kernels make JVPs.
    ///
    /// With `options` that ask for bidirectional mode or turn
    /// [`scaled_rows`](JacobianOptions::scaled_rows) off, this is [`new`](Self::new).
    ///
    /// ```
    /// use asd_runtime::{JacobianOptions, JacobianPrep, Jvp, SparsityPattern, Workspace};
    ///
    /// /// `y[i] = tanh(x[i] + 2 x[i + 1])`: 2 colors, or one lane once the rows are learned.
    /// struct F<'a>(&'a [f64]);
    ///
    /// impl Jvp for F<'_> {
    ///     fn jvp<const L: usize>(&mut self, _: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
    ///         for i in 0..dy.len() {
    ///             let t = (self.0[i] + 2.0 * self.0[i + 1]).tanh();
    ///             for l in 0..L {
    ///                 dy[i][l] = (1.0 - t * t) * (dx[i][l] + 2.0 * dx[i + 1][l]);
    ///             }
    ///         }
    ///     }
    /// }
    ///
    /// let p = SparsityPattern::from_coordinates(3, 4, (0..3).flat_map(|i| [(i, i), (i, i + 1)]));
    /// let mut prep = JacobianPrep::with_scaled_rows(p, &JacobianOptions::default());
    /// prep.constants_at(Some(0)); // what the generated code passes: the parameters' key
    /// prep.evaluate_forward(&mut F(&[0.1, 0.2, 0.3, 0.4]));
    /// assert_eq!((prep.ncolors(), prep.scaled_jvps()), (2, Some(1)));
    /// let x = [0.5, -0.2, 0.3, 0.1];
    /// let j = prep.evaluate_forward(&mut F(&x));
    /// let d = 1.0 - (x[1] + 2.0 * x[2]).tanh().powi(2);
    /// assert!((j.get(1, 2).unwrap() - 2.0 * d).abs() < 1e-15);
    /// ```
    pub fn with_scaled_rows(pattern: SparsityPattern, options: &JacobianOptions) -> Self {
        if !options.scaled_rows {
            return Self::new(pattern, options);
        }
        // Its sweeps of every color are a first evaluation's, or a fallback's: sparsity
        // that buys nothing there (a dense layer) is no reason to warn.
        let mut prep = Self::new(pattern, &options.with_warn(false));
        if prep.mode != Mode::Bidirectional && prep.ncolors() > 1 {
            prep.scaled = Some(Box::new(scaled::Scaled::new()));
        } else {
            prep.warn_if_it_buys_nothing(options);
        }
        prep
    }

    /// The mode and coloring `options` ask for.
    fn choose(pattern: &SparsityPattern, options: &JacobianOptions) -> (Mode, Coloring) {
        {
            // The transpose is shared by both colorings and freed before the buffers
            // are allocated.
            let sides = Sides::new(pattern);
            // A search over orders stops looking for fewer colors once they could not
            // make an evaluation cheaper, and so does the choice of mode.
            let below = |sweeps| move |ncolors| cheaper_below(ncolors, options.lanes, sweeps);
            let orders = search_orders(options);
            // Each side's coloring is recolored once found, by the same measure.
            let rounds = options.recolor_rounds;
            let columns = |cap| {
                let below = below(Sweeps::Forward);
                let c = sides.color_columns(orders, cap, below)?;
                Some(sides.recolor_columns(c, rounds, &below))
            };
            let rows = |cap| {
                let below = below(Sweeps::Reverse);
                let r = sides.color_rows(orders, cap, below)?;
                Some(sides.recolor_rows(r, rounds, &below))
            };
            match options.mode {
                ModeChoice::Forward => (Mode::Forward, columns(usize::MAX).expect("no cap")),
                ModeChoice::Reverse => (Mode::Reverse, rows(usize::MAX).expect("no cap")),
                ModeChoice::Bidirectional => {
                    unreachable!("asd: new takes a bicoloring for ModeChoice::Bidirectional")
                }
                // Reverse mode only wins with fewer colors, enough to save a sweep or
                // lanes than the recolored columns: the row coloring gives up as soon as
                // it cannot (and is then not recolored), and is not tried when it would
                // repeat the column coloring (a symmetric pattern).
                ModeChoice::Auto => {
                    let c = columns(usize::MAX).expect("no cap");
                    let r = if sides.symmetric() {
                        None
                    } else {
                        rows(options.reverse_cheaper_than(c.ncolors()))
                    };
                    match r {
                        Some(r) => (Mode::Reverse, r),
                        None => (Mode::Forward, c),
                    }
                }
            }
        }
    }

    fn warn_if_it_buys_nothing(&self, options: &JacobianOptions) {
        if options.warn && self.sparsity_buys_nothing() {
            self.warn_buys_nothing();
        }
    }

    /// Whether the coloring saves (almost) nothing over dense AD: it needs at least four
    /// fifths of the `n` JVPs (forward) or `m` VJPs (reverse) dense AD would take (in
    /// bidirectional mode, JVPs and VJPs together against the fewer of `m` and `n`), with
    /// at least 16 of those. Pattern detection and coloring then cost time for nothing,
    /// and a dense method may be as fast. [`new`](Self::new) warns once when it is so.
    ///
    /// ```
    /// use asd_runtime::{JacobianOptions, JacobianPrep, SparsityPattern};
    ///
    /// let n = 20;
    /// let dense =
    ///     SparsityPattern::from_coordinates(n, n, (0..n).flat_map(|i| (0..n).map(move |j| (i, j))));
    /// let quiet = JacobianOptions::default().with_warn(false);
    /// assert!(JacobianPrep::new(dense, &quiet).sparsity_buys_nothing());
    /// let diagonal = SparsityPattern::from_coordinates(n, n, (0..n).map(|i| (i, i)));
    /// assert!(!JacobianPrep::new(diagonal, &quiet).sparsity_buys_nothing());
    /// ```
    pub fn sparsity_buys_nothing(&self) -> bool {
        buys_nothing(self.ncolors(), self.dense_mode().1)
    }

    /// The warning of [`new`](Self::new); returns whether it was printed (not before
    /// for this shape).
    pub(crate) fn warn_buys_nothing(&self) -> bool {
        let (m, n) = self.driver.shape();
        let (dense_mode, dense) = self.dense_mode();
        warn_once(("Jacobian", m, n), || {
            format!(
                "asd: warning: sparsity buys nothing for this {m} x {n} Jacobian: its coloring \
                 needs {} where dense {} mode needs {}; a dense method may be as fast. \
                 (Printed once per shape; silence with JacobianOptions::with_warn(false) \
                 and f_jacobian_prepare_with.)",
                self.products(),
                dense_mode,
                plural(dense, dense_mode.product()),
            )
        })
    }

    /// `"11 JVPs"`, `"2 VJPs"`, `"2 JVPs and 1 VJP"`: the products of an evaluation.
    fn products(&self) -> String {
        match self.mode {
            Mode::Forward => plural(self.ncolors(), "JVP"),
            Mode::Reverse => plural(self.ncolors(), "VJP"),
            Mode::Bidirectional => format!(
                "{} and {}",
                plural(self.njvps(), "JVP"),
                plural(self.nvjps(), "VJP")
            ),
        }
    }

    /// `"1 sweep of 12 lanes"`; in bidirectional mode, the forward sweeps and the
    /// reverse ones (`"1 sweep of 2 lanes and 1 sweep of 1 lane"`).
    fn sweeps_and_lanes(&self) -> String {
        let of = |d: &Driver| {
            let sweeps = plural(d.nsweeps(), "sweep");
            format!("{sweeps} of {}", plural(d.lanes(), "lane"))
        };
        match &self.reverse {
            Some(r) => format!("{} and {}", of(&self.driver), of(&r.driver)),
            None => of(&self.driver),
        }
    }

    /// The one-sided mode dense AD would use instead, and its products: this mode's,
    /// or in bidirectional mode the cheaper (forward on ties).
    fn dense_mode(&self) -> (Mode, usize) {
        let (m, n) = self.driver.shape();
        match self.mode {
            Mode::Reverse => (Mode::Reverse, m),
            Mode::Bidirectional if m < n => (Mode::Reverse, m),
            Mode::Forward | Mode::Bidirectional => (Mode::Forward, n),
        }
    }

    /// A preparation from a coloring computed elsewhere: column colors for
    /// [`Mode::Forward`], row colors for [`Mode::Reverse`]. `lanes: None` picks them
    /// from the color count. Panics if the coloring is invalid for the pattern, and for
    /// [`Mode::Bidirectional`], which needs a bicoloring
    /// ([`with_bicoloring`](Self::with_bicoloring)).
    ///
    /// ```
    /// use asd_runtime::coloring::color_columns_best;
    /// use asd_runtime::{JacobianPrep, Mode, SparsityPattern};
    /// let p = SparsityPattern::from_coordinates(4, 5, (0..4).flat_map(|i| [(i, i), (i, i + 1)]));
    /// let best = color_columns_best(&p);
    /// let prep = JacobianPrep::with_coloring(p, Mode::Forward, best.clone(), Some(1));
    /// assert_eq!(prep.coloring(), &best);
    /// assert_eq!((prep.lanes(), prep.nsweeps()), (1, 2));
    /// ```
    pub fn with_coloring(
        pattern: SparsityPattern,
        mode: Mode,
        coloring: Coloring,
        lanes: Option<usize>,
    ) -> Self {
        let options = JacobianOptions {
            lanes,
            ..JacobianOptions::default()
        };
        Self::build(pattern, mode, coloring, &options, true)
    }

    /// `check`: whether to check the coloring entry by entry; one [`new`](Self::new)
    /// computed is valid by construction, and the check costs as much as the map.
    fn build(
        pattern: SparsityPattern,
        mode: Mode,
        coloring: Coloring,
        options: &JacobianOptions,
        check: bool,
    ) -> Self {
        let decompression = Self::decompression_of(&pattern, mode, &coloring, options, check);
        JacobianPrep {
            mode,
            driver: Driver::new(pattern, coloring, decompression).with_threads(options.threads),
            constant_rows: 0,
            constants: Constants::none(),
            local: None,
            reverse: None,
            scaled: None,
            options: None,
        }
    }

    /// The decompression of `pattern` by `mode`'s `coloring`, in the lanes `options`
    /// give it; `check` as in [`build`](Self::build).
    fn decompression_of(
        pattern: &SparsityPattern,
        mode: Mode,
        coloring: &Coloring,
        options: &JacobianOptions,
        check: bool,
    ) -> Decompression {
        let sweeps = match mode {
            Mode::Reverse => Sweeps::Reverse,
            Mode::Forward | Mode::Bidirectional => Sweeps::Forward,
        };
        let lanes = choose_lanes_on(coloring.ncolors(), options.lanes, options.threads, sweeps);
        match (mode, check) {
            (Mode::Forward, true) => Decompression::columns(pattern, coloring, lanes),
            (Mode::Forward, false) => Decompression::columns_of_valid(pattern, coloring, lanes),
            (Mode::Reverse, true) => Decompression::rows(pattern, coloring, lanes),
            (Mode::Reverse, false) => Decompression::rows_of_valid(pattern, coloring, lanes),
            (Mode::Bidirectional, _) => panic!(
                "asd: a bidirectional preparation needs a column and a row coloring: \
                 call JacobianPrep::with_bicoloring"
            ),
        }
    }

    /// Constant rows are constant in the input only: called before an evaluation with
    /// the key of the other parameters (the generated code hashes them, see
    /// [`ConstKey`](crate::ConstKey)), so that a change of them evaluates the constant
    /// rows again.
    /// `None`: the parameters have no key (a type without [`ConstKey`](crate::ConstKey)),
    /// and the constant rows are evaluated every time.
    pub fn constants_at(&mut self, key: Option<u64>) {
        self.constants.at(key);
        if let Some(s) = self.scaled.as_deref_mut() {
            s.at(key);
        }
    }

    /// Whether evaluations keep values that hold for one key of the other parameters
    /// (constant entries, scaled rows): the generated code then passes it, with
    /// [`constants_at`](Self::constants_at), before each.
    #[doc(hidden)]
    pub fn keyed_by_constants(&self) -> bool {
        self.constants.len() > 0 || self.scaled.is_some()
    }

    /// [`new`](Self::new) for a local pattern, traced with `decisions` (what the
    /// generated `f_jacobian_prepare_with` calls for
    /// [`Sparsity::Local`](crate::Sparsity::Local)): each evaluation of the generated
    /// code then first checks, with [`check_decisions`](Self::check_decisions), that
    /// the function decides the same way at its input, and does what the options'
    /// [`OnSwitch`] says where it does not ([`OnSwitch::Error`] if they ask for a
    /// global pattern).
    pub fn new_local(
        pattern: SparsityPattern,
        decisions: Decisions,
        options: &JacobianOptions,
    ) -> Self {
        let on_switch = match options.sparsity {
            Sparsity::Local(o) => o,
            Sparsity::Global => OnSwitch::Error,
        };
        let mut prep = Self::new(pattern, options);
        prep.local = Some(Box::new(Local {
            now: Decisions::default(),
            decisions,
            options: *options,
            on_switch,
        }));
        prep
    }

    /// Whether the pattern is local: it holds only where the function makes the
    /// [`decisions`](Self::decisions) it made at the preparation's input.
    pub fn is_local(&self) -> bool {
        self.local.is_some()
    }

    /// The decisions a local pattern was traced with; `None` for a global pattern.
    pub fn decisions(&self) -> Option<&Decisions> {
        self.local.as_ref().map(|l| &l.decisions)
    }

    /// What an evaluation of a local preparation does where the pattern no longer
    /// holds; `None` for a global pattern.
    pub fn on_switch(&self) -> Option<OnSwitch> {
        self.local.as_ref().map(|l| l.on_switch)
    }

    /// The options a local preparation was made with (to prepare again); `None` for a
    /// global pattern.
    pub fn local_options(&self) -> Option<&JacobianOptions> {
        self.local.as_ref().map(|l| &l.options)
    }

    /// For a local pattern: runs `record`, which makes the function's decisions at the
    /// new input (generated code runs its recording primal, in the preparation's
    /// workspace), and compares them with the preparation's. `Ok` when the pattern
    /// holds there, or for a global pattern (`record` is not run). Allocates nothing
    /// once the decision buffer is warm.
    ///
    /// ```
    /// use asd_runtime::{Decisions, JacobianOptions, JacobianPrep, OnSwitch, SparsityPattern};
    ///
    /// // `y = if x[0] > 0 { x[0] * x[1] } else { x[0] }`, traced at `x = [1, 2]`.
    /// let decide = |x: &[f64], d: &mut Decisions| {
    ///     d.branch(1, x[0] > 0.0);
    /// };
    /// let mut at = Decisions::default();
    /// decide(&[1.0, 2.0], &mut at);
    /// let pattern = SparsityPattern::from_coordinates(1, 2, [(0, 0), (0, 1)]);
    /// let options = JacobianOptions::local(OnSwitch::Error);
    /// let mut prep = JacobianPrep::new_local(pattern, at, &options);
    /// assert!(prep.check_decisions(|_, d| decide(&[3.0, 2.0], d)).is_ok());
    /// let switch = prep.check_decisions(|_, d| decide(&[-1.0, 2.0], d)).unwrap_err();
    /// assert_eq!(switch.changed, 1);
    /// ```
    pub fn check_decisions(
        &mut self,
        record: impl FnOnce(&Workspace, &mut Decisions),
    ) -> Result<(), BranchSwitch> {
        let Some(local) = self.local.as_deref_mut() else {
            return Ok(());
        };
        local.now.clear();
        record(self.driver.ws(), &mut local.now);
        match local.decisions.switch_from(&local.now) {
            None => Ok(()),
            Some(s) => Err(s),
        }
    }

    /// Evaluates with forward-mode sweeps. Panics if the preparation chose reverse or
    /// bidirectional mode (ask for [`ModeChoice::Forward`] when the kernel has no [`Vjp`]).
    ///
    /// See [`JacobianPrep`] for an example.
    pub fn evaluate_forward(&mut self, kernel: &mut impl Jvp) -> &CsMat<f64> {
        self.expect_mode(Mode::Forward, "");
        if self.scaled.is_some() {
            return self.scaled_or(kernel, |prep, k| {
                prep.driver.forward_sweeps(k);
            });
        }
        self.constants
            .hold(&mut self.driver, |every| every.evaluate_forward(kernel));
        self.driver.forward_sweeps(kernel)
    }

    /// A preparation with scaled rows (and so no constant entries): once they are
    /// learned, an evaluation by them; before, `every_color`'s, and the rows learned from
    /// it if they can be. `kernel` makes the JVPs of both.
    fn scaled_or<K: Jvp>(
        &mut self,
        kernel: &mut K,
        every_color: impl FnOnce(&mut Self, &mut K),
    ) -> &CsMat<f64> {
        let scaled = self.scaled.as_deref_mut().expect("scaled rows");
        if !scaled.evaluate(kernel, &mut self.driver.result) {
            every_color(self, kernel);
            let scaled = self.scaled.as_deref_mut().expect("scaled rows");
            scaled.learn(&self.driver, kernel);
        }
        &self.driver.result
    }

    /// Panics unless the preparation is in `mode`, naming the evaluation (with `suffix`:
    /// `""` or `"_par"`) that fits the mode it is in.
    #[track_caller]
    fn expect_mode(&self, mode: Mode, suffix: &str) {
        let call = match self.mode {
            _ if self.mode == mode => return,
            Mode::Forward => format!("(column coloring): call evaluate_forward{suffix}"),
            Mode::Reverse => format!("(row coloring): call evaluate_reverse{suffix}"),
            Mode::Bidirectional => {
                format!("(JVPs and VJPs): call evaluate{suffix} with a kernel that has both")
            }
        };
        let choice = match mode {
            Mode::Reverse => "Reverse",
            Mode::Forward | Mode::Bidirectional => "Forward",
        };
        panic!(
            "asd: this Jacobian preparation uses {} mode {call}, or prepare with ModeChoice::{choice}",
            self.mode
        );
    }

    /// [`evaluate_forward`](Self::evaluate_forward) on the preparation's
    /// [`threads`](Self::threads), each sweep with its own clone of `kernel` (for a
    /// generated kernel, a few borrowed pointers). With one thread it is
    /// `evaluate_forward` of one clone. The result equals the serial one bit for bit:
    /// each sweep computes the same products.
    ///
    /// ```
    /// use asd_runtime::{JacobianOptions, JacobianPrep, Jvp, SparsityPattern, Workspace};
    ///
    /// /// `y[i] = x[i]^2 x[i+1]`, differentiated by hand.
    /// #[derive(Clone, Copy)]
    /// struct F<'a>(&'a [f64]);
    ///
    /// impl Jvp for F<'_> {
    ///     fn jvp<const L: usize>(&mut self, _: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
    ///         let x = self.0;
    ///         for i in 0..dy.len() {
    ///             for l in 0..L {
    ///                 dy[i][l] = 2.0 * x[i] * x[i + 1] * dx[i][l] + x[i] * x[i] * dx[i + 1][l];
    ///             }
    ///         }
    ///     }
    /// }
    ///
    /// let p = SparsityPattern::from_coordinates(5, 6, (0..5).flat_map(|i| [(i, i), (i, i + 1)]));
    /// // 2 colors: one lane per sweep, one sweep per thread.
    /// let options = JacobianOptions::forward().with_threads(2);
    /// let mut prep = JacobianPrep::new(p.clone(), &options);
    /// assert_eq!((prep.threads(), prep.lanes(), prep.nsweeps()), (2, 1, 2));
    /// let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    /// let parallel = prep.evaluate_forward_par(&F(&x)).clone();
    /// let mut serial = JacobianPrep::new(p, &JacobianOptions::forward());
    /// assert_eq!(&parallel, serial.evaluate_forward(&mut F(&x)));
    /// ```
    pub fn evaluate_forward_par(&mut self, kernel: &(impl Jvp + Clone + Sync)) -> &CsMat<f64> {
        self.expect_mode(Mode::Forward, "_par");
        // Scaled rows learned: a sweep of few seeds, serial.
        if self.scaled.is_some() {
            return self.scaled_or(&mut kernel.clone(), |prep, _| {
                prep.driver.par_forward_sweeps(kernel);
            });
        }
        // The preparation of every entry is serial: its parallel evaluation is the serial
        // one, and asking for it compiles no second copy of the kernel's sweeps.
        self.constants
            .hold(&mut self.driver, |every| every.evaluate_forward_par(kernel));
        self.driver.par_forward_sweeps(kernel)
    }

    /// [`evaluate_reverse`](Self::evaluate_reverse) on the preparation's
    /// [`threads`](Self::threads), each sweep with its own clone of `kernel`, as
    /// [`evaluate_forward_par`](Self::evaluate_forward_par).
    pub fn evaluate_reverse_par(&mut self, kernel: &(impl Vjp + Clone + Sync)) -> &CsMat<f64> {
        self.expect_mode(Mode::Reverse, "_par");
        self.constants
            .hold(&mut self.driver, |every| every.evaluate_reverse_par(kernel));
        self.driver.par_reverse_sweeps(kernel)
    }

    /// [`evaluate`](Self::evaluate) on the preparation's [`threads`](Self::threads):
    /// [`evaluate_forward_par`](Self::evaluate_forward_par) or
    /// [`evaluate_reverse_par`](Self::evaluate_reverse_par), as prepared.
    pub fn evaluate_par(&mut self, kernel: &(impl Jvp + Vjp + Clone + Sync)) -> &CsMat<f64> {
        match self.mode {
            Mode::Forward => self.evaluate_forward_par(kernel),
            // Scaled rows are learned from reverse sweeps too, and evaluated forward.
            Mode::Reverse if self.scaled.is_some() => {
                self.scaled_or(&mut kernel.clone(), |prep, _| {
                    prep.evaluate_reverse_par(kernel);
                })
            }
            Mode::Reverse => self.evaluate_reverse_par(kernel),
            // Serial: its two directions are a handful of sweeps.
            Mode::Bidirectional => self.evaluate_bidirectional(&mut kernel.clone()),
        }
    }

    /// Threads a parallel evaluation ([`evaluate_par`](Self::evaluate_par)) runs on:
    /// those asked for ([`JacobianOptions::with_threads`]), at most one per sweep; 1
    /// when serial.
    ///
    /// See [`JacobianOptions::with_threads`] for an example.
    pub fn threads(&self) -> usize {
        self.driver.threads()
    }

    /// Evaluates with reverse-mode sweeps. Panics if the preparation chose forward or
    /// bidirectional mode (ask for [`ModeChoice::Reverse`] when the kernel has no [`Jvp`]).
    ///
    /// ```
    /// # use asd_runtime::{Jvp, Vjp, Workspace};
    /// # /// `y[i] = x[i] * x[i + 1]`, differentiated by hand.
    /// # struct Prod<'a>(&'a [f64]);
    /// # impl Jvp for Prod<'_> {
    /// #     fn jvp<const L: usize>(&mut self, _: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
    /// #         let x = self.0;
    /// #         for i in 0..dy.len() {
    /// #             for l in 0..L {
    /// #                 dy[i][l] = x[i + 1] * dx[i][l] + x[i] * dx[i + 1][l];
    /// #             }
    /// #         }
    /// #     }
    /// # }
    /// # impl Vjp for Prod<'_> {
    /// #     fn vjp<const L: usize>(&mut self, _: &Workspace, dy: &[[f64; L]], dx: &mut [[f64; L]]) {
    /// #         let x = self.0;
    /// #         for i in 0..dy.len() {
    /// #             for l in 0..L {
    /// #                 dx[i][l] += x[i + 1] * dy[i][l];
    /// #                 dx[i + 1][l] += x[i] * dy[i][l];
    /// #             }
    /// #         }
    /// #     }
    /// # }
    /// # let bidiagonal = |n: usize| asd_runtime::SparsityPattern::from_coordinates(n - 1, n, (0..n - 1).flat_map(|i| [(i, i), (i, i + 1)]));
    /// // `Prod` (hidden): a Jvp + Vjp kernel of y[i] = x[i] * x[i + 1], written by hand
    /// // as in the `JacobianPrep` example; `bidiagonal(n)`: its (n - 1) x n pattern.
    /// use asd_runtime::{JacobianOptions, JacobianPrep};
    /// let x = [1.0, 2.0, 3.0, 4.0];
    /// let mut prep = JacobianPrep::new(bidiagonal(4), &JacobianOptions::reverse());
    /// let jac = prep.evaluate_reverse(&mut Prod(&x));
    /// assert_eq!(jac.get(1, 1), Some(&3.0)); // d(x1 x2)/dx1 = x2
    /// assert_eq!(jac.get(1, 2), Some(&2.0));
    /// ```
    pub fn evaluate_reverse(&mut self, kernel: &mut impl Vjp) -> &CsMat<f64> {
        self.expect_mode(Mode::Reverse, "");
        self.constants
            .hold(&mut self.driver, |every| every.evaluate_reverse(kernel));
        self.driver.reverse_sweeps(kernel)
    }

    /// Evaluates in whichever mode the preparation chose: in bidirectional mode, forward
    /// sweeps for the column colors, then reverse sweeps for the row colors.
    ///
    /// ```
    /// # use asd_runtime::{Jvp, Vjp, Workspace};
    /// # /// `y[i] = x[i] * x[i + 1]`, differentiated by hand.
    /// # struct Prod<'a>(&'a [f64]);
    /// # impl Jvp for Prod<'_> {
    /// #     fn jvp<const L: usize>(&mut self, _: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
    /// #         let x = self.0;
    /// #         for i in 0..dy.len() {
    /// #             for l in 0..L {
    /// #                 dy[i][l] = x[i + 1] * dx[i][l] + x[i] * dx[i + 1][l];
    /// #             }
    /// #         }
    /// #     }
    /// # }
    /// # impl Vjp for Prod<'_> {
    /// #     fn vjp<const L: usize>(&mut self, _: &Workspace, dy: &[[f64; L]], dx: &mut [[f64; L]]) {
    /// #         let x = self.0;
    /// #         for i in 0..dy.len() {
    /// #             for l in 0..L {
    /// #                 dx[i][l] += x[i + 1] * dy[i][l];
    /// #                 dx[i + 1][l] += x[i] * dy[i][l];
    /// #             }
    /// #         }
    /// #     }
    /// # }
    /// # let bidiagonal = |n: usize| asd_runtime::SparsityPattern::from_coordinates(n - 1, n, (0..n - 1).flat_map(|i| [(i, i), (i, i + 1)]));
    /// // `Prod` (hidden): a Jvp + Vjp kernel of y[i] = x[i] * x[i + 1], written by hand
    /// // as in the `JacobianPrep` example; `bidiagonal(n)`: its (n - 1) x n pattern.
    /// use asd_runtime::{JacobianOptions, JacobianPrep};
    /// let x = [1.0, 2.0, 3.0, 4.0];
    /// let mut prep = JacobianPrep::new(bidiagonal(4), &JacobianOptions::default());
    /// let jac = prep.evaluate(&mut Prod(&x)); // forward or reverse, as prepared
    /// assert_eq!(jac.data(), [2.0, 1.0, 3.0, 2.0, 4.0, 3.0]);
    /// ```
    pub fn evaluate(&mut self, kernel: &mut (impl Jvp + Vjp)) -> &CsMat<f64> {
        match self.mode {
            Mode::Forward => self.evaluate_forward(kernel),
            Mode::Reverse if self.scaled.is_some() => self.scaled_or(kernel, |prep, k| {
                prep.evaluate_reverse(k);
            }),
            Mode::Reverse => self.evaluate_reverse(kernel),
            Mode::Bidirectional => self.evaluate_bidirectional(kernel),
        }
    }

    /// Panics unless the input has the `n` the preparation was made for.
    ///
    /// ```
    /// use asd_runtime::{JacobianOptions, JacobianPrep, SparsityPattern};
    /// use std::panic::{catch_unwind, AssertUnwindSafe};
    /// let prep = JacobianPrep::new(SparsityPattern::empty(2, 3), &JacobianOptions::default());
    /// prep.check_input_len(3);
    /// prep.check_output_len(2);
    /// assert!(catch_unwind(AssertUnwindSafe(|| prep.check_input_len(2))).is_err());
    /// assert!(catch_unwind(AssertUnwindSafe(|| prep.check_output_len(3))).is_err());
    /// ```
    #[track_caller]
    pub fn check_input_len(&self, n: usize) {
        check_prepared_len("input", self.driver.shape().1, n);
    }

    /// Panics unless the output has the `m` the preparation was made for.
    ///
    /// See [`check_input_len`](Self::check_input_len) for an example.
    #[track_caller]
    pub fn check_output_len(&self, m: usize) {
        check_prepared_len("output", self.driver.shape().0, m);
    }

    /// The Jacobian's sparsity pattern.
    ///
    /// The preparation keeps the structure once, in its result matrix; the first call
    /// copies it out.
    ///
    /// ```
    /// use asd_runtime::{JacobianOptions, JacobianPrep, Mode, SparsityPattern};
    /// let p = SparsityPattern::from_coordinates(4, 5, (0..4).flat_map(|i| [(i, i), (i, i + 1)]));
    /// let prep = JacobianPrep::new(p.clone(), &JacobianOptions::forward().with_lanes(1));
    /// assert_eq!(prep.pattern(), &p);
    /// assert_eq!(prep.mode(), Mode::Forward);
    /// assert_eq!((prep.ncolors(), prep.colors()), (2, &[0, 1, 0, 1, 0][..]));
    /// assert_eq!(prep.coloring().colors(), prep.colors());
    /// assert_eq!((prep.lanes(), prep.nsweeps()), (1, 2));
    /// assert_eq!(prep.decompression().shape(), (4, 5));
    /// assert_eq!(prep.jacobian().data(), [0.0; 8]); // nothing evaluated yet
    /// ```
    pub fn pattern(&self) -> &SparsityPattern {
        self.driver.pattern()
    }

    /// The column coloring (forward) or row coloring (reverse). In bidirectional mode,
    /// the column side of the [`bicoloring`](Self::bicoloring): its colors are the
    /// JVPs, and columns read only in reverse have
    /// [`NO_COLOR`](crate::coloring::NO_COLOR).
    ///
    /// See [`pattern`](Self::pattern) for an example.
    pub fn coloring(&self) -> &Coloring {
        &self.driver.coloring
    }

    /// Rows whose every entry is proved constant, evaluated once (see
    /// [`with_constant_entries`](Self::with_constant_entries)); 0 otherwise.
    pub fn constant_rows(&self) -> usize {
        self.constant_rows
    }

    /// The JVPs an evaluation makes once the rows of a
    /// [`with_scaled_rows`](Self::with_scaled_rows) preparation are learned; `None` before
    /// (the evaluations sweep every color) or for any other preparation.
    pub fn scaled_jvps(&self) -> Option<usize> {
        self.scaled.as_deref().and_then(|s| s.jvps())
    }

    /// Entries proved constant, evaluated once (see
    /// [`with_constant_entries`](Self::with_constant_entries)), those of the constant
    /// rows included; 0 otherwise.
    pub fn constant_entries(&self) -> usize {
        self.constants.len()
    }

    /// Number of colors: JVPs or VJPs per evaluation, both together in bidirectional
    /// mode.
    ///
    /// See [`pattern`](Self::pattern) for an example.
    pub fn ncolors(&self) -> usize {
        self.driver.coloring.ncolors() + self.reverse_colors()
    }

    /// JVPs per evaluation: the colors in forward mode, the column colors in
    /// bidirectional mode, 0 in reverse mode.
    ///
    /// See [`with_bicoloring`](Self::with_bicoloring) for an example.
    pub fn njvps(&self) -> usize {
        match self.mode {
            Mode::Reverse => 0,
            Mode::Forward | Mode::Bidirectional => self.driver.coloring.ncolors(),
        }
    }

    /// VJPs per evaluation: the colors in reverse mode, the row colors in
    /// bidirectional mode, 0 in forward mode.
    ///
    /// See [`with_bicoloring`](Self::with_bicoloring) for an example.
    pub fn nvjps(&self) -> usize {
        self.ncolors() - self.njvps()
    }

    /// Color of every column (forward) or row (reverse); of every column in
    /// bidirectional mode (see [`coloring`](Self::coloring)).
    ///
    /// See [`pattern`](Self::pattern) for an example.
    pub fn colors(&self) -> &[usize] {
        self.driver.coloring.colors()
    }

    /// Forward or reverse.
    ///
    /// See [`pattern`](Self::pattern) for an example.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Seed directions per kernel call: one of [`LANES`](crate::LANES) in forward mode,
    /// of [`REVERSE_LANES`](crate::REVERSE_LANES) in reverse mode; in bidirectional
    /// mode, those of the forward sweeps (its `Display` says both).
    ///
    /// See [`pattern`](Self::pattern) for an example.
    pub fn lanes(&self) -> usize {
        self.driver.lanes()
    }

    /// Runs sweeps of 4 lanes or more with AVX2 and FMA where the processor has them
    /// (`true`, the default, detected at preparation), or with the x86-64 baseline,
    /// two lanes at a time, as on a processor without them (`false`): for comparisons
    /// and tests. Both give the same Jacobian, up to rounding (FMA rounds once where
    /// the baseline rounds twice). Other architectures always use their baseline.
    ///
    /// ```
    /// use asd_runtime::{JacobianOptions, JacobianPrep, Jvp, SparsityPattern, Workspace};
    ///
    /// /// `y[i] = x[i]^2`.
    /// struct Square<'a>(&'a [f64]);
    /// impl Jvp for Square<'_> {
    ///     fn jvp<const L: usize>(&mut self, _: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
    ///         for ((dy, dx), x) in dy.iter_mut().zip(dx).zip(self.0) {
    ///             for l in 0..L {
    ///                 dy[l] = 2.0 * x * dx[l];
    ///             }
    ///         }
    ///     }
    /// }
    ///
    /// let x = [1.0, 2.0, 3.0];
    /// let diagonal = SparsityPattern::from_coordinates(3, 3, (0..3).map(|i| (i, i)));
    /// let options = JacobianOptions::forward().with_lanes(8);
    /// let mut prep = JacobianPrep::new(diagonal, &options);
    /// let wide = prep.evaluate_forward(&mut Square(&x)).clone();
    /// prep.set_wide_vectors(false);
    /// assert!(!prep.wide_vectors());
    /// assert_eq!(prep.evaluate_forward(&mut Square(&x)), &wide);
    /// assert_eq!(wide.data(), [2.0, 4.0, 6.0]);
    /// ```
    pub fn set_wide_vectors(&mut self, on: bool) {
        self.driver.set_wide_vectors(on);
        if let Some(every) = self.constants.prep_mut() {
            every.set_wide_vectors(on);
        }
        if let Some(reverse) = self.reverse.as_mut() {
            reverse.driver.set_wide_vectors(on);
        }
        if let Some(s) = self.scaled.as_deref_mut() {
            s.set_wide_vectors(on);
        }
    }

    /// Whether sweeps of 4 lanes or more run with AVX2 and FMA (see
    /// [`set_wide_vectors`](Self::set_wide_vectors)).
    ///
    /// See [`set_wide_vectors`](Self::set_wide_vectors) for an example.
    pub fn wide_vectors(&self) -> bool {
        self.driver.wide_vectors()
    }

    /// Kernel calls per evaluation, `ceil(ncolors / lanes)` (forward and reverse sweeps
    /// together in bidirectional mode).
    ///
    /// See [`pattern`](Self::pattern) for an example.
    pub fn nsweeps(&self) -> usize {
        self.driver.nsweeps() + self.reverse_sweeps()
    }

    /// The decompression map (in bidirectional mode, of the entries read from JVPs).
    ///
    /// See [`pattern`](Self::pattern) for an example.
    pub fn decompression(&self) -> &Decompression {
        &self.driver.decompression
    }

    /// The workspace kernels receive; useful to call a kernel by hand.
    ///
    /// ```
    /// # use asd_runtime::{Jvp, Vjp, Workspace};
    /// # /// `y[i] = x[i] * x[i + 1]`, differentiated by hand.
    /// # struct Prod<'a>(&'a [f64]);
    /// # impl Jvp for Prod<'_> {
    /// #     fn jvp<const L: usize>(&mut self, _: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
    /// #         let x = self.0;
    /// #         for i in 0..dy.len() {
    /// #             for l in 0..L {
    /// #                 dy[i][l] = x[i + 1] * dx[i][l] + x[i] * dx[i + 1][l];
    /// #             }
    /// #         }
    /// #     }
    /// # }
    /// # impl Vjp for Prod<'_> {
    /// #     fn vjp<const L: usize>(&mut self, _: &Workspace, dy: &[[f64; L]], dx: &mut [[f64; L]]) {
    /// #         let x = self.0;
    /// #         for i in 0..dy.len() {
    /// #             for l in 0..L {
    /// #                 dx[i][l] += x[i + 1] * dy[i][l];
    /// #                 dx[i + 1][l] += x[i] * dy[i][l];
    /// #             }
    /// #         }
    /// #     }
    /// # }
    /// # let bidiagonal = |n: usize| asd_runtime::SparsityPattern::from_coordinates(n - 1, n, (0..n - 1).flat_map(|i| [(i, i), (i, i + 1)]));
    /// // `Prod` (hidden): a Jvp + Vjp kernel of y[i] = x[i] * x[i + 1], written by hand
    /// // as in the `JacobianPrep` example; `bidiagonal(n)`: its (n - 1) x n pattern.
    /// use asd_runtime::{JacobianOptions, JacobianPrep};
    /// let x = [1.0, 2.0, 3.0];
    /// let prep = JacobianPrep::new(bidiagonal(3), &JacobianOptions::forward());
    /// // One JVP by hand, in the workspace an evaluation would hand the kernel.
    /// let mut dy = [[0.0; 1]; 2];
    /// Prod(&x).jvp(prep.workspace(), &[[1.0], [0.0], [0.0]], &mut dy);
    /// assert_eq!(dy, [[2.0], [0.0]]); // the first column of J
    /// ```
    pub fn workspace(&self) -> &Workspace {
        self.driver.ws()
    }

    /// The Jacobian of the last evaluation (zeros before the first).
    ///
    /// See [`pattern`](Self::pattern) for an example.
    pub fn jacobian(&self) -> &CsMat<f64> {
        &self.driver.result
    }

    /// Copies the last Jacobian into `out`, a matrix of the prepared structure (a clone
    /// of [`jacobian`](Self::jacobian)): no allocation. Panics, naming the difference,
    /// if the shape, storage order, `indptr` or `indices` differ.
    ///
    /// ```
    /// # use asd_runtime::{Jvp, Vjp, Workspace};
    /// # /// `y[i] = x[i] * x[i + 1]`, differentiated by hand.
    /// # struct Prod<'a>(&'a [f64]);
    /// # impl Jvp for Prod<'_> {
    /// #     fn jvp<const L: usize>(&mut self, _: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
    /// #         let x = self.0;
    /// #         for i in 0..dy.len() {
    /// #             for l in 0..L {
    /// #                 dy[i][l] = x[i + 1] * dx[i][l] + x[i] * dx[i + 1][l];
    /// #             }
    /// #         }
    /// #     }
    /// # }
    /// # impl Vjp for Prod<'_> {
    /// #     fn vjp<const L: usize>(&mut self, _: &Workspace, dy: &[[f64; L]], dx: &mut [[f64; L]]) {
    /// #         let x = self.0;
    /// #         for i in 0..dy.len() {
    /// #             for l in 0..L {
    /// #                 dx[i][l] += x[i + 1] * dy[i][l];
    /// #                 dx[i + 1][l] += x[i] * dy[i][l];
    /// #             }
    /// #         }
    /// #     }
    /// # }
    /// # let bidiagonal = |n: usize| asd_runtime::SparsityPattern::from_coordinates(n - 1, n, (0..n - 1).flat_map(|i| [(i, i), (i, i + 1)]));
    /// // `Prod` (hidden): a Jvp + Vjp kernel of y[i] = x[i] * x[i + 1], written by hand
    /// // as in the `JacobianPrep` example; `bidiagonal(n)`: its (n - 1) x n pattern.
    /// use asd_runtime::{JacobianOptions, JacobianPrep};
    /// let mut prep = JacobianPrep::new(bidiagonal(4), &JacobianOptions::default());
    /// let mut kept = prep.jacobian().clone(); // allocated once
    /// for x in [[1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 0.0, 1.0]] {
    ///     prep.evaluate(&mut Prod(&x));
    ///     prep.copy_into(&mut kept); // no allocation
    /// }
    /// assert_eq!(kept.data(), [1.0, 0.0, 0.0, 1.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn copy_into(&self, out: &mut CsMat<f64>) {
        self.driver.copy_result_into("Jacobian", out);
    }

    /// Gives up the preparation and keeps the last Jacobian (no copy).
    ///
    /// ```
    /// # use asd_runtime::{Jvp, Vjp, Workspace};
    /// # /// `y[i] = x[i] * x[i + 1]`, differentiated by hand.
    /// # struct Prod<'a>(&'a [f64]);
    /// # impl Jvp for Prod<'_> {
    /// #     fn jvp<const L: usize>(&mut self, _: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
    /// #         let x = self.0;
    /// #         for i in 0..dy.len() {
    /// #             for l in 0..L {
    /// #                 dy[i][l] = x[i + 1] * dx[i][l] + x[i] * dx[i + 1][l];
    /// #             }
    /// #         }
    /// #     }
    /// # }
    /// # impl Vjp for Prod<'_> {
    /// #     fn vjp<const L: usize>(&mut self, _: &Workspace, dy: &[[f64; L]], dx: &mut [[f64; L]]) {
    /// #         let x = self.0;
    /// #         for i in 0..dy.len() {
    /// #             for l in 0..L {
    /// #                 dx[i][l] += x[i + 1] * dy[i][l];
    /// #                 dx[i + 1][l] += x[i] * dy[i][l];
    /// #             }
    /// #         }
    /// #     }
    /// # }
    /// # let bidiagonal = |n: usize| asd_runtime::SparsityPattern::from_coordinates(n - 1, n, (0..n - 1).flat_map(|i| [(i, i), (i, i + 1)]));
    /// // `Prod` (hidden): a Jvp + Vjp kernel of y[i] = x[i] * x[i + 1], written by hand
    /// // as in the `JacobianPrep` example; `bidiagonal(n)`: its (n - 1) x n pattern.
    /// use asd_runtime::{JacobianOptions, JacobianPrep};
    /// let mut prep = JacobianPrep::new(bidiagonal(3), &JacobianOptions::default());
    /// prep.evaluate(&mut Prod(&[1.0, 2.0, 3.0]));
    /// let jac = prep.into_jacobian();
    /// assert_eq!(jac.get(0, 1), Some(&1.0));
    /// ```
    pub fn into_jacobian(self) -> CsMat<f64> {
        self.driver.result
    }
}

/// The values of a part's own preparation (the entries read from VJPs) into their
/// places among the Jacobian's stored values.
fn place(result: &mut [f64], targets: &[usize], values: &[f64]) {
    for (&t, &v) in targets.iter().zip(values) {
        result[t] = v;
    }
}

/// The orders a preparation's coloring tries: the one asked for, or the cheap search.
/// The options of the preparation of every entry that evaluates the constant ones, once
/// per key: serial, quiet, and colored in one greedy pass in the natural order, since
/// its colors are paid for once and a search for fewer at each preparation.
fn once(options: JacobianOptions) -> JacobianOptions {
    JacobianOptions {
        order: Some(Order::Natural),
        recolor_rounds: 0,
        ..options.with_warn(false).with_threads(1)
    }
}

fn search_orders(options: &JacobianOptions) -> &[Order] {
    options
        .order
        .as_ref()
        .map_or(&SEARCH_ORDERS[..], std::slice::from_ref)
}

impl fmt::Display for JacobianPrep {
    /// `Jacobian preparation, forward mode: 11 JVPs in 1 sweep of 12 lanes (instead of
    /// 1000 JVPs)`, or `bidirectional mode: 2 JVPs and 1 VJP in 2 sweeps of 2 lanes
    /// (instead of 1000 JVPs)`, then the spy plot of the pattern.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (dense_mode, dense) = self.dense_mode();
        write!(
            f,
            "Jacobian preparation, {} mode: {} in {}{} (instead of {})",
            self.mode,
            self.products(),
            self.sweeps_and_lanes(),
            on_threads(self.threads()),
            plural(dense, dense_mode.product()),
        )?;
        match &self.local {
            Some(l) => writeln!(
                f,
                "; local pattern, {} on differentiated reals",
                plural(l.decisions.len(), "decision")
            )?,
            None => writeln!(f)?,
        }
        if self.constant_entries() > 0 {
            writeln!(
                f,
                "{} of {} entries constant ({} of {}), evaluated once",
                self.constant_entries(),
                self.pattern().nnz(),
                plural(self.constant_rows, "row"),
                self.pattern().nrows()
            )?;
        }
        if let Some(s) = &self.scaled {
            writeln!(f, "rows multiples of constant ones: {s}")?;
        }
        write!(f, "{}", self.pattern())
    }
}
