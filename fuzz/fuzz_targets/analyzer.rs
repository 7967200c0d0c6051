//! The whole Analyzer: feed, finish, the report as JSON: the harness `callscope_analysis::fuzzing::analyzer`, which the property tests run too (its
//! doc says what the input means and what must hold).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| callscope_analysis::fuzzing::analyzer(data));
