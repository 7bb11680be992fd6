//! Several header blocks decoded by one `hpack::Decoder` with small limits, as a connection
//! does. The output must stay within the list-size and count limits whatever the input (no
//! unbounded memory), and the dynamic table within its size. Blocks that decode are re-encoded
//! by our encoder and decoded again by a second, unlimited pair: same fields back.
//!
//! Input: `[config] [limit] [block...]`, each block `len` (one octet below 0x80, else two:
//! `0x80 | hi, lo`) then that many octets (fewer at the end of the input).
#![no_main]

use h2native_codec::hpack::{DecodedHeaders, Decoder, DecoderError, Encoder, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [config, limit, rest @ ..] = data else { return };
    let table_sizes = [0usize, 256, 4096, 65_536];
    let max_table_size = table_sizes[usize::from(config & 3)];
    let limits = Limits {
        max_header_list_size: 64 + usize::from(*limit) * 64, // 64..=16,384
        max_header_count: 1 + usize::from(config >> 4) * 8,  // 1..=121
    };
    let mut dec = Decoder::new(max_table_size);
    if config & 4 != 0 {
        // As if our SETTINGS (possibly below 4096) was just acknowledged.
        dec.set_max_table_size(max_table_size);
    }
    let split = config & 8 != 0;
    let mut out = DecodedHeaders::new();
    let mut enc = Encoder::new();
    let mut dec2 = Decoder::new(4096);
    let mut out2 = DecodedHeaders::new();
    let mut block2 = Vec::new();

    let mut input = rest;
    while let Some((&b0, tail)) = input.split_first() {
        let (len, tail) = if b0 < 0x80 {
            (usize::from(b0), tail)
        } else if let Some((&b1, tail)) = tail.split_first() {
            ((usize::from(b0 & 0x7f) << 8) | usize::from(b1), tail)
        } else {
            return;
        };
        let (block, tail) = tail.split_at(len.min(tail.len()));
        input = tail;

        out.clear();
        let r = if split && block.len() > 1 {
            // A block split over HEADERS + CONTINUATION payloads, cut anywhere.
            let cut = usize::from(block[0]) % block.len();
            dec.decode_fragments([&block[..cut], &block[cut..]], &limits, &mut out)
        } else {
            dec.decode(block, &limits, &mut out)
        };

        // Bounded whatever happened, even on error (out then holds a prefix).
        assert!(out.list_size() <= limits.max_header_list_size, "list size {} over limit", out.list_size());
        assert!(out.len() <= limits.max_header_count, "{} fields over limit", out.len());
        // Octets held: the accounted fields, plus at most a literal in progress on error
        // (bounded by the block: Huffman expands by at most 8/5).
        assert!(
            out.bytes().len() <= limits.max_header_list_size + 2 * block.len(),
            "{} octets held for a {}-octet block",
            out.bytes().len(),
            block.len()
        );
        if r.is_ok() {
            assert_eq!(out.bytes().len() + 32 * out.len(), out.list_size());
        }
        let mut size = 0;
        for (name, value, _) in out.iter() {
            size += name.len() + value.len() + 32;
        }
        assert_eq!(size, out.list_size());
        assert!(dec.table_size() <= dec.table_max_size());
        assert!(dec.table_max_size() <= max_table_size.max(4096));
        let entries: usize = dec.table_entries().map(|(n, v, _)| n.len() + v.len() + 32).sum();
        assert_eq!(entries, dec.table_size());

        match r {
            Ok(()) => {
                // Round trip through our encoder and a second decoder kept in step.
                block2.clear();
                enc.encode(out.iter().map(|(n, v, f)| (n, v, f.never_indexed)), &mut block2);
                out2.clear();
                dec2.decode(&block2, &Limits::UNLIMITED, &mut out2)
                    .unwrap_or_else(|e| panic!("our encoder's block does not decode: {e}"));
                assert_eq!(out.len(), out2.len());
                for ((n1, v1, f1), (n2, v2, f2)) in out.iter().zip(out2.iter()) {
                    assert_eq!((n1, v1), (n2, v2));
                    assert!(!f1.never_indexed || f2.never_indexed, "never-indexed flag lost");
                }
            }
            Err(e @ (DecoderError::HeaderListTooLarge | DecoderError::TooManyHeaders)) => {
                assert!(!e.is_compression_error());
            }
            Err(e) => {
                // COMPRESSION_ERROR: the table is undefined and the connection closes.
                assert!(e.is_compression_error());
                return;
            }
        }
    }
});
