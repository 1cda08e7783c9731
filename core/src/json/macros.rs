//! `json!` (exported as `json_value!`): a [`Value`](crate::json::Value) written as JSON, with
//! Rust expressions where values go (converted by reference through `ToValue`).
//!
//! Arrays and objects are read one entry per step, finished entries collected in a bracket at
//! the front, and built in the last step. A value is tried first as one token tree (`null`, a
//! nested `[..]`/`{..}`, a literal, a name, a parenthesized expression) and only then as an
//! `expr` fragment, because a failed `expr` parse aborts the macro rather than trying the next
//! rule. Keys are one token: a string literal, a variable, or a parenthesized expression.

#[macro_export]
macro_rules! json_value {
    // Internal steps first, so a call's own input is never offered to the `expr` rule.
    (@array [$($done:expr,)*]) => {
        $crate::json::Value::Array(::std::vec![$($done),*])
    };
    (@array [$($done:expr,)*] $one:tt $(, $($rest:tt)*)?) => {
        $crate::json_value!(@array [$($done,)* $crate::json_value!($one),] $($($rest)*)?)
    };
    (@array [$($done:expr,)*] $value:expr $(, $($rest:tt)*)?) => {
        $crate::json_value!(@array [$($done,)* $crate::json_value!($value),] $($($rest)*)?)
    };

    // No `let mut` for `{}`: it would warn as unused.
    (@object []) => {
        $crate::json::Value::Object($crate::json::Map::new())
    };
    // Entries go through one out-of-line call each; inlined inserts cost ~1 kB of wasm.
    (@object [$(($key:expr, $value:expr))*]) => {{
        let mut object = $crate::json::Map::new();
        $($crate::json::object_entry(&mut object, &$key, $value);)*
        $crate::json::Value::Object(object)
    }};
    (@object [$($done:tt)*] $key:tt : $one:tt $(, $($rest:tt)*)?) => {
        $crate::json_value!(@object [$($done)* ($key, $crate::json_value!($one))] $($($rest)*)?)
    };
    (@object [$($done:tt)*] $key:tt : $value:expr $(, $($rest:tt)*)?) => {
        $crate::json_value!(@object [$($done)* ($key, $crate::json_value!($value))] $($($rest)*)?)
    };

    (null) => {
        $crate::json::Value::Null
    };
    ([ $($items:tt)* ]) => {
        $crate::json_value!(@array [] $($items)*)
    };
    ({ $($fields:tt)* }) => {
        $crate::json_value!(@object [] $($fields)*)
    };
    ($value:expr) => {
        $crate::json::ToValue::to_value(&$value)
    };
}
