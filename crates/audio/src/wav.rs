//! WAV files: a RIFF `WAVE` with one `fmt ` chunk (PCM, 16-bit) and one `data` chunk of
//! interleaved little-endian samples (Microsoft's RIFF specification, 1991, "WAVE Form").

/// The bytes of a 16-bit PCM WAV file of `channels` (all the same length) at `rate` Hz.
pub fn write(channels: &[Vec<i16>], rate: u32) -> Vec<u8> {
    let n = channels.iter().map(Vec::len).max().unwrap_or(0);
    let count = channels.len().max(1) as u16;
    let data_len = (n * usize::from(count) * 2) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * u32::from(count) * 2).to_le_bytes()); // bytes per second
    out.extend_from_slice(&(count * 2).to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..n {
        if channels.is_empty() {
            out.extend_from_slice(&[0, 0]);
        }
        for c in channels {
            out.extend_from_slice(&c.get(i).copied().unwrap_or(0).to_le_bytes());
        }
    }
    out
}

/// Reads back what [`write`] wrote: (rate, channels); `None` for anything else.
pub fn read(bytes: &[u8]) -> Option<(u32, Vec<Vec<i16>>)> {
    let u32_at = |i: usize| Some(u32::from_le_bytes(bytes.get(i..i + 4)?.try_into().ok()?));
    let u16_at = |i: usize| Some(u16::from_le_bytes(bytes.get(i..i + 2)?.try_into().ok()?));
    if bytes.get(0..4)? != b"RIFF" || bytes.get(8..16)? != b"WAVEfmt " || u16_at(20)? != 1 {
        return None;
    }
    let count = usize::from(u16_at(22)?.max(1));
    let rate = u32_at(24)?;
    if bytes.get(36..40)? != b"data" || u16_at(34)? != 16 {
        return None;
    }
    let data = bytes.get(44..44 + u32_at(40)? as usize)?;
    let mut channels = vec![Vec::with_capacity(data.len() / 2 / count); count];
    for (i, s) in data.chunks_exact(2).enumerate() {
        channels[i % count].push(i16::from_le_bytes([s[0], s[1]]));
    }
    Some((rate, channels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_interleaving() {
        let wav = write(&[vec![1, 2, 3], vec![-1, -2, -3]], 8000);
        assert_eq!(wav.len(), 44 + 12);
        assert_eq!(&wav[0..4], b"RIFF");
        assert_eq!(
            u32::from_le_bytes(wav[4..8].try_into().unwrap_or_default()),
            36 + 12
        );
        assert_eq!(
            u32::from_le_bytes(wav[28..32].try_into().unwrap_or_default()),
            32000
        );
        assert_eq!(&wav[44..48], &[1, 0, 0xff, 0xff]);
        assert_eq!(
            read(&wav),
            Some((8000, vec![vec![1, 2, 3], vec![-1, -2, -3]]))
        );
        assert_eq!(read(&wav[..40]), None);
    }
}
