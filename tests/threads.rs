//! Parallel prepared evaluation (`with_threads`): the same Jacobians and Hessians as the
//! serial one, bit for bit, on the benchmark problems, in forward and reverse mode, with
//! odd color counts and more threads than sweeps; functions whose kernel cannot be
//! shared (a non-`Sync` parameter, an output parameter) still compile and evaluate,
//! serially.

mod problems;

use std::cell::Cell;
use std::rc::Rc;

use asd::{HessianOptions, JacobianOptions, Mode};
use problems::*;

const THREADS: [usize; 4] = [2, 3, 4, 64];

/// `prepare(options)` then `evaluate(prep)`, serial and on each of [`THREADS`]: equal
/// bit for bit, twice (the second evaluation reuses the buffers, and sweeps the merged
/// colors of scaled rows learned at the first).
fn same_jacobians(
    what: &str,
    options: JacobianOptions,
    prepare: impl Fn(&JacobianOptions) -> asd::JacobianPrep,
    evaluate: impl Fn(&mut asd::JacobianPrep) -> asd::sprs::CsMat<f64>,
) {
    let mut serial = prepare(&options);
    let expected = [evaluate(&mut serial), evaluate(&mut serial)];
    assert_eq!(serial.threads(), 1);
    for threads in THREADS {
        let mut prep = prepare(&options.with_threads(threads));
        assert_eq!(prep.mode(), serial.mode(), "{what}");
        assert!(prep.threads() <= threads.min(prep.nsweeps()), "{what}");
        for expected in &expected {
            assert_eq!(&evaluate(&mut prep), expected, "{what}, {threads} threads");
        }
    }
}

#[test]
fn j1_iter_diff_in_parallel() {
    let x = point(500);
    for k in [3, 10] {
        for options in [
            JacobianOptions::forward().with_constant_entries(false),
            JacobianOptions::forward(),
            JacobianOptions::reverse(),
            JacobianOptions::forward().with_lanes(1),
        ] {
            same_jacobians(
                &format!("iter_diff k={k} {options:?}"),
                options,
                |o| iter_diff_jacobian_prepare_with(&x, k, o),
                |p| iter_diff_jacobian_prepared(p, &x, k).clone(),
            );
        }
    }
    // 11 colors on 2 threads: two sweeps of 6 lanes, one per thread.
    let two = JacobianOptions::forward()
        .with_constant_entries(false)
        .with_threads(2);
    let prep = iter_diff_jacobian_prepare_with(&x, 10, &two);
    assert_eq!(
        (prep.ncolors(), prep.lanes(), prep.nsweeps(), prep.threads()),
        (11, 6, 2, 2)
    );
}

#[test]
fn j2_brusselator_in_parallel() {
    let n = 16;
    let u = point(2 * n * n);
    for options in [
        JacobianOptions::default(),
        JacobianOptions::reverse(),
        JacobianOptions::forward().with_lanes(2),
    ] {
        same_jacobians(
            &format!("brusselator {options:?}"),
            options,
            |o| brusselator_jacobian_prepare_with(&u, n, o),
            |p| brusselator_jacobian_prepared(p, &u, n).clone(),
        );
    }
}

#[test]
fn j3_conv_tanh_in_parallel() {
    let x = point(28 * 28);
    for options in [JacobianOptions::forward(), JacobianOptions::reverse()] {
        same_jacobians(
            &format!("conv_tanh {options:?}"),
            options,
            |o| conv_tanh_jacobian_prepare_with(&x, o),
            |p| conv_tanh_jacobian_prepared(p, &x).clone(),
        );
    }
    // 25 colors on 2 threads: two sweeps of 16 lanes rather than one of 32.
    let prep = conv_tanh_jacobian_prepare_with(&x, &JacobianOptions::forward().with_threads(2));
    assert_eq!(
        (prep.mode(), prep.lanes(), prep.threads()),
        (Mode::Forward, 16, 2)
    );
}

fn same_hessians(
    what: &str,
    options: HessianOptions,
    prepare: impl Fn(&HessianOptions) -> asd::HessianPrep,
    evaluate: impl Fn(&mut asd::HessianPrep) -> asd::sprs::CsMat<f64>,
) {
    let mut serial = prepare(&options);
    let expected = evaluate(&mut serial);
    for threads in THREADS {
        let mut prep = prepare(&options.with_threads(threads));
        for _ in 0..2 {
            assert_eq!(evaluate(&mut prep), expected, "{what}, {threads} threads");
        }
    }
}

