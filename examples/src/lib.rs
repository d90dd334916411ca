//! Runnable examples of embedding CloseQ; see the `examples/` folder of this
//! package and run one with `cargo run -p closeq-examples --example NAME`.
#![forbid(unsafe_code)]

pub mod custom_stt;
