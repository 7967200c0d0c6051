//! TLS records, handshake messages, hellos, the server certificate and its names: the harness `callscope_wire::fuzzing::tls_handshake`, which the property tests run too (its
//! doc says what the input means and what must hold).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| callscope_wire::fuzzing::tls_handshake(data));
