//! Lowering, read back: a function in, its IR printed (see [`crate::print`]) or its
//! errors out.

use proc_macro2::TokenStream;
use quote::quote;

use crate::errors::Errors;
use crate::ir::Function;
use crate::parse;

/// `item` through the signature and lowering: the function, or every error as
/// `line:column: message`.
pub(crate) fn lower_item(item: TokenStream) -> Result<Function, Vec<String>> {
    lower_with(quote!(), item)
}

/// [`lower_item`] with the attribute's arguments `args`.
pub(crate) fn lower_with(args: TokenStream, item: TokenStream) -> Result<Function, Vec<String>> {
    let item: syn::ItemFn = syn::parse2(item).expect("a function");
    let args: parse::Args = syn::parse2(args).expect("the attribute's arguments");
    let mut errors = Errors::default();
    let f = parse::signature(&item, &args, &mut errors)
        .map(|sig| super::lower(&item, &sig, &mut errors));
    match f {
        Some(f) if errors.is_empty() => Ok(f),
        _ => Err(messages(&errors)),
    }
}

/// Every error as `line:column: message`.
pub(crate) fn messages(errors: &Errors) -> Vec<String> {
    errors
        .iter()
        .map(|e| {
            let at = e.span().start();
            format!("{}:{}: {}", at.line, at.column + 1, e)
        })
        .collect()
}

/// `item` lowered and printed, compared with `expected` (its common indentation
/// removed).
#[track_caller]
fn check(item: TokenStream, expected: &str) {
    let got = match lower_item(item) {
        Ok(f) => f.to_string(),
        Err(e) => panic!("lowering failed:\n{}", e.join("\n")),
    };
    let lines: Vec<&str> = expected
        .lines()
        .skip_while(|l| l.trim().is_empty())
        .collect();
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let want: Vec<&str> = lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or(""))
        .collect();
    assert_eq!(got.trim_end(), want.join("\n").trim_end(), "\ngot:\n{got}");
}

/// The messages of lowering `item`, without their positions.
fn errors(item: TokenStream) -> Vec<String> {
    let errors = lower_item(item).err().unwrap_or_default();
    errors
        .iter()
        .map(|e| e.split_once(": ").map_or(e.clone(), |(_, m)| m.to_string()))
        .collect()
}

#[test]
fn a_scalar_function_returns_its_value_through_a_temporary() {
    check(
        quote! {
            fn f(x: &[f64], c: f64) -> f64 {
                let mut s = 0.0;
                for i in 0..x.len() {
                    s += x[i].sin() * c;
                }
                s.exp() / 2.0
            }
        },
        "
        fn(x: RealVec active, c: Real) -> Real
        let s: Real = 0.0
        for i in 0..x.len() {
            s = s + x[i].sin() * c
        }
        let t0: Real = s.exp() / 2.0
        return t0
        ",
    );
}

#[test]
fn a_vector_function_copies_moves_and_returns_its_vectors() {
    check(
        crate::tests::iter_diff(),
        "
        fn(x: RealVec active, k: Int) -> RealVec
        let y: RealVec = copy(x)
        for _i in 0..k {
            let z: RealVec = vec![0.0; y.len() - 1]
            for i in 0..y.len() - 1 {
                z[i] = y[i + 1] - y[i]
            }
            y = move(z)
        }
        return y
        ",
    );
}

#[test]
fn a_function_writing_its_output_parameter_returns_nothing() {
    check(
        quote! {
            fn f(x: &[f64], y: &mut [f64], n: usize) {
                if n == 0 {
                    return;
                }
                for i in 0..n {
                    y[i] = 2.0 * x[i];
                }
            }
        },
        "
        fn(x: RealVec active, y: RealVec output, n: Int)
        if n == 0 {
            return
        }
        for i in 0..n {
            y[i] = 2.0 * x[i]
        }
        ",
    );
}

#[test]
fn shadowed_locals_are_renamed_and_temporaries_avoid_user_names() {
    check(
        quote! {
            fn f(x: &[f64]) -> f64 {
                let t0 = x[0];
                let y = x[1];
                let y = y * t0;
                let i = 1;
                let i = i + 1;
                {
                    let y = y + x[i];
                    let t0 = y;
                }
                y * x[i].sin() + f64::sin(x[0]) + (x[0] + 1.0).powi(i as i32)
            }
        },
        "
        fn(x: RealVec active) -> Real
        let t0: Real = x[0]
        let y: Real = x[1]
        let y_1: Real = y * t0
        let i: Int = 1
        let i_1: Int = i + 1
        {
            let y_2: Real = y_1 + x[i_1]
            let t0_1: Real = y_2
        }
        let t1: Real = y_1 * x[i_1].sin() + x[0].sin() + (x[0] + 1.0).powi(i_1 as i32)
        return t1
        ",
    );
}

