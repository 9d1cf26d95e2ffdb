//! Scaled rows: a Jacobian whose every row is a varying multiple of a constant row,
//! `J[i] = s_i(x) a_i`, as the macro proves of outputs that are each a function of one
//! affine form of the input (`y[i] = tanh(w . x[..] + b)`: a convolution or a layer of
//! fixed weights, then an activation).
//!
//! Such a row is known, up to its scale, from one evaluation of every entry. So the
//! first evaluation, with every color (forward or reverse), learns the rows: it groups
//! the inputs into `k` seeds (input `j` into seed `j % k`, for `k = 1, 2, 4, ..` below
//! the coloring's count: most often one) and picks for each row a seed whose product, the
//! sum of the row's entries of those inputs, does not cancel; then one forward sweep of
//! the `k` seeds at the same input gives each row's product `p_i(x0)`, and the row's
//! entries over it, `u_ij = J_ij(x0) / p_i(x0)`, are kept. Every later evaluation sweeps
//! the `k` seeds and sets `J_ij(x) = p_i(x) u_ij`: `k` lanes instead of the coloring's,
//! and a product per entry instead of a gather.
//!
//! Exact to a few roundings: `p_i(x) / p_i(x0) = s_i(x) / s_i(x0)`, and the sum in
//! `p_i` is rounded alike at both inputs (the same operations on the same constants), so
//! it cancels out. A row that is zero at the input (a saturated `tanh`) cannot be
//! learned there: the next evaluations, with every color, try again, up to [`TRIES`]
//! times. The learned rows hold for one key of the other parameters
//! ([`at`](Scaled::at)).

use std::fmt;

use sprs::CsMat;

use super::super::driver::Driver;
use super::super::{choose_lanes, plural, Jvp, Sweeps};
use crate::decompress::Decompression;
use crate::{Coloring, SparsityPattern};

/// Evaluations with every color that may learn the rows, at one key of the parameters,
/// before they stop trying.
pub(super) const TRIES: u8 = 4;

/// The most seeds a learned evaluation sweeps.
const MOST_SEEDS: usize = 32;

/// How far a row's product may cancel, `sum |J_ij| / |sum J_ij|` over its seed: beyond
/// this it is left to more seeds. (Rounding cancels out whatever it is; this keeps
/// products away from those that are zero but for rounding.)
const MOST_CANCELLATION: f64 = 1e8;

/// Below this a row's largest entry may have lost others to underflow.
const SMALLEST: f64 = f64::MIN_POSITIVE * (1u64 << 52) as f64 * (1u64 << 48) as f64;

#[derive(Clone, Debug)]
pub(super) struct Scaled {
    state: State,
    tries: u8,
    key: Option<u64>,
}

#[derive(Clone, Debug)]
enum State {
    /// The next evaluation has every color, and learns the rows if it can.
    Learning,
    Learned(Box<Learned>),
    /// Evaluations have every color: the rows were not learned in [`TRIES`], or fewer
    /// seeds than colors cancel some row's product.
    Off,
}

#[derive(Clone, Debug)]
struct Learned {
    /// The sweeps of the seeds (a coloring of the inputs, `j % k`), over a pattern of
    /// one entry per non-empty row: its product.
    driver: Driver,
    /// The Jacobian's row pointers.
    row_ptr: Vec<usize>,
    /// Each entry over its row's product at the input the rows were learned at.
    unit: Vec<f64>,
}

impl Scaled {
    pub(super) fn new() -> Self {
        Scaled {
            state: State::Learning,
            tries: TRIES,
            key: None,
        }
    }

    /// Before an evaluation, with the key of the other parameters: under another key the
    /// rows are learned again; with none (a type without a `ConstKey`) they cannot be kept.
    pub(super) fn at(&mut self, key: Option<u64>) {
        if key.is_none() {
            self.key = None;
            self.state = State::Off;
        } else if key != self.key {
            self.key = key;
            self.state = State::Learning;
            self.tries = TRIES;
        }
    }

    /// The seeds a learned evaluation sweeps; `None` before the rows are learned.
    pub(super) fn colors(&self) -> Option<usize> {
        match &self.state {
            State::Learned(l) => Some(l.driver.coloring.ncolors()),
            State::Learning | State::Off => None,
        }
    }

    pub(super) fn set_wide_vectors(&mut self, on: bool) {
        if let State::Learned(l) = &mut self.state {
            l.driver.set_wide_vectors(on);
        }
    }

