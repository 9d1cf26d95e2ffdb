//! Local sparsity: the decisions a function made on its differentiated reals at one
//! input, and the check that another input makes the same ones.
//!
//! The global tracer runs both arms of a branch on an active real, and `max`/`min` keep
//! both operands, so its pattern holds for every input. The local tracer follows the
//! decisions one run of the function made — the arm each such branch took, the operand
//! each `max`/`min` chose — and gives the pattern at that input, which may be much
//! smaller. It holds wherever the function makes the same decisions, and only there.
//!
//! Generated code records the decisions with a primal run (`Decisions::branch`,
//! [`Decisions::max`], [`Decisions::min`]); the local tracer replays them
//! ([`Replay`]); a prepared local Jacobian records them again at each new input and
//! compares ([`Decisions::switch_from`]), so a pattern that no longer holds is never
//! used silently.

use std::fmt;

/// One decision a run of a function made on its differentiated reals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Choice {
    /// A branch took its `then` arm.
    Then,
    /// A branch took its `else` arm (or skipped an `if` without one).
    Else,
    /// `max`/`min` chose its first operand (the receiver): the derivative flows from it.
    First,
    /// `max`/`min` chose its second operand.
    Second,
    /// `max`/`min` of equal operands: both are kept in a local pattern (a tie may
    /// break either way nearby). Derivatives flow from the first, as the rule says.
    Both,
}

impl Choice {
    /// Whether a pattern traced with this choice keeps the first operand of `max`/`min`.
    pub fn first(self) -> bool {
        matches!(self, Choice::First | Choice::Both)
    }

    /// Whether a pattern traced with this choice keeps the second operand.
    pub fn second(self) -> bool {
        matches!(self, Choice::Second | Choice::Both)
    }

    /// Whether a pattern traced with `self` holds where a run chooses `now`: the same
    /// choice, or the pattern kept both operands, or kept the first where `now` is a tie
    /// (whose derivative flows from the first operand).
    pub fn covers(self, now: Choice) -> bool {
        self == now
            || self == Choice::Both && matches!(now, Choice::First | Choice::Second)
            || self == Choice::First && now == Choice::Both
    }

    fn describe(self) -> &'static str {
        match self {
            Choice::Then => "the `then` arm",
            Choice::Else => "the `else` arm",
            Choice::First => "the first operand",
            Choice::Second => "the second operand",
            Choice::Both => "a tie",
        }
    }
}

/// A decision and where it was made: the source line of a branch's condition (`0` for
/// `max`/`min`, whose line the compiler does not keep).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Decision {
    /// The line of the branch's condition; `0` for a `max`/`min`.
    pub line: u32,
    /// What was decided.
    pub choice: Choice,
}

impl Decision {
    fn site(&self) -> String {
        match (self.choice, self.line) {
            (Choice::Then | Choice::Else, 0) => "a branch".to_string(),
            (Choice::Then | Choice::Else, l) => format!("the branch at line {l}"),
            _ => "a `max`/`min`".to_string(),
        }
    }
}

/// The decisions of one run, in the order it made them.
///
/// ```
/// use asd_runtime::{Choice, Decisions};
///
/// let mut d = Decisions::default();
/// let x = [2.0, -1.0];
/// if d.branch(3, x[1] > 0.0) { /* .. */ }
/// let m = d.max(x[0], x[1]);
/// assert_eq!(m, 2.0);
/// let choices: Vec<Choice> = d.iter().map(|d| d.choice).collect();
/// assert_eq!(choices, [Choice::Else, Choice::First]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Decisions {
    list: Vec<Decision>,
}

impl Decisions {
    /// Records the branch at `line` and passes its condition through.
    pub fn branch(&mut self, line: u32, taken: bool) -> bool {
        let choice = if taken { Choice::Then } else { Choice::Else };
        self.list.push(Decision { line, choice });
        taken
    }

    /// `a.max(b)`, recording which operand the derivative rule takes (`a >= b`: the
    /// first; a tie: [`Choice::Both`]).
    pub fn max(&mut self, a: f64, b: f64) -> f64 {
        let choice = if a == b {
            Choice::Both
        } else if a > b {
            Choice::First
        } else {
            Choice::Second
        };
        self.list.push(Decision { line: 0, choice });
        a.max(b)
    }

