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
//! Within a few roundings: `p_i(x) / p_i(x0) = s_i(x) / s_i(x0)`. A product is a sum
//! over the seed's inputs, each term rounded with the scale inside (the generated kernels
//! multiply each input's coefficient by it), so it is as exact as that sum does not
//! cancel: a seed is kept for a row only where it cancels by at most
//! [`MOST_CANCELLATION`], and the learned entries are then within about ten roundings of
//! the exact ones.
//!
//! A row that is zero at the input (a saturated `tanh`) cannot be learned there: the next
//! evaluations, with every color, try again, up to [`TRIES`] of them per key of the other
//! parameters ([`at`](Scaled::at)), under which the rows hold; a row zero at all of them
//! (a ReLU that is off) leaves every color swept. Other parameters that change at every
//! evaluation (a time) would have the rows learned again each time, at the cost of the
//! sweeps of every color and more: after [`UNUSED`] learnings that no evaluation used,
//! the preparation stops learning. An evaluation that learns allocates the sweeps of the
//! seeds; the others allocate nothing.

use std::fmt;

use sprs::CsMat;

use super::super::driver::Driver;
use super::super::{choose_lanes, plural, Jvp, Sweeps};
use crate::decompress::Decompression;
use crate::{Coloring, SparsityPattern};

/// Evaluations with every color that may learn the rows, at one key of the parameters,
/// before they stop trying.
const TRIES: u8 = 4;

/// The most seeds a learned evaluation sweeps.
const MOST_SEEDS: usize = 32;

/// How far a row's product may cancel, `sum |J_ij| / |sum J_ij|` over its seed: beyond
/// this it is left to more seeds, since its rounding grows with it.
const MOST_CANCELLATION: f64 = 4.0;

/// Learnings that no evaluation used (the key changed first) before the preparation
/// stops learning.
const UNUSED: u8 = 2;

/// Below this a row's largest entry may have lost others to underflow.
const SMALLEST: f64 = f64::MIN_POSITIVE * (1u64 << 52) as f64 * (1u64 << 48) as f64;

#[derive(Clone, Debug)]
pub(super) struct Scaled {
    state: State,
    tries: u8,
    key: Option<u64>,
    /// Learnings no evaluation used, up to [`UNUSED`]: then it stays [`State::Off`].
    unused: u8,
}

#[derive(Clone, Debug)]
enum State {
    /// The next evaluation has every color, and learns the rows if it can.
    Learning,
    Learned(Box<Learned>),
    /// Evaluations have every color: the rows were not learned in [`TRIES`], fewer seeds
    /// than colors cancel some row's product, or the key changes too often.
    Off,
}

#[derive(Clone, Debug)]
struct Learned {
    /// The sweeps of the seeds (a coloring of the inputs, `j % k`), over a pattern of
    /// one entry per non-empty row: its product.
    driver: Driver,
    /// The Jacobian's row pointers (a copy: sprs does not lend them with its values to
    /// write).
    row_ptr: Vec<usize>,
    /// Each entry over its row's product at the input the rows were learned at.
    unit: Vec<f64>,
    /// Whether an evaluation used them.
    used: bool,
}

impl Scaled {
    pub(super) fn new() -> Self {
        Scaled {
            state: State::Learning,
            tries: TRIES,
            key: None,
            unused: 0,
        }
    }

    /// Before an evaluation, with the key of the other parameters: under another key the
    /// rows are learned again, unless [`UNUSED`] learnings went unused; with none (a
    /// type without a `ConstKey`) they cannot be kept.
    pub(super) fn at(&mut self, key: Option<u64>) {
        if key == self.key && key.is_some() {
            return;
        }
        if matches!(&self.state, State::Learned(l) if !l.used) {
            self.unused += 1;
        }
        self.key = key;
        self.tries = TRIES;
        self.state = if key.is_none() || self.unused >= UNUSED {
            State::Off
        } else {
            State::Learning
        };
    }

    /// The JVPs a learned evaluation makes (its seeds); `None` before the rows are
    /// learned.
    pub(super) fn jvps(&self) -> Option<usize> {
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
        // An infinite product times a zero entry: the sweeps of every color know it is 0.
        if !products.iter().all(|p| p.is_finite()) {
            return false;
        }
        l.used = true;
        let values = result.data_mut();
        for (w, &s) in non_empty_rows(&l.row_ptr).zip(products) {
            for (v, u) in values[w[0]..w[1]].iter_mut().zip(&l.unit[w[0]..w[1]]) {
                *v = s * u;
            }
        }
        true
    }

    /// After an evaluation with every color at `x0` by `every` (the preparation's
    /// driver), learns the rows if it has not and can; `kernel` is at `x0`, for the sweep
    /// of the seeds. Generic over the kernel for that sweep alone: every annotated
    /// function's evaluation compiles it.
    pub(super) fn learn(&mut self, every: &Driver, kernel: &mut impl Jvp) {
        if let Some(mut driver) = self.seeds_driver(every) {
            driver.forward_sweeps(kernel);
            self.keep(driver, &every.result);
        }
    }

