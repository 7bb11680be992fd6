//! Writes the seed corpora under `seeds/<target>/seed-*`: real traffic shapes (a gRPC call, a
//! curl-like GET, h2spec-like edge frames), HPACK blocks from our encoder and, when given the
//! hpack-test-case directory, the first blocks of a few of its stories.
//!
//! `cargo run --example gen_seeds [-- /path/to/hpack-test-case]` from `rust/codec/fuzz`.

use std::fs;
use std::path::{Path, PathBuf};

use h2native_codec::error::ErrorCode;
use h2native_codec::frame::{self, flags, kind, FrameHeader, PrioritySpec, Setting};
use h2native_codec::hpack::Encoder;

type H<'a> = (&'a [u8], &'a [u8], bool);

const GRPC_REQUEST: &[H] = &[
    (b":method", b"POST", false),
    (b":scheme", b"http", false),
    (b":path", b"/helloworld.Greeter/SayHello", false),
    (b":authority", b"localhost:50051", false),
    (b"content-type", b"application/grpc", false),
    (b"user-agent", b"grpc-java-netty/1.68.0", false),
    (b"grpc-accept-encoding", b"gzip", false),
    (b"te", b"trailers", false),
    (b"grpc-timeout", b"999913u", false),
];
const CURL_GET: &[H] = &[
    (b":method", b"GET", false),
    (b":scheme", b"https", false),
    (b":authority", b"example.com", false),
    (b":path", b"/", false),
    (b"user-agent", b"curl/8.5.0", false),
    (b"accept", b"*/*", false),
];
const GRPC_RESPONSE: &[H] = &[(b":status", b"200", false), (b"content-type", b"application/grpc", false)];
const GRPC_TRAILERS: &[H] = &[(b"grpc-status", b"0", false), (b"grpc-message", b"", false)];

fn block(enc: &mut Encoder, h: &[H]) -> Vec<u8> {
    let mut b = Vec::new();
    enc.encode(h.iter().copied(), &mut b);
    b
}

/// A gRPC length-prefixed message.
fn grpc_message(body: &[u8]) -> Vec<u8> {
    let mut m = vec![0];
    m.extend_from_slice(&(body.len() as u32).to_be_bytes());
    m.extend_from_slice(body);
    m
}

/// Peer frames after the client preface: what a gRPC client sends for one unary call, then a
/// second call reusing the dynamic table.
fn grpc_client_frames() -> Vec<u8> {
    let mut enc = Encoder::new();
    let mut v = Vec::new();
    frame::settings::encode(
        &[
            Setting::EnablePush(false),
            Setting::MaxConcurrentStreams(0),
            Setting::InitialWindowSize(1 << 20),
            Setting::MaxHeaderListSize(8192),
        ],
        &mut v,
    );
    frame::window_update::encode(0, 983_041, &mut v);
    frame::settings::encode_ack(&mut v);
    for id in [1, 3] {
        frame::headers::encode_block(id, &block(&mut enc, GRPC_REQUEST), false, 16_384, &mut v);
        frame::data::encode(id, &grpc_message(b"\x0a\x05world"), true, &mut v);
    }
    frame::ping::encode(false, *b"grpcping", &mut v);
    v
}

fn curl_frames() -> Vec<u8> {
    let mut enc = Encoder::new();
    let mut v = Vec::new();
    frame::settings::encode(
        &[
            Setting::MaxConcurrentStreams(100),
            Setting::InitialWindowSize(33_554_432),
            Setting::EnablePush(false),
        ],
        &mut v,
    );
    frame::window_update::encode(0, 33_488_897, &mut v);
    frame::headers::encode_block(1, &block(&mut enc, CURL_GET), true, 16_384, &mut v);
    frame::settings::encode_ack(&mut v);
    frame::goaway::encode(1, ErrorCode::NoError, b"", &mut v);
    v
}

