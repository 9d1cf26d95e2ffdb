//! Bidirectional mode: a star bicoloring, forward sweeps for the column colors and
//! reverse sweeps for the row colors.
//!
//! The preparation's own driver makes the forward sweeps over the whole pattern and
//! gathers the entries the JVPs hold into the Jacobian; a second driver makes the
//! reverse sweeps over the pattern of the other entries, whose values are then
//! scattered into the Jacobian by a map made here. Both drivers reserve everything,
//! so an evaluation allocates nothing.

use std::fmt;

use sprs::CsMat;

use super::super::constants::Constants;
use super::super::driver::Driver;
use super::super::{JacobianOptions, Jvp, Sweeps, Vjp};
use super::{place, search_orders, JacobianPrep, Mode};
use crate::coloring::{bicoloring_among, Bicoloring};
use crate::decompress::BiParts;
use crate::{Coloring, SparsityPattern};

/// The reverse half of a bidirectional preparation.
#[derive(Clone)]
pub(super) struct Reverse {
    /// The reverse sweeps over the entries read from VJPs (a pattern of their own).
    pub(super) driver: Driver,
    /// Where those entries go among the Jacobian's stored values.
    targets: Vec<usize>,
    bicoloring: Bicoloring,
}

impl fmt::Debug for Reverse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reverse")
            .field("vjps", &self.bicoloring.nrow_colors())
            .field("entries", &self.targets.len())
            .field("driver", &self.driver)
            .finish()
    }
}

/// The lane counts of the forward and the reverse sweeps, each side's own choice: the
/// fewest sweeps in all, then the fewest lanes.
fn choose_lanes(bicoloring: &Bicoloring, forced: Option<usize>) -> (usize, usize) {
    let side = |ncolors, sweeps| super::super::choose_lanes(ncolors, forced, sweeps);
    (
        side(bicoloring.ncolumn_colors(), Sweeps::Forward),
        side(bicoloring.nrow_colors(), Sweeps::Reverse),
    )
}

/// Sweeps, then lanes, of an evaluation of `bicoloring`, with the lanes
/// [`choose_lanes`] takes.
fn cost(bicoloring: &Bicoloring, forced: Option<usize>) -> (usize, usize) {
    let f = Sweeps::Forward.cost(bicoloring.ncolumn_colors(), forced);
    let r = Sweeps::Reverse.cost(bicoloring.nrow_colors(), forced);
    (f.0 + r.0, f.1 + r.1)
}

impl JacobianPrep {
    /// A bicoloring of `pattern` whose evaluation costs less than `ncolors` colors of a
    /// one-sided coloring, if one is found. Not looked for when those take a single
    /// sweep: seeding both sides takes two.
    pub(super) fn better_bicoloring(
        pattern: &SparsityPattern,
        ncolors: usize,
        options: &JacobianOptions,
    ) -> Option<Bicoloring> {
        let one_sided = Sweeps::Forward.cost(ncolors, options.lanes);
        if one_sided.0 < 2 {
            return None;
        }
        let b = bicoloring_among(pattern, search_orders(options));
        (cost(&b, options.lanes) < one_sided).then_some(b)
    }

