//! Zero allocation: parsing a buffer holding every frame type, and encoding every frame type
//! into a warm Vec, must not touch the allocator. A counting global allocator proves it.
//!
//! Counting is per thread so the test harness's own threads cannot disturb the count.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use h2native_codec::error::ErrorCode;
use h2native_codec::frame::*;

struct Counting;

thread_local! {
    // `const` initialisation: no lazy init, no destructor, so touching it from inside the
    // allocator cannot itself allocate.
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn bump() {
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: defers every operation to `System`; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCS.with(Cell::get);
    f();
    ALLOCS.with(Cell::get) - before
}

const SPEC: PrioritySpec = PrioritySpec {
    dependency: 1,
    exclusive: true,
    weight: 15,
};
const SETTINGS: [Setting; 8] = [
    Setting::HeaderTableSize(4096),
    Setting::EnablePush(false),
    Setting::MaxConcurrentStreams(100),
    Setting::InitialWindowSize(1 << 20),
    Setting::MaxFrameSize(1 << 15),
    Setting::MaxHeaderListSize(16 << 10),
    Setting::EnableConnectProtocol(true),
    Setting::Unknown(0x99, 1),
];

/// Every encoder, every frame type, padded variants and a split field block.
fn encode_all(payload: &[u8], block: &[u8], dst: &mut Vec<u8>) {
    data::encode(1, payload, false, dst);
    data::encode_padded(1, payload, true, 17, dst);
    data::encode_header(3, payload.len() as u32, false, dst);
    dst.extend_from_slice(payload);
    headers::encode(3, &block[..40], false, true, None, dst);
    headers::encode(5, &block[..40], true, true, Some(SPEC), dst);
    headers::encode_padded(7, &block[..40], false, false, Some(SPEC), 9, dst);
    continuation::encode(7, &block[..10], true, dst);
    headers::encode_block(9, block, true, DEFAULT_MAX_FRAME_SIZE, dst);
    priority::encode(11, SPEC, dst);
    rst_stream::encode(11, ErrorCode::Cancel, dst);
    settings::encode(&SETTINGS, dst);
    settings::encode_ack(dst);
    push_promise::encode(3, 2, &block[..40], true, dst);
    push_promise::encode_padded(3, 4, &block[..40], true, 3, dst);
    ping::encode(false, *b"pingpong", dst);
    ping::encode(true, *b"pingpong", dst);
    goaway::encode(9, ErrorCode::NoError, b"bye", dst);
    window_update::encode(0, 1 << 20, dst);
    window_update::encode(1, 1, dst);
    FrameHeader::new(0xee, 0, 0, 0).encode(dst); // unknown type
}

/// Parses all of `buf`, touching every field so nothing is optimised away.
fn parse_all(buf: &[u8]) -> usize {
    let mut rest = buf;
    let mut frames = 0;
    while let Some((f, n)) = parse_frame(rest, DEFAULT_MAX_FRAME_SIZE).expect("valid input") {
        if let Frame::Settings(s) = &f {
            for setting in s.iter() {
                black_box(setting);
            }
        }
        black_box(&f);
        frames += 1;
        rest = &rest[n..];
    }
    assert!(rest.is_empty());
    frames
}

#[test]
fn frame_layer_does_not_allocate() {
    // The counter works: a deliberate allocation is seen.
    assert_eq!(
        allocations(|| drop(black_box(Vec::<u8>::with_capacity(16)))),
        1
    );
    let mut grown = Vec::<u8>::with_capacity(1);
    assert_eq!(
        allocations(|| grown.reserve(black_box(4096))),
        1,
        "realloc is counted"
    );

    // Setup may allocate.
    let payload: Vec<u8> = (0..=255).cycle().take(1000).collect();
    let block: Vec<u8> = (0..=255).rev().cycle().take(40_000).collect();
    let mut wire = Vec::new();
    for _ in 0..50 {
        encode_all(&payload, &block, &mut wire);
    }
    let errors: Vec<Vec<u8>> = [
        (kind::DATA, 0u32, &b"x"[..]),
        (kind::PRIORITY, 1, b"\0\0\0\x01\0"),
        (kind::WINDOW_UPDATE, 1, b"\0\0\0\0"),
        (kind::SETTINGS, 0, b"\0\x02\0\0\0\x02"),
        (kind::PING, 0, b"short"),
    ]
    .iter()
    .map(|(k, s, p)| {
        let mut v = Vec::new();
        FrameHeader::new(*k, 0, *s, p.len() as u32).encode(&mut v);
        v.extend_from_slice(p);
        v
    })
    .collect();
    let mut out = Vec::with_capacity(wire.len());

    // Parse: every frame type, many times over; then errors, which are Copy values.
    let mut frames = 0;
    assert_eq!(
        allocations(|| frames = parse_all(&wire)),
        0,
        "parse allocated"
    );
    assert!(frames > 50 * 20, "{frames}");
    assert_eq!(
        allocations(|| {
            for e in &errors {
                black_box(parse_frame(e, DEFAULT_MAX_FRAME_SIZE).unwrap_err());
            }
            black_box(parse_frame(&wire[..5], DEFAULT_MAX_FRAME_SIZE).unwrap());
        }),
        0,
        "error path allocated"
    );

    // Encode: the Vec is warm (has the capacity), so not even a realloc.
    assert_eq!(
        allocations(|| {
            for _ in 0..50 {
                encode_all(&payload, &block, &mut out);
            }
        }),
        0,
        "encode allocated"
    );
    assert_eq!(out, wire);

    // And it can fail: a cold Vec must grow, and that is counted.
    assert!(allocations(|| encode_all(&payload, &block, &mut Vec::new())) > 0);
}
