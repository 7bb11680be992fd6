//! Zero allocation per frame once a connection is warm: HEADERS, DATA, WINDOW_UPDATE, PING,
//! trailers and a full unary exchange, through the Rust methods and through the flat command
//! buffer. A counting global allocator (per thread) proves it, and is itself checked.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use h2native_codec::abi::apply_commands;
use h2native_codec::abi::testing::CommandWriter;
use h2native_codec::abi::Connection;
use h2native_codec::conn::{Config, PREFACE};
use h2native_codec::frame;
use h2native_codec::hpack::Encoder;

struct Counting;

thread_local! {
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

fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCS.with(Cell::get);
    f();
    ALLOCS.with(Cell::get) - before
}

const REQ: [(&[u8], &[u8], bool); 7] = [
    (b":method", b"POST", false),
    (b":scheme", b"http", false),
    (b":path", b"/helloworld.Greeter/SayHello", false),
    (b":authority", b"localhost:8080", false),
    (b"content-type", b"application/grpc", false),
    (b"te", b"trailers", false),
    (b"grpc-timeout", b"1S", false),
];
const RESP: [(&[u8], &[u8], bool); 2] =
    [(b":status", b"200", false), (b"content-type", b"application/grpc", false)];
const TRAILERS: [(&[u8], &[u8], bool); 2] = [(b"grpc-status", b"0", false), (b"grpc-message", b"", false)];

/// Client-side bytes for `n` unary requests on streams `first, first + 2, ...`, each
/// HEADERS + DATA(END_STREAM) + a PING + a WINDOW_UPDATE, from one encoder (so the HPACK state
/// matches the server's decoder).
fn requests(enc: &mut Encoder, first: u32, n: u32) -> Vec<Vec<u8>> {
    let mut block = Vec::new();
    (0..n)
        .map(|i| {
            let id = first + 2 * i;
            let mut b = Vec::new();
            block.clear();
            enc.encode(REQ.iter().copied(), &mut block);
            frame::headers::encode_block(id, &block, false, 16_384, &mut b);
            frame::data::encode(id, &[7u8; 100], true, &mut b);
            frame::ping::encode(false, [1; 8], &mut b);
            frame::window_update::encode(0, 1000, &mut b);
            b
        })
        .collect()
}

fn warm_server(enc: &mut Encoder) -> Connection {
    let mut c = Connection::server(Config::default());
    let mut b = PREFACE.to_vec();
    frame::settings::encode(&[], &mut b);
    frame::settings::encode_ack(&mut b);
    assert_eq!(c.feed(&b), b.len());
    c.clear_output();
    c.clear_events();
    // Warm-up: a few exchanges through both paths grow every buffer to its working size.
    for input in requests(enc, 1, 20) {
        unary(&mut c, &input);
    }
    c
}

fn unary(c: &mut Connection, input: &[u8]) {
    assert_eq!(c.feed(input), input.len());
    let id = h2native_codec::abi::get_u32(c.events(), 8);
    c.consumed(id, 100);
    c.send_headers(id, RESP.iter().copied(), false).unwrap();
    assert_eq!(c.send_data(id, 200, false, 1).unwrap(), 200);
    c.send_headers(id, TRAILERS.iter().copied(), true).unwrap();
    black_box(c.output());
    c.clear_output();
    c.clear_events();
}

#[test]
fn the_counter_counts() {
    assert!(allocations(|| drop(black_box(Vec::<u8>::with_capacity(16)))) >= 1);
}

#[test]
fn unary_exchange_allocates_nothing_once_warm() {
    let mut enc = Encoder::new();
    let mut c = warm_server(&mut enc);
    let inputs = requests(&mut enc, 41, 200);
    let n = allocations(|| {
        for input in &inputs {
            unary(&mut c, input);
        }
    });
    assert_eq!(n, 0, "allocations in 200 unary exchanges");
    assert_eq!(c.active_streams(), 0);
}

