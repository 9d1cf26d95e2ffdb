//! The key of a preparation's constant parameters. Rows proved constant are constant in
//! the input, not in the other parameters (`y = a * x` with a constant `a`): a prepared
//! evaluation hashes its constants and evaluates those rows again when the key changed.
//! A parameter whose type has no [`ConstKey`] (a struct) gives no key: its function's
//! preparations evaluate every row every time.

use std::hash::{DefaultHasher, Hasher};

/// A constant parameter's contribution to the key: its value, bit for bit.
///
/// ```
/// use asd_runtime::ConstKey;
/// use std::hash::{DefaultHasher, Hasher};
///
/// let key = |a: f64, k: &[usize]| {
///     let mut h = DefaultHasher::new();
///     a.key(&mut h);
///     k.key(&mut h);
///     h.finish()
/// };
/// assert_eq!(key(1.5, &[1, 2]), key(1.5, &[1, 2]));
/// assert_ne!(key(1.5, &[1, 2]), key(2.5, &[1, 2]));
/// ```
pub trait ConstKey {
    /// Adds this value to the key being made in `h`.
    fn key(&self, h: &mut DefaultHasher);
}

macro_rules! by_value {
    ($($t:ty),*) => {$(
        impl ConstKey for $t {
            fn key(&self, h: &mut DefaultHasher) {
                std::hash::Hash::hash(self, h);
            }
        }
    )*};
}
by_value!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, bool, char);

impl ConstKey for f64 {
    fn key(&self, h: &mut DefaultHasher) {
        h.write_u64(self.to_bits());
    }
}

impl ConstKey for f32 {
    fn key(&self, h: &mut DefaultHasher) {
        h.write_u32(self.to_bits());
    }
}

impl<T: ConstKey> ConstKey for [T] {
    fn key(&self, h: &mut DefaultHasher) {
        h.write_usize(self.len());
        self.iter().for_each(|v| v.key(h));
    }
}

impl<T: ConstKey, const N: usize> ConstKey for [T; N] {
    fn key(&self, h: &mut DefaultHasher) {
        self.as_slice().key(h);
    }
}

impl<T: ConstKey> ConstKey for Vec<T> {
    fn key(&self, h: &mut DefaultHasher) {
        self.as_slice().key(h);
    }
}

/// An optional constant (`Some(0.5)`, `None`): which, then its value.
impl<T: ConstKey> ConstKey for Option<T> {
    fn key(&self, h: &mut DefaultHasher) {
        h.write_u8(self.is_some().into());
        if let Some(v) = self {
            v.key(h);
        }
    }
}

/// Tuples (of an edge list `&[(usize, usize, f64)]`, say), element by element.
macro_rules! tuples {
    ($(($($t:ident $i:tt),+))*) => {$(
        impl<$($t: ConstKey),+> ConstKey for ($($t,)+) {
            fn key(&self, h: &mut DefaultHasher) {
                $(self.$i.key(h);)+
            }
        }
    )*};
}
tuples!((A 0) (A 0, B 1) (A 0, B 1, C 2) (A 0, B 1, C 2, D 3) (A 0, B 1, C 2, D 3, E 4));

impl<T: ConstKey + ?Sized> ConstKey for &T {
    fn key(&self, h: &mut DefaultHasher) {
        (**self).key(h);
    }
}

/// A parameter for the generated code's choice between [`KnownKey`] (its type has a
/// [`ConstKey`]) and [`UnknownKey`] (any other type), made at compile time by method
/// resolution: `(&KeyOf(&c)).add_to(&mut h)` finds `KnownKey` first when it applies.
///
/// ```
/// use asd_runtime::{KeyOf, KnownKey as _, UnknownKey as _};
/// use std::hash::DefaultHasher;
///
/// struct Params;
/// let mut h = DefaultHasher::new();
/// assert!((&KeyOf(&1.5_f64)).add_to(&mut h)); // f64 has a key
/// assert!((&KeyOf(&[1_usize, 2])).add_to(&mut h));
/// assert!((&KeyOf(&[(0_usize, 1_usize, 0.5_f64)])).add_to(&mut h)); // tuples too
/// assert!(!(&KeyOf(&Params)).add_to(&mut h)); // a struct has none
/// ```
pub struct KeyOf<'a, T: ?Sized>(pub &'a T);

/// See [`KeyOf`]: adds the value and answers `true`.
pub trait KnownKey {
    /// Adds the parameter's value to `h`; `true`.
    fn add_to(&self, h: &mut DefaultHasher) -> bool;
}

impl<T: ConstKey + ?Sized> KnownKey for KeyOf<'_, T> {
    fn add_to(&self, h: &mut DefaultHasher) -> bool {
        self.0.key(h);
        true
    }
}

/// See [`KeyOf`]: a type without a key; answers `false`.
pub trait UnknownKey {
    /// Adds nothing; `false`: the parameters have no key.
    fn add_to(&self, h: &mut DefaultHasher) -> bool;
}

impl<T: ?Sized> UnknownKey for &KeyOf<'_, T> {
    fn add_to(&self, _: &mut DefaultHasher) -> bool {
        false
    }
}
