/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl

import java.util.function.IntFunction

import org.apache.pekko.annotation.InternalApi
import org.apache.pekko.util.ByteString

/**
 * INTERNAL API
 *
 * The JVM side of one native HTTP/2 connection, as its owner (the server stage) drives it: [[NativeConnection]] (the
 * handle, its buffers, input and output), [[EventReader]] (`events`: what the last call reported, and the header
 * objects) and [[CommandWriter]] (`commands`: what the next `submit()` applies). One native call per inbound chunk
 * (`feed`) and one per outbound batch (`commands.submit()`).
 *
 * NOT thread-safe: one owner calls it. Events are valid until the next call: read them first. Output accumulates until
 * `takeOutput`. `close()` frees the native connection (idempotent; a Cleaner is the safety net).
 */
@InternalApi
final class Http2Connection private (server: Boolean, config: EngineConfig) {
  private[this] val native = new NativeConnection(server, config)

  val events: EventReader = new EventReader(native, config("header-table-size"))
  val commands: CommandWriter = new CommandWriter(native)

  def feed(bytes: ByteString): Int = native.feed(bytes)
  def isClosed: Boolean = native.isClosed
  def isDrained: Boolean = native.isDrained
  def inputLeft: Boolean = native.inputLeft
  def hasOutput: Boolean = native.hasOutput
  def takeOutput(payloads: IntFunction[ByteString]): ByteString = native.takeOutput(payloads)
  def frameCounts(out: Array[Long]): Unit = native.frameCounts(out)
  def close(): Unit = native.close()

  /** See [[NativeConnection.pinThreshold]]. */
  def pinThreshold: Int = native.pinThreshold
  def pinThreshold_=(octets: Int): Unit = native.pinThreshold = octets

  /** Header objects created: a counter for tests and metrics. */
  def materialized: Long = events.materialized

  /** Octets of header names and values the header cache holds now. */
  def cachedHeaderOctets: Long = events.cachedHeaderOctets
}

/** INTERNAL API */
@InternalApi
object Http2Connection {
  def server(config: EngineConfig = EngineConfig.Defaults): Http2Connection = new Http2Connection(true, config)
  def client(config: EngineConfig = EngineConfig.Defaults): Http2Connection = new Http2Connection(false, config)

  /** DATA payloads up to this many octets may be copied into the output instead of chained (`takeOutput`). */
  final val ChainThreshold = NativeConnection.ChainThreshold

  def dynamicCacheOctets(headerTableSize: Long): Long = EventReader.dynamicCacheOctets(headerTableSize)
}
