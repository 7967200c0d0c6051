//! Checked big-endian reads (network byte order, RFC 1700), the only place in the workspace that
//! turns bytes into integers by offset. Each returns `None` when the buffer is too short, so a
//! short or hostile packet can never read as zeros by accident.

/// The `u16` at `at`.
pub fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

/// The `u32` at `at`.
pub fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// The `u64` at `at`.
pub fn be64(b: &[u8], at: usize) -> Option<u64> {
    let s: [u8; 8] = b.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_be_bytes(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_in_network_order_and_refuses_short_buffers() {
        let b = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        assert_eq!(be16(&b, 0), Some(0x0102));
        assert_eq!(be32(&b, 1), Some(0x0203_0405));
        assert_eq!(be64(&b, 1), Some(0x0203_0405_0607_0809));
        assert_eq!(be16(&b, 8), None);
        assert_eq!(be32(&b, 6), None);
        assert_eq!(be64(&b, 2), None);
        assert_eq!(be16(&b, usize::MAX), None);
    }
}
