//! A prepared evaluation allocates nothing: the generated sweeps draw every vector
//! from the preparation's workspace. Counted with a counting global allocator.

mod counting;
mod problems;

use counting::thread_allocations_during;

/// The global counter counts every thread's allocations: tests take turns, so that none
/// allocates while the parallel one counts.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A prepared evaluation, run once to warm up, then allocates nothing on the next call.
#[track_caller]
fn assert_allocates_nothing_after_the_first_call(what: &str, mut evaluate: impl FnMut()) {
    evaluate();
    assert_eq!(thread_allocations_during(evaluate), 0, "{what}");
}

/// Branches and `min` on the input: a local pattern.
#[asd::sparse_diff]
fn upwind(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut y = vec![0.0; n];
    for i in 1..n - 1 {
        if x[i] > 0.0 {
            y[i] = x[i] * (x[i] - x[i - 1]);
        } else {
            y[i] = x[i] * (x[i + 1] - x[i]);
        }
        y[i] += 0.1 * x[i - 1].min(x[i + 1]);
    }
    y
}

#[test]
fn prepared_jacobians_allocate_nothing_after_the_first_call() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    use problems::*;

    let x = point(1000);
    let mut prep = iter_diff_jacobian_prepare(&x, 10);
    assert_allocates_nothing_after_the_first_call("iter_diff", || {
        let _ = iter_diff_jacobian_prepared(&mut prep, &x, 10);
    });
    let primal = thread_allocations_during(|| {
        let _ = iter_diff(&x, 10);
    });
    assert!(
        primal > 0,
        "the plain function allocates {primal} times; the prepared Jacobian none"
    );

    let u = point(2 * 16 * 16);
    let mut prep = brusselator_jacobian_prepare(&u, 16);
    assert_allocates_nothing_after_the_first_call("brusselator", || {
        let _ = brusselator_jacobian_prepared(&mut prep, &u, 16);
    });

    let x = point(784);
    let mut prep = conv_tanh_jacobian_prepare(&x);
    assert_allocates_nothing_after_the_first_call("conv_tanh", || {
        let _ = conv_tanh_jacobian_prepared(&mut prep, &x);
    });

    // Reverse mode: the tape and the adjoint buffers are reused too.
    let x = point(1000);
    let options = asd::JacobianOptions::reverse();
    let mut prep = iter_diff_jacobian_prepare_with(&x, 10, &options);
    assert_allocates_nothing_after_the_first_call("iter_diff, reverse mode", || {
        let _ = iter_diff_jacobian_prepared(&mut prep, &x, 10);
    });

    // A local preparation reruns the function's decisions first, in the preparation's
    // workspace, into a buffer it keeps.
    let x = point(1000);
    let options = asd::JacobianOptions::local(asd::OnSwitch::Error);
    let mut prep = upwind_jacobian_prepare_with(&x, &options);
    assert_eq!(prep.decisions().map(|d| d.len()), Some(2 * 998));
    assert_allocates_nothing_after_the_first_call("upwind, local pattern", || {
        let _ = upwind_jacobian_prepared(&mut prep, &x);
    });

    // A gradient allocates its result and nothing else: the thread's workspace keeps
    // the tape between calls.
    let _ = bratu2d_gradient(&point(100), 10);
    assert_eq!(
        thread_allocations_during(|| {
            let _ = bratu2d_gradient(&point(100), 10);
        }),
        2,
        "bratu2d gradient: the point and the gradient vector"
    );

    // The in-place forms write into the caller's buffers and allocate nothing.
    let u = point(100);
    let mut g = vec![0.0; 100];
    assert_allocates_nothing_after_the_first_call("bratu2d_gradient_into", || {
        let _ = bratu2d_gradient_into(&u, 10, &mut g);
    });
    let mut hv = vec![0.0; 100];
    assert_allocates_nothing_after_the_first_call("bratu2d_hvp_into", || {
        bratu2d_hvp_into(&u, 10, &g, &mut hv);
    });
    let mut prep = bratu2d_hessian_prepare(&u, 10);
    let mut hess = prep.hessian().clone();
    assert_allocates_nothing_after_the_first_call("bratu2d_hessian_prepared_into", || {
        bratu2d_hessian_prepared_into(&mut prep, &u, 10, &mut hess);
    });
    let at = bratu2d_hvp_prepare_same_point(&mut prep, &u, 10);
    assert_allocates_nothing_after_the_first_call("HvpSamePoint::hvp_into", || {
        at.hvp_into(&g, &mut hv);
    });
    assert_allocates_nothing_after_the_first_call(
        "bratu2d_value_gradient_and_hessian_prepared",
        || {
            let _ = bratu2d_value_gradient_and_hessian_prepared(&mut prep, &u, 10, &mut g);
        },
    );
    let x = point(1000);
    let (dx, mut y, mut dy, mut dx_out) =
        (point(1000), vec![0.0; 990], vec![0.0; 990], vec![0.0; 1000]);
    assert_allocates_nothing_after_the_first_call("iter_diff_jvp_into", || {
        iter_diff_jvp_into(&x, 10, &dx, &mut y, &mut dy);
    });
    assert_allocates_nothing_after_the_first_call("iter_diff_vjp_into", || {
        iter_diff_vjp_into(&x, 10, &dy, &mut y, &mut dx_out);
    });
    let mut prep = iter_diff_jacobian_prepare(&x, 10);
    let mut jac = prep.jacobian().clone();
    assert_allocates_nothing_after_the_first_call("iter_diff_jacobian_prepared_into", || {
        iter_diff_jacobian_prepared_into(&mut prep, &x, 10, &mut jac);
    });
}

