//! The desugaring's rewrites, each from a `quote!` function to the function it becomes,
//! and its errors.

use quote::quote;

/// The desugared function, pretty-printed, and the errors.
pub(crate) fn desugared(item: proc_macro2::TokenStream) -> String {
    let f: syn::ItemFn = syn::parse2(item).expect("a function");
    let mut errors = crate::errors::Errors::default();
    let (core, _) = super::desugar(&f, &mut errors);
    let mut s = prettyplease::unparse(&syn::File {
        shebang: None,
        attrs: Vec::new(),
        items: vec![syn::Item::Fn(core)],
    });
    s.push_str(&errors.to_compile_errors().to_string());
    s
}

/// `desugared(item)` is `expected`, both pretty-printed.
#[track_caller]
fn assert_desugars(item: proc_macro2::TokenStream, expected: proc_macro2::TokenStream) {
    let expected: syn::ItemFn = syn::parse2(expected).expect("a function");
    let expected = prettyplease::unparse(&syn::File {
        shebang: None,
        attrs: Vec::new(),
        items: vec![syn::Item::Fn(expected)],
    });
    assert_eq!(desugared(item), expected);
}

#[test]
fn a_mapped_sum_is_a_loop_that_accumulates() {
    assert_desugars(
        quote!(
            fn f(x: &[f64]) -> f64 {
                let s: f64 = x.iter().map(|v| v * v).sum();
                s.sqrt()
            }
        ),
        quote!(
            fn f(x: &[f64]) -> f64 {
                let mut __asd_acc0 = 0.0;
                let __asd_n2 = x.len();
                for __asd_k1 in 0..__asd_n2 {
                    let __asd_m3 = x[__asd_k1] * x[__asd_k1];
                    __asd_acc0 += __asd_m3;
                }
                let s: f64 = __asd_acc0;
                s.sqrt()
            }
        ),
    );
}

#[test]
fn zipped_mutable_elements_are_places() {
    assert_desugars(
        quote!(
            fn f(x: &[f64], y: &mut [f64]) {
                for (yi, xi) in y.iter_mut().zip(x) {
                    *yi += xi.sin();
                }
            }
        ),
        quote!(
            fn f(x: &[f64], y: &mut [f64]) {
                let __asd_n1 = (y.len()).min(x.len());
                for __asd_k0 in 0..__asd_n1 {
                    y[__asd_k0] += x[__asd_k0].sin();
                }
            }
        ),
    );
}

#[test]
fn adapters_map_the_loop_index_back_to_the_source() {
    assert_desugars(
        quote!(
            fn f(x: &[f64]) -> f64 {
                (0..x.len())
                    .rev()
                    .step_by(2)
                    .map(|i| x[i])
                    .filter(|v| *v > 0.0)
                    .sum()
            }
        ),
        quote!(
            fn f(x: &[f64]) -> f64 {
                let mut __asd_acc0 = 0.0;
                let __asd_n2 = x.len();
                let __asd_n3 = (__asd_n2 + 2 - 1) / 2;
                for __asd_k1 in 0..__asd_n3 {
                    let __asd_m4 = x[(__asd_n2 - 1 - (__asd_k1 * 2))];
                    if __asd_m4 > 0.0 {
                        __asd_acc0 += __asd_m4;
                    }
                }
                __asd_acc0
            }
        ),
    );
}

#[test]
fn windows_and_sub_slices_are_read_through_their_base() {
    assert_desugars(
        quote!(
            fn f(x: &[f64]) -> f64 {
                let t = &x[1..3];
                t[0] + x.windows(2).map(|w| w[1] - w[0]).sum::<f64>()
            }
        ),
        quote!(
            fn f(x: &[f64]) -> f64 {
                let mut __asd_acc0 = 0.0;
                let __asd_n2 = (x.len() + 1).saturating_sub(2);
                for __asd_k1 in 0..__asd_n2 {
                    let __asd_m3 = x[__asd_k1 + 1] - x[__asd_k1];
                    __asd_acc0 += __asd_m3;
                }
                x[1] + __asd_acc0
            }
        ),
    );
}

#[test]
fn closures_are_inlined_and_arguments_computed_once() {
    assert_desugars(
        quote!(
            fn f(x: &[f64], n: usize) -> f64 {
                let id = |i, j| i + n * j;
                let w = |t: f64| 1.0 + t / 4.0;
                x[id(0, 1)] * w(x[0] * 2.0)
            }
        ),
        quote!(
            fn f(x: &[f64], n: usize) -> f64 {
                let __asd_a0: f64 = x[0] * 2.0;
                x[(0 + n * 1)] * (1.0 + __asd_a0 / 4.0)
            }
        ),
    );
}

