/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl.server

import scala.util.{Failure, Success, Try}

import org.apache.pekko.annotation.InternalApi
import org.apache.pekko.http.scaladsl.model._
import org.apache.pekko.stream.scaladsl.{Sink, Source}
import org.apache.pekko.stream.stage.InHandler
import org.apache.pekko.util.ByteString

import h2native.impl.Abi

/**
 * INTERNAL API
 *
 * The response side of a connection's streams: the handler's `HttpResponse` as header lists ([[ResponseRendering]]),
 * DATA as the peer's windows allow (waiting responses listed, resumed on WINDOW_OPENED), streamed entities pulled one
 * element at a time and not while the socket is behind, trailers (see the response-side transitions of
 * [[StreamState]]).
 */
@InternalApi
private[server] trait ResponseHandling extends ServerConnectionLogic {
  import Http2ServerStage.MaxPendingOutput

  protected def respondSimple(st: StreamState, status: StatusCode, message: String): Unit =
    onResponse(st, Success(HttpResponse(status, entity = HttpEntity(message))))

  /** The response ended; the stream is forgotten once its streamed request entity (if any) has ended too. */
  protected def responseEnded(st: StreamState): Unit = {
    st.response = ResponseSide.Ended
    settle(st)
  }

  protected def settle(st: StreamState): Unit =
    if ((st.response eq ResponseSide.Ended) && st.requestSettled) streams.remove(st.id)

  protected def onResponse(st: StreamState, result: Try[HttpResponse]): Unit = {
    if (!streams.contains(st.id) || (st.response ne ResponseSide.Awaiting)) return // reset by the peer meanwhile
    val response = result match {
      case Success(r) => r
      case Failure(e) =>
        log.error(e, "request handler failed on stream {}", st.id)
        HttpResponse(StatusCodes.InternalServerError, entity = HttpEntity("Internal Server Error"))
    }
    val trailer = response.attribute(AttributeKeys.trailer)
    response.entity match {
      case entity if st.head =>
        // the headers a GET would get (content-length when known), END_STREAM, and no content
        val length = entity.contentLengthOption.filter(_ > 0)
        conn.commands.headers(st.id, ResponseRendering.headers(response, entity.contentType, length), true)
        countCommand()
        if (!entity.isStrict) entity.dataBytes.runWith(Sink.cancelled)(subFusingMaterializer)
        responseEnded(st)
      case HttpEntity.Strict(ct, data) =>
        val endOnHeaders = data.isEmpty && trailer.isEmpty
        conn.commands.headers(
          st.id,
          ResponseRendering.headers(response, ct, Some(data.length.toLong)),
          endOnHeaders
        )
        countCommand()
        if (endOnHeaders) responseEnded(st)
        else {
          val s = new ResponseSide.Sending(
            trailer.fold(List.empty[(String, String)])(_.headers.toList),
            trailer.isDefined
          )
          st.response = s
          s.pending = data
          s.lastElement = true
          sendPending(st, s)
        }
      case entity =>
        conn.commands.headers(st.id, ResponseRendering.headers(response, entity.contentType, None), false)
        countCommand()
        val s =
          new ResponseSide.Sending(trailer.fold(List.empty[(String, String)])(_.headers.toList), trailer.isDefined)
        st.response = s
        startSubSource(st, s, entity)
    }
  }

  /** Queues as much of the stream's pending data as a command; the result says what the windows took. */
  protected def sendPending(st: StreamState, s: ResponseSide.Sending): Unit = {
    val end = s.lastElement && !s.hasTrailers
    s.endOnData = end
    payloads += s.pending
    conn.commands.data(st.id, s.pending.length, end, payloads.size - 1)
    dataOps += ((st, commandCount))
    countCommand()
  }

  /** After a WINDOW_OPENED: the responses waiting for window try again (only those, not every stream). */
  protected def resumeBlocked(): Unit =
    if (blocked.nonEmpty) {
      val resumed = blocked.toList
      blocked.clear()
      resumed.foreach { st =>
        st.response match {
          case s: ResponseSide.Sending if streams.contains(st.id) =>
            s.blocked = false
            sendPending(st, s)
          case _ => ()
        }
      }
    }

  /** Applies the batch in one native call, then follows up on partial DATA and trailers. */
  protected def submit(): Unit = {
    var rounds = 0
    while (commandCount > 0 && rounds < 3) {
      rounds += 1
      val results = conn.commands.submit()
      commandCount = 0
      val ops = dataOps.toList
      dataOps.clear()
      ops.foreach { case (st, i) =>
        val status = if (i < results.count) results.status(i) else 1
        if (status != Abi.RESULT_OK) { if (streams.remove(st.id).isDefined) cancelStream(st, Abi.ERROR_CANCEL) }
        else
          st.response match {
            case s: ResponseSide.Sending =>
              s.pending = s.pending.drop(results.value(i))
              if (s.pending.isEmpty) onDataSent(st, s)
              else if (!s.blocked) { s.blocked = true; blocked += st }
            case _ => ()
          }
      }
    }
  }

  /**
   * All pending data of a stream went out: the next streamed element, or the end (already on the last DATA, else
   * trailers or an empty DATA with END_STREAM).
   */
  protected def onDataSent(st: StreamState, s: ResponseSide.Sending): Unit =
    if (s.source ne null) pullResponse(st, s)
    else if (s.lastElement) {
      if (s.hasTrailers) { conn.commands.headers(st.id, s.trailers, endStream = true); countCommand() }
      else if (!s.endOnData) {
        payloads += ByteString.empty
        conn.commands.data(st.id, 0, endStream = true, payloads.size - 1)
        countCommand()
      }
      responseEnded(st)
    }

  /**
   * Asks a streamed response for its next element, unless the socket is behind: a peer that grants large windows but
   * does not read would otherwise have every response pulled into `outPending` (CVE-2019-9517).
   */
  protected def pullResponse(st: StreamState, s: ResponseSide.Sending): Unit =
    if (!s.source.isClosed && !s.source.hasBeenPulled) {
      if (outPending.length < MaxPendingOutput) s.source.pull() else stalled += st
    }

  protected def resumeStalled(): Unit =
    if (stalled.nonEmpty && outPending.length < MaxPendingOutput) {
      val resumed = stalled.toList
      stalled.clear()
      resumed.foreach { st =>
        st.response match {
          case s: ResponseSide.Sending if streams.contains(st.id) && (s.source ne null) => pullResponse(st, s)
          case _                                                                        => ()
        }
      }
    }

  protected def startSubSource(st: StreamState, s: ResponseSide.Sending, entity: ResponseEntity): Unit = {
    val inlet = new SubSinkInlet[HttpEntity.ChunkStreamPart](s"response-${st.id}")
    s.source = inlet
    inlet.setHandler(new InHandler {
      override def onPush(): Unit = {
        inlet.grab() match {
          case HttpEntity.LastChunk(_, trailer) =>
            if (trailer.nonEmpty) {
              s.trailers = ResponseRendering.trailers(trailer)
              s.hasTrailers = true
            }
          case chunk =>
            s.pending = chunk.data
            sendPending(st, s)
        }
        submit()
        flush()
      }
      override def onUpstreamFinish(): Unit = {
        s.source = null
        s.lastElement = true
        // with DATA still waiting for window, the end follows it (`onDataSent`), never overtakes it
        if (streams.contains(st.id) && s.pending.isEmpty) {
          onDataSent(st, s)
          submit()
          flush()
        }
      }
      override def onUpstreamFailure(ex: Throwable): Unit = {
        log.error(ex, "response entity of stream {} failed", st.id)
        s.source = null
        if (streams.remove(st.id).isDefined) {
          conn.commands.reset(st.id, Abi.ERROR_INTERNAL_ERROR); countCommand()
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
}