/// h2spec-like edge frames after a valid start: padding, priority, CONTINUATION, PRIORITY,
/// RST_STREAM, unknown frame type and flags, WINDOW_UPDATE, PING, DATA with padding.
fn h2spec_frames() -> Vec<u8> {
    let mut enc = Encoder::new();
    let mut v = Vec::new();
    frame::settings::encode(&[Setting::HeaderTableSize(0), Setting::MaxFrameSize(16_384)], &mut v);
    let b = block(&mut enc, GRPC_REQUEST);
    let spec = PrioritySpec { dependency: 0, exclusive: true, weight: 200 };
    frame::headers::encode_padded(1, &b[..10], false, false, Some(spec), 7, &mut v);
    frame::continuation::encode(1, &b[10..20], false, &mut v);
    frame::continuation::encode(1, &b[20..], true, &mut v);
    frame::data::encode_padded(1, b"\0\0\0\0\x02hi", true, 10, &mut v);
    frame::priority::encode(3, PrioritySpec { dependency: 1, exclusive: false, weight: 15 }, &mut v);
    // Unknown frame type with payload, and HEADERS with undefined flag bits set.
    FrameHeader::new(0xfa, 0xff, 0, 3).encode(&mut v);
    v.extend_from_slice(b"xyz");
    let b = block(&mut enc, CURL_GET);
    FrameHeader::new(kind::HEADERS, flags::END_HEADERS | 0x02 | 0x10, 5, b.len() as u32).encode(&mut v);
    v.extend_from_slice(&b);
    frame::rst_stream::encode(5, ErrorCode::Cancel, &mut v);
    frame::window_update::encode(0, 1, &mut v);
    frame::window_update::encode(1, 0x7fff_fff0, &mut v);
    frame::data::encode(7, b"", false, &mut v); // DATA on an idle stream
    frame::ping::encode(true, [0; 8], &mut v);
    frame::goaway::encode(0x7fff_ffff, ErrorCode::EnhanceYourCalm, b"debug", &mut v);
    v
}

/// Server frames after its (empty) SETTINGS: the answer to the client's request on stream 1.
fn grpc_server_frames() -> Vec<u8> {
    let mut enc = Encoder::new();
    let mut v = Vec::new();
    frame::settings::encode_ack(&mut v);
    frame::window_update::encode(0, 1 << 20, &mut v);
    frame::headers::encode_block(1, &block(&mut enc, GRPC_RESPONSE), false, 16_384, &mut v);
    frame::data::encode(1, &grpc_message(b"\x0a\x0bHello world"), false, &mut v);
    frame::headers::encode_block(1, &block(&mut enc, GRPC_TRAILERS), true, 16_384, &mut v);
    frame::ping::encode(false, *b"srv-ping", &mut v);
    v
}

fn server_edge_frames() -> Vec<u8> {
    let mut enc = Encoder::new();
    let mut v = Vec::new();
    frame::settings::encode(
        &[
            Setting::HeaderTableSize(256),
            Setting::MaxFrameSize(32_768),
            Setting::MaxConcurrentStreams(1),
            Setting::EnableConnectProtocol(true),
        ],
        &mut v,
    );
    frame::settings::encode_ack(&mut v);
    frame::headers::encode_block(1, &block(&mut enc, &[(b":status", b"100", false)]), false, 16_384, &mut v);
    frame::headers::encode_block(1, &block(&mut enc, GRPC_RESPONSE), false, 16_384, &mut v);
    frame::push_promise::encode(1, 2, &block(&mut enc, CURL_GET), true, &mut v);
    frame::data::encode(1, &grpc_message(b""), false, &mut v);
    frame::rst_stream::encode(1, ErrorCode::RefusedStream, &mut v);
    frame::goaway::encode(0, ErrorCode::NoError, b"bye", &mut v);
    v
}

/// hpack_decoder input: `[config, limit]` then length-prefixed blocks.
fn hpack_input(config: u8, limit: u8, blocks: &[Vec<u8>]) -> Vec<u8> {
    let mut v = vec![config, limit];
    for b in blocks {
        if b.len() < 0x80 {
            v.push(b.len() as u8);
        } else {
            assert!(b.len() < 0x8000);
            v.push(0x80 | (b.len() >> 8) as u8);
            v.push(b.len() as u8);
        }
        v.extend_from_slice(b);
    }
    v
}

