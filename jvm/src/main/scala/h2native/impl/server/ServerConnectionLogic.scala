/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl.server

import java.net.InetSocketAddress
import java.util.function.IntFunction

import scala.collection.mutable
import scala.concurrent.Future
import scala.util.Try

import org.apache.pekko.annotation.InternalApi
import org.apache.pekko.http.scaladsl.model.{HttpRequest, HttpResponse, StatusCode}
import org.apache.pekko.stream.Shape
import org.apache.pekko.stream.stage.{StageLogging, TimerGraphStageLogic}
import org.apache.pekko.util.ByteString

import h2native.ServerMetrics
import h2native.impl.{Abi, Http2Connection}
import h2native.scaladsl.settings.ServerSettings

/**
 * INTERNAL API
 *
 * What the parts of a connection's stage logic share: the engine connection, the streams, the command batch being built
 * and the output waiting for the socket. [[RequestHandling]] and [[ResponseHandling]] build on it; the stage's logic
 * ([[Http2ServerStage]]) joins them to the network.
 */
@InternalApi
abstract private[server] class ServerConnectionLogic(
    shape: Shape,
    protected val settings: ServerSettings,
    protected val handler: HttpRequest => Future[HttpResponse],
    protected val remote: Option[InetSocketAddress],
    protected val registry: ConnectionRegistry
) extends TimerGraphStageLogic(shape)
    with StageLogging {

  protected var conn: Http2Connection = _
  protected val parsing = new RequestParsing(remote)
  protected val streams = new mutable.LongMap[StreamState]
  protected val metrics: ServerMetrics = registry.metrics

  /** Streams whose request has its headers but was not handed to the handler yet, in arrival order. */
  protected val awaiting = new mutable.ArrayBuffer[StreamState]

  /** DATA payloads of the batch being built, by tag. */
  protected val payloads = new mutable.ArrayBuffer[ByteString]
  protected val payloadAt: IntFunction[ByteString] = i => payloads(i)

  /** DATA commands of the batch being built: (stream, command index). */
  protected val dataOps = new mutable.ArrayBuffer[(StreamState, Int)]
  protected var commandCount = 0

  /** Output taken from the engine and not written yet. */
  protected var outPending: ByteString = ByteString.empty

  /** Responses whose pending DATA waits for flow-control window (`Sending.blocked`). */
  protected val blocked = new mutable.ArrayBuffer[StreamState]

  /** Streamed responses whose next element waits until the socket drains `outPending` below MaxPendingOutput. */
  protected val stalled = new mutable.ArrayBuffer[StreamState]

  protected var closeAfterFlush = false
  protected val minCollectStrict: Int = settings.http2.minCollectStrictEntitySize

  protected def remoteText: String = remote.fold("unknown peer")(_.toString)

  protected def countCommand(): Unit = commandCount += 1

  /** Gives the peer back flow-control credit for `n` octets the application has taken (or that we dropped). */
  protected def consumed(id: Int, n: Int): Unit =
    if (n > 0) { conn.commands.consumed(id, n); countCommand() }

  /** RST_STREAM(NO_ERROR): the rest of the request is not wanted (RFC 9113 8.1: the response is complete). */
  protected def resetStream(st: StreamState): Unit = {
    conn.commands.reset(st.id, Abi.ERROR_NO_ERROR); countCommand()
    metrics.streamsResetByServer.increment()
  }

  // Each side calls into the other and into the stage's output.

  /** Pushes what a streamed request entity has received when the handler wants it (request side). */
  protected def deliver(st: StreamState): Unit

  /** Fails a streamed request entity (request side). */
  protected def failEntity(st: StreamState, cause: Throwable): Unit

  /** Answers a stream with a short text response of the stage's own (response side). */
  protected def respondSimple(st: StreamState, status: StatusCode, message: String): Unit

  /** The stream is gone (reset either way, refused): both directions stop (the stage). */
  protected def cancelStream(st: StreamState, errorCode: Int): Unit

  /** Answers a stream with the handler's response (response side). */
  protected def onResponse(st: StreamState, result: Try[HttpResponse]): Unit

  /** Forgets a stream whose response ended and whose request side is settled (response side). */
  protected def settle(st: StreamState): Unit

  /** Applies the command batch in one native call (response side). */
  protected def submit(): Unit

  /** Takes the engine's output and writes what it can (the stage). */
  protected def flush(): Unit

  /** The connection's callback for handler responses that complete later. */
  protected def responseCallback: org.apache.pekko.stream.stage.AsyncCallback[(StreamState, Try[HttpResponse])]
}
