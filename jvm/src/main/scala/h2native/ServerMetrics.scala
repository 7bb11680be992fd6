/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native

import java.util.concurrent.atomic.LongAdder

import scala.jdk.CollectionConverters._

import h2native.impl.{Abi, AbiNames, NativeBindings, NativeLibrary}

/**
 * The JMX view of [[ServerMetrics]], registered as `h2native:type=Server,address="<host:port>"` while the server is
 * bound.
 */
trait ServerMetricsMXBean {
  def getEngine: String
  def getConnectionsAccepted: Long
  def getConnectionsActive: Long
  def getStreamsOpened: Long
  def getStreamsRefused: Long
  def getStreamsResetByPeer: Long
  def getStreamsResetByServer: Long
  def getConnectionErrors: Long
  def getLimitsHit: java.util.Map[String, java.lang.Long]
  def getBytesIn: Long
  def getBytesOut: Long
  def getNativeConnectionsLive: Long
  def getNativeMemoryBytes: Long
  def getFramesReceived: java.util.Map[String, java.lang.Long]
  def getFramesSent: java.util.Map[String, java.lang.Long]
}

/**
 * Counters of one h2native server, over all its connections since it was bound. Cheap to update (striped adders) and
 * readable at any time from any thread: `NativeHttp2(system).metrics(binding.localAddress)`, or over JMX.
 *
 * `engine` says which path serves: "native" (the Rust engine) or "pekko-http" (the fallback when the native library
 * cannot load and `h2native.fallback = pekko-http`); with the fallback only `engine` is meaningful.
 */
final class ServerMetrics private[h2native] (val engine: String) extends ServerMetricsMXBean {
  private[h2native] val connectionsAccepted = new LongAdder
  private[h2native] val connectionsActive = new LongAdder
  private[h2native] val streamsOpened = new LongAdder
  private[h2native] val streamsResetByPeer = new LongAdder
  private[h2native] val streamsResetByServer = new LongAdder
  private[h2native] val connectionErrors = new LongAdder
  private[h2native] val bytesIn = new LongAdder
  private[h2native] val bytesOut = new LongAdder
  private val limits = Array.fill(Abi.LIMIT_NAMES.length)(new LongAdder)
  private val MaxConcurrentStreams = AbiNames.limitNumber("max-concurrent-streams")
  private val received = Array.fill(Abi.FRAME_KINDS)(new LongAdder)
  private val sent = Array.fill(Abi.FRAME_KINDS)(new LongAdder)

  /** Adds an ended connection's frame counters (`Http2Connection.frameCounts` layout). */
  private[h2native] def addFrames(counts: Array[Long]): Unit = {
    var i = 0
    while (i < Abi.FRAME_KINDS) {
      received(i).add(counts(i))
      sent(i).add(counts(Abi.FRAME_KINDS + i))
      i += 1
    }
  }

  private def byKind(adders: Array[LongAdder]): Map[String, Long] =
    adders.indices.map(i => Abi.FRAME_KIND_NAMES(i) -> adders(i).sum()).filter(_._2 > 0).toMap

  /** Frames received by type, over the connections that have ended (a live connection adds its own when it ends). */
  def framesReceived: Map[String, Long] = byKind(received)

  /** Frames sent by type, over the connections that have ended. */
  def framesSent: Map[String, Long] = byKind(sent)

  private[h2native] def limitHit(limit: Int): Unit = if (limit > 0 && limit < limits.length) limits(limit).increment()

  /** Times each configured limit was hit (attacks or misbehaving peers mitigated), by its setting name. */
  def limitsHit: Map[String, Long] =
    (1 until limits.length).map(i => AbiNames.limit(i) -> limits(i).sum()).filter(_._2 > 0).toMap

  /** Streams refused because the peer exceeded max-concurrent-streams (RST_STREAM REFUSED_STREAM). */
  def streamsRefused: Long = limits(MaxConcurrentStreams).sum()

  override def getEngine: String = engine
  override def getConnectionsAccepted: Long = connectionsAccepted.sum()
  override def getConnectionsActive: Long = connectionsActive.sum()
  override def getStreamsOpened: Long = streamsOpened.sum()
  override def getStreamsRefused: Long = streamsRefused
  override def getStreamsResetByPeer: Long = streamsResetByPeer.sum()
  override def getStreamsResetByServer: Long = streamsResetByServer.sum()
  override def getConnectionErrors: Long = connectionErrors.sum()
  override def getLimitsHit: java.util.Map[String, java.lang.Long] = boxed(limitsHit)
  override def getBytesIn: Long = bytesIn.sum()
  override def getBytesOut: Long = bytesOut.sum()

  /** Native connections open in this process (all servers), 0 when the native library is not in use. */
  override def getNativeConnectionsLive: Long =
    if (engine == ServerMetrics.Native && NativeLibrary.isAvailable) NativeBindings.liveConnections() else 0L

  override def getFramesReceived: java.util.Map[String, java.lang.Long] = boxed(framesReceived)
  override def getFramesSent: java.util.Map[String, java.lang.Long] = boxed(framesSent)

  private def boxed(m: Map[String, Long]): java.util.Map[String, java.lang.Long] =
    m.map { case (k, v) => k -> java.lang.Long.valueOf(v) }.asJava

  /** Native memory the library holds in this process (all servers' connections), 0 without the native library. */
  override def getNativeMemoryBytes: Long =
    if (engine == ServerMetrics.Native && NativeLibrary.isAvailable) NativeBindings.allocatedBytes() else 0L

  override def toString: String =
    s"ServerMetrics(engine=$engine, connections=$getConnectionsAccepted (active $getConnectionsActive), " +
      s"streams=$getStreamsOpened (refused $streamsRefused, reset by peer $getStreamsResetByPeer, by server " +
      s"$getStreamsResetByServer), connection errors=$getConnectionErrors, limits=$limitsHit, bytes in/out=" +
      s"$getBytesIn/$getBytesOut, frames received=$framesReceived, sent=$framesSent)"
}

object ServerMetrics {
  final val Native = "native"
  final val PekkoHttp = "pekko-http"
}
