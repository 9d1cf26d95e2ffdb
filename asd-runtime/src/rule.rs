//! Derivative rules users write for functions `#[sparse_diff]` cannot see into: a
//! special function from another crate, a routine of a C library, a hand-tuned kernel.
//! The attribute `#[sparse_diff(rules(callee = MyRule))]` maps a call in the body to a
//! type implementing [`Rule`], and every generated function (tangent, adjoint,
//! Hessian-vector products, both sparsity tracers) goes through the rule: its value,
//! its partial derivatives and its second-order class.

/// How the arguments of a [`Rule`] interact at second order: which entries of its
/// Hessian may be nonzero. The Hessian sparsity tracer adds exactly these interactions,
/// so the class makes Hessian patterns exact; first order, every argument counts (a
/// rule depends on each of its arguments).
///
/// A class must hold for every input: an entry it leaves out is treated as zero (the
/// generated code never reads it from [`Rule::hessian`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleClass {
    /// Affine, or piecewise affine (`2a - b`, `a.max(b)`): the Hessian is zero, no
    /// argument interacts with any.
    Linear,
    /// A sum of functions of one argument each (`f(a) + g(b)`): each argument interacts
    /// with itself only (a diagonal Hessian).
    Separable,
    /// Every pair of arguments interacts, each with itself too: the safe default.
    Nonlinear,
    /// Exactly these pairs `(i, j)` of argument positions interact (either order; `(i,
    /// i)` for an argument with itself): `a * b + c.exp()` is `&[(0, 1), (2, 2)]`.
    Pairs(&'static [(usize, usize)]),
}

impl RuleClass {
    /// Whether arguments `i` and `j` interact: whether the Hessian entry `(i, j)` may be
    /// nonzero.
    ///
    /// ```
    /// use asd_runtime::RuleClass;
    /// assert!(!RuleClass::Linear.interacts(0, 0));
    /// assert!(RuleClass::Separable.interacts(1, 1) && !RuleClass::Separable.interacts(0, 1));
    /// assert!(RuleClass::Nonlinear.interacts(0, 1));
    /// assert!(RuleClass::Pairs(&[(1, 0)]).interacts(0, 1));
    /// ```
    pub const fn interacts(self, i: usize, j: usize) -> bool {
        match self {
            RuleClass::Linear => false,
            RuleClass::Separable => i == j,
            RuleClass::Nonlinear => true,
            RuleClass::Pairs(pairs) => {
                let mut k = 0;
                while k < pairs.len() {
                    let (a, b) = pairs[k];
                    if (a == i && b == j) || (a == j && b == i) {
                        return true;
                    }
                    k += 1;
                }
                false
            }
        }
    }
}

/// A derivative rule for a function of `N` reals with one real result, which
/// `#[sparse_diff]` calls instead of looking into it.
///
/// `value` is the function; `gradient` its `N` partial derivatives; `hessian` its
/// second derivatives, needed only by Hessian operators (`f_hvp`, `f_hessian*`, and
/// `f_second_derivative`) of a function that calls it; [`CLASS`](Rule::CLASS)
/// which arguments interact at second order, for exact Hessian patterns.
///
/// Map a call to the rule in the attribute, `#[sparse_diff(rules(callee = Type))]`,
/// with the callee written as the body writes it (`libm::j0`, or `j0` after a `use`):
/// the function itself stays as written, and the generated code calls
/// `Type::value`, `Type::gradient` and `Type::hessian` where the body calls `callee`.
/// `N` is the number of arguments of the call; they may be any real expressions, of the
/// active input or not.
///
/// ```
/// use asd_runtime::{Rule, RuleClass};
///
/// /// The Bessel function `J₀` of `libm`: `J₀' = -J₁`, `J₀'' = J₁(x)/x - J₀`.
/// struct J0;
///
/// impl Rule<1> for J0 {
///     const CLASS: RuleClass = RuleClass::Nonlinear;
///     fn value([x]: [f64; 1]) -> f64 {
///         libm::j0(x)
///     }
///     fn gradient([x]: [f64; 1]) -> [f64; 1] {
///         [-libm::j1(x)]
///     }
///     fn hessian([x]: [f64; 1]) -> [[f64; 1]; 1] {
///         let j1_over_x = if x.abs() < 1e-8 { 0.5 } else { libm::j1(x) / x };
///         [[j1_over_x - libm::j0(x)]]
///     }
/// }
///
/// let h = 1e-6;
/// let fd = (J0::value([1.0 + h]) - J0::value([1.0 - h])) / (2.0 * h);
/// assert!((J0::gradient([1.0])[0] - fd).abs() < 1e-9);
/// ```
///
/// The `asd` crate, which re-exports `Rule`, shows a rule called from a
/// `#[sparse_diff]` function.
///
/// A rule that leaves `hessian` out serves every first-order operator; Hessian
/// operators through it panic, naming it (a [`Linear`](RuleClass::Linear) rule's
/// default Hessian is zero, so it needs none).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a rule of {N} argument(s): there is no `impl asd::Rule<{N}> for {Self}`",
    label = "called with {N} argument(s) through `rules(..)`",
    note = "a rule mapped by `#[sparse_diff(rules(g = {Self}))]` is called with as many arguments as the body passes `g`"
)]
pub trait Rule<const N: usize> {
    /// Which arguments interact at second order. [`RuleClass::Nonlinear`] (every pair)
    /// unless the rule says otherwise: a superset, so Hessian patterns stay correct.
    const CLASS: RuleClass = RuleClass::Nonlinear;

