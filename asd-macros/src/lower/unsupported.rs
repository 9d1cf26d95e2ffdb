//! The messages for constructs outside the subset: what is unsupported and what to
//! write instead. Each construct's message is written once, here, and every place that
//! meets the construct reports it the same way.

use syn::Expr as SExpr;

use super::Lowerer;

/// The message for a construct `#[sparse_diff]` has no place for, wherever it stands: a
/// statement, a real, an index, a vector, a `let` initializer. `None` for expressions
/// of the subset, whose mistakes depend on where they stand.
pub(super) fn unsupported_message(e: &SExpr) -> Option<String> {
    let msg = match e {
        SExpr::Closure(_) => "closures are not supported by #[sparse_diff]: write the computation inline, as a `for` loop, or in another #[sparse_diff] function",
        SExpr::Match(_) => "`match` is not supported by #[sparse_diff]: write `if` / `else if` / `else` on integer conditions",
        SExpr::Loop(_) => "`loop` is not supported by #[sparse_diff]: use `for i in a..b` or `while` with an integer condition",
        SExpr::Break(_) => "`break` is not supported by #[sparse_diff]: use a `while` loop with an integer condition, or `return`",
        SExpr::Continue(_) => "`continue` is not supported by #[sparse_diff]: put the rest of the loop body under an `if`",
        SExpr::Unsafe(_) => "`unsafe` blocks are not supported by #[sparse_diff]: index with `x[i]`",
        SExpr::Async(_) | SExpr::Await(_) => "`async` is not supported by #[sparse_diff]: compute the values before the call and pass them in",
        SExpr::Macro(m) => return Some(macro_message(&m.mac)),
        SExpr::Tuple(_) => "a tuple of reals is not supported as one value: destructure it, as in `let (a, b) = (x[0], x[1]);`",
        SExpr::Field(_) => "a field of a real is not supported by #[sparse_diff]: read fields of constant parameters, as in `p.a`",
        SExpr::Range(_) => "a range is only supported as the iterator of a `for` loop",
        SExpr::Let(_) => "`let` expressions are not supported by #[sparse_diff]: use `if` with a condition",
        SExpr::Array(_) | SExpr::Repeat(_) => "arrays are not supported by #[sparse_diff]: write `vec![a, b, c]` or `vec![v; n]`",
        SExpr::Struct(_) => "struct literals are not supported by #[sparse_diff]: pass the fields as parameters",
        SExpr::Try(_) => "`?` is not supported by #[sparse_diff]: handle errors outside the function",
        _ => return None,
    };
    Some(msg.to_string())
}

/// A macro other than `vec!`, as a statement or inside an expression.
pub(super) fn macro_message(m: &syn::Macro) -> String {
    let name = m
        .path
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default();
    if name == "vec" {
        // `vec!` of vectors, or of something else `vec!` cannot hold here.
        return "this `vec!` is not supported by #[sparse_diff]: vectors hold reals (`vec![0.0; n]`, `vec![a, b]`); a matrix is one vector indexed `a[i * cols + j]`".to_string();
    }
    format!("the macro `{name}!` is not supported inside #[sparse_diff] (`vec!`, `panic!` and its kin, assertions and printing are): move it out of the differentiated function")
}

/// A label on a loop or a block: without `break` and `continue` nothing can use it.
pub(super) const LABEL: &str = "labels are not supported by #[sparse_diff]: remove the label";

/// A call of something other than a function named by its path (`(f)(x)`, `v[0](x)`).
pub(super) const UNNAMED_CALL: &str =
    "only calls of named functions are supported: call the function by its name, as in `g(&x)`";

impl Lowerer<'_> {
    /// Reports `e` where the subset has no place for it: a construct outside the subset
    /// by [`unsupported_message`], a statement calling a method other than `push` by the
    /// method's name.
    pub(super) fn unsupported(&mut self, e: &SExpr) {
        let msg = unsupported_message(e).unwrap_or_else(|| match e {
            SExpr::MethodCall(mc) => format!(
                "the method `{}` is not supported by #[sparse_diff]: iterator adapters and other methods have no derivative rule; write a `for` loop over indices",
                mc.method
            ),
            _ => "this expression is not supported by #[sparse_diff]".to_string(),
        });
        self.errors.at(e, msg);
    }
}
