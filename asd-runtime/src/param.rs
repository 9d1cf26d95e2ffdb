//! A vector of generated code passed to another function as that function declares its
//! parameter. Generated code holds every vector in a workspace buffer (a [`Buf`] of
//! `f64`, a lane buffer, a vector of abstract values), while a user's function may take
//! `&[f64]`, `&Vec<f64>` or a fixed size `&[f64; 3]`; a call passes `param(&*v)`, whose
//! type the callee's parameter chooses.
//!
//! [`Buf`]: crate::Buf

/// A vector (`Self`) seen as a parameter of type `T`: `&[E]`, `&[E; N]` (a wrong length
/// panics, naming both) or `&Vec<E>`.
pub trait Param<'a, T> {
    /// The vector as a `T`.
    fn param(&'a self) -> T;
}

impl<'a, E> Param<'a, &'a [E]> for [E] {
    fn param(&'a self) -> &'a [E] {
        self
    }
}

impl<'a, E, const N: usize> Param<'a, &'a [E; N]> for [E] {
    #[track_caller]
    fn param(&'a self) -> &'a [E; N] {
        self.try_into().unwrap_or_else(|_| {
            panic!(
                "asd: a vector of length {} passed as a `&[_; {N}]`",
                self.len()
            )
        })
    }
}

impl<'a, E, const M: usize> Param<'a, &'a [E]> for [E; M] {
    fn param(&'a self) -> &'a [E] {
        self
    }
}

impl<'a, E, const M: usize, const N: usize> Param<'a, &'a [E; N]> for [E; M] {
    #[track_caller]
    fn param(&'a self) -> &'a [E; N] {
        self.as_slice().param()
    }
}

impl<'a, E> Param<'a, &'a [E]> for Vec<E> {
    fn param(&'a self) -> &'a [E] {
        self
    }
}

impl<'a, E, const N: usize> Param<'a, &'a [E; N]> for Vec<E> {
    #[track_caller]
    fn param(&'a self) -> &'a [E; N] {
        self.as_slice().param()
    }
}

impl<'a, E> Param<'a, &'a Vec<E>> for Vec<E> {
    fn param(&'a self) -> &'a Vec<E> {
        self
    }
}

/// `v` as the parameter type the call expects.
///
/// ```
/// use asd_runtime::param;
/// fn norm(p: &[f64; 3]) -> f64 { p.iter().map(|v| v * v).sum::<f64>().sqrt() }
/// fn sum(p: &[f64]) -> f64 { p.iter().sum() }
/// let v = vec![2.0, 3.0, 6.0];
/// assert_eq!((norm(param(&*v)), sum(param(&*v))), (7.0, 11.0));
/// let short = std::panic::catch_unwind(|| norm(param(&v[..2]))).unwrap_err();
/// assert_eq!(
///     short.downcast_ref::<String>().unwrap(),
///     "asd: a vector of length 2 passed as a `&[_; 3]`"
/// );
/// ```
#[track_caller]
pub fn param<'a, V: ?Sized + Param<'a, T>, T>(v: &'a V) -> T {
    v.param()
}

/// A constant a `#[sparse_diff]` function takes by value (`Option<f64>`, a field-less
/// enum, a struct of parameters): the operators pass it on to several generated
/// functions, so it must be `Copy`. Generated code copies it with [`by_value`], so that
/// a type that is not says so at the parameter.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is passed by value to a #[sparse_diff] function, and is not `Copy`",
    label = "pass it by reference, `&{Self}`, or make it `Copy`"
)]
pub trait ByValue: Copy {}

impl<T: Copy> ByValue for T {}

/// A constant taken by value, copied out of the operator's parameter or its kernel:
/// compiles only for a [`ByValue`] type.
///
/// ```
/// assert_eq!(asd_runtime::by_value(&Some(0.5)), Some(0.5));
/// ```
///
/// ```compile_fail
/// asd_runtime::by_value(&vec![1_usize]);
/// ```
#[inline(always)]
pub fn by_value<T: ByValue>(value: &T) -> T {
    *value
}