    /// `a.min(b)`, recording which operand the derivative rule takes (`a <= b`: the
    /// first; a tie: [`Choice::Both`]).
    pub fn min(&mut self, a: f64, b: f64) -> f64 {
        let choice = if a == b {
            Choice::Both
        } else if a < b {
            Choice::First
        } else {
            Choice::Second
        };
        self.list.push(Decision { line: 0, choice });
        a.min(b)
    }

    /// How many decisions were made.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether none were (the function has no branch, `max` or `min` on a
    /// differentiated real, or took none).
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The decisions in order.
    pub fn iter(&self) -> impl Iterator<Item = &Decision> {
        self.list.iter()
    }

    /// Forgets the decisions, keeping the memory.
    pub fn clear(&mut self) {
        self.list.clear();
    }

    /// Replays these decisions, for the local tracer.
    pub fn replay(&self) -> Replay<'_> {
        Replay {
            list: &self.list,
            pos: 0,
        }
    }

    /// `None` when a pattern traced with `self` holds for a run that decided `now`
    /// (every decision [covered](Choice::covers)); otherwise what changed.
    pub fn switch_from(&self, now: &Decisions) -> Option<BranchSwitch> {
        let differ = |(a, b): (&Decision, &Decision)| !a.choice.covers(b.choice);
        let changed = self
            .list
            .iter()
            .zip(&now.list)
            .filter(|p| differ(*p))
            .count();
        if changed == 0 && self.len() == now.len() {
            return None;
        }
        let first = self
            .list
            .iter()
            .zip(&now.list)
            .position(differ)
            .unwrap_or(self.len().min(now.len()));
        Some(BranchSwitch {
            changed,
            prepared: self.len(),
            now: now.len(),
            first,
            was: self.list.get(first).copied(),
            is: now.list.get(first).copied(),
        })
    }
}

/// The local tracer's cursor over recorded decisions. Generated code calls it at the
/// same points, in the same order, as the run that recorded them.
#[derive(Clone, Debug)]
pub struct Replay<'a> {
    list: &'a [Decision],
    pos: usize,
}

impl Replay<'_> {
    fn next(&mut self) -> Choice {
        let d = self.list.get(self.pos).unwrap_or_else(|| {
            panic!(
                "asd: internal error: the local tracer asked for decision {} of {} recorded",
                self.pos + 1,
                self.list.len()
            )
        });
        self.pos += 1;
        d.choice
    }

    /// Whether the recorded branch took its `then` arm.
    pub fn branch(&mut self) -> bool {
        match self.next() {
            Choice::Then => true,
            Choice::Else => false,
            c => panic!(
                "asd: internal error: the local tracer replayed a branch where {c:?} was recorded"
            ),
        }
    }

    /// The recorded choice of a `max`/`min`.
    pub fn choice(&mut self) -> Choice {
        match self.next() {
            c @ (Choice::First | Choice::Second | Choice::Both) => c,
            c => panic!("asd: internal error: the local tracer replayed a `max`/`min` where {c:?} was recorded"),
        }
    }
}

/// A prepared local pattern no longer holds: the function decided differently at the
/// new input than at the one it was prepared at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BranchSwitch {
    /// Decisions, of those both runs made, that differ.
    pub changed: usize,
    /// Decisions made at the preparation's input.
    pub prepared: usize,
    /// Decisions made at the new input.
    pub now: usize,
    /// The position of the first difference.
    pub first: usize,
    /// That decision at the preparation's input (`None`: the run made no more).
    pub was: Option<Decision>,
    /// That decision at the new input (`None`: the run made no more).
    pub is: Option<Decision>,
}

