//! Input a user gets wrong, or that is not finite: NaN and infinities propagate without
//! a panic; wrong lengths, and a preparation reused at another size, panic with both
//! sizes (a preparation evaluated with constants that change its size prepares again);
//! preparations move between threads, and threads evaluate their own at once.

use std::panic::{catch_unwind, AssertUnwindSafe};

use asd::{sparse_diff, HessianPrep, JacobianOptions, JacobianPrep};

/// A stencil with a branch on a real: every kind of operator has work to do.
#[sparse_diff]
fn stencil(x: &[f64], m: usize) -> Vec<f64> {
    let mut y = vec![0.0; m];
    for i in 0..m {
        let a = x[i] * x[i + 1];
        y[i] = if a > 0.0 { a.sin() } else { a.exp() } + x[i + 2];
    }
    y
}

/// A scalar function for the reverse and second-order operators.
#[sparse_diff]
fn energy(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        s += (x[i + 1] - x[i] * x[i]).powi(2) + x[i].ln_1p().abs().sqrt();
    }
    s
}

/// The message of the panic `f` raises.
fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[track_caller]
fn assert_names_both(msg: &str, expected: usize, given: usize) {
    assert!(
        msg.contains(&expected.to_string()) && msg.contains(&given.to_string()),
        "the message should name {expected} and {given}: {msg}"
    );
}

fn point(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.3 + 0.1 * i as f64).collect()
}

#[test]
fn nan_and_infinities_propagate_without_a_panic() {
    let n = 8;
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut x = point(n);
        x[3] = bad;
        // The global pattern does not look at values.
        assert_eq!(
            stencil_jacobian_sparsity(&x, n - 2),
            stencil_jacobian_sparsity(&point(n), n - 2)
        );
        assert_eq!(
            energy_hessian_sparsity(&x),
            energy_hessian_sparsity(&point(n))
        );
        for options in [JacobianOptions::forward(), JacobianOptions::reverse()] {
            let mut prep = stencil_jacobian_prepare_with(&point(n), n - 2, &options);
            let jac = stencil_jacobian_prepared(&mut prep, &x, n - 2).clone();
            // Rows 2 and 3 have partials that read x[3]; a compressed sweep also carries
            // them, as 0 * NaN, into the entries it shares with them.
            assert_eq!(jac.nnz(), prep.pattern().nnz());
            assert!(
                jac.iter().any(|(v, _)| !v.is_finite()),
                "{bad} reaches the Jacobian"
            );
            // Nothing of it stays in the preparation.
            let good = point(n);
            assert_eq!(
                stencil_jacobian_prepared(&mut prep, &good, n - 2),
                &stencil_jacobian(&good, n - 2)
            );
        }
        let (_, dy) = stencil_jvp(&x, n - 2, &vec![1.0; n]);
        assert!(!dy[3].is_finite() && dy[5].is_finite());
        let (_, g) = energy_gradient(&x);
        assert!(!g[3].is_finite() && g[6].is_finite());
        let hv = energy_hvp(&x, &vec![1.0; n]);
        assert!(!hv[3].is_finite() && hv[6].is_finite());
        let mut prep = energy_hessian_prepare(&point(n));
        let h = energy_hessian_prepared(&mut prep, &x);
        assert!(h.iter().any(|(v, _)| !v.is_finite()));
        assert_eq!(
            energy_hessian_prepared(&mut prep, &point(n)),
            &energy_hessian(&point(n))
        );
    }
}

#[test]
fn wrong_lengths_panic_with_both_sizes() {
    let x = point(6);
    assert_names_both(&panic_message(|| drop(stencil_jvp(&x, 4, &[1.0; 5]))), 6, 5);
    assert_names_both(&panic_message(|| drop(stencil_vjp(&x, 4, &[1.0; 3]))), 4, 3);
    assert_names_both(&panic_message(|| drop(energy_hvp(&x, &[1.0; 7]))), 6, 7);
}

#[test]
fn a_preparation_reused_at_another_size_panics_with_both_sizes() {
    let x = point(6);
    for options in [JacobianOptions::forward(), JacobianOptions::reverse()] {
        let mut prep = stencil_jacobian_prepare_with(&x, 4, &options);
        let msg = panic_message(|| {
            let _ = stencil_jacobian_prepared(&mut prep, &point(7), 4);
        });
        assert_names_both(&msg, 6, 7);
        // The same input length, but a constant that changes the output's length: the
        // preparation is made again for it.
        assert_eq!(
            stencil_jacobian_prepared(&mut prep, &x, 3),
            &stencil_jacobian(&x, 3)
        );
        // The preparation still works at its own size.
        assert_eq!(
            stencil_jacobian_prepared(&mut prep, &x, 4),
            &stencil_jacobian(&x, 4)
        );
    }
    let mut prep = energy_hessian_prepare(&x);
    let msg = panic_message(|| {
        let _ = energy_hessian_prepared(&mut prep, &point(5));
    });
    assert_names_both(&msg, 6, 5);
}

#[test]
fn preparations_are_send_and_threads_evaluate_their_own() {
    fn send<T: Send>() {}
    send::<JacobianPrep>();
    send::<HessianPrep>();
    let n = 200;
    let points: Vec<Vec<f64>> = (0..4)
        .map(|t| point(n).iter().map(|v| v + 0.01 * t as f64).collect())
        .collect();
    let expected: Vec<_> = points
        .iter()
        .map(|x| (stencil_jacobian(x, n - 2), energy_hessian(x)))
        .collect();
    let mut jac = stencil_jacobian_prepare(&points[0], n - 2);
    let mut hes = energy_hessian_prepare(&points[0]);
    std::thread::scope(|s| {
        let handles: Vec<_> = points
            .iter()
            .map(|x| {
                // Each thread its own preparation, cloned from one made on this thread.
                let (mut jac, mut hes) = (jac.clone(), hes.clone());
                s.spawn(move || {
                    let mut out = Vec::new();
                    for _ in 0..20 {
                        out = vec![(
                            stencil_jacobian_prepared(&mut jac, x, n - 2).clone(),
                            energy_hessian_prepared(&mut hes, x).clone(),
                        )];
                    }
                    out.pop().expect("evaluated")
                })
            })
            .collect();
        for (h, want) in handles.into_iter().zip(&expected) {
            assert_eq!(&h.join().expect("no panic"), want);
        }
    });
    // The originals moved nowhere and still evaluate.
    assert_eq!(
        stencil_jacobian_prepared(&mut jac, &points[1], n - 2),
        &expected[1].0
    );
    assert_eq!(
        energy_hessian_prepared(&mut hes, &points[2]),
        &expected[2].1
    );
}
