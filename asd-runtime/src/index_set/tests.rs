//! Index sets against the obvious model, a `BTreeSet`, on every representation and
//! every way from one to another.

use super::*;
use crate::PairSet;
use proptest::prelude::*;
use std::collections::BTreeSet;

fn set(v: impl IntoIterator<Item = usize>) -> IndexSet {
    v.into_iter().collect()
}

/// A set built index by index, so it stays a list as long as possible... unless
/// the indices make it dense.
fn inserted(v: impl IntoIterator<Item = usize>) -> IndexSet {
    let mut s = IndexSet::new();
    for i in v {
        s.insert(i);
    }
    s
}

fn is_list(s: &IndexSet) -> bool {
    !s.is_dense()
}

#[test]
fn basics() {
    let e = IndexSet::new();
    assert_eq!(e.len(), 0);
    assert!(e.is_empty() && e.iter().next().is_none());
    assert_eq!(e.min(), None);
    let s = IndexSet::singleton(7);
    assert_eq!(s.len(), 1);
    assert!(s.contains(7) && !s.contains(6));
    let s = set([5, 1, 9, 1, 3]);
    assert_eq!(s.to_vec(), [1, 3, 5, 9]);
    assert_eq!((s.min(), s.max()), (Some(1), Some(9)));
    assert_eq!(format!("{s:?}"), "{1, 3, 5, 9}");
    assert_eq!(s.iter().len(), 4);
    assert_eq!(IndexSet::default(), IndexSet::new());
}

