//! [`Constants`]: the entries a preparation proved constant, if any, evaluated once per
//! key of the other parameters, for Jacobians and Hessians alike.

use sprs::CsMat;

use super::driver::Driver;

/// Entries proved constant in the input, and the preparation of every entry (`P`, a
/// [`JacobianPrep`](super::JacobianPrep) or [`HessianPrep`](super::HessianPrep)) that
/// evaluates them: at the first evaluation, and at the first after the key of the
/// other parameters changed. The driver then holds them in its result and subtracts
/// what they add to the compressed products of the others
/// ([`Driver::hold_constants`]). [`none`](Self::none) for a preparation without any.
#[derive(Clone, Debug)]
pub(super) struct Constants<P>(Option<Box<Held<P>>>);

#[derive(Clone, Debug)]
struct Held<P> {
    /// Evaluated serially: once per key.
    prep: P,
    /// Their positions among the result's stored values.
    targets: Vec<usize>,
    /// Whether the next evaluation must evaluate them.
    pending: bool,
    key: Option<u64>,
}

impl<P> Constants<P> {
    pub(super) fn none() -> Self {
        Constants(None)
    }

    pub(super) fn new(prep: P, targets: Vec<usize>) -> Self {
        Constants(Some(Box::new(Held {
            prep,
            targets,
            pending: true,
            key: None,
        })))
    }

    /// How many entries are constant.
    pub(super) fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |h| h.targets.len())
    }

    /// Called before an evaluation with the key of the other parameters: a change of it
    /// (or no key, a type without [`ConstKey`](crate::ConstKey)) evaluates them again.
    pub(super) fn at(&mut self, key: Option<u64>) {
        if let Some(h) = self.0.as_mut().filter(|h| key.is_none() || h.key != key) {
            h.key = key;
            h.pending = true;
        }
    }

    /// When pending, `evaluate`s every entry with the preparation of them all and has
    /// `driver` hold the constant ones.
    pub(super) fn hold(
        &mut self,
        driver: &mut Driver,
        evaluate: impl FnOnce(&mut P) -> &CsMat<f64>,
    ) {
        if let Some(h) = self.0.as_mut().filter(|h| h.pending) {
            driver.hold_constants(&h.targets, evaluate(&mut h.prep).data());
            h.pending = false;
        }
    }

    /// The preparation of every entry, if there are constant ones.
    pub(super) fn prep_mut(&mut self) -> Option<&mut P> {
        self.0.as_mut().map(|h| &mut h.prep)
    }
}
