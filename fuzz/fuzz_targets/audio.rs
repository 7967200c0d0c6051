//! A call's audio decoded from RTP records: the harness `callscope_audio::fuzzing::audio`, which
//! the property tests run too (its doc says what the input means and what must hold).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| callscope_audio::fuzzing::audio(data));
