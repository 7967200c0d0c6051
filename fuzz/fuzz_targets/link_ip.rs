//! Link, network and transport decoding of one frame: the harness `callscope_wire::fuzzing::link_ip`, which the property tests run too (its
//! doc says what the input means and what must hold).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| callscope_wire::fuzzing::link_ip(data));
