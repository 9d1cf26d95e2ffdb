//! What the generated batched operators (`f_jvp_batch`, `f_vjp_batch`, `f_hvp_batch`)
//! need: several directions swept `L` lanes at a time.

/// The directions `lanes` at a time, for one sweep each; one empty sweep when there are
/// none, which still computes the value.
///
/// ```
/// use asd_runtime::batches;
/// let dirs = [[1.0], [2.0], [3.0]];
/// let sweeps: Vec<usize> = batches(&dirs, 2).map(|b| b.len()).collect();
/// assert_eq!(sweeps, [2, 1]);
/// let none: [[f64; 1]; 0] = [];
/// assert_eq!(batches(&none, 2).count(), 1); // one sweep for the value
/// ```
pub fn batches<D>(directions: &[D], lanes: usize) -> impl Iterator<Item = &[D]> {
    let len = directions.len();
    let sweeps = len.div_ceil(lanes).max(1);
    (0..sweeps).map(move |s| &directions[(s * lanes).min(len)..((s + 1) * lanes).min(len)])
}

/// Lane `l` of `lanes` set to `directions[l]`, and to zero past the last direction.
///
/// ```
/// use asd_runtime::pack_lanes;
/// let dirs = [vec![1.0, 2.0], vec![3.0, 4.0]];
/// let mut lanes = [[9.0; 4]; 2];
/// pack_lanes(&dirs, &mut lanes);
/// assert_eq!(lanes, [[1.0, 3.0, 0.0, 0.0], [2.0, 4.0, 0.0, 0.0]]);
/// ```
pub fn pack_lanes<const L: usize>(directions: &[impl AsRef<[f64]>], lanes: &mut [[f64; L]]) {
    for (i, lane) in lanes.iter_mut().enumerate() {
        for (l, value) in lane.iter_mut().enumerate() {
            *value = directions.get(l).map_or(0.0, |d| d.as_ref()[i]);
        }
    }
}

/// The first `count` lanes of `lanes`, each as a vector, appended to `out`.
///
/// ```
/// use asd_runtime::unpack_lanes;
/// let lanes = [[1.0, 3.0, 0.0, 0.0], [2.0, 4.0, 0.0, 0.0]];
/// let mut out = Vec::new();
/// unpack_lanes(&lanes, 2, &mut out);
/// assert_eq!(out, [vec![1.0, 2.0], vec![3.0, 4.0]]);
/// ```
pub fn unpack_lanes<const L: usize>(lanes: &[[f64; L]], count: usize, out: &mut Vec<Vec<f64>>) {
    out.extend((0..count).map(|l| lanes.iter().map(|lane| lane[l]).collect()));
}

/// Panics unless every direction has length `expected`, naming the first that has not
/// as `name[k]`.
///
/// ```
/// use asd_runtime::check_lens;
/// check_lens("dxs", 2, &[vec![1.0, 2.0], vec![3.0, 4.0]]);
/// let err = std::panic::catch_unwind(|| check_lens("dxs", 2, &[vec![1.0, 2.0], vec![1.0]]));
/// let msg = err.unwrap_err().downcast::<String>().unwrap();
/// assert_eq!(
///     *msg,
///     "asd: the direction `dxs[1]` has length 1 but 2 was expected"
/// );
/// ```
#[track_caller]
pub fn check_lens(name: &str, expected: usize, directions: &[impl AsRef<[f64]>]) {
    for (k, d) in directions.iter().enumerate() {
        let given = d.as_ref().len();
        if given != expected {
            panic!(
                "asd: the direction `{name}[{k}]` has length {given} but {expected} was expected"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_are_swept_lanes_at_a_time_and_at_least_once() {
        let d = [[1.0], [2.0], [3.0]];
        let sweeps: Vec<usize> = batches(&d, 2).map(<[_]>::len).collect();
        assert_eq!(sweeps, [2, 1]);
        let none: [[f64; 1]; 0] = [];
        assert_eq!(batches(&none, 4).map(<[_]>::len).collect::<Vec<_>>(), [0]);
    }

    #[test]
    fn lanes_pack_and_unpack() {
        let d = [vec![1.0, 2.0], vec![3.0, 4.0]];
        let mut lanes = [[9.0; 4]; 2];
        pack_lanes(&d, &mut lanes);
        assert_eq!(lanes, [[1.0, 3.0, 0.0, 0.0], [2.0, 4.0, 0.0, 0.0]]);
        let mut out = Vec::new();
        unpack_lanes(&lanes, 2, &mut out);
        assert_eq!(out, d);
    }

    #[test]
    #[should_panic(expected = "asd: the direction `dxs[1]` has length 1 but 2 was expected")]
    fn a_direction_of_another_length_is_named() {
        check_lens("dxs", 2, &[vec![1.0, 2.0], vec![1.0]]);
    }
}
