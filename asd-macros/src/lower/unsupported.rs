//! The messages for constructs outside the subset: what is unsupported and what to
//! write instead.

use syn::Expr as SExpr;

use super::Lowerer;

impl Lowerer<'_> {
    pub(super) fn unsupported_macro(&mut self, m: &syn::Macro) {
        let name = m
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        self.errors.at(m, format!("the macro `{name}!` is not supported inside #[sparse_diff]: only `vec!` is; move other macros out of the differentiated function"));
    }

    pub(super) fn unsupported(&mut self, e: &SExpr) {
        let msg = match e {
            SExpr::Closure(_) => "closures are not supported by #[sparse_diff]: write a `for` loop, or a separate #[sparse_diff] function".to_string(),
            SExpr::Match(_) => "`match` is not supported by #[sparse_diff]: use `if` / `else if` / `else`".to_string(),
            SExpr::Loop(_) => "`loop` is not supported by #[sparse_diff]: use `for i in a..b` or `while` with an integer condition".to_string(),
            SExpr::Break(_) => "`break` is not supported by #[sparse_diff]: use a `while` loop with an integer condition, or `return`".to_string(),
            SExpr::Continue(_) => "`continue` is not supported by #[sparse_diff]: put the rest of the loop body under an `if`".to_string(),
            SExpr::Unsafe(_) => "`unsafe` blocks are not supported by #[sparse_diff]".to_string(),
            SExpr::Async(_) | SExpr::Await(_) => "`async` is not supported by #[sparse_diff]".to_string(),
            SExpr::Macro(m) => {
                let name = m.mac.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
                format!("the macro `{name}!` is not supported inside #[sparse_diff]: only `vec!` is")
            }
            SExpr::MethodCall(mc) => format!(
                "the method `{}` is not supported by #[sparse_diff]: iterator adapters and other methods have no derivative rule; write a `for` loop over indices",
                mc.method
            ),
            SExpr::Tuple(_) => "tuples are not supported by #[sparse_diff]".to_string(),
            SExpr::Field(_) => "field access is not supported by #[sparse_diff]: pass the values as parameters".to_string(),
            SExpr::Range(_) => "a range is only supported as the iterator of a `for` loop".to_string(),
            SExpr::Let(_) => "`let` expressions are not supported".to_string(),
            SExpr::Array(_) => "arrays are not supported by #[sparse_diff]: use `vec![a, b, c]`".to_string(),
            SExpr::Struct(_) => "struct literals are not supported by #[sparse_diff]".to_string(),
            SExpr::Try(_) => "`?` is not supported by #[sparse_diff]".to_string(),
            _ => "this expression is not supported by #[sparse_diff]".to_string(),
        };
        self.errors.at(e, msg);
    }
}

/// What to say about an initializer whose kind the language has no place for, rather
/// than "cannot tell its type".
pub(super) fn unsupported_initializer(e: &SExpr) -> Option<&'static str> {
    Some(match e {
        SExpr::Tuple(_) => "tuples are not supported by #[sparse_diff]: bind each value with its own `let`",
        SExpr::Array(_) | SExpr::Repeat(_) => {
            "arrays are not supported by #[sparse_diff]: write `vec![a, b, c]` or `vec![v; n]`"
        }
        SExpr::Unsafe(_) => "`unsafe` blocks are not supported by #[sparse_diff]: index with `x[i]`",
        SExpr::Match(_) => {
            "`match` is not supported by #[sparse_diff]: write `if` / `else if` / `else` on integer conditions"
        }
        SExpr::Closure(_) => "closures are not supported by #[sparse_diff]: write the computation inline or in another #[sparse_diff] function",
        _ => return None,
    })
}
