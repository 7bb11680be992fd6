/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl.server

import java.net.InetSocketAddress
import java.util.function.IntFunction

import scala.collection.mutable
import scala.concurrent.duration._
import scala.concurrent.{ExecutionContext, Future}
import scala.util.control.NonFatal
import scala.util.{Failure, Success, Try}

import org.apache.pekko.annotation.InternalApi
import org.apache.pekko.http.scaladsl.model._
import org.apache.pekko.http.scaladsl.model.http2.PeerClosedStreamException
import org.apache.pekko.stream.stage.{
  GraphStage,
  GraphStageLogic,
  InHandler,
  OutHandler,
  StageLogging,
  TimerGraphStageLogic
}
import org.apache.pekko.stream.{Attributes, FlowShape, Inlet, Outlet}
import org.apache.pekko.stream.scaladsl.{Sink, Source}
import org.apache.pekko.util.ByteString

import h2native.ServerMetrics
import h2native.impl.{Abi, AbiNames, HeaderField, Http2Connection}
import h2native.scaladsl.settings.ServerSettings

/** INTERNAL API */
@InternalApi
private[h2native] object Http2ServerStage {

  /** The request attribute pekko-http's own HTTP/2 server sets (`Http2.streamId`): same name, same type. */
  val StreamIdKey: AttributeKey[Int] = AttributeKey[Int]("x-http2-stream-id")

  /** Output octets queued for the socket above which the stage stops reading input. */
  final val MaxPendingOutput = 1 << 20

  /**
   * Request octets held for the application are copied once a stream holds more than one slice: a slice pins the whole
   * input chunk it came from and costs an object, so 1-octet DATA frames held for a handler that does not read cost ~40
   * octets of heap per octet (CVE-2019-9511 against request entities). Slices shorter than this are gathered in one
   * buffer per stream, longer ones are compacted.
   */
  final val CopyBelow = 1024
  final private val SmallBufferSize = 4 * 1024

  private case object SettingsTimer
  private case object ShutdownTick

  /**
   * While a graceful shutdown drains, the engine is called this often even if the peer is silent: it sends the final
   * GOAWAY once the peer acknowledged its PING or a timeout passed (GRACEFUL_PING_TIMEOUT_MS,
   * rust/codec/.../limits.rs).
   */
  final private val ShutdownTickInterval = 500.millis
  private case object PrefaceTimer

  final val NoError = Abi.ERROR_NO_ERROR
  final val InternalError = Abi.ERROR_INTERNAL_ERROR
  final val Cancel = Abi.ERROR_CANCEL

  private def ConnectionClosed =
    new EntityStreamException(new ErrorInfo("the HTTP/2 connection closed before the request entity was complete", ""))

  private val Http1Refusal: ByteString = {
    val body = "This is an HTTP/2 server (h2c with prior knowledge); HTTP/1.x is not served on this port.\n"
    ByteString(
      "HTTP/1.1 505 HTTP Version Not Supported\r\nContent-Type: text/plain\r\nConnection: close\r\n" +
        s"Content-Length: ${body.length}\r\n\r\n$body"
    )
  }

  /** Response headers that RFC 9113 8.2.2 forbids in HTTP/2. */
  private val ConnectionSpecific = Set("connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade")

  /** The state of one stream: its request (until dispatched), its request entity, its response. */
  final class StreamState(val id: Int) {
    // request side
    /** Built from HEADERS; null once dispatched (or answered by the stage itself). */
    var request: HttpRequest = _
    var contentLength = -1L

    /** Collected body (before dispatch) or, for a streamed entity, received octets not yet pulled downstream. */
    private[this] var body: ByteString = ByteString.empty

    /** Small slices copied together (see CopyBelow): octets that follow `body`. */
    private[this] var small: Array[Byte] = _
    private[this] var smallLength = 0

    def bodyLength: Int = body.length + smallLength
    def hasBody: Boolean = bodyLength > 0

    def append(slice: ByteString): Unit =
      if (slice.nonEmpty) {
        // the usual case, a body in one frame or one taken at once by the handler: no copy, one pinned chunk at most
        if (body.isEmpty && smallLength == 0) body = slice
        else if (slice.length >= CopyBelow) {
          flushSmall()
          body = body ++ slice.compact
        } else {
          if (small eq null) small = new Array[Byte](SmallBufferSize)
          if (smallLength + slice.length > small.length) flushSmall()
          slice.copyToArray(small, smallLength)
          smallLength += slice.length
        }
      }

    /** Everything received and not taken yet; the stream holds nothing afterwards. */
    def takeBody(): ByteString = {
      flushSmall()
      val b = body
      body = ByteString.empty
      b
    }

    private def flushSmall(): Unit =
      if (smallLength > 0) {
        body = body ++ ByteString.fromArray(small, 0, smallLength)
        smallLength = 0
      }
    var requestDone = false

    /** The streamed request entity, once dispatched as one. */
    var entity: GraphStageLogic#SubSourceOutlet[ByteString] = _
    var entityClosed = false
    // response side: what still has to go out once the window allows
    var pendingData: ByteString = ByteString.empty
    var pendingEnd = false
    var trailers: List[(String, String)] = Nil
    var hasTrailers = false
    var responseStarted = false
    var responseEnded = false

    /** A response to HEAD carries headers only (RFC 9113 8.1.1): its entity is dropped. */
    var headRequest = false
    var source: Option[SubSource] = None

    /** The request side needs no more attention: no streamed entity, or one that ended. */
    def requestSettled: Boolean = (entity eq null) || entityClosed
  }

  /** A streamed response entity, pulled one element at a time as flow control allows. */
  final class SubSource(val inlet: GraphStageLogic#SubSinkInlet[HttpEntity.ChunkStreamPart])
}

/**
 * INTERNAL API
 *
 * One HTTP/2 connection: network bytes in, network bytes out, driving the native engine with one native call per
 * inbound chunk and one per outbound batch. The handler is called directly; an already completed future is answered
 * synchronously, other futures come back through an async callback (no extra `Future {}` hop).
 */
@InternalApi
final private[h2native] class Http2ServerStage(
    settings: ServerSettings,
    handler: HttpRequest => Future[HttpResponse],
    remote: Option[InetSocketAddress],
    registry: ConnectionRegistry
) extends GraphStage[FlowShape[ByteString, ByteString]] {
  import Http2ServerStage._

  val in: Inlet[ByteString] = Inlet("Http2ServerStage.in")
  val out: Outlet[ByteString] = Outlet("Http2ServerStage.out")
  override val shape: FlowShape[ByteString, ByteString] = FlowShape(in, out)

  override def createLogic(inheritedAttributes: Attributes): GraphStageLogic =
    new TimerGraphStageLogic(shape) with InHandler with OutHandler with StageLogging {
      private[this] var conn: Http2Connection = _
      private[this] val streams = new mutable.LongMap[StreamState]
      private[this] val metrics = registry.metrics

      /** Streams whose request has its headers but was not handed to the handler yet, in arrival order. */
      private[this] val awaiting = new mutable.ArrayBuffer[StreamState]
      private[this] val payloads = new mutable.ArrayBuffer[ByteString]
      private[this] val payloadAt: IntFunction[ByteString] = i => payloads(i)
      private[this] val dataOps = new mutable.ArrayBuffer[(StreamState, Int)] // (stream, command index)
      private[this] var commandCount = 0
      private[this] var outPending: ByteString = ByteString.empty

      /** Streamed responses whose next element waits until the socket drains `outPending` below MaxPendingOutput. */
      private[this] val stalled = new mutable.ArrayBuffer[StreamState]
      private[this] var closeAfterFlush = false
      private[this] val remoteAttr: Option[RemoteAddress] = remote.map(RemoteAddress(_))
      private def remoteText: String = remote.fold("unknown peer")(_.toString)
      private[this] val minCollectStrict = settings.http2.minCollectStrictEntitySize
      private[this] val settingsTimeout = settings.http2.engineSetting("settings-timeout").millis

      // one-entry memo: a gRPC connection repeats the same :path / :authority fields (cached HPACK objects)
      private[this] var lastPath: HeaderField = _
      private[this] var lastAuthority: HeaderField = _
      private[this] var lastScheme: String = _
      private[this] var lastUri: Uri = _
      private[this] val statusStrings = new Array[String](600)

      private[this] val responseCallback = getAsyncCallback[(StreamState, Try[HttpResponse])] { case (st, r) =>
        onResponse(st, r)
        submit()
        flush()
      }
      private[this] val terminateCallback = getAsyncCallback[Unit] { _ =>
        conn.commands.goaway(graceful = true, NoError, "")
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
        val t = settingsTimeout
        if (t > Duration.Zero) scheduleOnce(PrefaceTimer, t)
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
          val t = settingsTimeout
          if (t > Duration.Zero) scheduleOnce(SettingsTimer, t + 10.millis)
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
       * The engine stops a feed once its events reach a bound (a few input octets can decode to kilobytes of headers):
       * the rest of the input goes in now, unless the writer is behind, then when the socket drained (`onPull`).
       */
      private def feedLeftInput(): Unit =
        while (conn.inputLeft && !closeAfterFlush && outPending.length < MaxPendingOutput) {
          conn.feed(ByteString.empty)
          afterFeed()
        }

      private[this] var settingsTimerStarted = false

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

      private[this] var windowOpened = false

      private def onHeaders(): Unit = {
        val ev = conn.events
        val id = ev.streamId
        if ((ev.flags & Abi.EVENT_FLAG_TRAILERS) != 0) {
          // request trailers end the body; HttpEntity has no place for them on requests
          streams.get(id).foreach { st =>
            st.requestDone = true
            if (st.entity ne null) deliver(st)
          }
          return
        }
        val st = new StreamState(id)
        streams.update(id, st)
        metrics.streamsOpened.increment()
        if ((ev.flags & Abi.EVENT_FLAG_TOO_LARGE) != 0) {
          respondSimple(st, StatusCodes.RequestHeaderFieldsTooLarge, "request header fields too large")
          return
        }
        var method: String = null
        var scheme: String = "http"
        var authority: HeaderField = null
        var path: HeaderField = null
        var contentType: ContentType = ContentTypes.NoContentType
        val headers = Vector.newBuilder[HttpHeader]
        val n = ev.fieldCount
        var i = 0
        while (i < n) {
          val f = ev.field(i)
          f.name match {
            case ":method"        => method = f.value
            case ":scheme"        => scheme = f.value
            case ":authority"     => authority = f
            case ":path"          => path = f
            case "content-type"   => contentType = f.contentType
            case "content-length" => st.contentLength = f.value.toLongOption.getOrElse(-1L)
            case _                => headers += f.header
          }
          i += 1
        }
        val uri =
          try uriOf(scheme, authority, path)
          catch { case NonFatal(_) => null }
        if (uri eq null) {
          respondSimple(st, StatusCodes.BadRequest, "invalid :path or :authority")
          return
        }
        val attrs = remoteAttr match {
          case Some(r) => Map[AttributeKey[_], Any](StreamIdKey -> id, AttributeKeys.remoteAddress -> r)
          case None    => Map[AttributeKey[_], Any](StreamIdKey -> id)
        }
        // the engine checks :method and :scheme only for presence and field syntax: pekko-http's model rejects
        // more (an empty method, a scheme other than http(s)/ws(s)), and must answer that stream, not end the connection
        val request =
          try
            HttpRequest(
              HttpMethods.getForKey(method).getOrElse(HttpMethod.custom(method)),
              uri,
              headers.result(),
              HttpEntity.Strict(contentType, ByteString.empty),
              HttpProtocols.`HTTP/2.0`
            ).withAttributes(attrs)
          catch { case NonFatal(_) => null }
        if (request eq null) {
          respondSimple(st, StatusCodes.BadRequest, "invalid :method or :scheme")
          return
        }
        st.request = request
        st.headRequest = request.method == HttpMethods.HEAD
        st.requestDone = ev.endStream
        awaiting += st
      }

      private def uriOf(scheme: String, authority: HeaderField, path: HeaderField): Uri =
        if ((path eq lastPath) && (authority eq lastAuthority) && (scheme == lastScheme)) lastUri
        else {
          val p = Uri(if (path eq null) "/" else path.value)
          val u =
            if (authority eq null) p.withScheme(scheme)
            else p.withScheme(scheme).withAuthority(Uri.Authority.parse(authority.value))
          lastPath = path; lastAuthority = authority; lastScheme = scheme; lastUri = u
          u
        }

      /** Gives the peer back flow-control credit for `n` octets the application has taken (or that we dropped). */
      private def consumed(id: Int, n: Int): Unit =
        if (n > 0) { conn.commands.consumed(id, n); countCommand() }

      private def onData(): Unit = {
        val ev = conn.events
        val id = ev.streamId
        val slice = ev.dataSlice
        streams.get(id) match {
          case Some(st) if st.entity ne null =>
            // streamed: the credit goes back when downstream takes the bytes, so a slow consumer slows the peer
            if (st.entityClosed) consumed(id, slice.length)
            else {
              st.append(slice)
              if (ev.endStream) st.requestDone = true
              deliver(st)
            }
          case Some(st) if st.request ne null =>
            // collected before dispatch: the credit goes back at once, the size limit bounds memory
            consumed(id, slice.length)
            if (st.bodyLength + slice.length > settings.maxRequestEntitySize) {
              st.request = null
              respondSimple(st, StatusCodes.ContentTooLarge, "request entity too large")
              conn.commands.reset(id, NoError); countCommand()
              metrics.streamsResetByServer.increment()
            } else {
              st.append(slice)
              if (ev.endStream) st.requestDone = true
            }
          case _ => consumed(id, slice.length)
        }
      }

      /**
       * Hands requests to the handler once per inbound chunk: a request whose body is complete as a Strict entity, one
       * that has at least `min-collect-strict-entity-size` octets but no end yet with a streamed entity.
       */
      private def dispatchAwaiting(): Unit = {
        var i = 0
        var kept = 0
        while (i < awaiting.size) {
          val st = awaiting(i)
          if ((st.request ne null) && streams.contains(st.id)) {
            // pekko-http's model refuses an entity on HEAD or TRACE; such a request is dispatched once it ended empty
            val entityAccepted = st.request.method.isEntityAccepted
            if (!entityAccepted && st.hasBody) refuseEntity(st)
            else if (st.requestDone) dispatch(st, strictRequest(st))
            else if (entityAccepted && st.bodyLength >= minCollectStrict) dispatch(st, streamedRequest(st))
            else { awaiting(kept) = st; kept += 1 }
          }
          i += 1
        }
        awaiting.dropRightInPlace(awaiting.size - kept)
      }

      /** As pekko-http's HTTP/1.1 parser: 422; the rest of the body is not wanted. */
      private def refuseEntity(st: StreamState): Unit = {
        val method = st.request.method.value
        st.request = null
        st.takeBody()
        respondSimple(st, StatusCodes.UnprocessableContent, s"$method requests must not have an entity")
        if (!st.requestDone) {
          conn.commands.reset(st.id, NoError); countCommand()
          metrics.streamsResetByServer.increment()
        }
      }

      private def strictRequest(st: StreamState): HttpRequest = {
        val req = st.request
        val body = st.takeBody()
        if (body.isEmpty) req else req.withEntity(HttpEntity.Strict(req.entity.contentType, body))
      }

      private def streamedRequest(st: StreamState): HttpRequest = {
        val outlet = new SubSourceOutlet[ByteString](s"request-entity-${st.id}")
        outlet.setHandler(new OutHandler {
          override def onPull(): Unit = { deliver(st); submit(); flush() }
          override def onDownstreamFinish(cause: Throwable): Unit = {
            // the handler does not want the rest: drop it, but keep the peer's windows open
            st.entityClosed = true
            consumed(st.id, st.takeBody().length)
            settle(st)
            submit()
            flush()
          }
        })
        st.entity = outlet
        val ct = st.request.entity.contentType
        val data = Source.fromGraph(outlet.source)
        val entity =
          if (st.contentLength > 0) HttpEntity.Default(ct, st.contentLength, data)
          else HttpEntity.Chunked.fromData(ct, data)
        st.request.withEntity(entity)
      }

      /** Pushes what a streamed entity has received when downstream wants it, and ends it after END_STREAM. */
      private def deliver(st: StreamState): Unit =
        if (!st.entityClosed) {
          if (st.hasBody && st.entity.isAvailable) {
            val chunk = st.takeBody()
            st.entity.push(chunk)
            consumed(st.id, chunk.length)
          }
          if (!st.hasBody && st.requestDone) {
            st.entityClosed = true
            st.entity.complete()
            settle(st)
          }
        }

      private def dispatch(st: StreamState, req: HttpRequest): Unit = {
        st.request = null
        val f =
          try handler(req)
          catch { case NonFatal(e) => Future.failed(e) }
        f.value match {
          case Some(result) => onResponse(st, result)
          case None         => f.onComplete(r => responseCallback.invoke((st, r)))(ExecutionContext.parasitic)
        }
      }

      // ---------------------------------------------------------------- outbound

      private def countCommand(): Unit = commandCount += 1

      private def statusString(code: Int): String = {
        if (code < 0 || code >= statusStrings.length) return code.toString
        var s = statusStrings(code)
        if (s eq null) { s = code.toString; statusStrings(code) = s }
        s
      }

      private def respondSimple(st: StreamState, status: StatusCode, message: String): Unit =
        onResponse(st, Success(HttpResponse(status, entity = HttpEntity(message))))

      /** The response ended; the stream is forgotten once its streamed request entity (if any) has ended too. */
      private def responseEnded(st: StreamState): Unit = {
        st.responseEnded = true
        settle(st)
      }

      private def settle(st: StreamState): Unit =
        if (st.responseEnded && st.requestSettled) streams.remove(st.id)

      private def onResponse(st: StreamState, result: Try[HttpResponse]): Unit = {
        if (!streams.contains(st.id) || st.responseStarted) return // reset by the peer meanwhile
        val response = result match {
          case Success(r) => r
          case Failure(e) =>
            log.error(e, "request handler failed on stream {}", st.id)
            HttpResponse(StatusCodes.InternalServerError, entity = HttpEntity("Internal Server Error"))
        }
        st.responseStarted = true
        val trailer = response.attribute(AttributeKeys.trailer)
        st.trailers = trailer.map(_.headers.toList).getOrElse(Nil)
        st.hasTrailers = trailer.isDefined
        response.entity match {
          case entity if st.headRequest =>
            // the headers a GET would get (content-length when known), END_STREAM, and no content
            val length = entity.contentLengthOption.filter(_ > 0)
            conn.commands.headers(st.id, headerFields(response, entity.contentType, length), endStream = true)
            countCommand()
            if (!entity.isStrict) entity.dataBytes.runWith(Sink.cancelled)(subFusingMaterializer)
            responseEnded(st)
          case HttpEntity.Strict(ct, data) =>
            val endOnHeaders = data.isEmpty && !st.hasTrailers
            conn.commands.headers(st.id, headerFields(response, ct, Some(data.length.toLong)), endOnHeaders)
            countCommand()
            if (endOnHeaders) responseEnded(st)
            else {
              st.pendingData = data
              st.pendingEnd = true
              sendPending(st)
            }
          case entity =>
            conn.commands.headers(st.id, headerFields(response, entity.contentType, None), endStream = false)
            countCommand()
            startSubSource(st, entity)
        }
      }

      private def headerFields(r: HttpResponse, ct: ContentType, length: Option[Long]): List[(String, String)] = {
        var fields: List[(String, String)] = Nil
        r.headers.foreach { h =>
          val n = h.lowercaseName
          if (!ConnectionSpecific(n)) fields = (n, h.value) :: fields
        }
        fields = fields.reverse
        length.foreach(l => if (l > 0) fields = ("content-length", l.toString) :: fields)
        if (ct ne ContentTypes.NoContentType) fields = ("content-type", ct.value) :: fields
        (":status", statusString(r.status.intValue)) :: fields
      }

      /** Queues as much of the stream's pending data as a command; the result says what the windows took. */
      private def sendPending(st: StreamState): Unit = {
        val len = st.pendingData.length
        val end = st.pendingEnd && !st.hasTrailers
        payloads += st.pendingData
        conn.commands.data(st.id, len, end, payloads.size - 1)
        dataOps += ((st, commandCount))
        countCommand()
      }

      private def resumeBlocked(): Unit =
        streams.valuesIterator.foreach { st =>
          if (st.responseStarted && st.pendingData.nonEmpty && !dataOps.exists(_._1 eq st)) sendPending(st)
        }

      /** Applies the batch in one native call, then follows up on partial DATA and trailers. */
      private def submit(): Unit = {
        var rounds = 0
        while (commandCount > 0 && rounds < 3) {
          rounds += 1
          val results = conn.commands.submit()
          commandCount = 0
          val ops = dataOps.toList
          dataOps.clear()
          ops.foreach { case (st, i) =>
            val status = if (i < results.count) results.status(i) else 1
            if (status != 0) { if (streams.remove(st.id).isDefined) cancelStream(st, Cancel) }
            else {
              val accepted = results.value(i)
              st.pendingData = st.pendingData.drop(accepted)
              if (st.pendingData.isEmpty) onDataSent(st)
            }
          }
        }
      }

      /** All pending data of a stream went out: trailers, the next streamed element, or the end. */
      private def onDataSent(st: StreamState): Unit =
        st.source match {
          case Some(src) => pullResponse(st, src)
          case None if st.pendingEnd =>
            if (st.hasTrailers) { conn.commands.headers(st.id, st.trailers, endStream = true); countCommand() }
            responseEnded(st)
          case None => ()
        }

      /**
       * Asks a streamed response for its next element, unless the socket is behind: a peer that grants large windows
       * but does not read would otherwise have every response pulled into `outPending` (CVE-2019-9517).
       */
      private def pullResponse(st: StreamState, src: SubSource): Unit =
        if (!src.inlet.isClosed && !src.inlet.hasBeenPulled) {
          if (outPending.length < MaxPendingOutput) src.inlet.pull() else stalled += st
        }

      private def resumeStalled(): Unit =
        if (stalled.nonEmpty && outPending.length < MaxPendingOutput) {
          val resumed = stalled.toList
          stalled.clear()
          resumed.foreach(st => if (streams.contains(st.id)) st.source.foreach(pullResponse(st, _)))
        }

      private def startSubSource(st: StreamState, entity: ResponseEntity): Unit = {
        val inlet = new SubSinkInlet[HttpEntity.ChunkStreamPart](s"response-${st.id}")
        val src = new SubSource(inlet)
        st.source = Some(src)
        inlet.setHandler(new InHandler {
          override def onPush(): Unit = {
            inlet.grab() match {
              case HttpEntity.LastChunk(_, trailer) =>
                if (trailer.nonEmpty) {
                  st.trailers = trailer.map(h => h.lowercaseName -> h.value).toList
                  st.hasTrailers = true
                }
              case chunk =>
                st.pendingData = chunk.data
                sendPending(st)
            }
            submit()
            flush()
          }
          override def onUpstreamFinish(): Unit = {
            st.source = None
            if (streams.contains(st.id)) {
              if (st.hasTrailers) conn.commands.headers(st.id, st.trailers, endStream = true)
              else { payloads += ByteString.empty; conn.commands.data(st.id, 0, endStream = true, payloads.size - 1) }
              countCommand()
              responseEnded(st)
              submit()
              flush()
            }
          }
          override def onUpstreamFailure(ex: Throwable): Unit = {
            log.error(ex, "response entity of stream {} failed", st.id)
            st.source = None
            if (streams.remove(st.id).isDefined) {
              conn.commands.reset(st.id, InternalError); countCommand()
              metrics.streamsResetByServer.increment()
              failEntity(st, new EntityStreamException(new ErrorInfo("the response failed; the stream was reset", "")))
              submit()
              flush()
            }
          }
        })
        val chunks: Source[HttpEntity.ChunkStreamPart, Any] = entity match {
          case c: HttpEntity.Chunked => c.chunks
          case other                 => other.dataBytes.filter(_.nonEmpty).map(HttpEntity.Chunk(_))
        }
        chunks.runWith(inlet.sink)(subFusingMaterializer)
        inlet.pull()
      }

      /** The stream is gone (reset by the peer, by us, or refused by the engine): stop both directions. */
      private def cancelStream(st: StreamState, errorCode: Int): Unit = {
        st.request = null
        st.source.foreach(s => if (!s.inlet.isClosed) s.inlet.cancel())
        st.source = None
        failEntity(st, new PeerClosedStreamException(st.id, AbiNames.error(errorCode), errorCode))
      }

      private def failEntity(st: StreamState, cause: Throwable): Unit =
        if ((st.entity ne null) && !st.entityClosed) {
          st.entityClosed = true
          if (st.hasBody) consumed(st.id, st.takeBody().length)
          st.entity.fail(cause)
        }

      /** Collects the engine's output (control frames, headers, DATA payload slices) and writes it. */
      private def flush(): Unit = {
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