    /// A bidirectional preparation from a bicoloring computed elsewhere, e.g. by
    /// [`bicoloring_best`](crate::coloring::bicoloring_best). `lanes: None` picks them
    /// from the color counts, for each direction its own. Panics if the bicoloring
    /// is invalid for the pattern (some entry read from neither side).
    ///
    /// ```
    /// use asd_runtime::coloring::bicoloring_best;
    /// use asd_runtime::{JacobianPrep, Mode, SparsityPattern};
    /// let n = 100;
    /// let arrow =
    ///     SparsityPattern::from_coordinates(n, n, (0..n).flat_map(|i| [(0, i), (i, 0), (i, i)]));
    /// let b = bicoloring_best(&arrow);
    /// let prep = JacobianPrep::with_bicoloring(arrow, b, None);
    /// assert_eq!(prep.mode(), Mode::Bidirectional);
    /// assert_eq!((prep.njvps(), prep.nvjps()), (2, 1)); // instead of 100 either way
    /// assert_eq!((prep.lanes(), prep.nsweeps()), (2, 2));
    /// ```
    pub fn with_bicoloring(
        pattern: SparsityPattern,
        bicoloring: Bicoloring,
        lanes: Option<usize>,
    ) -> Self {
        let (forward_lanes, reverse_lanes) = choose_lanes(&bicoloring, lanes);
        let parts = BiParts::new(&pattern, &bicoloring, forward_lanes, reverse_lanes);
        let columns = Coloring::seeded(
            bicoloring.column_colors().to_vec(),
            bicoloring.ncolumn_colors(),
        );
        let rows = Coloring::seeded(bicoloring.row_colors().to_vec(), bicoloring.nrow_colors());
        let reverse = Reverse {
            driver: Driver::new(parts.reverse_pattern, rows, parts.reverse),
            targets: parts.reverse_at,
            bicoloring,
        };
        JacobianPrep {
            mode: Mode::Bidirectional,
            driver: Driver::new(pattern, columns, parts.forward),
            constant_rows: 0,
            constants: Constants::none(),
            local: None,
            reverse: Some(Box::new(reverse)),
            scaled: None,
            options: None,
        }
    }

    /// The bicoloring of a bidirectional preparation; `None` in forward or reverse mode.
    ///
    /// ```
    /// use asd_runtime::{JacobianOptions, JacobianPrep, ModeChoice, SparsityPattern};
    /// let n = 40;
    /// let arrow =
    ///     SparsityPattern::from_coordinates(n, n, (0..n).flat_map(|i| [(0, i), (i, 0), (i, i)]));
    /// let prep = JacobianPrep::new(arrow.clone(), &JacobianOptions::default());
    /// let b = prep.bicoloring().expect("bidirectional");
    /// assert_eq!(b.ncolors(), prep.ncolors());
    /// let forward = JacobianPrep::new(arrow, &JacobianOptions::forward().with_warn(false));
    /// assert!(forward.bicoloring().is_none());
    /// ```
    pub fn bicoloring(&self) -> Option<&Bicoloring> {
        self.reverse.as_ref().map(|r| &r.bicoloring)
    }

    /// VJPs per evaluation of the reverse half; 0 without one.
    pub(super) fn reverse_colors(&self) -> usize {
        self.reverse
            .as_ref()
            .map_or(0, |r| r.bicoloring.nrow_colors())
    }

    /// Reverse sweeps per evaluation; 0 without a reverse half.
    pub(super) fn reverse_sweeps(&self) -> usize {
        self.reverse.as_ref().map_or(0, |r| r.driver.nsweeps())
    }

    /// Forward sweeps into the Jacobian, reverse sweeps into the reverse half's
    /// entries, scattered into the Jacobian.
    pub(super) fn evaluate_bidirectional(&mut self, kernel: &mut (impl Jvp + Vjp)) -> &CsMat<f64> {
        let reverse = self
            .reverse
            .as_deref_mut()
            .expect("asd: a bidirectional preparation has a reverse half");
        self.driver.forward_sweeps(kernel);
        let values = reverse.driver.reverse_sweeps(kernel).data();
        place(self.driver.result.data_mut(), &reverse.targets, values);
        &self.driver.result
    }
}

#[cfg(test)]
mod tests {
    use std::panic::{catch_unwind, AssertUnwindSafe};

    use super::*;
    use crate::{ModeChoice, Workspace};