#[test]
fn compound_assignments_read_their_target() {
    check(
        quote! {
            fn f(x: &[f64], n: usize) -> Vec<f64> {
                let mut y = vec![1.0; n];
                let mut s = 0.0;
                let mut k = 0;
                for i in 0..n {
                    s -= x[i];
                    s *= 2.0;
                    y[i] += s;
                    y[i] /= x[i];
                    k += 2 * i;
                }
                y
            }
        },
        "
        fn(x: RealVec active, n: Int) -> RealVec
        let y: RealVec = vec![1.0; n]
        let s: Real = 0.0
        let k: Int = 0
        for i in 0..n {
            s = s - x[i]
            s = s * 2.0
            y[i] = y[i] + s
            y[i] = y[i] / x[i]
            k = k + (2 * i)
        }
        return y
        ",
    );
}

#[test]
fn loops_keep_their_range_adapters_in_order() {
    check(
        quote! {
            fn f(x: &[f64], n: usize) -> f64 {
                let mut s = 0.0;
                for i in (0..n).rev() {
                    s += x[i];
                }
                for i in (1..=n).step_by(2).rev() {
                    s += x[i];
                }
                let mut k = n;
                for _ in 0..3 {
                    while k > 0 {
                        k -= 1;
                    }
                }
                s
            }
        },
        "
        fn(x: RealVec active, n: Int) -> Real
        let s: Real = 0.0
        for i in (0..n).rev() {
            s = s + x[i]
        }
        for i_1 in (1..=n).step_by(2).rev() {
            s = s + x[i_1]
        }
        let k: Int = n
        for _i in 0..3 {
            while k > 0 {
                k = k - (1)
            }
        }
        return s
        ",
    );
}

#[test]
fn an_if_used_as_a_value_assigns_a_temporary_in_each_arm() {
    check(
        quote! {
            fn f(x: &[f64], k: usize) -> f64 {
                let a = if x[0] > 0.0 { x[0] } else { -x[0] };
                let b = if k == 0 {
                    1.0
                } else if k == 1 {
                    a
                } else {
                    { let c = a * a; c + 1.0 }
                };
                a * b
            }
        },
        "
        fn(x: RealVec active, k: Int) -> Real
        let t0: Real
        if x[0] > 0.0 {
            t0 = x[0]
        } else {
            t0 = -x[0]
        }
        let a: Real = t0
        let t1: Real
        if k == 0 {
            t1 = 1.0
        } else {
            if k == 1 {
                t1 = a
            } else {
                let t2: Real
                {
                    let c: Real = a * a
                    t2 = c + 1.0
                }
                t1 = t2
            }
        }
        let b: Real = t1
        let t3: Real = a * b
        return t3
        ",
    );
}

#[test]
fn calls_are_hoisted_into_temporaries_typed_by_their_use() {
    check(
        quote! {
            fn f(x: &[f64], n: usize) -> Vec<f64> {
                let s = g(&x, n);
                let v = 2.0 * h(x) + 1.0;
                let z = m::w(&x);
                let mut y = vec![0.0; n];
                out(&x, &mut y);
                y[0] = z[0] + s * v;
                r(&y)
            }
        },
        "
        fn(x: RealVec active, n: Int) -> RealVec
        let s: Real = g(&x, n)
        let t0: Real = h(&x)
        let v: Real = 2.0 * t0 + 1.0
        let z: RealVec = m::w(&x)
        let y: RealVec = vec![0.0; n]
        out(&x, &mut *y)
        y[0] = z[0] + s * v
        let t1: RealVec = r(&y)
        return t1
        ",
    );
}

#[test]
fn every_form_of_vector() {
    check(
        quote! {
            fn f(x: &[f64], n: usize) -> Vec<f64> {
                let a = vec![0.0; n];
                let b = vec![x[0], 2.0 * x[1], 3.0];
                let mut c = Vec::new();
                c.push(x[0]);
                let d: Vec<f64> = Vec::with_capacity(n);
                let e = x.to_vec();
                let mut y = a.clone();
                y = b;
                vec![x[0] * x[1]; 2]
            }
        },
        "
        fn(x: RealVec active, n: Int) -> RealVec
        let a: RealVec = vec![0.0; n]
        let b: RealVec = vec![x[0], 2.0 * x[1], 3.0]
        let c: RealVec = Vec::new()
        c.push(x[0])
        let d: RealVec = Vec::with_capacity(n)
        let e: RealVec = copy(x)
        let y: RealVec = copy(a)
        y = move(b)
        let t0: RealVec = vec![x[0] * x[1]; 2]
        return t0
        ",
    );
}

