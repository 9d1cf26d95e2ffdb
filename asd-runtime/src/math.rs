//! Functions `f64` has no method for, which `#[sparse_diff]` differentiates: call them as
//! `asd::math::erf(x)` (or `erf(x)` after `use asd::math::erf;`). Each is one row of the
//! compiler's table of rules; the values come from `libm`.
//!
//! ```
//! use asd_runtime::math::{erf, erfc};
//! for x in [-2.0, 0.0, 0.3, 4.0] {
//!     assert!((erf(x) + erfc(x) - 1.0).abs() < 1e-15);
//! }
//! assert_eq!(erf(-0.5), -erf(0.5)); // odd
//! ```

/// The error function `erf(x) = 2/√π ∫₀ˣ e^(-t²) dt`.
///
/// ```
/// assert!((asd_runtime::math::erf(0.5) - 0.520_499_877_813_046_5).abs() < 1e-15);
/// ```
#[inline]
pub fn erf(x: f64) -> f64 {
    libm::erf(x)
}

/// The complementary error function `erfc(x) = 1 - erf(x)`, accurate for large `x`.
///
/// ```
/// assert!((asd_runtime::math::erfc(3.0) - 2.209_049_699_858_544e-5).abs() < 1e-18);
/// ```
#[inline]
pub fn erfc(x: f64) -> f64 {
    libm::erfc(x)
}