#[test]
fn tuples_structs_and_integer_matches_bind_one_name_each() {
    assert_desugars(
        quote!(
            fn f(x: &[f64], p: &P, k: usize) -> f64 {
                let (a, b) = (x[0], x[1]);
                let (a, b) = (b, a);
                let P { c, d: e, .. } = *p;
                let m = match k {
                    0 => 1.0,
                    1 | 2 if a > 0.0 => 2.0,
                    n => n as f64,
                };
                a * b * c * e * m
            }
        ),
        quote!(
            fn f(x: &[f64], p: &P, k: usize) -> f64 {
                let a = x[0];
                let b = x[1];
                let __asd_t0 = b;
                let __asd_t1 = a;
                let a = __asd_t0;
                let b = __asd_t1;
                let c = p.c;
                let e = p.d;
                let m = if k == 0 {
                    1.0
                } else if (k == 1 || k == 2) && (a > 0.0) {
                    2.0
                } else {
                    let n = k;
                    n as f64
                };
                a * b * c * e * m
            }
        ),
    );
}

#[test]
fn a_generic_float_type_becomes_f64() {
    assert_desugars(
        quote!(
            fn f<T: Float + FromPrimitive>(x: &[T], a: T) -> T {
                let h = T::from_f64(0.5).unwrap();
                x[0] * h * a + T::one() + T::PI() + T::sqrt(a) + T::epsilon()
            }
        ),
        quote!(
            fn f(x: &[f64], a: f64) -> f64 {
                let h = ((0.5) as f64);
                x[0] * h * a + 1.0 + ::std::f64::consts::PI + f64::sqrt(a) + f64::EPSILON
            }
        ),
    );
}

#[test]
fn an_in_place_update_becomes_the_map_from_its_input() {
    assert_desugars(
        quote!(
            fn f(x: &mut [f64]) {
                if x.len() < 2 {
                    return;
                }
                x[0] *= x[1];
            }
        ),
        quote!(
            fn f(x: &[f64]) -> Vec<f64> {
                let mut x = x.to_vec();
                if x.len() < 2 {
                    return x;
                }
                x[0] *= x[1];
                x
            }
        ),
    );
}

#[test]
fn break_and_continue_become_flags_and_guards() {
    assert_desugars(
        quote!(
            fn f(x: &[f64], n: usize) -> f64 {
                let mut s = 0.0;
                for i in 0..n {
                    if i > 5 {
                        break;
                    }
                    if x[i] < 0.0 {
                        continue;
                    }
                    s += x[i];
                }
                s
            }
        ),
        quote!(
            fn f(x: &[f64], n: usize) -> f64 {
                let mut s = 0.0;
                {
                    let mut __asd_brk0 = false;
                    for i in 0..n {
                        if !__asd_brk0 {
                            if i > 5 {
                                __asd_brk0 = true;
                            }
                            if !__asd_brk0 {
                                if !(x[i] < 0.0) {
                                    s += x[i];
                                }
                            }
                        }
                    }
                }
                s
            }
        ),
    );
}

#[test]
fn what_cannot_be_desugared_is_reported_at_its_span() {
    let out = desugared(quote!(
        fn f(x: &[f64], k: &Option<usize>) -> f64 {
            let s: f64 = x
                .iter()
                .filter(|v| **v > 0.0)
                .enumerate()
                .map(|(i, v)| v)
                .sum();
            let m = match *k {
                Shape::Disc { r: 0 } => x[0],
                _ => 0.0,
            };
            'a: {
                for i in 0..3 {
                    break 'a;
                }
            }
            for v in x.iter() {
                let x = 2.0;
                s += v * x;
            }
            s + m
        }
    ));
    assert!(
        out.contains("`x` hides the vector this loop reads its elements from"),
        "{out}"
    );
    assert!(
        out.contains("`enumerate` after `filter` is not supported"),
        "{out}"
    );
    assert!(
        out.contains(
            "only integer, `bool`, tuple, `Option` and enum variant patterns are supported here"
        ),
        "{out}"
    );
    assert!(
        out.contains("a `break` out of a labeled block is not supported"),
        "{out}"
    );
}

#[test]
fn a_returned_array_is_a_vector() {
    assert_desugars(
        quote!(
            fn f(u: &[f64; 2], k: usize) -> [f64; 2] {
                if k == 0 {
                    return *u;
                }
                if k == 1 {
                    let r = vec![u[0]; 2];
                    return r.try_into().unwrap();
                }
                match k {
                    2 => [0.0; 2],
                    _ => [u[1], u[0]],
                }
            }
        ),
        quote!(
            fn f(u: &[f64; 2], k: usize) -> Vec<f64> {
                if k == 0 {
                    return u.to_vec();
                }
                if k == 1 {
                    let r = vec![u[0]; 2];
                    return {
                        if r.len() != 2 {
                            ::core::panic!(
                                "`f` converted a vector of another length into its array"
                            );
                        }
                        r.to_vec()
                    };
                }
                if k == 2 {
                    vec![0.0; 2]
                } else {
                    vec![u[1], u[0]]
                }
            }
        ),
    );
}

#[test]
fn a_reference_pattern_destructures_what_it_points_to() {
    assert_desugars(
        quote!(
            fn f(s: &[f64; 2]) -> f64 {
                let &[x, v] = s;
                x * v
            }
        ),
        quote!(
            fn f(s: &[f64; 2]) -> f64 {
                let x = s[0usize];
                let v = s[1usize];
                x * v
            }
        ),
    );
}
