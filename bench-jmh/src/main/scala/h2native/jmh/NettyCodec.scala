/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.jmh

import io.netty.buffer.{ByteBuf, ByteBufAllocator, Unpooled}
import io.netty.channel.embedded.EmbeddedChannel
import io.netty.channel.{ChannelHandlerContext, ChannelInboundHandlerAdapter}
import io.netty.handler.codec.http2._

/**
 * Netty's codec on the same bytes, as grpc-java's server uses it: DefaultHttp2FrameReader with
 * DefaultHttp2HeadersDecoder (HpackDecoder) in, DefaultHttp2FrameWriter with DefaultHttp2HeadersEncoder (HpackEncoder)
 * out. Frames only: Netty's connection state machine and flow controller are not on this path, while h2native's engine
 * runs its own.
 */
final class NettyCodec {
  import UnaryGrpc._

  private val reader = new DefaultHttp2FrameReader(new DefaultHttp2HeadersDecoder(true))
  private val writer = new DefaultHttp2FrameWriter()
  private val channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter)
  private val ctx: ChannelHandlerContext = channel.pipeline().firstContext()
  private val input = request(1, warmBlock)
  private val exchangeBytes = exchangeInput(1, warmBlock)
  private val payload: ByteBuf = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(message))
  private val response = new DefaultHttp2Headers()
  private val trailer = new DefaultHttp2Headers()
  responseHeaders.foreach { case (n, v) => response.add(n, v) }
  trailers.foreach { case (n, v) => trailer.add(n, v) }

  var lastHeaders: Http2Headers = _
  var lastBodyLength = 0

  private val listener = new Http2FrameAdapter {
    override def onHeadersRead(
        ctx: ChannelHandlerContext,
        streamId: Int,
        headers: Http2Headers,
        padding: Int,
        endOfStream: Boolean
    ): Unit = lastHeaders = headers
    override def onDataRead(
        ctx: ChannelHandlerContext,
        streamId: Int,
        data: ByteBuf,
        padding: Int,
        endOfStream: Boolean
    ): Int = {
      lastBodyLength = data.readableBytes
      data.readableBytes + padding
    }
  }

  reader.readFrame(ctx, Unpooled.wrappedBuffer(request(1, firstBlock)), listener)
  private var nextId = 3

  def inbound(): Http2Headers = read(input)

  private def read(bytes: Array[Byte]): Http2Headers = {
    val id = nextId
    nextId += 2
    setStreamId(bytes, warmBlock.length, id)
    val buf = Unpooled.wrappedBuffer(bytes)
    while (buf.isReadable) reader.readFrame(ctx, buf, listener)
    lastHeaders
  }

  /** The request in, then HEADERS, DATA and trailing HEADERS written and flushed (released after). */
  def exchange(): Int = {
    read(exchangeBytes)
    write(nextId - 2)
  }

  /** The response alone, on the next stream id. */
  def outbound(): Int = {
    val id = nextId
    nextId += 2
    write(id)
  }

  private def write(id: Int): Int = {
    val promise = ctx.voidPromise()
    writer.writeHeaders(ctx, id, response, 0, false, promise)
    writer.writeData(ctx, id, payload.duplicate(), 0, false, promise)
    writer.writeHeaders(ctx, id, trailer, 0, true, promise)
    channel.flushOutbound()
    var written = 0
    var out: ByteBuf = channel.readOutbound[ByteBuf]()
    while (out ne null) {
      written += out.readableBytes
      out.release()
      out = channel.readOutbound[ByteBuf]()
    }
    written
  }

  def alloc: ByteBufAllocator = ctx.alloc()

  def close(): Unit = channel.finishAndReleaseAll()
}
