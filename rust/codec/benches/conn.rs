//! Whole exchanges through a server Connection: a unary gRPC call (request HEADERS + DATA in,
//! response HEADERS + DATA + trailers out, WINDOW_UPDATE credit returned), one per iteration;
//! and 100 concurrent streams interleaved on one connection.
//!
//! Quick run: `cargo bench -p h2native-codec --bench conn -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use h2native_codec::abi::testing::CommandWriter;
use h2native_codec::abi::Connection;
use h2native_codec::abi::{apply_commands, ev, get_u16, get_u32};
use h2native_codec::conn::{Config, PREFACE};
use h2native_codec::frame;
use h2native_codec::hpack::Encoder;

const REQ: [(&[u8], &[u8], bool); 8] = [
    (b":method", b"POST", false),
    (b":scheme", b"http", false),
    (b":path", b"/helloworld.Greeter/SayHello", false),
    (b":authority", b"localhost:8080", false),
    (b"content-type", b"application/grpc", false),
    (b"te", b"trailers", false),
    (b"grpc-accept-encoding", b"identity,deflate,gzip", false),
    (b"user-agent", b"grpc-java-netty/1.68.0", false),
];
const RESP: [(&[u8], &[u8], bool); 2] =
    [(b":status", b"200", false), (b"content-type", b"application/grpc", false)];
const TRAILERS: [(&[u8], &[u8], bool); 1] = [(b"grpc-status", b"0", false)];
/// A gRPC message of 100 octets (string_100B): 5-octet prefix + payload.
const BODY: usize = 105;

/// Client bytes for requests on `ids`, encoded in order by one encoder.
fn requests(enc: &mut Encoder, ids: impl Iterator<Item = u32>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut block = Vec::new();
    for id in ids {
        block.clear();
        enc.encode(REQ.iter().copied(), &mut block);
        frame::headers::encode_block(id, &block, false, 16_384, &mut out);
        frame::data::encode(id, &[0u8; BODY], true, &mut out);
        // The client returns the response's connection credit, as real clients do.
        frame::window_update::encode(0, BODY as u32, &mut out);
    }
    out
}

fn server(enc: &mut Encoder) -> Connection {
    let mut c = Connection::server(Config::default());
    let mut b = PREFACE.to_vec();
    frame::settings::encode(&[], &mut b);
    frame::settings::encode_ack(&mut b);
    c.feed(&b);
    // Warm the HPACK tables so every iteration sees the steady state.
    let warm = requests(enc, (1..40).step_by(2));
    c.feed(&warm);
    c.clear_output();
    c.clear_events();
    // The server answers the warm-up requests so its encoder is warm too.
    let ids: Vec<u32> = (1..40).step_by(2).collect();
    for id in ids {
        c.send_headers(id, RESP.iter().copied(), false).unwrap();
        c.send_data(id, BODY as u32, false, 0).unwrap();
        c.send_headers(id, TRAILERS.iter().copied(), true).unwrap();
    }
    c.clear_output();
    c
}