    /// `y[0] = sum x[j]^2`, `y[i] = x[i] * x[0]`: an arrowhead Jacobian, by hand.
    #[derive(Clone)]
    struct Arrow<'a>(&'a [f64]);

    impl Jvp for Arrow<'_> {
        fn jvp<const L: usize>(&mut self, _: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
            let x = self.0;
            for l in 0..L {
                dy[0][l] = (0..x.len()).map(|j| 2.0 * x[j] * dx[j][l]).sum();
                for i in 1..x.len() {
                    dy[i][l] = x[i] * dx[0][l] + x[0] * dx[i][l];
                }
            }
        }
    }

    impl Vjp for Arrow<'_> {
        fn vjp<const L: usize>(&mut self, _: &Workspace, dy: &[[f64; L]], dx: &mut [[f64; L]]) {
            let x = self.0;
            for l in 0..L {
                for j in 0..x.len() {
                    dx[j][l] += 2.0 * x[j] * dy[0][l];
                }
                for i in 1..x.len() {
                    dx[0][l] += x[i] * dy[i][l];
                    dx[i][l] += x[0] * dy[i][l];
                }
            }
        }
    }

    fn arrowhead(n: usize) -> SparsityPattern {
        SparsityPattern::from_coordinates(n, n, (0..n).flat_map(|i| [(0, i), (i, 0), (i, i)]))
    }

    /// The Jacobian of [`Arrow`] at `x`, entry by entry.
    fn exact(x: &[f64], i: usize, j: usize) -> f64 {
        match (i, j) {
            (0, j) => 2.0 * x[j],
            (i, 0) => x[i],
            (i, j) if i == j => x[0],
            _ => 0.0,
        }
    }

    fn point(n: usize) -> Vec<f64> {
        (0..n).map(|i| 0.5 + (i as f64 * 0.37).sin()).collect()
    }

    fn check(prep: &mut JacobianPrep, x: &[f64]) {
        let p = prep.pattern().clone();
        let jac = prep.evaluate(&mut Arrow(x)).clone();
        for ((i, j), &v) in p.iter().zip(jac.data()) {
            assert_eq!(v, exact(x, i, j), "({i}, {j}) in {:?}", prep.mode());
        }
    }

    #[test]
    fn auto_takes_a_bicoloring_of_an_arrowhead_of_many_sweeps() {
        let n = 100;
        let mut prep = JacobianPrep::new(arrowhead(n), &JacobianOptions::default());
        assert_eq!(prep.mode(), Mode::Bidirectional);
        assert_eq!((prep.njvps(), prep.nvjps(), prep.ncolors()), (2, 1, 3));
        assert_eq!((prep.lanes(), prep.nsweeps()), (2, 2));
        assert!(!prep.sparsity_buys_nothing());
        let b = prep.bicoloring().expect("a bicoloring");
        assert_eq!(prep.colors(), b.column_colors());
        for x in [point(n), (0..n).map(|i| i as f64 - 3.0).collect()] {
            check(&mut prep, &x);
        }
        // The same values as forward mode (n JVPs).
        let x = point(n);
        let mut forward = JacobianPrep::new(arrowhead(n), &JacobianOptions::forward());
        assert_eq!((forward.mode(), forward.ncolors()), (Mode::Forward, n));
        assert_eq!(
            forward.evaluate(&mut Arrow(&x)).data(),
            prep.evaluate(&mut Arrow(&x)).data()
        );
        // Display and Debug say what an evaluation takes.
        let shown = prep.to_string();
        assert!(
            shown.starts_with(
                "Jacobian preparation, bidirectional mode: 2 JVPs and 1 VJP in 1 sweep of 2 \
                 lanes and 1 sweep of 1 lane (instead of 100 JVPs)"
            ),
            "{shown}"
        );
        let debug = format!("{prep:?}");
        assert!(
            debug.contains("Bidirectional") && debug.contains("vjps: 1"),
            "{debug}"
        );
    }

    /// One sweep of one-sided colors is never beaten by two; with one lane per sweep,
    /// 3 products beat 10.
    #[test]
    fn auto_compares_sweeps_and_lanes() {
        let p = arrowhead(10);
        let auto = JacobianPrep::new(p.clone(), &JacobianOptions::default());
        assert_eq!((auto.mode(), auto.ncolors()), (Mode::Forward, 10));
        let one_lane = JacobianOptions::default().with_lanes(1);
        let mut prep = JacobianPrep::new(p.clone(), &one_lane);
        assert_eq!((prep.mode(), prep.nsweeps()), (Mode::Bidirectional, 3));
        check(&mut prep, &point(10));
        // Asked for, it is taken whatever it costs, with any forced lane count.
        for lanes in [None, Some(1), Some(8)] {
            let mut options = JacobianOptions::default().with_mode(ModeChoice::Bidirectional);
            options.lanes = lanes;
            let mut prep = JacobianPrep::new(p.clone(), &options);
            assert_eq!(prep.mode(), Mode::Bidirectional);
            check(&mut prep, &point(10));
        }
    }

    #[test]
    fn one_sided_evaluations_refuse_a_bidirectional_preparation() {
        let options = JacobianOptions::default().with_mode(ModeChoice::Bidirectional);
        let mut prep = JacobianPrep::new(arrowhead(5), &options);
        let x = point(5);
        let forward = catch_unwind(AssertUnwindSafe(|| {
            prep.evaluate_forward(&mut Arrow(&x));
        }));
        let message = *forward.unwrap_err().downcast::<String>().unwrap();
        assert!(
            message.contains("bidirectional mode (JVPs and VJPs)"),
            "{message}"
        );
        let reverse = catch_unwind(AssertUnwindSafe(|| {
            prep.evaluate_reverse(&mut Arrow(&x));
        }));
        assert!(reverse.is_err());
        // The parallel ones name the parallel call that fits.
        let forward_par = catch_unwind(AssertUnwindSafe(|| {
            prep.evaluate_forward_par(&Arrow(&x));
        }));
        let message = *forward_par.unwrap_err().downcast::<String>().unwrap();
        assert!(
            message.contains("bidirectional mode (JVPs and VJPs): call evaluate_par"),
            "{message}"
        );
        // A panicked evaluation leaves the preparation usable.
        check(&mut prep, &x);
        let made = catch_unwind(|| {
            JacobianPrep::with_coloring(
                arrowhead(3),
                Mode::Bidirectional,
                Coloring::from_colors(vec![0, 1, 2]),
                None,
            )
        });
        assert!(made.is_err());
    }

    /// A dense Jacobian bicolored buys nothing, measured against the cheaper dense mode.
    #[test]
    fn a_dense_bicolored_jacobian_buys_nothing() {
        let (m, n) = (20, 30);
        let dense = SparsityPattern::from_coordinates(
            m,
            n,
            (0..m).flat_map(|i| (0..n).map(move |j| (i, j))),
        );
        let options = JacobianOptions::default()
            .with_mode(ModeChoice::Bidirectional)
            .with_warn(false);
        let prep = JacobianPrep::new(dense, &options);
        assert!(prep.ncolors() >= m);
        assert!(prep.sparsity_buys_nothing());
        assert!(prep.to_string().contains("(instead of 20 VJPs)"), "{prep}");
    }

    /// Constant rows: forward mode on the other rows when it is cheaper (here the
    /// constant dense row leaves 2 colors); asked for, bidirectional mode ignores them.
    #[test]
    fn constant_rows_and_bidirectional_mode() {
        let n = 100;
        let mut constant = vec![false; n];
        constant[0] = true;
        let prep =
            JacobianPrep::with_constant_rows(arrowhead(n), &constant, &JacobianOptions::default());
        assert_eq!(
            (prep.mode(), prep.ncolors(), prep.constant_rows()),
            (Mode::Forward, 2, 1)
        );
        let options = JacobianOptions::default().with_mode(ModeChoice::Bidirectional);
        let prep = JacobianPrep::with_constant_rows(arrowhead(n), &constant, &options);
        assert_eq!(
            (prep.mode(), prep.constant_rows()),
            (Mode::Bidirectional, 0)
        );
        // A dense column and a row whose constant part is not what makes it dense:
        // bicolored over every row.
        let none = vec![false; n];
        let prep =
            JacobianPrep::with_constant_rows(arrowhead(n), &none, &JacobianOptions::default());
        assert_eq!(prep.mode(), Mode::Bidirectional);
    }
}
