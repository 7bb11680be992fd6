/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl.server

import java.net.InetSocketAddress
import scala.concurrent.Future
import scala.concurrent.duration._
import scala.util.Try
import scala.util.control.NonFatal

import org.apache.pekko.annotation.InternalApi
import org.apache.pekko.http.scaladsl.model._
import org.apache.pekko.http.scaladsl.model.http2.PeerClosedStreamException
import org.apache.pekko.stream.stage.{AsyncCallback, GraphStage, GraphStageLogic, InHandler, OutHandler}
import org.apache.pekko.stream.{Attributes, FlowShape, Inlet, Outlet}
import org.apache.pekko.util.ByteString

import h2native.ServerMetrics
import h2native.impl.{Abi, AbiNames, Http2Connection}
import h2native.scaladsl.settings.ServerSettings

/** INTERNAL API */
@InternalApi
private[h2native] object Http2ServerStage {

  /** Output octets queued for the socket above which the stage stops reading input. */
  final val MaxPendingOutput = 1 << 20

  private[server] case object PrefaceTimer
  private[server] case object SettingsTimer
  private[server] case object ShutdownTick

  /**
   * While a graceful shutdown drains, the engine is called this often even if the peer is silent: it sends the final
   * GOAWAY once the peer acknowledged its PING or a timeout passed (GRACEFUL_PING_TIMEOUT_MS,
   * rust/codec/src/conn/limits.rs).
   */
  final private[server] val ShutdownTickInterval = 500.millis

  private[server] def ConnectionClosed =
    new EntityStreamException(new ErrorInfo("the HTTP/2 connection closed before the request entity was complete", ""))

  private[server] val Http1Refusal: ByteString = {
    val body = "This is an HTTP/2 server (h2c with prior knowledge); HTTP/1.x is not served on this port.\n"
    ByteString(
      "HTTP/1.1 505 HTTP Version Not Supported\r\nContent-Type: text/plain\r\nConnection: close\r\n" +
        s"Content-Length: ${body.length}\r\n\r\n$body"
    )
  }
}

/**
 * INTERNAL API
 *
 * One HTTP/2 connection: network bytes in, network bytes out, driving the native engine with one native call per
 * inbound chunk and one per outbound batch. The glue between the engine ([[Http2Connection]]), the requests
 * ([[RequestParsing]]), the responses ([[ResponseRendering]]) and each stream's state ([[StreamState]]). The handler is
 * called directly; an already completed future is answered synchronously, other futures come back through an async
 * callback (no extra `Future {}` hop).
 */
@InternalApi
final private[h2native] class Http2ServerStage(
    settings: ServerSettings,
    handler: HttpRequest => Future[HttpResponse],
    remote: Option[InetSocketAddress],
    registry: ConnectionRegistry
) extends GraphStage[FlowShape[ByteString, ByteString]] {

  val in: Inlet[ByteString] = Inlet("Http2ServerStage.in")
  val out: Outlet[ByteString] = Outlet("Http2ServerStage.out")
  override val shape: FlowShape[ByteString, ByteString] = FlowShape(in, out)

  override def createLogic(inheritedAttributes: Attributes): GraphStageLogic =
    new Logic(shape, settings, handler, remote, registry)
}

/**
 * INTERNAL API
 *
 * The logic of one connection's stage: lifecycle, the socket's bytes in and out, the engine's events, timers; the
 * streams' work is [[RequestHandling]]'s and [[ResponseHandling]]'s.
 */