#[test]
fn insert_keeps_order_across_inline_limit() {
    let mut s = IndexSet::new();
    for i in [30, 10, 20, 0, 50, 40, 35, 5, 15, 25, 45, 1, 2] {
        s.insert(i);
        s.insert(i); // duplicates are ignored
    }
    assert_eq!(s.to_vec(), [0, 1, 2, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
}

#[test]
fn union_small_and_list() {
    let mut a = set([1, 4, 9]);
    a.union_with(&set([2, 4, 10]));
    assert_eq!(a.to_vec(), [1, 2, 4, 9, 10]);
    // Spill from inline to list.
    let mut a = set(0..8);
    a.union_with(&set(4..14));
    assert_eq!(a.to_vec(), (0..14).collect::<Vec<_>>());
    // List with list, overlapping, in both directions.
    let mut a = set((0..60).map(|i| 3 * i));
    a.union_with(&set((0..40).map(|i| 5 * i)));
    let want: BTreeSet<usize> = (0..60)
        .map(|i| 3 * i)
        .chain((0..40).map(|i| 5 * i))
        .collect();
    assert_eq!(a.to_vec(), want.iter().copied().collect::<Vec<_>>());
    // Subset: nothing changes.
    let before = a.clone();
    a.union_with(&set([0, 3, 5]));
    assert_eq!(a, before);
    assert_eq!(IndexSet::union(&set([1]), &set([0, 2])).to_vec(), [0, 1, 2]);
}

#[test]
fn union_in_bit_representation_and_across_the_switch() {
    let mut a = set(0..100);
    assert!(a.is_dense());
    let b = set((50..300).step_by(2));
    assert!(b.is_dense());
    a.union_with(&b);
    assert!(a.is_dense());
    let want: Vec<usize> = (0..100).chain((100..300).step_by(2)).collect();
    assert_eq!(a.to_vec(), want);
    assert_eq!(a.len(), want.len());
    // Growing a bit set to the left.
    let mut l = set((1000..1300).step_by(2));
    l.union_with(&set([5, 7]));
    assert!(l.is_dense());
    assert_eq!(l.iter().take(3).collect::<Vec<_>>(), [5, 7, 1000]);
    let mut c = set(10_000..10_100);
    c.union_with(&set(9_000..9_064));
    assert!(c.is_dense());
    assert_eq!(
        c.to_vec(),
        (9_000..9_064).chain(10_000..10_100).collect::<Vec<_>>()
    );
    // A list grows into a bit set.
    let mut d = set((0..50).map(|i| 2 * i));
    assert!(is_list(&d));
    d.union_with(&set((0..50).map(|i| 2 * i + 1)));
    assert!(d.is_dense());
    assert_eq!(d.to_vec(), (0..100).collect::<Vec<_>>());
    // A far index turns a bit set back into a list instead of a huge window.
    let mut f = set(0..100);
    f.union_with(&IndexSet::singleton(1 << 30));
    assert!(is_list(&f));
    assert_eq!(f.len(), 101);
    f.insert(1 << 31);
    assert!(is_list(&f) && f.contains(1 << 31) && f.max() == Some(1 << 31));
    // Small list into a bit set, and bit set into a small list.
    let mut g = set([3, 500]);
    g.union_with(&set(100..400));
    assert!(g.is_dense());
    assert_eq!(g.len(), 302);
    assert_eq!(g.min(), Some(3));
    assert_eq!(g.max(), Some(500));
}

#[test]
fn bit_sets_with_slack_words() {
    // Growing leftwards leaves empty words before the minimum.
    let mut a = set(6400..6500);
    a.insert(6300);
    a.insert(640);
    assert!(a.is_dense());
    let mut b = set(3000..3100);
    b.union_with(&a);
    let want: Vec<usize> = [640]
        .into_iter()
        .chain(3000..3100)
        .chain([6300])
        .chain(6400..6500)
        .collect();
    assert_eq!(b.to_vec(), want);
    let mut c = a.clone();
    c.union_with(&set(7000..7100));
    c.union_with(&b);
    assert_eq!(c.len(), want.len() + 100);
    assert_eq!(c.min(), Some(640));
}

#[test]
fn equality_across_representations() {
    let dense = set(0..200);
    let list = IndexSet {
        repr: Repr::List((0..200).collect()),
    };
    assert!(dense.is_dense() && is_list(&list));
    assert_eq!(dense, list);
    assert_eq!(list, dense);
    let hash = |s: &IndexSet| {
        use std::collections::hash_map::DefaultHasher;
        let mut h = DefaultHasher::new();
        s.hash(&mut h);
        h.finish()
    };
    assert_eq!(hash(&dense), hash(&list));
    assert_ne!(dense, set(0..199));
    assert_eq!(inserted(0..200), dense);
}

#[test]
fn extend_and_collect() {
    let mut s = set([1, 2]);
    s.extend([9, 0, 2]);
    assert_eq!(s.to_vec(), [0, 1, 2, 9]);
    let v: Vec<usize> = (&s).into_iter().collect();
    assert_eq!(v, [0, 1, 2, 9]);
}

#[test]
fn tiny_unions_stay_inline_up_to_the_capacity() {
    // Spread out, so that they are not bands.
    let spread = |r: std::ops::Range<usize>| set(r.map(|i| 100 * i));
    let a = spread(0..INLINE - 3);
    let b = spread(3..INLINE);
    let mut u = IndexSet::union(&a, &b);
    assert!(matches!(u.repr, Repr::Inline { .. }));
    assert_eq!(u, spread(0..INLINE));
    u.union_with(&set([100 * INLINE + 5]));
    assert!(matches!(u.repr, Repr::List(_)));
    assert_eq!(u.len(), INLINE + 1);
    // One past the capacity spills, from both entry points.
    let c = spread(INLINE - 3..INLINE + 1);
    let want = spread(0..INLINE + 1);
    assert_eq!(IndexSet::union(&a, &c), want);
    let mut d = a.clone();
    d.union_with(&c);
    assert_eq!(d, want);
    // A list or bit set is replaced by a tiny union.
    for mut t in [set((0..20).map(|i| 100 * i)), set(0..1000)] {
        t.assign_union(&set([1, 900]), &set([4]));
        assert!(matches!(t.repr, Repr::Inline { .. }));
        assert_eq!(t.to_vec(), [1, 4, 900]);
        t.assign_union(&set([1, 9]), &set([4]));
        assert!(matches!(t.repr, Repr::Band { .. }));
        assert_eq!(t.to_vec(), [1, 4, 9]);
    }
}

/// A 2-D five-point stencil on a grid wider than a band: the unions stay inline,
/// merged in place, until they outgrow it; a band too long to list inline still
/// unites with a distant index.
#[test]
fn stencil_unions_stay_inline() {
    let (c, n) = (1000, 32);
    let mut s = IndexSet::union(&IndexSet::singleton(c - 1), &IndexSet::singleton(c + 1));
    for i in [c + n, c - n, c, c + n * n] {
        s.union_with(&IndexSet::singleton(i));
    }
    assert!(matches!(s.repr, Repr::Inline { .. }));
    assert_eq!(s.to_vec(), [c - n, c - 1, c, c + 1, c + n, c + n * n]);
    s.union_with(&IndexSet::singleton(c + 1));
    assert_eq!(s.len(), INLINE);
    s.union_with(&IndexSet::singleton(c + n * n + 1));
    assert!(matches!(s.repr, Repr::List(_)));
    let mut band = set(c..c + 10);
    band.union_with(&IndexSet::singleton(c + 100));
    assert_eq!(
        band.to_vec(),
        (c..c + 10).chain([c + 100]).collect::<Vec<_>>()
    );
}

#[test]
fn bands_grow_within_64_indices_and_then_become_lists() {
    let is_band = |s: &IndexSet| matches!(s.repr, Repr::Band { .. });
    let mut s = IndexSet::singleton(100);
    assert!(is_band(&s));
    s.union_with(&set(120..140));
    s.insert(90); // grows to the left
    s.union_with(&IndexSet::singleton(153)); // the last index that fits
    assert!(is_band(&s));
    assert_eq!(s.len(), 23);
    assert_eq!((s.min(), s.max()), (Some(90), Some(153)));
    assert!(s.contains(125) && !s.contains(101) && !s.contains(89) && !s.contains(154));
    let before = s.to_vec();
    s.insert(154); // one too far: a list
    assert!(!is_band(&s) && !s.is_dense());
    assert_eq!(s.len(), 24);
    assert_eq!(s.to_vec()[..23], before[..]);
    // 64 consecutive indices are a band, 65 a bit set; both mix with lists.
    let full = set(1000..1064);
    assert!(is_band(&full) && full.len() == 64);
    let mut l = set([5, 2000]);
    l.union_with(&full);
    assert_eq!(l.len(), 66);
    let mut f = full.clone();
    f.union_with(&set([5, 2000]));
    assert_eq!(f, l);
    // At the top of the index range.
    let top = (u32::MAX - 3) as usize;
    let mut t = IndexSet::singleton(top + 3);
    t.insert(top);
    assert!(is_band(&t));
    assert_eq!(t.to_vec(), [top, top + 3]);
    assert_eq!(t.max(), Some(top + 3));
    assert!(t.contains(top + 3) && !t.contains(top + 4));
    let mut w = IndexSet::singleton(0);
    w.union_with(&t);
    assert_eq!(w.to_vec(), [0, top, top + 3]);
}

#[test]
fn merge_small_refuses_what_does_not_fit() {
    let mut out = [0; INLINE];
    let a: Vec<u32> = (0..INLINE as u32).collect();
    assert_eq!(merge_small(&a, &[3], &mut out), Some(INLINE));
    assert_eq!(out.to_vec(), a);
    assert_eq!(merge_small(&a, &[INLINE as u32], &mut out), None);
    assert_eq!(merge_small(&[INLINE as u32], &a, &mut out), None);
    assert_eq!(merge_small(&[], &[], &mut out), Some(0));
    // Within one 64-wide window and across it, with overlaps.
    for (a, b) in [
        (vec![5, 9, 68], vec![9, 10]),
        (vec![5, 9, 68], vec![4, 9, 69]),
        (vec![1 << 31, (1 << 31) + 63], vec![(1 << 31) + 1]),
        (vec![u32::MAX - 1, u32::MAX], vec![u32::MAX - 63]),
        (vec![0, 64], vec![1]),
    ] {
        let want: BTreeSet<u32> = a.iter().chain(&b).copied().collect();
        let n = merge_small(&a, &b, &mut out).unwrap();
        assert_eq!(out[..n].to_vec(), want.into_iter().collect::<Vec<_>>());
    }
}

#[test]
#[should_panic(expected = "asd: index 4294967296 is too large for an IndexSet")]
fn huge_index_panics() {
    IndexSet::singleton(1 << 32);
}

#[test]
#[cfg(target_pointer_width = "64")]
fn stays_small() {
    assert_eq!(std::mem::size_of::<IndexSet>(), 32);
}

/// The tracer of `y[i] = x[i-1] + x[i] + x[i+1]`, iterated: linear in n.
#[test]
fn banded_tracer_is_linear() {
    let n = 100_000;
    let x: Vec<IndexSet> = (0..n).map(IndexSet::singleton).collect();
    let mut y = x.clone();
    for _ in 0..3 {
        let z: Vec<IndexSet> = (0..n)
            .map(|i| {
                let mut s = y[i].clone();
                if i > 0 {
                    s.union_with(&y[i - 1]);
                }
                if i + 1 < n {
                    s.union_with(&y[i + 1]);
                }
                s
            })
            .collect();
        y = z;
    }
    assert_eq!(y[1000].to_vec(), (997..=1003).collect::<Vec<_>>());
    assert_eq!(y[0].to_vec(), [0, 1, 2, 3]);
    // A sum of everything: one big dense set, accumulated in O(n).
    let mut total = IndexSet::new();
    for s in &x {
        total.union_with(s);
    }
    assert!(total.is_dense());
    assert_eq!(total.len(), n);
    // The same accumulated backwards: left growth stays amortized.
    let mut total = IndexSet::new();
    for s in x.iter().rev() {
        total.union_with(s);
    }
    assert_eq!(total.len(), n);
    assert_eq!(total.iter().take(3).collect::<Vec<_>>(), [0, 1, 2]);
}

fn arb_set() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        prop::collection::vec(0usize..40, 0..12),
        // A few indices further apart than a band: inline lists, merged in place.
        prop::collection::vec(0usize..150, 0..8),
        prop::collection::vec(0usize..3000, 0..200),
        prop::collection::vec(0usize..300, 0..300),
        (0usize..5000, 0usize..400).prop_map(|(s, l)| (s..s + l).collect()),
        (0usize..100_000, prop::collection::vec(0usize..64, 0..100))
            .prop_map(|(s, v)| v.into_iter().map(|d| s + d).collect()),
    ]
}

