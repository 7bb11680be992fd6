//! HPACK: h2native vs the `hpack` and `loona-hpack` crates on the same inputs.
//!
//! cargo bench -p h2native-codec --bench hpack -- --warm-up-time 1 --measurement-time 3
//!
//! Every decoder is fed blocks produced by our encoder (well-formed: `hpack` panics on
//! malformed input). For the gRPC request the other crates decode both through `decode` (an
//! owned header list, like ours: `*-owned`) and through `decode_with_cb` (borrowed name and
//! value per callback, nothing kept: their fastest path); elsewhere through `decode_with_cb`.
//! They encode into a reused Vec. We decode into a reused `DecodedHeaders`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use h2native_codec::hpack::{DecodedHeaders, Decoder, Encoder, Limits};

type Header = (&'static [u8], &'static [u8]);

const GRPC_REQUEST: &[Header] = &[
    (b":method", b"POST"),
    (b":scheme", b"http"),
    (b":path", b"/helloworld.Greeter/SayHello"),
    (b":authority", b"localhost:50051"),
    (b"content-type", b"application/grpc"),
    (b"te", b"trailers"),
    (b"user-agent", b"grpc-java-netty/1.68.0"),
    (b"grpc-timeout", b"1S"),
];

const GRPC_RESPONSE: &[Header] = &[
    (b":status", b"200"),
    (b"content-type", b"application/grpc"),
    (b"grpc-encoding", b"identity"),
    (b"grpc-accept-encoding", b"gzip"),
];

const GRPC_TRAILERS: &[Header] = &[(b"grpc-status", b"0"), (b"grpc-message", b"")];

fn ours_encode(enc: &mut Encoder, headers: &[(&[u8], &[u8])], dst: &mut Vec<u8>) {
    enc.encode(headers.iter().map(|&(n, v)| (n, v, false)), dst);
}

/// 64 browser-like response header sets of 25 fields; 6 values rotate per set.
fn heavy_sets() -> Vec<Vec<(Vec<u8>, Vec<u8>)>> {
    (0..64)
        .map(|i| {
            let f = |n: &str, v: String| (n.as_bytes().to_vec(), v.into_bytes());
            vec![
                f(":status", "200".into()),
                f("date", format!("Mon, 21 Oct 2024 20:13:{:02} GMT", i % 60)),
                f("server", "nginx/1.25.3".into()),
                f(
                    "content-type",
                    ["text/html; charset=utf-8", "application/json", "image/png"][i % 3].into(),
                ),
                f("content-length", format!("{}", 1000 + i * 37)),
                f("cache-control", "private, max-age=0, must-revalidate".into()),
                f("vary", "Accept-Encoding, Origin".into()),
                f("content-encoding", "gzip".into()),
                f("x-request-id", format!("{:016x}-{:08x}", i * 0x9e37_79b9, i * 7919)),
                f("etag", format!("\"{:x}-{:x}\"", i * 31, i * 131)),
                f("last-modified", "Tue, 15 Oct 2024 08:00:00 GMT".into()),
                f("accept-ranges", "bytes".into()),
                f("strict-transport-security", "max-age=63072000; includeSubDomains; preload".into()),
                f("x-content-type-options", "nosniff".into()),
                f("x-frame-options", "SAMEORIGIN".into()),
                f("referrer-policy", "strict-origin-when-cross-origin".into()),
                f("access-control-allow-origin", "*".into()),
                f("x-cache", ["HIT", "MISS"][i % 2].into()),
                f("age", format!("{}", i * 3)),
                f("via", "1.1 varnish".into()),
                f("x-served-by", "cache-fra-etou8220097-FRA".into()),
                f("x-timer", format!("S1729541601.{:06},VS0,VE1", i * 4241)),
                f("alt-svc", "h3=\":443\"; ma=86400".into()),
                f("permissions-policy", "interest-cohort=()".into()),
                f("content-security-policy", "default-src 'self'; img-src * data:".into()),
            ]
        })
        .collect()
}

/// The request as grpc-java (netty's HPACK encoder: everything but sensitive fields indexed,
/// Huffman when shorter) sends it on a new connection, and again on a warm one (all indexed).
/// Built from our encoder's output, whose indexing differs only for grpc-timeout: its
/// "without indexing" literal (0x00, literal name) becomes "incremental indexing" (0x40).
fn grpc_request_blocks() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let (rest, timeout) = GRPC_REQUEST.split_at(7);
    let mut cold = Vec::new();
    ours_encode(&mut Encoder::new(), rest, &mut cold);
    let mut lit = Vec::new();
    ours_encode(&mut Encoder::new(), timeout, &mut lit);
    assert_eq!(lit[0], 0x00);
    cold.push(0x40);
    cold.extend_from_slice(&lit[1..]);

    let mut dec = Decoder::new(4096);
    let mut out = DecodedHeaders::new();
    dec.decode(&cold, &Limits::default(), &mut out).unwrap();
    let warm: Vec<u8> = GRPC_REQUEST
        .iter()
        .map(|&(n, v)| match (n, v) {
            (b":method", b"POST") => 0x83,
            (b":scheme", b"http") => 0x86,
            _ => {
                let pos = dec.table_entries().position(|(tn, tv, _)| tn == n && tv == v).unwrap();
                0x80 | (62 + pos as u8)
            }
        })
        .collect();

    // What our own encoder sends the second time (grpc-timeout as a literal, see policy).
    let mut enc = Encoder::new();
    let mut ours_warm = Vec::new();
    ours_encode(&mut enc, GRPC_REQUEST, &mut ours_warm);
    ours_warm.clear();
    ours_encode(&mut enc, GRPC_REQUEST, &mut ours_warm);
    (cold, warm, ours_warm)
}

