//! A counting global allocator proves that, once warm, encoding and decoding gRPC header
//! blocks allocates nothing, including blocks that insert into a full dynamic table (so every
//! insertion evicts) and blocks that hit it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use h2native_codec::hpack::{DecodedHeaders, Decoder, Encoder, FieldSource, Limits};

struct Counting;

thread_local! {
    // Per thread, so tests running in parallel do not see each other's allocations.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn the_counter_counts() {
    let before = allocations();
    let v: Vec<u8> = black_box(Vec::with_capacity(16));
    assert!(allocations() > before, "a deliberate allocation was not counted");
    drop(v);
}

/// Values prepared up front: formatting them in the loop would allocate.
struct Inputs {
    timeouts: Vec<String>,
    sequence: Vec<String>,
}

fn grpc_request(inputs: &Inputs, i: usize) -> [(&[u8], &[u8], bool); 10] {
    [
        (b":method", b"POST", false),
        (b":scheme", b"http", false),
        (b":path", b"/helloworld.Greeter/SayHello", false),
        (b":authority", b"localhost:50051", false),
        (b"content-type", b"application/grpc", false),
        (b"te", b"trailers", false),
        (b"user-agent", b"grpc-java-netty/1.68.0", false),
        // Not indexed by policy: a literal every time.
        (b"grpc-timeout", inputs.timeouts[i % inputs.timeouts.len()].as_bytes(), false),
        // Indexed and new every block: fills the table, then evicts on every insertion.
        (b"x-request-seq", inputs.sequence[i % inputs.sequence.len()].as_bytes(), false),
        (b"authorization", b"Bearer 0123456789abcdef", true),
    ]
}

#[test]
fn warm_encode_and_decode_allocate_nothing() {
    let inputs = Inputs {
        timeouts: (0..97).map(|i| format!("{}m", 999_000 - i * 13)).collect(),
        sequence: (0..10_000).map(|i| format!("{i:08}-{:x}", i * 7919)).collect(),
    };
    let mut enc = Encoder::new();
    let mut dec = Decoder::new(4096);
    let mut wire = Vec::new();
    let mut out = DecodedHeaders::new();
    let limits = Limits::default();
    let mut round = |i: usize, enc: &mut Encoder, dec: &mut Decoder| {
        wire.clear();
        enc.encode(grpc_request(&inputs, i), &mut wire);
        out.clear();
        dec.decode(&wire, &limits, &mut out).unwrap();
        assert_eq!(out.len(), 10);
        (out.fields()[2].source, out.fields()[8].source, enc.table_len())
    };

    // Warm-up: fill the table and cycle it several times, so every buffer reaches its
    // steady-state size.
    for i in 0..3000 {
        round(i, &mut enc, &mut dec);
    }
    let before = allocations();
    let mut hits = 0;
    let mut inserts = 0;
    for i in 3000..6000 {
        let (path, seq, len) = round(i, &mut enc, &mut dec);
        hits += matches!(path, FieldSource::Dynamic(_)) as usize;
        inserts += matches!(seq, FieldSource::Inserted(_)) as usize;
        assert!(len < 100);
    }
    let allocated = allocations() - before;
    // FIFO eviction pushes :path out now and then; it is re-inserted the next block.
    assert!(hits > 2900, ":path should mostly be a dynamic hit ({hits})");
    assert_eq!(inserts, 3000, "x-request-seq should be inserted every time");
    // The table is full: the 3000 insertions each evicted (table length is bounded above).
    assert!(dec.table_size() > 4096 - 100);
    assert_eq!(allocated, 0, "{allocated} allocations in 3000 warm encode+decode rounds");

    // Decoding a block with Huffman literals (a fresh encoder's first block) into a warm
    // decoder and output does not allocate either.
    let mut cold_enc = Encoder::new();
    let mut first = Vec::new();
    cold_enc.encode(grpc_request(&inputs, 0), &mut first);
    let mut dec2 = Decoder::new(4096);
    for _ in 0..50 {
        out.clear();
        dec2.decode(&first, &limits, &mut out).unwrap();
        dec2.decode(&[0x20, 0x3f, 0xe1, 0x1f], &limits, &mut out).unwrap(); // flush the table
    }
    let before = allocations();
    for _ in 0..100 {
        out.clear();
        dec2.decode(&first, &limits, &mut out).unwrap();
        dec2.decode(&[0x20, 0x3f, 0xe1, 0x1f], &limits, &mut out).unwrap();
    }
    assert_eq!(allocations() - before, 0);
}
