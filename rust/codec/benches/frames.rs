//! Frame demux throughput: bulk 16 KiB DATA (bytes/s) and a mix of small frames
//! (frames/s), plus encoding that mix into a warm Vec.
//!
//! Quick run: `cargo bench -p h2native-codec --bench frames -- --warm-up-time 1 --measurement-time 2`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use h2native_codec::error::H2Error;
use h2native_codec::frame::*;

/// Parses every frame in `buf`; returns the frame count and data octets seen.
#[inline]
fn demux(mut buf: &[u8]) -> Result<(usize, usize), H2Error> {
    let (mut frames, mut data) = (0, 0);
    while let Some((f, n)) = parse_frame(buf, DEFAULT_MAX_FRAME_SIZE)? {
        match f {
            Frame::Data(d) => data += d.data.len(),
            Frame::Headers(h) => data += h.fragment.len(),
            Frame::Ping(p) => data += p.payload[0] as usize,
            Frame::WindowUpdate(w) => data += (w.increment & 1) as usize,
            _ => {}
        }
        frames += 1;
        buf = &buf[n..];
    }
    Ok((frames, data))
}

/// A small HEADERS block as a browser's follow-up request would send (mostly indexed).
const BLOCK: &[u8] =
    b"\x82\x87\xc1\xc0\xbf\xbe\x04\x8b\x61\x09\x6c\x2e\xbb\x46\x2d\x5b\x6d\x3f\xbd\xbc\xbb\xba";

/// One request's worth of small frames on `stream_id`; 8 frames.
fn small_mix(stream_id: u32, body: &[u8], dst: &mut Vec<u8>) {
    headers::encode(stream_id, BLOCK, false, true, None, dst);
    data::encode(stream_id, &body[..64], false, dst);
    data::encode(stream_id, &body[..200], true, dst);
    window_update::encode(0, 264, dst);
    window_update::encode(stream_id, 264, dst);
    ping::encode(
        false,
        stream_id.to_be_bytes().repeat(2).try_into().unwrap(),
        dst,
    );
    headers::encode(stream_id, &BLOCK[..8], true, true, None, dst);
    rst_stream::encode(stream_id, h2native_codec::error::ErrorCode::Cancel, dst);
}
const SMALL_MIX_FRAMES: usize = 8;

fn bench(c: &mut Criterion) {
    let body: Vec<u8> = (0..=255)
        .cycle()
        .take(DEFAULT_MAX_FRAME_SIZE as usize)
        .collect();

    // 64 full-size DATA frames: 1 MiB of payload.
    let mut bulk = Vec::new();
    for i in 0..64 {
        data::encode(1 + 2 * (i % 4), &body, false, &mut bulk);
    }
    let mut g = c.benchmark_group("demux");
    g.throughput(Throughput::Bytes(bulk.len() as u64));
    g.bench_function("data_16k", |b| b.iter(|| demux(black_box(&bulk)).unwrap()));

    let requests = 128;
    let mut mixed = Vec::new();
    for i in 0..requests {
        small_mix(1 + 2 * i, &body, &mut mixed);
    }
    let n = requests as usize * SMALL_MIX_FRAMES;
    assert_eq!(demux(&mixed).unwrap().0, n);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("small_mix", |b| {
        b.iter(|| demux(black_box(&mixed)).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group("encode");
    g.throughput(Throughput::Elements(n as u64));
    let mut out = Vec::with_capacity(mixed.len());
    g.bench_function("small_mix", |b| {
        b.iter(|| {
            out.clear();
            for i in 0..requests {
                small_mix(black_box(1 + 2 * i), &body, &mut out);
            }
            black_box(out.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