fn decode_benches(c: &mut Criterion) {
    let (cold, warm, ours_warm) = grpc_request_blocks();
    eprintln!(
        "gRPC request block: cold {} octets, warm {} octets, warm from our encoder {} octets",
        cold.len(),
        warm.len(),
        ours_warm.len()
    );
    let limits = Limits::default();

    let mut g = c.benchmark_group("decode_grpc_request");
    g.throughput(Throughput::Elements(1));
    for (label, block) in [("cold", &cold), ("warm", &warm), ("warm_ours", &ours_warm)] {
        let warm_up = label != "cold";
        // Warm decoders have seen the cold block (for warm_ours: our encoder's first block,
        // whose table state the second block refers to).
        let first = if label == "warm_ours" {
            let mut w = Vec::new();
            ours_encode(&mut Encoder::new(), GRPC_REQUEST, &mut w);
            w
        } else {
            cold.clone()
        };
        let mut out = DecodedHeaders::new();
        let mut dec = Decoder::new(4096);
        dec.decode(&first, &limits, &mut out).unwrap();
        g.bench_function(BenchmarkId::new("h2native", label), |b| {
            b.iter(|| {
                out.clear();
                if !warm_up {
                    dec = Decoder::new(4096);
                }
                dec.decode(black_box(block), &limits, &mut out).unwrap();
                black_box(out.len())
            })
        });
        // Their owned API: the same output as ours (a header list that outlives the call).
        let mut dec = hpack::Decoder::new();
        dec.decode(&first).unwrap();
        g.bench_function(BenchmarkId::new("hpack-owned", label), |b| {
            b.iter(|| {
                if !warm_up {
                    dec = hpack::Decoder::new();
                }
                black_box(dec.decode(black_box(block)).unwrap())
            })
        });
        let mut dec = loona_hpack::Decoder::new();
        dec.decode(&first).unwrap();
        g.bench_function(BenchmarkId::new("loona-hpack-owned", label), |b| {
            b.iter(|| {
                if !warm_up {
                    dec = loona_hpack::Decoder::new();
                }
                black_box(dec.decode(black_box(block)).unwrap())
            })
        });
        // Their callback API: borrowed name/value, nothing materialized.
        let mut dec = hpack::Decoder::new();
        dec.decode_with_cb(&first, |_, _| {}).unwrap();
        g.bench_function(BenchmarkId::new("hpack", label), |b| {
            b.iter(|| {
                if !warm_up {
                    dec = hpack::Decoder::new();
                }
                let mut n = 0;
                dec.decode_with_cb(black_box(block), |name, value| n += name.len() + value.len()).unwrap();
                black_box(n)
            })
        });
        let mut dec = loona_hpack::Decoder::new();
        dec.decode_with_cb(&first, |_, _| {}).unwrap();
        g.bench_function(BenchmarkId::new("loona-hpack", label), |b| {
            b.iter(|| {
                if !warm_up {
                    dec = loona_hpack::Decoder::new();
                }
                let mut n = 0;
                dec.decode_with_cb(black_box(block), |name, value| n += name.len() + value.len()).unwrap();
                black_box(n)
            })
        });
    }
    g.finish();

    // 64 header-heavy blocks in connection order; one iteration decodes all of them on a new
    // decoder (the blocks depend on the table state their predecessors left).
    let sets = heavy_sets();
    let mut enc = Encoder::new();
    let blocks: Vec<Vec<u8>> = sets
        .iter()
        .map(|s| {
            let mut w = Vec::new();
            enc.encode(s.iter().map(|(n, v)| (&n[..], &v[..], false)), &mut w);
            w
        })
        .collect();
    let mut g = c.benchmark_group("decode_heavy_25x64");
    g.throughput(Throughput::Elements(blocks.len() as u64));
    let mut out = DecodedHeaders::new();
    g.bench_function("h2native", |b| {
        b.iter(|| {
            let mut dec = Decoder::new(4096);
            for block in &blocks {
                out.clear();
                dec.decode(black_box(block), &limits, &mut out).unwrap();
            }
            black_box(out.len())
        })
    });
    g.bench_function("hpack", |b| {
        b.iter(|| {
            let mut dec = hpack::Decoder::new();
            let mut n = 0;
            for block in &blocks {
                dec.decode_with_cb(black_box(block), |name, value| n += name.len() + value.len()).unwrap();
            }
            black_box(n)
        })
    });
    g.bench_function("loona-hpack", |b| {
        b.iter(|| {
            let mut dec = loona_hpack::Decoder::new();
            let mut n = 0;
            for block in &blocks {
                dec.decode_with_cb(black_box(block), |name, value| n += name.len() + value.len()).unwrap();
            }
            black_box(n)
        })
    });
    g.finish();
}

