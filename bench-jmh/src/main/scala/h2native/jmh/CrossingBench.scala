/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.jmh

import java.util.concurrent.TimeUnit

import org.apache.pekko.util.ByteString
import org.openjdk.jmh.annotations._

import h2native.impl.{Http2Connection, NativeBindings}

/**
 * What one crossing into the engine costs before any work, the floor under every `CodecBench` figure:
 *   - `jniCall`: a bare static JNI call (the ABI version), the JVM's own transition cost;
 *   - `emptyBatch`: `commands.submit()` with no command on a live connection: the JNI call, the handle lookup and busy
 *     flag, the library clock, the IO block written and read back.
 *
 * Run: `./sbt "bench-jmh/Jmh/run -prof gc CrossingBench"` (README: the figures).
 */
@State(Scope.Thread)
@BenchmarkMode(Array(Mode.AverageTime))
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = Array("-Xmx1g"))
class CrossingBench {
  private var conn: Http2Connection = _

  /** For the correctness check in CodecBenchSpec. */
  def connection: Http2Connection = conn

  @Setup(Level.Trial)
  def setup(): Unit = {
    conn = Http2Connection.server()
    conn.feed(ByteString.fromArrayUnsafe(UnaryGrpc.preface))
    // the ack keeps the SETTINGS timeout from closing the connection during the run
    conn.feed(ByteString.fromArrayUnsafe(UnaryGrpc.settingsAck))
    conn.takeOutput(_ => ByteString.empty)
  }

  @TearDown(Level.Trial)
  def tearDown(): Unit = conn.close()

  @Benchmark def jniCall(): Int = NativeBindings.abiVersion()

  @Benchmark def emptyBatch(): Int = conn.commands.submit().count
}