/// An accumulation into a heap list merges in place: a handful of reallocations for
/// 200 unions, not one new list per union.
#[test]
fn accumulating_into_a_list_grows_it_in_place() {
    let mut s = set((0..12).map(|i| 1000 * i));
    let mut want: BTreeSet<usize> = s.iter().collect();
    let mut moves = 0;
    for k in 0..200 {
        let before = match &s.repr {
            Repr::List(v) => v.as_ptr(),
            _ => panic!("a sparse set of {} indices is a list", s.len()),
        };
        let x = IndexSet::singleton(7 * k * k + 3);
        want.insert(7 * k * k + 3);
        s.union_with(&x);
        if !matches!(&s.repr, Repr::List(v) if v.as_ptr() == before) {
            moves += 1;
        }
    }
    assert_eq!(s.to_vec(), want.into_iter().collect::<Vec<_>>());
    assert!(moves <= 10, "{moves} reallocations");
}

/// The inlined band path of `assign_union` replaces any target (here a heap list) and
/// `extend_into` appends a band's indices in order.
#[test]
fn band_union_over_a_list_and_band_extend() {
    let (a, b) = (set([100, 103]), set([90, 150]));
    for old in [set((0..30).map(|i| 10 * i)), set(0..200)] {
        assert!(!matches!(old.repr, Repr::Band { .. }));
        let mut t = old;
        t.assign_union(&a, &b);
        assert!(matches!(t.repr, Repr::Band { base: 90, .. }));
        assert_eq!(t.to_vec(), [90, 100, 103, 150]);
    }
    let t = IndexSet::union(&a, &b);
    let mut out = vec![1];
    t.extend_into(&mut out);
    assert_eq!(out, [1, 90, 100, 103, 150]);
}

