//! SIP framing and decoding, SDP, H.248, then the SIP analyzer: the harness `callscope_analysis::fuzzing::sip`, which the property tests run too (its
//! doc says what the input means and what must hold).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| callscope_analysis::fuzzing::sip(data));