/// A vector overwritten by a shorter one in a loop (`y = z`), in a scalar function:
/// each HVP lane sweep saves the tangent lanes of `y` before they are replaced and
/// restores them in its reverse half, and the adjoint of `y` takes `z`'s shorter buffer.
/// No pooled buffer grows in place, so each size class of the pool is asked for the
/// same buffers at every evaluation.
#[asd::sparse_diff]
fn shrinking_energy(x: &[f64], k: usize) -> f64 {
    let mut y = x.to_vec();
    for _ in 0..k {
        let mut z = vec![0.0; y.len() - 1];
        for i in 0..y.len() - 1 {
            z[i] = y[i + 1] * y[i];
        }
        y = z;
    }
    let mut s = 0.0;
    for i in 0..y.len() {
        s += y[i].sin();
    }
    s
}

/// An annotated helper with vectors of its own, whose result a caller overwrites.
#[asd::sparse_diff]
fn smoothed(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut s = x.to_vec();
    for i in 1..n - 1 {
        s[i] = 0.25 * x[i - 1] + 0.5 * x[i] + 0.25 * x[i + 1];
    }
    s
}

/// A helper called on values that depend on the input: the reverse and HVP sweeps
/// compute the call's value with its pooled primal (`__asd_value_smoothed`), not the
/// user's function, which allocates.
#[asd::sparse_diff]
fn smoothed_twice(x: &[f64]) -> Vec<f64> {
    let mut y = smoothed(x);
    y = smoothed(&y);
    for v in y.iter_mut() {
        *v = v.sin();
    }
    y
}

#[asd::sparse_diff]
fn smoothed_energy(x: &[f64]) -> f64 {
    let y = smoothed_twice(x);
    y.iter().map(|v| v * v).sum()
}

#[test]
fn prepared_evaluations_through_helpers_allocate_nothing() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let x = problems::point(300);
    for (mode, options) in [
        ("forward", asd::JacobianOptions::forward()),
        ("reverse", asd::JacobianOptions::reverse()),
    ] {
        let mut prep = smoothed_twice_jacobian_prepare_with(&x, &options);
        assert_allocates_nothing_after_the_first_call(mode, || {
            let _ = smoothed_twice_jacobian_prepared(&mut prep, &x);
        });
    }
    let mut prep = smoothed_energy_hessian_prepare(&x);
    assert_allocates_nothing_after_the_first_call("Hessian", || {
        let _ = smoothed_energy_hessian_prepared(&mut prep, &x);
    });
}

#[test]
fn prepared_hessians_restoring_shorter_vectors_allocate_nothing() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let x = problems::point(200);
    let mut prep = shrinking_energy_hessian_prepare(&x, 4);
    assert!(prep.lanes() > 1, "{prep}");
    for round in 0..3 {
        assert_allocates_nothing_after_the_first_call(&format!("round {round}"), || {
            let _ = shrinking_energy_hessian_prepared(&mut prep, &x, 4);
        });
    }
}

/// A parallel evaluation (`with_threads`): each worker's seed, part of the compressed
/// buffer and workspace are allocated at preparation, so the sweeps allocate nothing.
/// rayon's pool is started by the first evaluation; after it, the only allocations are
/// rayon's own: its global job queue is a list of blocks of 63 jobs, and a call from
/// outside the pool injects one job, so one block is allocated (and freed) every 63
/// evaluations or so. Without the `parallel` feature, each evaluation spawns scoped
/// threads, which allocate.
#[cfg(feature = "parallel")]
#[test]
fn parallel_evaluations_allocate_only_rayons_queue_blocks() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    use problems::*;
    let x = point(2000);
    let options = asd::JacobianOptions::forward()
        .with_constant_entries(false)
        .with_threads(2);
    let mut prep = iter_diff_jacobian_prepare_with(&x, 10, &options);
    assert_eq!(prep.threads(), 2);
    let u = point(400);
    let options = asd::HessianOptions::default()
        .with_constant_entries(false)
        .with_threads(2);
    let mut hprep = bratu2d_hessian_prepare_with(&u, 20, &options);
    assert_eq!(hprep.threads(), 2);
    let _ = iter_diff_jacobian_prepared(&mut prep, &x, 10);
    let _ = bratu2d_hessian_prepared(&mut hprep, &u, 20);
    let runs = 630;
    let allocations = counting::allocations_during(|| {
        for _ in 0..runs {
            let _ = iter_diff_jacobian_prepared(&mut prep, &x, 10);
            let _ = bratu2d_hessian_prepared(&mut hprep, &u, 20);
        }
    });
    eprintln!(
        "{allocations} allocations in {} parallel evaluations",
        2 * runs
    );
    assert!(
        allocations <= 2 * runs / 50,
        "{allocations} allocations in {} evaluations",
        2 * runs
    );
}
