//! STUN, ChannelData and STUN over TCP, then the STUN analyzer: the harness `callscope_analysis::fuzzing::stun`, which the property tests run too (its
//! doc says what the input means and what must hold).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| callscope_analysis::fuzzing::stun(data));
