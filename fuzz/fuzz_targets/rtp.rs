//! RTP and RTCP decoding, then the RTP analyzer on datagram records: the harness `callscope_analysis::fuzzing::rtp`, which the property tests run too (its
//! doc says what the input means and what must hold).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| callscope_analysis::fuzzing::rtp(data));