    /// The function's value at `x`.
    fn value(x: [f64; N]) -> f64;

    /// The partial derivatives `∂f/∂xᵢ` at `x`.
    fn gradient(x: [f64; N]) -> [f64; N];

    /// The second derivatives `∂²f/∂xᵢ∂xⱼ` at `x` (symmetric). Only the entries
    /// [`CLASS`](Rule::CLASS) allows are read.
    ///
    /// # Panics
    ///
    /// The default panics unless the rule is [`Linear`](RuleClass::Linear) (whose
    /// Hessian is zero): implement it to take Hessians through the rule.
    fn hessian(x: [f64; N]) -> [[f64; N]; N] {
        let _ = x;
        if let RuleClass::Linear = Self::CLASS {
            return [[0.0; N]; N];
        }
        panic!(
            "asd: the rule `{}` has no second derivatives: implement `Rule::hessian` for it to take Hessians through it",
            core::any::type_name::<Self>()
        )
    }
}

/// `R`'s value: what generated code calls where the body calls the mapped function.
#[inline]
pub fn rule_value<R: Rule<N>, const N: usize>(x: [f64; N]) -> f64 {
    R::value(x)
}

/// `∂R/∂xᵢ` at `x`.
#[inline]
pub fn rule_partial<R: Rule<N>, const N: usize>(x: [f64; N], i: usize) -> f64 {
    R::gradient(x)[i]
}

/// `∂²R/∂xᵢ∂xⱼ` at `x`: zero, without calling [`Rule::hessian`], where the rule's class
/// says `i` and `j` do not interact, so values agree with the traced pattern.
#[inline]
pub fn rule_second<R: Rule<N>, const N: usize>(x: [f64; N], i: usize, j: usize) -> f64 {
    if R::CLASS.interacts(i, j) {
        R::hessian(x)[i][j]
    } else {
        0.0
    }
}

/// Whether `R` makes its arguments `i` and `j` interact: what the Hessian sparsity
/// tracer asks before it adds their product.
#[inline]
pub const fn rule_interacts<R: Rule<N>, const N: usize>(i: usize, j: usize) -> bool {
    R::CLASS.interacts(i, j)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Affine;
    impl Rule<2> for Affine {
        const CLASS: RuleClass = RuleClass::Linear;
        fn value([a, b]: [f64; 2]) -> f64 {
            2.0 * a - b
        }
        fn gradient(_: [f64; 2]) -> [f64; 2] {
            [2.0, -1.0]
        }
    }

    struct Product;
    impl Rule<2> for Product {
        fn value([a, b]: [f64; 2]) -> f64 {
            a * b
        }
        fn gradient([a, b]: [f64; 2]) -> [f64; 2] {
            [b, a]
        }
    }

    #[test]
    fn a_linear_rule_has_a_zero_hessian_without_writing_one() {
        assert_eq!(Affine::hessian([1.0, 2.0]), [[0.0; 2]; 2]);
        assert_eq!(rule_value::<Affine, 2>([1.0, 2.0]), 0.0);
        assert_eq!(rule_partial::<Affine, 2>([1.0, 2.0], 1), -1.0);
        assert_eq!(rule_second::<Affine, 2>([1.0, 2.0], 0, 1), 0.0);
    }

    #[test]
    #[should_panic(
        expected = "the rule `asd_runtime::rule::tests::Product` has no second derivatives"
    )]
    fn a_missing_hessian_panics_naming_the_rule() {
        rule_second::<Product, 2>([1.0, 2.0], 0, 1);
    }

    #[test]
    fn pairs_are_unordered() {
        const P: RuleClass = RuleClass::Pairs(&[(0, 1), (2, 2)]);
        assert!(P.interacts(1, 0) && P.interacts(0, 1) && P.interacts(2, 2));
        assert!(!P.interacts(0, 0) && !P.interacts(1, 2));
        assert!(rule_interacts::<Product, 2>(0, 0));
        assert!(!rule_interacts::<Affine, 2>(0, 1));
    }
}
