//! A call's or a stream's audio, decoded from the capture in a second pass (work in progress).