fn encode_benches(c: &mut Criterion) {
    for (label, headers) in [("grpc_response_headers", GRPC_RESPONSE), ("grpc_trailers", GRPC_TRAILERS)] {
        let mut g = c.benchmark_group(format!("encode_{label}"));
        g.throughput(Throughput::Elements(1));
        let mut dst = Vec::with_capacity(256);

        // Steady state of a connection: the encoder has sent these before.
        let mut enc = Encoder::new();
        ours_encode(&mut enc, headers, &mut dst);
        dst.clear();
        ours_encode(&mut enc, headers, &mut dst);
        let ours_len = dst.len();
        g.bench_function("h2native", |b| {
            b.iter(|| {
                dst.clear();
                ours_encode(&mut enc, black_box(headers), &mut dst);
                black_box(dst.len())
            })
        });

        let mut enc = hpack::Encoder::new();
        enc.encode_into(headers.iter().copied(), &mut dst).unwrap();
        dst.clear();
        enc.encode_into(headers.iter().copied(), &mut dst).unwrap();
        let hpack_len = dst.len();
        g.bench_function("hpack", |b| {
            b.iter(|| {
                dst.clear();
                enc.encode_into(black_box(headers).iter().copied(), &mut dst).unwrap();
                black_box(dst.len())
            })
        });

        let mut enc = loona_hpack::Encoder::new();
        enc.encode_into(headers.iter().copied(), &mut dst).unwrap();
        dst.clear();
        enc.encode_into(headers.iter().copied(), &mut dst).unwrap();
        let loona_len = dst.len();
        g.bench_function("loona-hpack", |b| {
            b.iter(|| {
                dst.clear();
                enc.encode_into(black_box(headers).iter().copied(), &mut dst).unwrap();
                black_box(dst.len())
            })
        });
        g.finish();
        eprintln!(
            "{label}: warm block octets: h2native {ours_len}, hpack {hpack_len}, loona-hpack {loona_len}"
        );
    }

    // Header-heavy blocks with rotating values, encoded in turn on one encoder.
    let sets = heavy_sets();
    let sets: Vec<Vec<(&[u8], &[u8])>> =
        sets.iter().map(|s| s.iter().map(|(n, v)| (&n[..], &v[..])).collect()).collect();
    let mut g = c.benchmark_group("encode_heavy_25");
    g.throughput(Throughput::Elements(1));
    let mut dst = Vec::with_capacity(4096);
    let mut sizes = [0usize; 3];
    let mut enc = Encoder::new();
    for s in &sets {
        dst.clear();
        ours_encode(&mut enc, s, &mut dst);
        sizes[0] += dst.len();
    }
    let mut i = 0;
    g.bench_function("h2native", |b| {
        b.iter(|| {
            dst.clear();
            ours_encode(&mut enc, black_box(&sets[i % sets.len()]), &mut dst);
            i += 1;
            black_box(dst.len())
        })
    });
    let mut enc = hpack::Encoder::new();
    for s in &sets {
        dst.clear();
        enc.encode_into(s.iter().copied(), &mut dst).unwrap();
        sizes[1] += dst.len();
    }
    g.bench_function("hpack", |b| {
        b.iter(|| {
            dst.clear();
            enc.encode_into(black_box(&sets[i % sets.len()]).iter().copied(), &mut dst).unwrap();
            i += 1;
            black_box(dst.len())
        })
    });
    let mut enc = loona_hpack::Encoder::new();
    for s in &sets {
        dst.clear();
        enc.encode_into(s.iter().copied(), &mut dst).unwrap();
        sizes[2] += dst.len();
    }
    g.bench_function("loona-hpack", |b| {
        b.iter(|| {
            dst.clear();
            enc.encode_into(black_box(&sets[i % sets.len()]).iter().copied(), &mut dst).unwrap();
            i += 1;
            black_box(dst.len())
        })
    });
    g.finish();
    eprintln!(
        "heavy 25x64: total octets: h2native {}, hpack {}, loona-hpack {}",
        sizes[0], sizes[1], sizes[2]
    );
}

criterion_group!(benches, decode_benches, encode_benches);
criterion_main!(benches);
