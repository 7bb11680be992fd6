//! h2native-load: the benchmark's saturating gRPC load generator.
//!
//! One thread (pin it to a core of its own), non-blocking sockets polled in turn, HTTP/2 written
//! with h2native-codec's frame encoders and read with its frame parser and HPACK decoder. Every
//! call is a unary gRPC POST whose response is checked: `:status` 200, the DATA octets equal to
//! the expected message, trailers with `grpc-status: 0`. Cheaper per call than ghz (grpc-go) by
//! an order of magnitude, so one core of it saturates one core of server.
//!
//! ```text
//! h2native-load --target 127.0.0.1:50051 --path /bench.string100b.Greeter/SayHello \
//!   --request req.bin --response resp.bin [--shape identical|grpc-timeout|traceparent] \
//!   [--connections 50] [--streams 20] [--duration 10] [--requests N] [--rate R] \
//!   [--calls-per-connection N] [--cancel-percent P] [--read-rate OCTETS_PER_S]
//! ```
//!
//! `--rate`: calls start on a fixed schedule (open loop) and latency counts from the scheduled
//! time, so a stalled server is not hidden by a client that waits (coordinated omission).
//! Prints one JSON object: calls, ok, errors by kind, req/s, latency percentiles in µs.

mod client;
mod request;

use std::time::{Duration, Instant};

use client::{Client, Counts, Settings};
use request::Shape;

fn usage(msg: &str) -> ! {
    eprintln!("h2native-load: {msg}\n(see the doc comment of bench-grpc/load/src/main.rs)");
    std::process::exit(2)
}

struct Args {
    target: String,
    path: String,
    request: Vec<u8>,
    response: Vec<u8>,
    shape: Shape,
    connections: usize,
    streams: usize,
    duration: Option<Duration>,
    requests: Option<u64>,
    rate: Option<f64>,
    calls_per_connection: u64,
    cancel_percent: u32,
    read_rate: u64,
}

fn args() -> Args {
    let mut a = Args {
        target: String::new(),
        path: String::new(),
        request: Vec::new(),
        response: Vec::new(),
        shape: Shape::Identical,
        connections: 50,
        streams: 20,
        duration: None,
        requests: None,
        rate: None,
        calls_per_connection: 0,
        cancel_percent: 0,
        read_rate: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        let num = |v: &str| v.parse::<f64>().unwrap_or_else(|_| usage(&format!("{flag}: not a number: {v}")));
        let read = |v: &str| std::fs::read(v).unwrap_or_else(|e| usage(&format!("{flag} {v}: {e}")));
        match flag.as_str() {
            "--target" => a.target = v,
            "--path" => a.path = v,
            "--request" => a.request = read(&v),
            "--response" => a.response = read(&v),
            "--shape" => a.shape = Shape::parse(&v).unwrap_or_else(|| usage(&format!("unknown shape {v}"))),
            "--connections" => a.connections = num(&v) as usize,
            "--streams" => a.streams = num(&v) as usize,
            "--duration" => a.duration = Some(Duration::from_secs_f64(num(&v))),
            "--requests" => a.requests = Some(num(&v) as u64),
            "--rate" => a.rate = Some(num(&v)),
            "--calls-per-connection" => a.calls_per_connection = num(&v) as u64,
            "--cancel-percent" => a.cancel_percent = num(&v) as u32,
            "--read-rate" => a.read_rate = num(&v) as u64,
            _ => usage(&format!("unknown flag {flag}")),
        }
    }
    if a.target.is_empty() || a.path.is_empty() || a.request.is_empty() || a.response.is_empty() {
        usage("--target, --path, --request and --response are required");
    }
    if a.duration.is_none() && a.requests.is_none() {
        usage("--duration or --requests");
    }
    a
}

fn main() {
    let a = args();
    let settings = Settings {
        target: a.target.clone(),
        path: a.path.clone(),
        shape: a.shape,
        streams: a.streams.clamp(1, 1000),
        calls_per_connection: a.calls_per_connection,
        cancel_percent: a.cancel_percent,
        read_rate: a.read_rate,
    };
    let mut counts = Counts::default();
    let mut clients: Vec<Client> =
        (0..a.connections.max(1)).map(|_| Client::connect(&settings, &mut counts)).collect();
    let start = Instant::now();
    let end = a.duration.map(|d| start + d);
    let limit = a.requests.unwrap_or(u64::MAX);
    let interval = a.rate.map(|r| Duration::from_secs_f64(1.0 / r));
    let mut next_start = start;
    let mut issued = 0u64;
    let mut latencies: Vec<u32> = Vec::with_capacity(1 << 20);
    let mut turn = 0usize;
    loop {
        let now = Instant::now();
        let stopping = issued >= limit || end.is_some_and(|e| now >= e);
        if !stopping {
            // Start calls: as fast as streams free up, or on the fixed schedule.
            let mut tries = 0;
            while issued < limit && tries < clients.len() {
                let due = match interval {
                    Some(_) if next_start > now => break,
                    Some(_) => next_start,
                    None => now,
                };
                let n = clients.len();
                let c = &mut clients[turn % n];
                if c.start_call(&a.request, due, &mut counts) {
                    issued += 1;
                    tries = 0;
                    if let Some(i) = interval {
                        next_start += i;
                    }
                } else {
                    tries += 1;
                }
                turn += 1;
            }
        }
        let mut active = 0;
        for c in clients.iter_mut() {
            c.poll(&a.response, &mut counts, &mut latencies);
            active += c.in_flight();
            if c.is_done() && !stopping {
                *c = Client::connect(&settings, &mut counts);
            }
        }
        if stopping && active == 0 {
            break;
        }
        if stopping && end.is_some_and(|e| now >= e + Duration::from_secs(10)) {
            counts.error("unfinished at the end");
            break;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let pct = |p: f64| -> u32 {
        if latencies.is_empty() {
            0
        } else {
            latencies[((latencies.len() - 1) as f64 * p).round() as usize]
        }
    };
    let errors: Vec<String> = counts.errors.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
    println!(
        "{{\"calls\":{},\"ok\":{},\"cancelled\":{},\"errors\":{{{}}},\"connections_opened\":{},\"elapsed_s\":{:.3},\"rps\":{:.1},\"p50_us\":{},\"p90_us\":{},\"p99_us\":{},\"p999_us\":{},\"max_us\":{}}}",
        issued,
        counts.ok,
        counts.cancelled,
        errors.join(","),
        counts.connections,
        elapsed,
        counts.ok as f64 / elapsed,
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(0.999),
        latencies.last().copied().unwrap_or(0)
    );
}