@InternalApi
final private[server] class Logic(
    shape: FlowShape[ByteString, ByteString],
    settings: ServerSettings,
    handler: HttpRequest => Future[HttpResponse],
    remote: Option[InetSocketAddress],
    registry: ConnectionRegistry
) extends ServerConnectionLogic(shape, settings, handler, remote, registry)
    with RequestHandling
    with ResponseHandling
    with InHandler
    with OutHandler {
  import Http2ServerStage._

  private val in = shape.in
  private val out = shape.out
  private[this] val settingsTimeout = settings.http2.engineSetting("settings-timeout").millis
  private[this] var settingsTimerStarted = false
  private[this] var windowOpened = false

  protected val responseCallback: AsyncCallback[(StreamState, Try[HttpResponse])] =
    getAsyncCallback[(StreamState, Try[HttpResponse])] { case (st, r) =>
      onResponse(st, r)
      submit()
      flush()
    }
  private[this] val terminateCallback = getAsyncCallback[Unit] { _ =>
    conn.commands.goaway(graceful = true, Abi.ERROR_NO_ERROR, "")
    countCommand()
    scheduleAtFixedRate(ShutdownTick, ShutdownTickInterval, ShutdownTickInterval)
    submit()
    flush()
  }

  setHandlers(in, out, this)

  override def preStart(): Unit = {
    conn = Http2Connection.server(settings.http2.engine)
    registry.register(terminateCallback)
    metrics.connectionsAccepted.increment()
    metrics.connectionsActive.increment()
    // Our SETTINGS go out with the first reply, after the client's first bytes (RFC 9113 3.4 allows
    // both): an HTTP/1.x client then reads a plain HTTP/1.1 refusal, not a binary frame.
    // A peer that sends nothing at all is closed after the settings timeout, not held until the idle timeout.
    if (settingsTimeout > Duration.Zero) scheduleOnce(PrefaceTimer, settingsTimeout)
    pull(in)
  }

  override def postStop(): Unit = {
    registry.unregister(terminateCallback)
    metrics.connectionsActive.decrement()
    streams.valuesIterator.foreach(st => failEntity(st, ConnectionClosed))
    if (conn ne null) {
      val counts = new Array[Long](2 * Abi.FRAME_KINDS)
      try { conn.frameCounts(counts); metrics.addFrames(counts) }
      catch { case NonFatal(e) => log.debug("h2native: frame counts unavailable: {}", e) }
      conn.close()
    }
  }

  // ---------------------------------------------------------------- inbound

  override def onPush(): Unit = {
    if (!settingsTimerStarted) {
      // our SETTINGS go out now: the engine checks their ACK only when called, so call it once the time is up,
      // or a peer that goes silent (a half-sent preface) would be held until the idle timeout
      settingsTimerStarted = true
      if (settingsTimeout > Duration.Zero) scheduleOnce(SettingsTimer, settingsTimeout + 10.millis)
    }
    val bytes = grab(in)
    metrics.bytesIn.add(bytes.length)
    conn.feed(bytes)
    afterFeed()
    feedLeftInput()
    maybePullIn()
  }

  private def afterFeed(): Unit = {
    readEvents()
    dispatchAwaiting()
    submit()
    flush()
  }

  /**
   * The engine stops a feed once its events reach a bound (a few input octets can decode to kilobytes of headers): the
   * rest of the input goes in now, unless the writer is behind, then when the socket drained (`onPull`).
   */
  private def feedLeftInput(): Unit =
    while (conn.inputLeft && !closeAfterFlush && outPending.length < MaxPendingOutput) {
      conn.feed(ByteString.empty)
      afterFeed()
    }

  override protected def onTimer(timerKey: Any): Unit =
    if (timerKey == PrefaceTimer) {
      if (!settingsTimerStarted) {
        log.debug("h2native: {} sent nothing within the settings timeout; closing", remoteText)
        completeStage()
      }
    } else if ((timerKey == SettingsTimer || timerKey == ShutdownTick) && !conn.isClosed) {
      // no new octets: the engine looks at the clock (GOAWAY(SETTINGS_TIMEOUT), the final graceful GOAWAY)
      conn.feed(ByteString.empty)
      afterFeed()
    }

  /** Reads on while the writer keeps up: a peer that never reads cannot grow our output without bound. */
  private def maybePullIn(): Unit =
    if (
      !hasBeenPulled(in) && !isClosed(in) && !closeAfterFlush && !conn.inputLeft &&
      outPending.length < MaxPendingOutput
    ) pull(in)

  override def onUpstreamFinish(): Unit = completeStage()

  private def readEvents(): Unit = {
    val ev = conn.events
    while (ev.next()) ev.kind match {
      case Abi.EVENT_HEADERS => onHeaders()
      case Abi.EVENT_DATA    => onData()
      case Abi.EVENT_RESET =>
        metrics.streamsResetByPeer.increment()
        streams.remove(ev.streamId).foreach(st => cancelStream(st, ev.errorCode))
      case Abi.EVENT_STREAM_ERROR =>
        metrics.streamsResetByServer.increment()
        streams.remove(ev.streamId).foreach(st => cancelStream(st, ev.errorCode))
      case Abi.EVENT_WINDOW_OPENED => windowOpened = true
      case Abi.EVENT_CONNECTION_ERROR =>
        metrics.connectionErrors.increment()
        log.debug("HTTP/2 connection error {}: {}", ev.errorCode, ev.reason)
        closeAfterFlush = true
      case Abi.EVENT_DRAINED => closeAfterFlush = true
      case Abi.EVENT_HTTP1_DETECTED =>
        if (conn.hasOutput) conn.takeOutput(payloadAt) // never mix HTTP/2 frames into an HTTP/1.1 answer
        outPending = Http1Refusal
        closeAfterFlush = true
      case Abi.EVENT_LIMIT =>
        metrics.limitHit(ev.limit)
        // per-stream limits answer one stream (431, REFUSED_STREAM): a peer could fill the log with them
        val name = AbiNames.limit(ev.limit)
        if (AbiNames.limitPerStream(ev.limit))
          log.debug("h2native: limit {} hit (stream {}) by {}", name, ev.limitStreamId, remoteText)
        else log.info("h2native: limit {} hit (stream {}) by {}", name, ev.limitStreamId, remoteText)
      case _ => ()
    }
    if (windowOpened) { windowOpened = false; resumeBlocked() }
  }

  /** The stream is gone (reset by the peer, by us, or refused by the engine): stop both directions. */
  protected def cancelStream(st: StreamState, errorCode: Int): Unit = {
    st.response match {
      case s: ResponseSide.Sending =>
        if ((s.source ne null) && !s.source.isClosed) s.source.cancel()
        s.source = null
      case _ => ()
    }
    failEntity(st, new PeerClosedStreamException(st.id, AbiNames.error(errorCode), errorCode))
    if (st.request.isInstanceOf[RequestSide.Collecting]) st.request = RequestSide.Done
  }

  /** Collects the engine's output (control frames, headers, DATA payload slices) and writes it. */
  protected def flush(): Unit = {
    if (conn.hasOutput) {
      outPending = outPending ++ conn.takeOutput(payloadAt)
      payloads.clear()
    }
    if (conn.isClosed || conn.isDrained) closeAfterFlush = true
    if (isAvailable(out)) pushPending()
  }

  private def pushPending(): Unit =
    if (outPending.nonEmpty) {
      metrics.bytesOut.add(outPending.length)
      push(out, outPending)
      outPending = ByteString.empty
    } else if (closeAfterFlush) completeStage()

  override def onPull(): Unit = {
    pushPending()
    resumeStalled()
    feedLeftInput()
    maybePullIn()
  }

  override def onDownstreamFinish(cause: Throwable): Unit = completeStage()
}

/** INTERNAL API: the live connections of one server, for graceful termination. */
@InternalApi
final private[h2native] class ConnectionRegistry(val metrics: ServerMetrics) {
  private val live =
    java.util.concurrent.ConcurrentHashMap.newKeySet[org.apache.pekko.stream.stage.AsyncCallback[Unit]]()
  def register(cb: org.apache.pekko.stream.stage.AsyncCallback[Unit]): Unit = live.add(cb)
  def unregister(cb: org.apache.pekko.stream.stage.AsyncCallback[Unit]): Unit = live.remove(cb)
  def size: Int = live.size

  /** Asks every live connection for a graceful GOAWAY. */
  def goawayAll(): Unit = live.forEach(cb => cb.invoke(()))
}