    /// The sweeps of the fewest seeds no row's product cancels in, if the rows can be
    /// learned from `every`'s Jacobian, with its instruction set.
    fn seeds_driver(&mut self, every: &Driver) -> Option<Driver> {
        if !matches!(self.state, State::Learning) {
            return None;
        }
        let jac = &every.result;
        let row_ptr = jac.indptr();
        let row_ptr = row_ptr.raw_storage();
        let values = jac.data();
        let learnable = |w: &[usize]| {
            let row = &values[w[0]..w[1]];
            row.iter().all(|v| v.is_finite()) && row.iter().any(|v| v.abs() >= SMALLEST)
        };
        if !non_empty_rows(row_ptr).all(learnable) {
            self.try_later();
            return None;
        }
        let fewer = every.coloring.ncolors().min(jac.cols());
        let Some((k, seed_of_row)) = seeds(fewer, row_ptr, jac.indices(), values) else {
            self.state = State::Off;
            return None;
        };
        // The product of row `i` is the entry of one of its inputs of its seed.
        let mut products_at = vec![0];
        let mut inputs = Vec::new();
        for (w, &c) in row_ptr.windows(2).zip(&seed_of_row) {
            let row = &jac.indices()[w[0]..w[1]];
            inputs.extend(row.iter().find(|&&j| j % k == c));
            products_at.push(inputs.len());
        }
        let pattern = SparsityPattern::from_csr(jac.rows(), jac.cols(), products_at, inputs);
        let coloring = Coloring::from_colors((0..jac.cols()).map(|j| j % k).collect());
        let lanes = choose_lanes(k, None, Sweeps::Forward);
        let decompression = Decompression::columns_of_valid(&pattern, &coloring, lanes);
        let mut driver = Driver::new(pattern, coloring, decompression);
        driver.set_wide_vectors(every.wide_vectors());
        Some(driver)
    }

    /// Keeps each entry of `jac` over its row's product, which `driver` holds from a
    /// sweep at the same input.
    fn keep(&mut self, driver: Driver, jac: &CsMat<f64>) {
        let row_ptr = jac.indptr();
        let row_ptr = row_ptr.raw_storage();
        let values = jac.data();
        let mut unit = vec![0.0; values.len()];
        for (w, &s) in non_empty_rows(row_ptr).zip(driver.result.data()) {
            if !(s.is_finite() && s.abs() >= SMALLEST) {
                self.try_later();
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
            used: false,
        }));
    }

    /// The rows cannot be learned at this input: at a later one, up to [`TRIES`].
    fn try_later(&mut self) {
        self.tries -= 1;
        if self.tries == 0 {
            self.state = State::Off;
        }
    }
}

/// The `[start, end]` of each row that has entries: the rows with a product.
fn non_empty_rows(row_ptr: &[usize]) -> impl Iterator<Item = &[usize]> {
    row_ptr.windows(2).filter(|w| w[0] < w[1])
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

    /// `y[i] = c tanh(a_i . x + b_i)`, the rows `a_i` sparse (with entries that are zero
    /// at every input), differentiated by hand as the generated kernels do: the scale
    /// multiplies each coefficient, then the terms are summed.
    #[derive(Clone)]
    struct Layer<'a> {
        rows: &'a [Vec<(usize, f64)>],
        b: &'a [f64],
        c: f64,
        x: &'a [f64],
    }

    impl Layer<'_> {
        /// `c tanh'(a_i . x + b_i)`, the scale of row `i`.
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
                    dy[l] = row.iter().map(|&(j, a)| (scale * a) * dx[j][l]).sum();
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

    /// Parameters that change at every evaluation (a time): after two learnings that
    /// no evaluation used, the preparation stops learning, and sweeps every color.
    #[test]
    fn a_key_that_changes_at_every_evaluation_stops_the_learning() {
        let rows = vec![vec![(0, 1.0), (1, 2.0)], vec![(1, 1.0), (2, 0.5)]];
        let b = [0.0, 0.0];
        let mut prep =
            JacobianPrep::with_scaled_rows(pattern(3, &rows), &JacobianOptions::forward());
        let x = [0.3, 0.1, 0.2];
        for key in 0..4 {
            prep.constants_at(Some(key));
            prep.evaluate_forward(&mut Layer {
                rows: &rows,
                b: &b,
                c: 1.0,
                x: &x,
            });
            assert_eq!(prep.scaled_jvps().is_some(), key < 2, "key {key}");
        }
        assert!(prep.to_string().contains("every color swept"), "{prep}");
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

    /// `tanh(x0 - 0.9999999 x1)`: in one seed of every input the row's product would be
    /// rounded as its terms, 10^7 times itself, and not alike at every input; in two (the
    /// even inputs, the odd ones) it does not cancel, and the entries stay exact.
    #[test]
    fn a_nearly_cancelling_row_takes_more_seeds_and_stays_exact() {
        let rows = vec![
            vec![(0, 1.0), (1, -0.9999999)],
            vec![(1, 1.0), (2, 1.0)],
            vec![(0, 1.0), (2, 0.5)],
        ];
        let b = [0.1, 0.2, 0.3];
        let p = pattern(3, &rows);
        let mut every = JacobianPrep::new(p.clone(), &JacobianOptions::forward());
        let mut prep = JacobianPrep::with_scaled_rows(p, &JacobianOptions::forward());
        prep.constants_at(Some(0));
        for x in [[0.3, 0.1, -0.2], [-0.4, 0.6, 0.2], [0.9, -0.3, 0.5]] {
            let kernel = Layer {
                rows: &rows,
                b: &b,
                c: 1.0,
                x: &x,
            };
            let expected = every.evaluate_forward(&mut kernel.clone()).clone();
            close(prep.evaluate_forward(&mut kernel.clone()), &expected).unwrap();
        }
        assert_eq!((prep.ncolors(), prep.scaled_jvps()), (3, Some(2)));
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
