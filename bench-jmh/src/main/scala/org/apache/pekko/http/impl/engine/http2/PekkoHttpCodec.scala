/*
 * Licensed under the Apache License, Version 2.0.
 */
package org.apache.pekko.http.impl.engine.http2

import org.apache.pekko.event.NoLogging
import org.apache.pekko.http.impl.engine.http2.FrameEvent.{DataFrame, HeadersFrame}
import org.apache.pekko.http.impl.engine.http2.framing.{FrameRenderer, Http2FrameParsing}
import org.apache.pekko.http.impl.engine.http2.hpack.ByteStringInputStream
import org.apache.pekko.http.shaded.com.twitter.hpack.{Decoder, Encoder, HeaderListener}
import org.apache.pekko.stream.impl.io.ByteStringParser.ByteReader
import org.apache.pekko.util.{ByteString, ByteStringBuilder}

import h2native.jmh.UnaryGrpc

/**
 * pekko-http's own HTTP/2 frame parser and HPACK coder (its shaded Twitter hpack), called directly on the same bytes:
 * what its `Http2FrameParsing` + `HeaderDecompression` and `HeaderCompression` + `FrameRenderer` stages do per frame,
 * without the stage hops around them. In pekko-http's package because these are `private[http2]`.
 */
final class PekkoHttpCodec {
  import UnaryGrpc._

  private val decoder = new Decoder(4096, 4096)
  private val encoder = new Encoder(4096)
  private val input = request(1, warmBlock)
  private val exchangeBytes = exchangeInput(1, warmBlock)
  private val payload = ByteString.fromArrayUnsafe(message)
  var lastHeaders: List[(String, String)] = Nil
  private var collecting: List[(String, String)] = Nil
  var lastBodyLength = 0

  private val listener = new HeaderListener {
    override def addHeader(name: String, value: String, parsed: AnyRef, sensitive: Boolean): AnyRef = {
      collecting = (name, value) :: collecting
      parsed
    }
  }

  readAll(ByteString.fromArrayUnsafe(request(1, firstBlock)))
  private var nextId = 3

  private def readAll(bytes: ByteString): Unit = {
    val reader = new ByteReader(bytes)
    while (reader.hasRemaining) {
      val lenType = reader.readIntBE()
      val len = lenType >>> 8
      val tpe = lenType & 0xff
      val flags = reader.readByte()
      val streamId = reader.readIntBE() & 0x7fffffff
      val frame = Http2FrameParsing.parseFrame(
        Http2Protocol.FrameType.byId(tpe).get,
        new ByteFlag(flags),
        streamId,
        new ByteReader(reader.take(len)),
        NoLogging
      )
      frame match {
        case h: HeadersFrame =>
          collecting = Nil
          decoder.decode(ByteStringInputStream(h.headerBlockFragment), listener)
          decoder.endHeaderBlock()
          lastHeaders = collecting.reverse
        case d: DataFrame => lastBodyLength = d.payload.length
        case _            => ()
      }
    }
  }

  def inbound(): List[(String, String)] = read(input)

  private def read(bytes: Array[Byte]): List[(String, String)] = {
    val id = nextId
    nextId += 2
    setStreamId(bytes, warmBlock.length, id)
    readAll(ByteString.fromArrayUnsafe(bytes))
    lastHeaders
  }

  private def block(fields: Seq[(String, String)]): ByteString = {
    val out = new ByteStringBuilder
    val os = out.asOutputStream
    fields.foreach { case (n, v) => encoder.encodeHeader(os, n, v, false) }
    out.result()
  }

  def exchange(): ByteString = {
    read(exchangeBytes)
    render(nextId - 2)
  }

  /** The response alone, on the next stream id. */
  def outbound(): ByteString = {
    val id = nextId
    nextId += 2
    render(id)
  }

  private def render(id: Int): ByteString =
    FrameRenderer.render(HeadersFrame(id, endStream = false, endHeaders = true, block(responseHeaders), None)) ++
      FrameRenderer.render(DataFrame(id, endStream = false, payload)) ++
      FrameRenderer.render(HeadersFrame(id, endStream = true, endHeaders = true, block(trailers), None))
}
