//! Model error tests.