    /// With the rows learned, evaluates `result` by the sweeps of the seeds and returns
    /// `true`; `false` otherwise, leaving it to the sweeps of every color.
    pub(super) fn evaluate(&mut self, kernel: &mut impl Jvp, result: &mut CsMat<f64>) -> bool {
        let State::Learned(l) = &mut self.state else {
            return false;
        };
        let products = l.driver.forward_sweeps(kernel).data();
        let values = result.data_mut();
        let rows = l.row_ptr.windows(2).filter(|w| w[0] < w[1]);
        for (w, &s) in rows.zip(products) {
            for (v, u) in values[w[0]..w[1]].iter_mut().zip(&l.unit[w[0]..w[1]]) {
                *v = s * u;
            }
        }
        true
    }

    /// After an evaluation with every color (`ncolors`) at `x0`, `jac`, learns the rows
    /// if it has not and can; `kernel` is at `x0`, for the sweep of the seeds. `wide`:
    /// whether sweeps use wide vectors. Generic over the kernel for that sweep alone:
    /// every annotated function's evaluation compiles it.
    pub(super) fn learn(
        &mut self,
        jac: &CsMat<f64>,
        ncolors: usize,
        wide: bool,
        kernel: &mut impl Jvp,
    ) {
        if let Some(mut driver) = self.seeds_driver(jac, ncolors, wide) {
            driver.forward_sweeps(kernel);
            self.keep(driver, jac);
        }
    }

    /// The sweeps of the fewest seeds no row's product cancels in, if the rows can be
    /// learned from `jac`.
    fn seeds_driver(&mut self, jac: &CsMat<f64>, ncolors: usize, wide: bool) -> Option<Driver> {
        if !matches!(self.state, State::Learning) {
            return None;
        }
        let row_ptr = jac.indptr();
        let row_ptr = row_ptr.raw_storage();
        let values = jac.data();
        let learnable = |w: &[usize]| {
            let row = &values[w[0]..w[1]];
            row.iter().all(|v| v.is_finite()) && row.iter().any(|v| v.abs() >= SMALLEST)
        };
        if !row_ptr.windows(2).filter(|w| w[0] < w[1]).all(learnable) {
            self.tries -= 1;
            if self.tries == 0 {
                self.state = State::Off;
            }
            return None;
        }
        let fewer = ncolors.min(jac.cols());
        let Some((k, seed_of_row)) = seeds(fewer, row_ptr, jac.indices(), values) else {
            self.state = State::Off;
            return None;
        };
        // The product of row `i` is the entry of one of its inputs of its seed.
        let pattern = SparsityPattern::from_rows(
            jac.cols(),
            row_ptr
                .windows(2)
                .zip(&seed_of_row)
                .map(|(w, &c)| {
                    let row = &jac.indices()[w[0]..w[1]];
                    row.iter()
                        .find(|&&j| j % k == c)
                        .map(|&j| vec![j])
                        .unwrap_or_default()
                })
                .collect(),
        );
        let coloring = Coloring::from_colors((0..jac.cols()).map(|j| j % k).collect());
        let lanes = choose_lanes(k, None, Sweeps::Forward);
        let decompression = Decompression::columns_of_valid(&pattern, &coloring, lanes);
        let mut driver = Driver::new(pattern, coloring, decompression);
        driver.set_wide_vectors(wide);
        Some(driver)
    }

    /// Keeps each entry of `jac` over its row's product, which `driver` holds from a
    /// sweep at the same input.
    fn keep(&mut self, driver: Driver, jac: &CsMat<f64>) {
        let row_ptr = jac.indptr();
        let row_ptr = row_ptr.raw_storage();
        let values = jac.data();
        let mut unit = vec![0.0; values.len()];
        let rows = row_ptr.windows(2).filter(|w| w[0] < w[1]);
        for (w, &s) in rows.zip(driver.result.data()) {
            if !(s.is_finite() && s.abs() >= SMALLEST) {
                self.state = State::Off;
                return;
            }
            for (u, v) in unit[w[0]..w[1]].iter_mut().zip(&values[w[0]..w[1]]) {
                *u = v / s;
            }
        }
        self.state = State::Learned(Box::new(Learned {
            driver,
            row_ptr: row_ptr.to_vec(),
            unit,
        }));
    }
}