#[test]
fn h1_to_h3_in_parallel() {
    let x = point(200);
    for options in [
        HessianOptions::default(),
        HessianOptions::default().with_method(asd::HessianMethod::Acyclic),
        HessianOptions::default().with_lanes(1),
    ] {
        same_hessians(
            "arwhead",
            options,
            |o| arwhead_hessian_prepare_with(&x, o),
            |p| arwhead_hessian_prepared(p, &x).clone(),
        );
        same_hessians(
            "bdqrtic",
            options,
            |o| bdqrtic_hessian_prepare_with(&x, o),
            |p| bdqrtic_hessian_prepared(p, &x).clone(),
        );
        let side = 12;
        let u = point(side * side);
        same_hessians(
            "bratu2d",
            options,
            |o| bratu2d_hessian_prepare_with(&u, side, o),
            |p| bratu2d_hessian_prepared(p, &u, side).clone(),
        );
    }
}

/// A parameter that is not `Sync`: the kernel cannot be shared, and the generated
/// operators evaluate serially.
pub struct Scale {
    factor: Rc<Cell<f64>>,
}

impl Scale {
    pub fn factor(&self) -> f64 {
        self.factor.get()
    }
}

#[asd::sparse_diff]
fn scaled_squares(x: &[f64], scale: &Scale) -> Vec<f64> {
    let n = x.len();
    let mut y = vec![0.0; n - 1];
    let s = scale.factor();
    for i in 0..n - 1 {
        y[i] = s * x[i] * x[i + 1];
    }
    y
}

#[asd::sparse_diff]
fn scaled_energy(x: &[f64], scale: &Scale) -> f64 {
    let n = x.len();
    let s = scale.factor();
    let mut e = 0.0;
    for i in 0..n - 2 {
        e += s * x[i] * x[i + 1] * x[i + 2];
    }
    e
}

/// An output parameter: the kernel holds it mutably, so it cannot be shared either.
#[asd::sparse_diff]
fn products_into(x: &[f64], y: &mut [f64]) {
    for i in 0..y.len() {
        y[i] = x[i] * x[i + 1] * x[i + 2];
    }
}

#[test]
fn kernels_that_cannot_be_shared_evaluate_serially() {
    let x = point(40);
    let scale = &Scale {
        factor: Rc::new(Cell::new(2.0)),
    };
    let options = JacobianOptions::forward().with_lanes(1);
    let mut serial = scaled_squares_jacobian_prepare_with(&x, scale, &options);
    let expected = scaled_squares_jacobian_prepared(&mut serial, &x, scale).clone();
    let mut prep = scaled_squares_jacobian_prepare_with(&x, scale, &options.with_threads(2));
    assert_eq!(prep.threads(), 2);
    assert_eq!(
        scaled_squares_jacobian_prepared(&mut prep, &x, scale),
        &expected
    );

    let h_options = HessianOptions::default().with_lanes(1);
    let mut serial = scaled_energy_hessian_prepare_with(&x, scale, &h_options);
    let expected = scaled_energy_hessian_prepared(&mut serial, &x, scale).clone();
    let mut prep = scaled_energy_hessian_prepare_with(&x, scale, &h_options.with_threads(2));
    assert_eq!(
        scaled_energy_hessian_prepared(&mut prep, &x, scale),
        &expected
    );

    let mut y = vec![0.0; 38];
    let mut serial = products_into_jacobian_prepare_with(&x, &mut y, &options);
    let expected = products_into_jacobian_prepared(&mut serial, &x, &mut y).clone();
    let mut prep = products_into_jacobian_prepare_with(&x, &mut y, &options.with_threads(3));
    assert_eq!(
        products_into_jacobian_prepared(&mut prep, &x, &mut y),
        &expected
    );
    assert_eq!(y[0], x[0] * x[1] * x[2]);
}

/// Preparations stay `Send` (and clones get workspaces of their own): one per thread
/// of the caller's own works too.
#[test]
fn parallel_preparations_are_send_and_clone() {
    fn send<T: Send>(_: &T) {}
    let x = point(300);
    let prep = iter_diff_jacobian_prepare_with(&x, 10, &JacobianOptions::forward().with_threads(2));
    send(&prep);
    let expected = iter_diff_jacobian(&x, 10);
    std::thread::scope(|s| {
        for _ in 0..2 {
            let mut prep = prep.clone();
            let (x, expected) = (&x, &expected);
            s.spawn(move || assert_eq!(iter_diff_jacobian_prepared(&mut prep, x, 10), expected));
        }
    });
}
