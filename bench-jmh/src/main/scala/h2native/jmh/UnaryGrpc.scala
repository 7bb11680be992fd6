/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.jmh

import io.netty.buffer.{ByteBuf, Unpooled}
import io.netty.handler.codec.http2.{DefaultHttp2Headers, DefaultHttp2HeadersEncoder}

/**
 * The bytes of a unary gRPC exchange, the same for every codec measured: a request HEADERS + DATA as a real client
 * sends them once its HPACK table is warm, and the response headers, message and trailers.
 */
object UnaryGrpc {
  val requestHeaders: Seq[(String, String)] = Seq(
    ":method" -> "POST",
    ":scheme" -> "http",
    ":path" -> "/helloworld.Greeter/SayHello",
    ":authority" -> "localhost:50051",
    "content-type" -> "application/grpc",
    "te" -> "trailers",
    "user-agent" -> "grpc-java-netty/1.67.1",
    "grpc-accept-encoding" -> "gzip",
    "grpc-timeout" -> "1S"
  )
  val responseHeaders: Seq[(String, String)] = Seq(":status" -> "200", "content-type" -> "application/grpc")
  val trailers: Seq[(String, String)] = Seq("grpc-status" -> "0")

  /** A gRPC length-prefixed message: flag 0, 4-octet length, 100 octets (string_100B's shape). */
  val message: Array[Byte] = {
    val payload = Array.fill[Byte](100)('x'.toByte)
    Array[Byte](0, 0, 0, 0, payload.length.toByte) ++ payload
  }

  /**
   * Two HPACK blocks of the request headers by Netty's encoder (grpc-java's): the first inserts every field into the
   * dynamic table, the second, what every later request sends, refers to them by index.
   */
  val (firstBlock, warmBlock): (Array[Byte], Array[Byte]) = {
    val encoder = new DefaultHttp2HeadersEncoder()
    val headers = new DefaultHttp2Headers()
    requestHeaders.foreach { case (n, v) => headers.add(n, v) }
    def encode(): Array[Byte] = {
      val out = Unpooled.buffer()
      encoder.encodeHeaders(1, headers, out)
      val bytes = new Array[Byte](out.readableBytes)
      out.readBytes(bytes)
      out.release()
      bytes
    }
    (encode(), encode())
  }

  final val Data = 0
  final val Headers = 1
  final val Settings = 4
  final val WindowUpdate = 8
  final val EndStream = 0x1
  final val EndHeaders = 0x4

  def frame(tpe: Int, flags: Int, streamId: Int, payload: Array[Byte]): Array[Byte] = {
    val f = new Array[Byte](9 + payload.length)
    f(0) = (payload.length >>> 16).toByte; f(1) = (payload.length >>> 8).toByte; f(2) = payload.length.toByte
    f(3) = tpe.toByte; f(4) = flags.toByte
    setInt(f, 5, streamId)
    System.arraycopy(payload, 0, f, 9, payload.length)
    f
  }

  private def setInt(a: Array[Byte], at: Int, v: Int): Unit = {
    a(at) = (v >>> 24).toByte; a(at + 1) = (v >>> 16).toByte; a(at + 2) = (v >>> 8).toByte; a(at + 3) = v.toByte
  }

  /** The client preface and an empty SETTINGS frame. */
  val preface: Array[Byte] =
    "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes("US-ASCII") ++ frame(Settings, 0, 0, Array.empty)
  val settingsAck: Array[Byte] = frame(Settings, 0x1, 0, Array.empty)

  /** HEADERS (END_HEADERS) + DATA (END_STREAM) of one request, in one chunk, as a client writes them. */
  def request(streamId: Int, block: Array[Byte]): Array[Byte] =
    frame(Headers, EndHeaders, streamId, block) ++ frame(Data, EndStream, streamId, message)

  /**
   * What a client sends per unary call once warm: the request, and a connection WINDOW_UPDATE for the previous
   * response's message (real clients return credit as they read; without it the server's send window runs dry).
   */
  def exchangeInput(streamId: Int, block: Array[Byte]): Array[Byte] =
    request(streamId, block) ++ connectionCredit(message.length)

  /** A connection WINDOW_UPDATE of `increment`. */
  def connectionCredit(increment: Int): Array[Byte] =
    frame(
      WindowUpdate,
      0,
      0,
      Array((increment >>> 24).toByte, (increment >>> 16).toByte, (increment >>> 8).toByte, increment.toByte)
    )

  /** Responses per invocation of the `*Outbound` benchmarks. */
  final val OutboundBatch = 64

  /** Rewrites the stream id of both frames of a `request(_, block)` (or `exchangeInput`) in place. */
  def setStreamId(request: Array[Byte], blockLength: Int, streamId: Int): Unit =
    setStreamIdAt(request, 0, blockLength, streamId)

  /** As `setStreamId`, for a request starting at `at` in `bytes`. */
  def setStreamIdAt(bytes: Array[Byte], at: Int, blockLength: Int, streamId: Int): Unit = {
    setInt(bytes, at + 5, streamId)
    setInt(bytes, at + 9 + blockLength + 5, streamId)
  }

  def wrapped(bytes: Array[Byte]): ByteBuf = Unpooled.wrappedBuffer(bytes)
}