#[test]
fn unary_exchange_through_command_buffer_allocates_nothing() {
    let mut enc = Encoder::new();
    let mut c = warm_server(&mut enc);
    let inputs = requests(&mut enc, 41, 200);
    let mut cmds = CommandWriter::default();
    let mut results = Vec::with_capacity(64);
    let batch = |c: &mut Connection, cmds: &mut CommandWriter, results: &mut Vec<u8>, input: &[u8]| {
        c.feed(input);
        let id = h2native_codec::abi::get_u32(c.events(), 8);
        cmds.clear();
        cmds.consumed(id, 100);
        cmds.headers(id, &RESP, false);
        cmds.data(id, 200, false, 0);
        cmds.headers(id, &TRAILERS, true);
        apply_commands(c, &cmds.buf, results).unwrap();
        c.clear_output();
        c.clear_events();
    };
    for input in &inputs[..10] {
        batch(&mut c, &mut cmds, &mut results, input);
    }
    let n = allocations(|| {
        for input in &inputs[10..] {
            batch(&mut c, &mut cmds, &mut results, input);
        }
    });
    assert_eq!(n, 0);
}

#[test]
fn single_frames_allocate_nothing_once_warm() {
    let mut enc = Encoder::new();
    let mut c = warm_server(&mut enc);
    // Open one long-lived stream (and warm the trailer fields on another: their first use
    // inserts into the table), then measure frame by frame. Blocks are encoded in feed order.
    let mut encode = |fields: &[(&[u8], &[u8], bool)], id: u32, end: bool, dst: &mut Vec<u8>| {
        let mut block = Vec::new();
        enc.encode(fields.iter().copied(), &mut block);
        frame::headers::encode_block(id, &block, end, 16_384, dst);
    };
    const REQ_TRAILERS: [(&[u8], &[u8], bool); 1] = [(b"x-request-trailer", b"done", false)];
    let mut h = Vec::new();
    encode(&REQ, 1001, false, &mut h);
    encode(&REQ, 1003, false, &mut h);
    encode(&REQ_TRAILERS, 1003, true, &mut h);
    let mut trailers = Vec::new();
    encode(&REQ_TRAILERS, 1001, true, &mut trailers);
    let mut data = Vec::new();
    frame::data::encode(1001, &[1u8; 1000], false, &mut data);
    let mut ping = Vec::new();
    frame::ping::encode(false, [2; 8], &mut ping);
    let mut wu = Vec::new();
    frame::window_update::encode(1001, 500, &mut wu);

    c.feed(&h);
    c.send_headers(1001, RESP.iter().copied(), false).unwrap();
    c.clear_output();
    c.clear_events();

    let mut each = |what: &str, f: &mut dyn FnMut(&mut Connection)| {
        f(&mut c);
        c.clear_output();
        c.clear_events();
        let n = allocations(|| {
            for _ in 0..50 {
                f(&mut c);
                c.clear_output();
                c.clear_events();
            }
        });
        assert_eq!(n, 0, "{what}");
    };
    each("DATA in", &mut |c| {
        c.feed(&data);
        c.consumed(1001, 1000);
    });
    each("PING in", &mut |c| {
        c.feed(&ping);
    });
    each("WINDOW_UPDATE in", &mut |c| {
        c.feed(&wu);
    });
    each("DATA out", &mut |c| {
        c.send_data(1001, 300, false, 0).unwrap();
    });
    each("PING out", &mut |c| {
        c.send_ping([0; 8]).unwrap();
    });
    // Trailers last: they end the peer's side of the stream.
    let n = allocations(|| {
        c.feed(&trailers);
    });
    assert_eq!(n, 0, "trailers in");
    let n = allocations(|| {
        c.send_headers(1001, TRAILERS.iter().copied(), true).unwrap();
    });
    assert_eq!(n, 0, "trailers out");
}
