/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.jmh

import java.util.function.IntFunction

import org.apache.pekko.util.ByteString
import org.openjdk.jmh.infra.Blackhole

import h2native.impl.{Abi, EngineConfig, Http2Connection}

/**
 * h2native's JVM path: one native call per inbound chunk (the events give header objects from the per-connection cache
 * and the DATA payload as a slice of the input), one per outbound batch. What the server stage does per request, minus
 * building the HttpRequest. Every header object and body slice goes to the Blackhole, as the other codecs' results do.
 */
final class H2nativeCodec(bh: Blackhole) {
  import UnaryGrpc._

  // Resets are how the inbound-only path closes its streams: not a provoked-reset attack here.
  private val conn =
    Http2Connection.server(
      EngineConfig.Defaults
        .updated("max-resets-sent-per-window", Int.MaxValue)
        .updated("max-resets-received-per-window", 1 << 30)
    )
  private val input = request(1, warmBlock)
  private val exchangeBytes = exchangeInput(1, warmBlock)
  private val payload = ByteString.fromArrayUnsafe(message)
  private val payloads: IntFunction[ByteString] = _ => payload
  private val open = new Array[Int](64)
  private var openCount = 0
  private var nextId = 3

  /** Header fields and body length of the last request, for the correctness checks. */
  var lastFields: List[(String, String)] = Nil
  var lastBodyLength = 0

  conn.feed(ByteString.fromArrayUnsafe(preface))
  conn.takeOutput(payloads)
  conn.feed(ByteString.fromArrayUnsafe(settingsAck))
  conn.feed(ByteString.fromArrayUnsafe(UnaryGrpc.request(1, firstBlock)))
  readRequest(1, keep = true)
  conn.commands.reset(1, 8).submit()
  conn.takeOutput(payloads)

  private def readRequest(streamId: Int, keep: Boolean): Unit = {
    val ev = conn.events
    while (ev.next()) ev.kind match {
      case Abi.EVENT_HEADERS =>
        val n = ev.fieldCount
        var i = 0
        if (keep) lastFields = Nil
        while (i < n) {
          val f = ev.field(i)
          bh.consume(f.header)
          if (keep) lastFields = (f.name, f.value) :: lastFields
          i += 1
        }
        if (keep) lastFields = lastFields.reverse
      case Abi.EVENT_DATA =>
        val slice = ev.dataSlice
        bh.consume(slice)
        lastBodyLength = slice.length
      case Abi.EVENT_WINDOW_OPENED => ()
      case other                   => throw new IllegalStateException(s"unexpected event $other on stream $streamId")
    }
  }

  /** Feeds `bytes` as the next stream's request (one native call) and reads its events; returns the stream id. */
  private def feedNext(bytes: Array[Byte], keep: Boolean): Int = {
    val id = nextId
    nextId += 2
    setStreamId(bytes, warmBlock.length, id)
    conn.feed(ByteString.fromArrayUnsafe(bytes))
    readRequest(id, keep)
    id
  }

  /** Feeds the next request; every 64 requests, one batch returns their flow-control credit and resets them. */
  def inbound(): Int = {
    val id = feedNext(input, keep = false)
    open(openCount) = id
    openCount += 1
    if (openCount == open.length) {
      var i = 0
      while (i < openCount) { conn.commands.consumed(open(i), message.length).reset(open(i), 8); i += 1 }
      conn.commands.submit()
      conn.takeOutput(payloads)
      openCount = 0
    }
    id
  }

  /** A whole unary exchange: the request in, then response headers, message and trailers out as one ByteString. */
  def exchange(): ByteString = {
    val id = feedNext(exchangeBytes, keep = false)
    conn.commands.consumed(id, message.length)
    respondOn(id)
  }

  /** Response headers, message and trailers on `id` (appended to the commands already queued), to one ByteString. */
  private def respondOn(id: Int): ByteString = {
    conn.commands
      .headers(id, responseHeaders, endStream = false)
      .data(id, message.length, endStream = false, tag = 0)
      .headers(id, trailers, endStream = true)
      .submit()
    conn.takeOutput(payloads)
  }

  // The outbound path alone: a response needs a stream the client opened, so `openStreams` opens a batch of them
  // (untimed, per JMH invocation) and `respond` answers one.
  private val requestLength = 9 + warmBlock.length + 9 + message.length
  private val batchInput =
    Array.concat(Seq.fill(OutboundBatch)(request(1, warmBlock)) :+ connectionCredit(OutboundBatch * message.length): _*)
  private val ready = new Array[Int](OutboundBatch)
  private var readyCount = 0
  private var readyAt = 0

  /**
   * Opens `OutboundBatch` streams with one input, as a client sends them (HEADERS, DATA with END_STREAM) with credit
   * for their responses, and returns the flow-control credit of their bodies.
   */
  def openStreams(): Unit = {
    if (readyAt != readyCount) throw new IllegalStateException("respond() to every open stream first")
    var i = 0
    while (i < OutboundBatch) {
      setStreamIdAt(batchInput, i * requestLength, warmBlock.length, nextId)
      nextId += 2
      i += 1
    }
    readyCount = 0
    readyAt = 0
    conn.feed(ByteString.fromArrayUnsafe(batchInput))
    takeOpened()
    // the engine takes 32 KiB of events per feed: the rest of the batch follows
    while (conn.inputLeft) { conn.feed(ByteString.empty); takeOpened() }
  }

  private def takeOpened(): Unit = {
    val ev = conn.events
    while (ev.next()) ev.kind match {
      case Abi.EVENT_HEADERS       => ready(readyCount) = ev.streamId; readyCount += 1
      case Abi.EVENT_DATA          => conn.commands.consumed(ev.streamId, ev.dataSlice.length)
      case Abi.EVENT_WINDOW_OPENED => ()
      case other                   => throw new IllegalStateException(s"unexpected event $other")
    }
    conn.commands.submit()
    conn.takeOutput(payloads)
  }

  /** The response on the next stream `openStreams` opened: headers, message and trailers to one ByteString. */
  def respond(): ByteString = {
    if (readyAt == readyCount) throw new IllegalStateException("no open stream: openStreams() first")
    val id = ready(readyAt)
    readyAt += 1
    respondOn(id)
  }

  def fields: List[(String, String)] = { inboundKeeping(); lastFields }

  private def inboundKeeping(): Unit = {
    val id = feedNext(input, keep = true)
    conn.commands.consumed(id, message.length).reset(id, 8).submit()
    conn.takeOutput(payloads)
  }

  def close(): Unit = conn.close()
}
