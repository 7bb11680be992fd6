/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.jmh

import java.util.concurrent.TimeUnit

import org.openjdk.jmh.annotations._
import org.openjdk.jmh.infra.Blackhole

import org.apache.pekko.http.impl.engine.http2.PekkoHttpCodec

import h2native.jmh.UnaryGrpc.OutboundBatch

/**
 * The JVM path of a unary gRPC exchange through JNI, against Netty's and pekko-http's codecs on the same bytes.
 *   - `*Inbound`: a request's HEADERS + DATA (one chunk) to header objects and a body slice;
 *   - `*Exchange`: that, then the response headers, message and trailers to the bytes to write;
 *   - `*Outbound`: the response alone, `OutboundBatch` per invocation. h2native answers streams a client opened before
 *     the invocation (JMH runs `H2nativeStreams.open` untimed), the others encode on a fresh stream id.
 *
 * Run: `./sbt "bench-jmh/Jmh/run -prof gc"` (README: the figures).
 */
@State(Scope.Thread)
@BenchmarkMode(Array(Mode.AverageTime))
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = Array("-Xmx1g"))
class CodecBench {
  private var h2native: H2nativeCodec = _
  private var netty: NettyCodec = _
  private var pekko: PekkoHttpCodec = _

  @Setup(Level.Trial)
  def setup(bh: Blackhole): Unit = {
    h2native = new H2nativeCodec(bh)
    netty = new NettyCodec
    pekko = new PekkoHttpCodec
  }

  @TearDown(Level.Trial)
  def tearDown(): Unit = { h2native.close(); netty.close() }

  @Benchmark def h2nativeInbound(bh: Blackhole): Unit = bh.consume(h2native.inbound())
  @Benchmark def nettyInbound(bh: Blackhole): Unit = bh.consume(netty.inbound())
  @Benchmark def pekkoHttpInbound(bh: Blackhole): Unit = bh.consume(pekko.inbound())

  @Benchmark def h2nativeExchange(bh: Blackhole): Unit = bh.consume(h2native.exchange())
  @Benchmark def nettyExchange(bh: Blackhole): Unit = bh.consume(netty.exchange())
  @Benchmark def pekkoHttpExchange(bh: Blackhole): Unit = bh.consume(pekko.exchange())

  @Benchmark @OperationsPerInvocation(OutboundBatch)
  def h2nativeOutbound(streams: H2nativeStreams, bh: Blackhole): Unit = {
    var i = 0
    while (i < OutboundBatch) { bh.consume(streams.codec.respond()); i += 1 }
  }

  @Benchmark @OperationsPerInvocation(OutboundBatch)
  def nettyOutbound(bh: Blackhole): Unit = {
    var i = 0
    while (i < OutboundBatch) { bh.consume(netty.outbound()); i += 1 }
  }

  @Benchmark @OperationsPerInvocation(OutboundBatch)
  def pekkoHttpOutbound(bh: Blackhole): Unit = {
    var i = 0
    while (i < OutboundBatch) { bh.consume(pekko.outbound()); i += 1 }
  }
}

/**
 * h2native's connection for the outbound benchmark, with `OutboundBatch` streams opened before each invocation (one
 * input of requests, untimed). Level.Invocation costs two timestamps per invocation, spread over the batch.
 */
@State(Scope.Thread)
class H2nativeStreams {
  var codec: H2nativeCodec = _

  @Setup(Level.Trial)
  def setup(bh: Blackhole): Unit = codec = new H2nativeCodec(bh)

  @Setup(Level.Invocation)
  def open(): Unit = codec.openStreams()

  @TearDown(Level.Trial)
  def tearDown(): Unit = codec.close()
}
