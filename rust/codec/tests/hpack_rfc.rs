//! RFC 7541 Appendix C: the request and response examples, with and without Huffman coding,
//! including the dynamic table after each block; the encoder reproduces C.4 byte for byte.

use h2native_codec::hpack::{DecodedHeaders, Decoder, Encoder, FieldSource, Limits};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

type Pairs<'a> = &'a [(&'a str, &'a str)];

/// Decodes `wire` and checks the header list, then the table (newest first) and its size.
fn step(dec: &mut Decoder, wire: &[u8], headers: Pairs, table: Pairs, size: usize) -> DecodedHeaders {
    let mut out = DecodedHeaders::new();
    dec.decode(wire, &Limits::UNLIMITED, &mut out).unwrap();
    let got: Vec<(&[u8], &[u8])> = out.iter().map(|(n, v, _)| (n, v)).collect();
    let want: Vec<(&[u8], &[u8])> = headers.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())).collect();
    assert_eq!(got, want);
    let got_table: Vec<(&[u8], &[u8])> = dec.table_entries().map(|(n, v, _)| (n, v)).collect();
    let want_table: Vec<(&[u8], &[u8])> = table.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())).collect();
    assert_eq!(got_table, want_table);
    assert_eq!(dec.table_size(), size);
    out
}

#[test]
fn c2_1_literal_with_indexing() {
    let mut dec = Decoder::new(4096);
    let wire = hex("400a637573746f6d2d6b65790d637573746f6d2d686561646572");
    let out =
        step(&mut dec, &wire, &[("custom-key", "custom-header")], &[("custom-key", "custom-header")], 55);
    assert_eq!(out.fields()[0].source, FieldSource::Inserted(0));
}

#[test]
fn c2_2_literal_without_indexing() {
    let mut dec = Decoder::new(4096);
    let out = step(&mut dec, &hex("040c2f73616d706c652f70617468"), &[(":path", "/sample/path")], &[], 0);
    assert_eq!(out.fields()[0].source, FieldSource::StaticName(4));
    assert!(!out.fields()[0].never_indexed);
}

#[test]
fn c2_3_literal_never_indexed() {
    let mut dec = Decoder::new(4096);
    let out = step(&mut dec, &hex("100870617373776f726406736563726574"), &[("password", "secret")], &[], 0);
    assert_eq!(out.fields()[0].source, FieldSource::Literal);
    assert!(out.fields()[0].never_indexed);
}

#[test]
fn c2_4_indexed() {
    let mut dec = Decoder::new(4096);
    let out = step(&mut dec, &hex("82"), &[(":method", "GET")], &[], 0);
    assert_eq!(out.fields()[0].source, FieldSource::Static(2));
}

const REQ1: Pairs =
    &[(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")];
const REQ2: Pairs = &[
    (":method", "GET"),
    (":scheme", "http"),
    (":path", "/"),
    (":authority", "www.example.com"),
    ("cache-control", "no-cache"),
];
const REQ3: Pairs = &[
    (":method", "GET"),
    (":scheme", "https"),
    (":path", "/index.html"),
    (":authority", "www.example.com"),
    ("custom-key", "custom-value"),
];
const REQ_T1: Pairs = &[(":authority", "www.example.com")];
const REQ_T2: Pairs = &[("cache-control", "no-cache"), (":authority", "www.example.com")];
const REQ_T3: Pairs =
    &[("custom-key", "custom-value"), ("cache-control", "no-cache"), (":authority", "www.example.com")];

fn requests(wires: [&str; 3]) {
    let mut dec = Decoder::new(4096);
    let out = step(&mut dec, &hex(wires[0]), REQ1, REQ_T1, 57);
    assert_eq!(out.fields()[3].source, FieldSource::Inserted(0));
    let out = step(&mut dec, &hex(wires[1]), REQ2, REQ_T2, 110);
    assert_eq!(out.fields()[3].source, FieldSource::Dynamic(0));
    assert_eq!(out.fields()[4].source, FieldSource::Inserted(1));
    let out = step(&mut dec, &hex(wires[2]), REQ3, REQ_T3, 164);
    assert_eq!(out.fields()[3].source, FieldSource::Dynamic(0));
}

const C3: [&str; 3] = [
    "828684410f7777772e6578616d706c652e636f6d",
    "828684be58086e6f2d6361636865",
    "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565",
];
const C4: [&str; 3] = [
    "828684418cf1e3c2e5f23a6ba0ab90f4ff",
    "828684be5886a8eb10649cbf",
    "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
];

#[test]
fn c3_requests_without_huffman() {
    requests(C3);
}

#[test]
fn c4_requests_with_huffman() {
    requests(C4);
}

#[test]
fn c4_encoder_reproduces_the_rfc_bytes() {
    let mut enc = Encoder::new();
    for (headers, wire) in [REQ1, REQ2, REQ3].iter().zip(C4) {
        let mut dst = Vec::new();
        enc.encode(headers.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)), &mut dst);
        assert_eq!(dst, hex(wire));
    }
    assert_eq!(enc.table_size(), 164);
}

