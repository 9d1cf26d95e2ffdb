//! What generated tracers need beyond index sets: joining the two arms of a branch on
//! an active real, and the value of a function that returned inside such a branch.

use crate::IndexSet;

/// The union of two abstract values: what a tracer keeps after running both arms of a
/// branch it cannot decide.
///
/// ```
/// use asd_runtime::{IndexSet, Join};
/// // `if x[0] > 0.0 { y = x[1] } else { y = x[2] }`: a tracer runs both arms.
/// let mut y = vec![IndexSet::singleton(1)];
/// y.join(vec![IndexSet::singleton(2), IndexSet::singleton(3)]);
/// assert_eq!(y[0].to_vec(), [1, 2]);
/// assert_eq!(y[1].to_vec(), [3]); // an arm that made the vector longer
/// ```
pub trait Join {
    /// Makes `self` the union of `self` and `other`.
    ///
    /// See [`Join`] for an example.
    fn join(&mut self, other: Self);
}

impl Join for IndexSet {
    fn join(&mut self, other: Self) {
        if self.is_empty() {
            *self = other;
        } else {
            self.union_with(&other);
        }
    }
}

/// Element by element; a vector one arm made longer keeps its extra elements.
impl<T: Join> Join for Vec<T> {
    fn join(&mut self, other: Self) {
        let mut rest = other.into_iter();
        for (a, b) in self.iter_mut().zip(rest.by_ref()) {
            a.join(b);
        }
        self.extend(rest);
    }
}

impl Join for () {
    fn join(&mut self, _: Self) {}
}

/// Records the value of a `return` reached in one arm of an undecided branch.
///
/// ```
/// use asd_runtime::{finish_return, join_return, IndexSet};
/// // `if c { return x[0]; } else { return x[1]; }` with `c` undecided.
/// let mut ret = None;
/// join_return(&mut ret, IndexSet::singleton(0));
/// join_return(&mut ret, IndexSet::singleton(1));
/// assert_eq!(finish_return(ret).to_vec(), [0, 1]);
/// ```
pub fn join_return<T: Join>(ret: &mut Option<T>, value: T) {
    match ret {
        Some(r) => r.join(value),
        None => *ret = Some(value),
    }
}

/// The value of a function whose returns were joined.
///
/// ```
/// use asd_runtime::{finish_return, IndexSet};
/// assert_eq!(finish_return(Some(IndexSet::singleton(4))).to_vec(), [4]);
/// assert!(finish_return::<IndexSet>(None).is_empty()); // no return was reached
/// ```
pub fn finish_return<T: Default>(ret: Option<T>) -> T {
    ret.unwrap_or_default()
}

/// Panics unless a buffer has the expected length, naming both sizes.
///
/// ```
/// use asd_runtime::check_len;
/// check_len("dx", 3, 3);
/// let err = std::panic::catch_unwind(|| check_len("dx", 3, 2)).unwrap_err();
/// assert_eq!(
///     err.downcast_ref::<String>().unwrap(),
///     "asd: dx has length 2 but 3 was expected"
/// );
/// ```
#[track_caller]
pub fn check_len(what: &str, expected: usize, given: usize) {
    if expected != given {
        panic!("asd: {what} has length {given} but {expected} was expected");
    }
}