/// Answers every request HEADERS event in the buffer: one command batch, as the JVM would.
fn answer_all(c: &mut Connection, cmds: &mut CommandWriter, results: &mut Vec<u8>) -> usize {
    cmds.clear();
    let e = c.events();
    let mut pos = 0;
    let mut n = 0;
    while pos < e.len() {
        let (kind, len) = (get_u16(e, pos), get_u32(e, pos + 4) as usize);
        let id = get_u32(e, pos + 8);
        if kind == ev::HEADERS {
            cmds.headers(id, &RESP, false);
            cmds.data(id, BODY as u32, false, id);
            cmds.headers(id, &TRAILERS, true);
            n += 1;
        } else if kind == ev::DATA {
            cmds.consumed(id, get_u32(e, pos + 16));
        }
        pos += len;
    }
    c.clear_events();
    apply_commands(c, &cmds.buf, results).unwrap();
    // Every DATA command must have been accepted whole (value = octets).
    debug_assert!(results.chunks(8).all(|r| get_u32(r, 0) == 0));
    n
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("conn");

    // One unary exchange per iteration. The request bytes differ only in the stream id, so a
    // batch of them is prepared up front and replayed on fresh stream ids.
    g.throughput(Throughput::Elements(1));
    g.bench_function("unary_exchange", |b| {
        let mut enc = Encoder::new();
        let mut conn = server(&mut enc);
        let mut cmds = CommandWriter::default();
        let mut results = Vec::new();
        let mut next = 41u32;
        let mut batch = Vec::new();
        let mut at = Vec::new();
        // The client's encoding of the requests is prepared outside the timed part.
        b.iter_custom(|iters| {
            let mut timed = std::time::Duration::ZERO;
            for _ in 0..iters {
                if at.is_empty() {
                    batch = requests(&mut enc, (0..10_000).map(|i| next + 2 * i));
                    assert_eq!(batch.len() % 10_000, 0, "requests of equal size");
                    at = (0..10_000).rev().map(|i| i * batch.len() / 10_000).collect();
                    next += 20_000;
                }
                let start = at.pop().unwrap();
                let one = batch.len() / 10_000;
                let t = std::time::Instant::now();
                let used = conn.feed(&batch[start..start + one]);
                debug_assert_eq!(used, one);
                black_box(answer_all(&mut conn, &mut cmds, &mut results));
                black_box(conn.output());
                conn.clear_output();
                timed += t.elapsed();
            }
            timed
        })
    });

    // The response alone: streams opened (and their events read) outside the timing, then one
    // command batch per response (HEADERS, DATA, trailers), as the JVM's outbound path does.
    g.throughput(Throughput::Elements(1));
    g.bench_function("unary_response", |b| {
        let mut enc = Encoder::new();
        let mut conn = server(&mut enc);
        let mut cmds = CommandWriter::default();
        let mut results = Vec::new();
        let mut next = 41u32;
        let mut open: Vec<u32> = Vec::new();
        b.iter_custom(|iters| {
            let mut timed = std::time::Duration::ZERO;
            for _ in 0..iters {
                if open.is_empty() {
                    let ids: Vec<u32> = (0..64).map(|i| next + 2 * i).collect();
                    next += 128;
                    let mut input = requests(&mut enc, ids.iter().copied());
                    frame::window_update::encode(0, 64 * BODY as u32, &mut input);
                    conn.feed(&input);
                    conn.clear_events();
                    open = ids.into_iter().rev().collect();
                    cmds.clear();
                    for &id in &open {
                        cmds.consumed(id, BODY as u32);
                    }
                    apply_commands(&mut conn, &cmds.buf, &mut results).unwrap();
                    conn.clear_output();
                }
                let id = open.pop().unwrap();
                let t = std::time::Instant::now();
                cmds.clear();
                cmds.headers(id, &RESP, false);
                cmds.data(id, BODY as u32, false, id);
                cmds.headers(id, &TRAILERS, true);
                apply_commands(&mut conn, &cmds.buf, &mut results).unwrap();
                black_box(conn.output());
                conn.clear_output();
                timed += t.elapsed();
            }
            timed
        })
    });

    // 100 concurrent streams: 100 requests in one input, answered in one command batch.
    g.throughput(Throughput::Elements(100));
    g.bench_function("100_concurrent_streams", |b| {
        let mut enc = Encoder::new();
        let mut conn = server(&mut enc);
        let mut cmds = CommandWriter::default();
        let mut results = Vec::new();
        let mut next = 41u32;
        b.iter_batched(
            || {
                let input = requests(&mut enc, (0..100).map(|i| next + 2 * i));
                next += 200;
                input
            },
            |input| {
                // one feed takes 32 KiB of events: the rest follows once they are answered
                let mut at = 0;
                loop {
                    at += conn.feed(&input[at..]);
                    black_box(answer_all(&mut conn, &mut cmds, &mut results));
                    black_box(conn.output());
                    conn.clear_output();
                    if !conn.input_left() {
                        break;
                    }
                }
                assert_eq!(at, input.len());
            },
            criterion::BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
