//! Integer representation (RFC 7541 §5.1): an N-bit prefix, then 7-bit continuation octets.

use super::decoder::DecoderError;

/// Largest integer accepted. RFC 7541 §5.1 leaves the bound to the implementation; nothing an
/// HPACK integer carries (an index, a string length, a table size) has a use beyond u32.
const MAX: u64 = u32::MAX as u64;

/// Decodes the integer whose first octet is `buf[*pos]`, using its low `prefix_bits` bits, and
/// advances `pos` past it.
///
/// Rejects values above u32::MAX and continuation sequences longer than needed for one (five
/// octets), so zero-padded sequences cannot make the decoder spin.
#[inline]
pub(crate) fn decode(buf: &[u8], pos: &mut usize, prefix_bits: u8) -> Result<usize, DecoderError> {
    debug_assert!((1..=8).contains(&prefix_bits));
    let mask = (0xffu16 >> (8 - prefix_bits)) as u8;
    let first = *buf.get(*pos).ok_or(DecoderError::Truncated)? & mask;
    *pos += 1;
    if first < mask {
        return Ok(first as usize);
    }
    decode_continuation(buf, pos, mask)
}

#[inline(never)]
fn decode_continuation(buf: &[u8], pos: &mut usize, mask: u8) -> Result<usize, DecoderError> {
    let mut value = mask as u64;
    let mut shift = 0;
    loop {
        let b = *buf.get(*pos).ok_or(DecoderError::Truncated)?;
        *pos += 1;
        value += ((b & 0x7f) as u64) << shift;
        if value > MAX {
            return Err(DecoderError::IntegerOverflow);
        }
        if b & 0x80 == 0 {
            return Ok(value as usize);
        }
        shift += 7;
        if shift > 28 {
            return Err(DecoderError::IntegerOverflow);
        }
    }
}

/// Appends `value` with an N-bit prefix; `flags` supplies the representation's high bits of the
/// first octet.
#[inline]
pub(crate) fn encode(value: usize, prefix_bits: u8, flags: u8, dst: &mut Vec<u8>) {
    let mask = (1usize << prefix_bits) - 1;
    if value < mask {
        dst.push(flags | value as u8);
        return;
    }
    dst.push(flags | mask as u8);
    let mut rest = value - mask;
    while rest >= 0x80 {
        dst.push(rest as u8 | 0x80);
        rest >>= 7;
    }
    dst.push(rest as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(buf: &[u8], prefix: u8) -> Result<(usize, usize), DecoderError> {
        let mut pos = 0;
        decode(buf, &mut pos, prefix).map(|v| (v, pos))
    }

    #[test]
    fn rfc_c1_examples() {
        // C.1.1: 10 with a 5-bit prefix.
        let mut v = Vec::new();
        encode(10, 5, 0, &mut v);
        assert_eq!(v, [0b01010]);
        assert_eq!(dec(&v, 5), Ok((10, 1)));
        // C.1.2: 1337 with a 5-bit prefix.
        v.clear();
        encode(1337, 5, 0, &mut v);
        assert_eq!(v, [31, 154, 10]);
        assert_eq!(dec(&v, 5), Ok((1337, 3)));
        // C.1.3: 42 starting at an octet boundary.
        v.clear();
        encode(42, 8, 0, &mut v);
        assert_eq!(v, [42]);
        assert_eq!(dec(&v, 8), Ok((42, 1)));
    }

    #[test]
    fn flags_are_kept_out_of_the_value() {
        let mut v = Vec::new();
        encode(3, 6, 0x40, &mut v);
        assert_eq!(v, [0x43]);
        assert_eq!(dec(&[0xc3], 6), Ok((3, 1)));
    }

    #[test]
    fn round_trip_boundaries() {
        for prefix in 1..=8u8 {
            for value in [0usize, 1, 126, 127, 128, 254, 255, 256, 16383, 16384, 1 << 21, u32::MAX as usize] {
                let mut v = Vec::new();
                encode(value, prefix, 0, &mut v);
                assert_eq!(dec(&v, prefix), Ok((value, v.len())), "prefix {prefix} value {value}");
            }
        }
    }

    #[test]
    fn rejects_overflow_truncation_and_overlong() {
        assert_eq!(dec(&[], 5), Err(DecoderError::Truncated));
        assert_eq!(dec(&[0x1f], 5), Err(DecoderError::Truncated));
        assert_eq!(dec(&[0x1f, 0x80], 5), Err(DecoderError::Truncated));
        // u32::MAX + 1 with a 7-bit prefix.
        let mut v = Vec::new();
        encode(u32::MAX as usize + 1, 7, 0, &mut v);
        assert_eq!(dec(&v, 7), Err(DecoderError::IntegerOverflow));
        // Zero-valued continuation octets beyond the fifth.
        assert_eq!(dec(&[0x7f, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00], 7), Err(DecoderError::IntegerOverflow));
        // Five continuation octets are fine when the value fits.
        assert_eq!(dec(&[0x7f, 0x80, 0x80, 0x80, 0x80, 0x01], 7), Ok((127 + (1 << 28), 6)));
    }
}