#[test]
fn c3_c4_blocks_split_into_fragments_decode_the_same() {
    for wires in [C3, C4] {
        let blocks: Vec<Vec<u8>> = wires.iter().map(|w| hex(w)).collect();
        for split in 0..=blocks[2].len() {
            let mut dec = Decoder::new(4096);
            let mut out = DecodedHeaders::new();
            dec.decode_fragments([&blocks[0][..]], &Limits::UNLIMITED, &mut out).unwrap();
            dec.decode_fragments(
                [&blocks[1][..split.min(blocks[1].len())], &blocks[1][split.min(blocks[1].len())..]],
                &Limits::UNLIMITED,
                &mut out,
            )
            .unwrap();
            out.clear();
            let (a, b) = blocks[2].split_at(split);
            dec.decode_fragments([a, &[][..], b], &Limits::UNLIMITED, &mut out).unwrap();
            let got: Vec<(&[u8], &[u8])> = out.iter().map(|(n, v, _)| (n, v)).collect();
            let want: Vec<(&[u8], &[u8])> = REQ3.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())).collect();
            assert_eq!(got, want);
        }
    }
}

const RESP1: Pairs = &[
    (":status", "302"),
    ("cache-control", "private"),
    ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
    ("location", "https://www.example.com"),
];
const RESP2: Pairs = &[
    (":status", "307"),
    ("cache-control", "private"),
    ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
    ("location", "https://www.example.com"),
];
const RESP3: Pairs = &[
    (":status", "200"),
    ("cache-control", "private"),
    ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
    ("location", "https://www.example.com"),
    ("content-encoding", "gzip"),
    ("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"),
];
const RESP_T1: Pairs = &[
    ("location", "https://www.example.com"),
    ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
    ("cache-control", "private"),
    (":status", "302"),
];
const RESP_T2: Pairs = &[
    (":status", "307"),
    ("location", "https://www.example.com"),
    ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
    ("cache-control", "private"),
];
const RESP_T3: Pairs = &[
    ("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"),
    ("content-encoding", "gzip"),
    ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
];

/// The RFC runs C.5/C.6 with a 256-octet table and no size update; our decoder starts at the
/// protocol's 4096, so the first block gets a size update to 256 in front (0x3fe101).
fn responses(wires: [&str; 3]) {
    let mut dec = Decoder::new(4096);
    let first = [hex("3fe101"), hex(wires[0])].concat();
    step(&mut dec, &first, RESP1, RESP_T1, 222);
    assert_eq!(dec.table_max_size(), 256);
    step(&mut dec, &hex(wires[1]), RESP2, RESP_T2, 222);
    step(&mut dec, &hex(wires[2]), RESP3, RESP_T3, 215);
}

#[test]
fn c5_responses_without_huffman() {
    responses([
        "4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d",
        "4803333037c1c0bf",
        "88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a69707738666f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d333630303b2076657273696f6e3d31",
    ]);
}

#[test]
fn c6_responses_with_huffman() {
    responses([
        "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3",
        "4883640effc1c0bf",
        "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
    ]);
}

#[test]
fn c6_through_our_encoder_with_a_256_octet_table() {
    // Our policy does not index `location` or `set-cookie` (see encoder::policy), so the bytes
    // differ from C.6 from the fourth field on; the lists must still round-trip, the size
    // update must come first, and the tables must agree.
    let mut enc = Encoder::new();
    enc.set_max_table_size(256);
    let mut dec = Decoder::new(4096);
    dec.set_max_table_size(256);
    for (i, headers) in [RESP1, RESP2, RESP3].iter().enumerate() {
        let mut wire = Vec::new();
        enc.encode(headers.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)), &mut wire);
        if i == 0 {
            assert_eq!(wire[..14], hex("3fe101488264025885aec3771a4b")[..]);
        }
        let mut out = DecodedHeaders::new();
        dec.decode(&wire, &Limits::UNLIMITED, &mut out).unwrap();
        let got: Vec<(&[u8], &[u8])> = out.iter().map(|(n, v, _)| (n, v)).collect();
        let want: Vec<(&[u8], &[u8])> = headers.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())).collect();
        assert_eq!(got, want);
        assert_eq!(dec.table_size(), enc.table_size());
    }
    assert_eq!(dec.table_max_size(), 256);
}

#[test]
fn static_table_matches_the_other_crates() {
    // Indexed fields 1..=61, decoded by `loona-hpack`, `hpack` (well-formed input only) and us.
    let block: Vec<u8> = (1..=61u8).map(|i| 0x80 | i).collect();
    let mut out = DecodedHeaders::new();
    Decoder::new(4096).decode(&block, &Limits::UNLIMITED, &mut out).unwrap();
    let ours: Vec<(Vec<u8>, Vec<u8>)> = out.iter().map(|(n, v, _)| (n.to_vec(), v.to_vec())).collect();
    assert_eq!(ours, loona_hpack::Decoder::new().decode(&block).unwrap());
    // hpack 0.3 has a typo at index 15 ("accept-" for "accept-charset"); everything else agrees.
    let mut theirs = hpack::Decoder::new().decode(&block).unwrap();
    assert_eq!(theirs[14].0, b"accept-");
    theirs[14].0 = b"accept-charset".to_vec();
    assert_eq!(ours, theirs);
}
