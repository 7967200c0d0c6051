//! DNS messages and the DNS and TLS analyzers, with the names table and verdicts over what they
//! found: the harness `callscope_analysis::fuzzing::names`, which the property tests run too (its
//! doc says what the input means and what must hold).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| callscope_analysis::fuzzing::names(data));
