//! The wire reader over arbitrary bytes in arbitrary chunks: the harness `callscope_wire::fuzzing::reader`, which the property tests run too (its
//! doc says what the input means and what must hold).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| callscope_wire::fuzzing::reader(data));