impl fmt::Display for BranchSwitch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the local sparsity pattern does not hold at this input: {} of {} decisions on \
             differentiated reals differ from the preparation's",
            self.changed,
            self.prepared.min(self.now)
        )?;
        if self.prepared != self.now {
            write!(
                f,
                " (and it made {} where the preparation made {})",
                self.now, self.prepared
            )?;
        }
        match (self.was, self.is) {
            (Some(was), Some(is)) => write!(
                f,
                "; the first is decision {}, {}: {} then, {} now",
                self.first + 1,
                was.site(),
                was.choice.describe(),
                is.choice.describe()
            )?,
            (Some(was), None) => write!(
                f,
                "; decision {}, {}, is no longer made",
                self.first + 1,
                was.site()
            )?,
            (None, Some(is)) => write!(f, "; decision {}, {}, is new", self.first + 1, is.site())?,
            (None, None) => {}
        }
        write!(
            f,
            ". Prepare again at this input, or prepare with \
             JacobianOptions::local(OnSwitch::Reprepare)"
        )
    }
}

impl std::error::Error for BranchSwitch {}

/// Which pattern a preparation colors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Sparsity {
    /// The global pattern: it holds for every input (the default).
    #[default]
    Global,
    /// The local pattern at the preparation's input: only the branches taken there and
    /// the `max`/`min` operands chosen there. Each prepared evaluation first reruns the
    /// function's decisions (about one primal evaluation) and does what the
    /// [`OnSwitch`] says when they differ.
    Local(OnSwitch),
}

/// What a prepared evaluation with a local pattern does at an input where the function
/// decides differently (so the pattern may miss entries).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum OnSwitch {
    /// `f_jacobian_prepared_checked` returns the [`BranchSwitch`]; the other prepared
    /// forms panic with it. The default: nothing is recomputed behind the caller's back.
    #[default]
    Error,
    /// Prepare again in place at the new input (pattern, coloring, buffers), then
    /// evaluate.
    Reprepare,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decisions(choices: &[Choice]) -> Decisions {
        Decisions {
            list: choices
                .iter()
                .map(|&choice| Decision { line: 7, choice })
                .collect(),
        }
    }

    #[test]
    fn max_and_min_record_the_operand_the_derivative_rule_takes() {
        let mut d = Decisions::default();
        assert_eq!(d.max(1.0, 2.0), 2.0);
        assert_eq!(d.max(2.0, 1.0), 2.0);
        assert_eq!(d.max(1.0, 1.0), 1.0);
        assert_eq!(d.min(1.0, 2.0), 1.0);
        assert_eq!(d.min(2.0, 1.0), 1.0);
        assert_eq!(d.max(1.0, f64::NAN), 1.0);
        let c: Vec<Choice> = d.iter().map(|d| d.choice).collect();
        use Choice::*;
        assert_eq!(c, [Second, First, Both, First, Second, Second]);
    }

    #[test]
    fn a_tie_covers_either_side_and_a_first_covers_a_tie() {
        use Choice::*;
        assert!(Both.covers(First) && Both.covers(Second) && First.covers(Both));
        assert!(!Second.covers(Both) && !First.covers(Second) && !Then.covers(Else));
        assert_eq!(
            decisions(&[Then, Both]).switch_from(&decisions(&[Then, Second])),
            None
        );
    }

    #[test]
    fn a_switch_counts_the_differences_and_names_the_first() {
        use Choice::*;
        let s = decisions(&[Then, First, Else])
            .switch_from(&decisions(&[Then, Second, Then]))
            .expect("a switch");
        assert_eq!((s.changed, s.first), (2, 1));
        let text = s.to_string();
        assert!(text.contains("2 of 3 decisions"), "{text}");
        assert!(
            text.contains(
                "decision 2, a `max`/`min`: the first operand then, the second operand now"
            ),
            "{text}"
        );
        let s = decisions(&[Then])
            .switch_from(&decisions(&[Else, Else]))
            .expect("a switch");
        let text = s.to_string();
        assert!(
            text.contains("made 2 where the preparation made 1"),
            "{text}"
        );
        assert!(
            text.contains("the branch at line 7: the `then` arm then, the `else` arm now"),
            "{text}"
        );
    }

    #[test]
    fn replay_gives_back_the_recorded_decisions() {
        let mut d = Decisions::default();
        d.branch(1, false);
        d.min(0.0, 3.0);
        let mut r = d.replay();
        assert!(!r.branch());
        assert_eq!(r.choice(), Choice::First);
    }
}
