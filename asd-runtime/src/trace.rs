//! What generated tracers need beyond index sets: joining the two arms of a branch on
//! an active real, and the value of a function that returned inside such a branch.

use crate::IndexSet;

/// The union of two abstract values: what a tracer keeps after running both arms of a
/// branch it cannot decide.
pub trait Join {
    /// Makes `self` the union of `self` and `other`.
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