impl fmt::Display for Scaled {
    /// What evaluations sweep: `learned, 1 seed swept`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.state {
            State::Learning => write!(f, "learned at the next evaluation"),
            State::Learned(l) => {
                let k = l.driver.coloring.ncolors();
                write!(f, "learned, {} swept", plural(k, "seed"))
            }
            State::Off => write!(
                f,
                "not learned (a row stayed zero, or fewer seeds than colors cancel one): every \
                 color swept"
            ),
        }
    }
}

/// The fewest seeds `k` (a power of two below `fewer`, at most [`MOST_SEEDS`],
/// input `j` in seed `j % k`) in which every non-empty row has a seed whose entries do
/// not cancel, and that seed for each row (`0` for an empty one).
fn seeds(
    fewer: usize,
    row_ptr: &[usize],
    cols: &[usize],
    values: &[f64],
) -> Option<(usize, Vec<usize>)> {
    let mut seed_of_row = vec![0; row_ptr.len() - 1];
    let candidates = std::iter::successors(Some(1), |k| Some(k * 2))
        .take_while(|&k| k < fewer && k <= MOST_SEEDS);
    'seeds: for k in candidates {
        for (i, w) in row_ptr.windows(2).enumerate() {
            let (mut sum, mut size) = ([0.0; MOST_SEEDS], [0.0; MOST_SEEDS]);
            for (&j, &v) in cols[w[0]..w[1]].iter().zip(&values[w[0]..w[1]]) {
                sum[j % k] += v;
                size[j % k] += v.abs();
            }
            let best = (0..k)
                .filter(|&c| size[c] > 0.0 && size[c] <= MOST_CANCELLATION * sum[c].abs())
                .max_by(|&a, &b| (sum[a].abs() / size[a]).total_cmp(&(sum[b].abs() / size[b])));
            match best {
                Some(c) => seed_of_row[i] = c,
                None if w[0] == w[1] => seed_of_row[i] = 0,
                None => continue 'seeds,
            }
        }
        return Some((k, seed_of_row));
    }
    None
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::{JacobianOptions, JacobianPrep, Jvp, SparsityPattern, Vjp, Workspace};

    /// `y[i] = c_i tanh(a_i . x + b_i)`, the rows `a_i` sparse (with entries that are zero
    /// at every input), differentiated by hand.
    #[derive(Clone)]
    struct Layer<'a> {
        rows: &'a [Vec<(usize, f64)>],
        b: &'a [f64],
        c: f64,
        x: &'a [f64],
    }

    impl Layer<'_> {
        /// `c_i tanh'(a_i . x + b_i)`, the scale of row `i`.
        fn scale(&self, row: &[(usize, f64)], b: f64) -> f64 {
            let t = (b + row.iter().map(|&(j, a)| a * self.x[j]).sum::<f64>()).tanh();
            self.c * (1.0 - t * t)
        }
    }

    impl Jvp for Layer<'_> {
        fn jvp<const L: usize>(&mut self, _: &Workspace, dx: &[[f64; L]], dy: &mut [[f64; L]]) {
            for ((row, &b), dy) in self.rows.iter().zip(self.b).zip(dy) {
                let scale = self.scale(row, b);
                for l in 0..L {
                    let ds: f64 = row.iter().map(|&(j, a)| a * dx[j][l]).sum();
                    dy[l] = scale * ds;
                }
            }
        }
    }

    impl Vjp for Layer<'_> {
        fn vjp<const L: usize>(&mut self, _: &Workspace, dy: &[[f64; L]], dx: &mut [[f64; L]]) {
            for ((row, &b), dy) in self.rows.iter().zip(self.b).zip(dy) {
                let scale = self.scale(row, b);
                for l in 0..L {
                    let ds = scale * dy[l];
                    for &(j, a) in row {
                        dx[j][l] += a * ds;
                    }
                }
            }
        }
    }

    fn pattern(n: usize, rows: &[Vec<(usize, f64)>]) -> SparsityPattern {
        SparsityPattern::from_rows(
            n,
            rows.iter()
                .map(|r| r.iter().map(|e| e.0).collect())
                .collect(),
        )
    }

    /// Each row's entries, distinct columns of `0..n`, some of them zero.
    fn rows(m: usize, n: usize) -> impl Strategy<Value = Vec<Vec<(usize, f64)>>> {
        let entry = (0..n, prop_oneof![4 => -2.0..2.0f64, 1 => Just(0.0)]);
        proptest::collection::vec(proptest::collection::vec(entry, 0..5), m).prop_map(|rows| {
            rows.into_iter()
                .map(|mut r| {
                    r.sort_by_key(|e| e.0);
                    r.dedup_by_key(|e| e.0);
                    r
                })
                .collect()
        })
    }

    fn close(a: &sprs::CsMat<f64>, b: &sprs::CsMat<f64>) -> Result<(), TestCaseError> {
        prop_assert_eq!(a.indices(), b.indices());
        for (u, v) in a.data().iter().zip(b.data()) {
            prop_assert!(
                (u - v).abs() <= 1e-14 * v.abs().max(1e-300),
                "{} against {}",
                u,
                v
            );
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Learned at a first input, from forward or reverse sweeps, the rows give every
        /// later Jacobian as the sweeps of every color do, under another key learned
        /// again.
        #[test]
        fn learned_rows_give_the_jacobian_of_every_color(
            rows in rows(12, 9),
            b in proptest::collection::vec(-1.0..1.0f64, 12),
            points in proptest::collection::vec(proptest::collection::vec(-1.5..1.5f64, 9), 4),
            reverse in any::<bool>(),
        ) {
            let p = pattern(9, &rows);
            let mut every = JacobianPrep::new(p.clone(), &JacobianOptions::forward());
            let options = if reverse { JacobianOptions::reverse() } else { JacobianOptions::forward() };
            let mut scaled = JacobianPrep::with_scaled_rows(p, &options);
            for (k, x) in points.iter().enumerate() {
                // The second half under another key, with other weights.
                let c = if k < 2 { 1.0 } else { -3.0 };
                scaled.constants_at(Some(if k < 2 { 7 } else { 8 }));
                let kernel = Layer { rows: &rows, b: &b, c, x };
                let expected = every.evaluate_forward(&mut kernel.clone()).clone();
                close(scaled.evaluate(&mut kernel.clone()), &expected)?;
                if scaled.scaled_jvps().is_some() {
                    prop_assert!(scaled.scaled_jvps() < Some(scaled.ncolors()));
                }
            }
        }
    }

    /// One `tanh` saturated at the first input (its row is zero there): the rows are
    /// learned at the next.
    #[test]
    fn a_row_zero_where_it_is_learned_is_learned_later() {
        let rows = vec![vec![(0, 1.0), (1, 2.0)], vec![(1, 1.0), (2, -0.5)]];
        let b = [0.0, 0.0];
        let mut prep =
            JacobianPrep::with_scaled_rows(pattern(3, &rows), &JacobianOptions::forward());
        prep.constants_at(Some(0));
        let saturated = [40.0, 0.0, 0.0];
        let j = prep.evaluate_forward(&mut Layer {
            rows: &rows,
            b: &b,
            c: 1.0,
            x: &saturated,
        });
        assert_eq!(j.get(0, 0), Some(&0.0));
        assert_eq!(prep.scaled_jvps(), None);
        let x = [0.3, 0.1, 0.2];
        prep.evaluate_forward(&mut Layer {
            rows: &rows,
            b: &b,
            c: 1.0,
            x: &x,
        });
        assert_eq!(prep.scaled_jvps(), Some(1));
        let y = [0.1, -0.4, 0.5];
        let j = prep.evaluate_forward(&mut Layer {
            rows: &rows,
            b: &b,
            c: 1.0,
            x: &y,
        });
        let d = 1.0 - (-0.4f64 - 0.25).tanh().powi(2);
        assert!((j.get(1, 2).unwrap() + 0.5 * d).abs() < 1e-15);
    }

    /// `tanh(x0 - x1)`: one seed of every input would cancel the row's entries, two
    /// (the even inputs, the odd ones) do not.
    #[test]
    fn a_seed_that_cancels_a_row_takes_more_seeds() {
        let rows = vec![
            vec![(0, 1.0), (1, -1.0)],
            vec![(0, 1.0), (2, 1.0), (3, 1.0)],
        ];
        let b = [0.0; 2];
        let p = pattern(4, &rows);
        let mut prep = JacobianPrep::with_scaled_rows(p, &JacobianOptions::forward());
        prep.constants_at(Some(0));
        let x = [0.1, 0.2, 0.3, 0.4];
        prep.evaluate_forward(&mut Layer {
            rows: &rows,
            b: &b,
            c: 1.0,
            x: &x,
        });
        assert_eq!((prep.ncolors(), prep.scaled_jvps()), (3, Some(2)));
    }
}