/// Hex `wire` strings of the first `n` cases of a hpack-test-case story.
fn story_wires(path: &Path, n: usize) -> Vec<Vec<u8>> {
    let Ok(text) = fs::read_to_string(path) else { return Vec::new() };
    text.split("\"wire\"")
        .skip(1)
        .take(n)
        .filter_map(|s| {
            let s = s.split('"').nth(1)?;
            (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
        })
        .collect()
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let stories = std::env::args().nth(1).map(PathBuf::from);
    let mut total = 0;
    let mut put = |target: &str, name: &str, bytes: Vec<u8>| {
        let dir = root.join(target);
        fs::create_dir_all(&dir).unwrap();
        total += bytes.len();
        fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
    };

    let with = |script: &[u8], frames: Vec<u8>| [&[script.len() as u8][..], script, &frames].concat();
    // Scripts (see common/driver.rs): 0x30 feed 1 KiB, 0x08 feed 3, 0x2c feed 333, 0x1a now+999,
    // 0x07 respond (arg), 0x0f DATA (arg), 0x0b trailers, 0x2f GOAWAY error, 0x1f graceful GOAWAY.
    put("server_conn", "grpc", with(&[], grpc_client_frames()));
    put(
        "server_conn",
        "grpc-chunked-respond",
        with(&[0x08, 0x2c, 0x07, 0x00, 0x0f, 0x05, 0x0b, 0x01, 0x1a, 0x30], grpc_client_frames()),
    );
    put("server_conn", "grpc-graceful", with(&[0x30, 0x1f, 0x00, 0x2a, 0x30], grpc_client_frames()));
    put("server_conn", "curl-get", with(&[], curl_frames()));
    put("server_conn", "h2spec", with(&[], h2spec_frames()));
    put("server_conn", "h2spec-bytewise", with(&[0x00], h2spec_frames()));
    put("client_conn", "grpc-response", with(&[], grpc_server_frames()));
    put(
        "client_conn",
        "grpc-response-chunked",
        with(&[0x04, 0x20, 0x1a, 0x0f, 0x05, 0x30], grpc_server_frames()),
    );
    put("client_conn", "edge", with(&[], server_edge_frames()));
    put("client_conn", "edge-ping-goaway", with(&[0x2c, 0x1b, 0x07, 0x23, 0x01, 0x30], server_edge_frames()));

    // frame_parser: [selector, size (3 octets)] then frames.
    let fp = |sel: u8, frames: Vec<u8>| [&[sel, 0, 0x40, 0][..], &frames].concat();
    put("frame_parser", "grpc", fp(0, grpc_client_frames()));
    put("frame_parser", "curl", fp(1, curl_frames()));
    put("frame_parser", "h2spec", fp(0, h2spec_frames()));
    put("frame_parser", "server", fp(3, [grpc_server_frames(), server_edge_frames()].concat()));

    let mut enc = Encoder::new();
    let grpc: Vec<Vec<u8>> = (0..3).map(|_| block(&mut enc, GRPC_REQUEST)).collect();
    put("hpack_decoder", "grpc", hpack_input(0x72, 0xff, &grpc));
    let mut enc = Encoder::new();
    let mixed = vec![
        block(&mut enc, CURL_GET),
        block(&mut enc, GRPC_RESPONSE),
        block(&mut enc, GRPC_TRAILERS),
        block(&mut enc, CURL_GET),
    ];
    put("hpack_decoder", "mixed-small-limits", hpack_input(0x1d, 0x02, &mixed));
    let mut enc = Encoder::new();
    enc.set_max_table_size(256);
    let resized = vec![block(&mut enc, GRPC_REQUEST), block(&mut enc, GRPC_REQUEST)];
    put("hpack_decoder", "table-256", hpack_input(0xf5, 0x40, &resized));
    if let Some(dir) = stories {
        for (name, story) in [
            ("nghttp2", "nghttp2/story_00.json"),
            ("go-hpack", "go-hpack/story_05.json"),
            ("python-hpack", "python-hpack/story_10.json"),
            ("nghttp2-change-table-size", "nghttp2-change-table-size/story_03.json"),
        ] {
            let wires = story_wires(&dir.join(story), 6);
            if !wires.is_empty() {
                put("hpack_decoder", &format!("story-{name}"), hpack_input(0xf2, 0xff, &wires));
            }
        }
    }
    eprintln!("wrote {total} octets of seeds under {}", root.display());
}
