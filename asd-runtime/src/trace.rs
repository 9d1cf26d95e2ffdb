//! What generated tracers need beyond index sets: joining the two arms of a branch on
//! an active real, and the value of a function that returned inside such a branch.

use crate::IndexSet;

/// The union of two abstract values: what a tracer keeps after running both arms of a
/// branch it cannot decide.
pub trait Join {
    fn join(&mut self, other: Self);
}

impl Join for IndexSet {
    fn join(&mut self, other: Self) {
        self.union_with(&other);
    }
}

/// Element by element; a vector one arm made longer keeps its extra elements.
impl Join for Vec<IndexSet> {
    fn join(&mut self, other: Self) {
        for (a, b) in self.iter_mut().zip(&other) {
            a.union_with(b);
        }
        if other.len() > self.len() {
            let n = self.len();
            self.extend(other.into_iter().skip(n));
        }
    }
}

impl Join for () {
    fn join(&mut self, _: Self) {}
}

/// Records the value of a `return` reached in one arm of an undecided branch.
pub fn join_return<T: Join>(ret: &mut Option<T>, value: T) {
    match ret {
        Some(r) => r.join(value),
        None => *ret = Some(value),
    }
}

/// The value of a function whose returns were joined.
pub fn finish_return<T: Default>(ret: Option<T>) -> T {
    ret.unwrap_or_default()
}

/// Panics unless a buffer has the expected length, naming both sizes.
#[track_caller]
pub fn check_len(what: &str, expected: usize, given: usize) {
    if expected != given {
        panic!("asd: {what} has length {given} but {expected} was expected");
    }
}