#[test]
fn every_mistake_is_reported_at_its_own_tokens() {
    // From source text, not `quote!`, so that spans have lines and columns.
    let src = r#"
fn f(x: &[f64], k: usize) -> Vec<f64> {
    let (a, b) = (x[0], x[1]);
    let mut y = vec![0.0; k];
    'outer: for i in 0..k {
        y[i] = x[i].copysign(2.0);
    }
    let s: f32 = 1.0;
    let m = match k { _ => 1.0 };
    y.extend_from_slice(x);
    y[0] = x[0].clamp(0.0, 1.0);
    dbg!(y[0]);
    y
}"#;
    let errors = lower_item(src.parse().expect("tokens")).expect_err("mistakes");
    let errors: Vec<&str> = errors.iter().map(|e| e.as_str()).collect();
    assert_eq!(
        errors,
        [
            "3:9: patterns are not supported in `let`: bind one name, as in `let y = ...;`",
            "5:5: labels are not supported by #[sparse_diff]: remove the label",
            "6:16: the method `copysign` is not supported on reals by #[sparse_diff]; supported: sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, acosh, atanh, exp, exp2, exp_m1, ln, ln_1p, log10, log2, sqrt, cbrt, recip, abs, signum, floor, ceil, round, trunc, powf, max, min, hypot, atan2, powi, mul_add, rem_euclid",
            "8:12: `f32` is not supported by #[sparse_diff]: write `f64` (the derivative code computes in `f64`)",
            "9:13: `match` is not supported by #[sparse_diff]: write `if` / `else if` / `else` on integer conditions",
            "10:5: the method `extend_from_slice` is not supported by #[sparse_diff]: iterator adapters and other methods have no derivative rule; write a `for` loop over indices",
            "11:12: the method `clamp` is not supported on reals by #[sparse_diff]; supported: sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, acosh, atanh, exp, exp2, exp_m1, ln, ln_1p, log10, log2, sqrt, cbrt, recip, abs, signum, floor, ceil, round, trunc, powf, max, min, hypot, atan2, powi, mul_add, rem_euclid",
            "12:5: the macro `dbg!` is not supported inside #[sparse_diff] (`vec!`, `panic!` and its kin, assertions and printing are): move it out of the differentiated function",
        ]
    );
}

#[test]
fn a_construct_has_one_message_wherever_it_stands() {
    let cases = [
        (
            quote!(match k { _ => 1.0 }),
            "`match` is not supported by #[sparse_diff]: write `if` / `else if` / `else` on integer conditions",
        ),
        (
            quote!(|v: f64| v * 2.0),
            "closures are not supported by #[sparse_diff]: write the computation inline, as a `for` loop, or in another #[sparse_diff] function",
        ),
        (
            quote!((x[0], x[1])),
            "a tuple of reals is not supported as one value: destructure it, as in `let (a, b) = (x[0], x[1]);`",
        ),
        (
            quote!(unsafe { x[0] }),
            "`unsafe` blocks are not supported by #[sparse_diff]: index with `x[i]`",
        ),
        (
            quote!(loop {}),
            "`loop` is not supported by #[sparse_diff]: use `for i in a..b` or `while` with an integer condition",
        ),
    ];
    for (construct, msg) in cases {
        // A `let` initializer, a real assigned, a real stored, a vector, an index.
        let got = errors(quote! {
            fn f(x: &[f64], k: usize) -> f64 {
                let mut y = vec![0.0; k];
                let a = #construct;
                let mut s = 0.0;
                s = #construct;
                y[0] = #construct;
                let v: Vec<f64> = #construct;
                s + y[#construct]
            }
        });
        assert_eq!(got, vec![msg; 5], "for `{construct}`");
    }
}

#[test]
fn a_call_of_a_rule_is_an_operation_of_its_real_arguments() {
    let f = lower_with(
        quote!(rules(libm::j0 = J0, lae = Lae)),
        quote! {
            fn f(x: &[f64], c: f64) -> f64 {
                let mut s = libm::j0(c);
                for i in 0..x.len() - 1 {
                    let t = lae(libm::j0(x[i]), (i as f64) * x[i + 1]);
                    s += 2.0 * t;
                }
                s
            }
        },
    )
    .expect("lowered");
    let printed = f.to_string();
    for line in [
        "let s: Real = ::asd::__private::rule_value::<J0, 1>([c])",
        // (the printer breaks the long one's generics as `::< Lae, 2, >`)
        "let t: Real = ::asd::__private::rule_value::< Lae, 2, >([::asd::__private::rule_value::<J0, 1>([x[i]]), i as f64 * x[i + 1]])",
    ] {
        assert!(printed.contains(line), "no `{line}` in\n{printed}");
    }
    assert!(!printed.contains("call"), "no call statement: {printed}");
}

#[test]
fn a_rule_call_is_checked_at_its_tokens() {
    let errors = |item| {
        let errors = lower_with(quote!(rules(libm::j0 = J0, now = Now)), item)
            .err()
            .unwrap_or_default();
        errors
            .iter()
            .map(|e| e.split_once(": ").map_or(e.clone(), |(_, m)| m.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        errors(quote! {
            fn f(x: &[f64]) -> f64 {
                j0(x[0]) + now() + libm::j0(x)
            }
        }),
        [
            "`rules(..)` maps `libm::j0`, but this call is written `j0`: write the call as the attribute names it, or map `j0`",
            "a rule takes at least one real argument: a function of none is a constant",
            "expected a real (`f64`), found a real vector",
        ]
    );
}