proptest! {
    #[test]
    fn matches_btreeset(a in arb_set(), b in arb_set(), extra in prop::collection::vec(0usize..6000, 0..20)) {
        let ra: BTreeSet<usize> = a.iter().copied().collect();
        let rb: BTreeSet<usize> = b.iter().copied().collect();
        for (sa, sb) in [(set(a.clone()), set(b.clone())), (inserted(a.clone()), inserted(b.clone()))] {
            prop_assert_eq!(sa.to_vec(), ra.iter().copied().collect::<Vec<_>>());
            prop_assert_eq!(sa.len(), ra.len());
            let mut u = sa.clone();
            u.union_with(&sb);
            let ru: BTreeSet<usize> = ra.union(&rb).copied().collect();
            prop_assert_eq!(u.to_vec(), ru.iter().copied().collect::<Vec<_>>());
            let mut out = vec![7];
            u.extend_into(&mut out);
            prop_assert_eq!(&out[1..], &u.to_vec()[..]);
            prop_assert_eq!(u.len(), ru.len());
            prop_assert_eq!(&IndexSet::union(&sa, &sb), &u);
            prop_assert_eq!(&IndexSet::union(&sb, &sa), &u);
            // Assigned over whatever the target held before.
            for old in [IndexSet::new(), set(extra.clone()), set(0..40), set(0..500)] {
                let mut t = old.clone();
                t.assign_union(&sa, &sb);
                prop_assert_eq!(&t, &u);
                prop_assert_eq!(t.len(), ru.len());
            }
            let mut u2 = u.clone();
            let mut r2 = ru.clone();
            for &e in &extra {
                u2.insert(e);
                r2.insert(e);
            }
            prop_assert_eq!(u2.to_vec(), r2.iter().copied().collect::<Vec<_>>());
            prop_assert_eq!(u2.len(), r2.len());
            prop_assert_eq!(u2.min(), r2.first().copied());
            prop_assert_eq!(u2.max(), r2.last().copied());
            for probe in extra.iter().chain(&a).chain(&b).map(|&x| x + 1) {
                prop_assert_eq!(u2.contains(probe), r2.contains(&probe));
            }
        }
    }

    #[test]
    fn random_operation_sequences(ops in prop::collection::vec(
        prop_oneof![
            (0usize..20_000).prop_map(|i| (vec![i], false)),
            (0usize..300).prop_map(|i| (vec![i], true)),
            arb_set().prop_map(|v| (v, true)),
        ],
        0..25,
    )) {
        let mut s = IndexSet::new();
        let mut r = BTreeSet::new();
        for (v, union) in ops {
            if union {
                let t = set(v.clone());
                if v.len() % 2 == 0 { s.union_with(&t) } else { s = IndexSet::union(&t, &s) }
            } else {
                s.insert(v[0]);
            }
            r.extend(v);
            prop_assert_eq!(s.len(), r.len());
        }
        prop_assert_eq!(s.to_vec(), r.into_iter().collect::<Vec<_>>());
    }

    #[test]
    fn pair_set_matches_btreeset(
        pairs in prop::collection::vec((0usize..30, 0usize..30), 0..200),
        a in prop::collection::vec(0usize..30, 0..10),
        b in prop::collection::vec(0usize..30, 0..10),
    ) {
        let mut p = PairSet::new();
        let mut r = BTreeSet::new();
        for chunk in pairs.chunks(7) {
            let term: PairSet = chunk.iter().copied().collect();
            p.union_with(&term);
            r.extend(chunk.iter().map(|&(i, j)| (i.min(j), i.max(j))));
        }
        let (sa, sb) = (set(a.clone()), set(b.clone()));
        p.insert_product(&sa, &sb);
        for &i in &a {
            for &j in &b {
                r.insert((i.min(j), i.max(j)));
            }
        }
        prop_assert_eq!(p.to_sorted_dedup(), r.iter().copied().collect::<Vec<_>>());
        let pat = p.to_symmetric_pattern(30);
        prop_assert!(pat.is_symmetric());
        prop_assert_eq!(pat.nnz(), r.iter().map(|&(i, j)| if i == j { 1 } else { 2 }).sum::<usize>());
    }
}
