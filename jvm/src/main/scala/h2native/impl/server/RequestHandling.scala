/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl.server

import scala.concurrent.{ExecutionContext, Future}
import scala.util.control.NonFatal

import org.apache.pekko.annotation.InternalApi
import org.apache.pekko.http.scaladsl.model._
import org.apache.pekko.stream.scaladsl.Source
import org.apache.pekko.stream.stage.OutHandler
import org.apache.pekko.util.ByteString

import h2native.impl.Abi

/**
 * INTERNAL API
 *
 * The request side of a connection's streams: HEADERS become requests ([[RequestParsing]]), DATA their bodies,
 * collected into a Strict entity or streamed to the handler as it pulls (flow-control credit following), and the
 * handler is called (see the request-side transitions of [[StreamState]]).
 */
@InternalApi
private[server] trait RequestHandling extends ServerConnectionLogic {

  protected def onHeaders(): Unit = {
    val ev = conn.events
    val id = ev.streamId
    if ((ev.flags & Abi.EVENT_FLAG_TRAILERS) != 0) {
      // request trailers end the body; HttpEntity has no place for them on requests
      streams.get(id).foreach { st =>
        st.peerEnded = true
        deliver(st)
      }
      return
    }
    val st = new StreamState(id)
    streams.update(id, st)
    metrics.streamsOpened.increment()
    parsing.parse(ev, id) match {
      case RequestParsing.Parsed.Request(request, contentLength) =>
        st.request = RequestSide.Collecting(request)
        st.contentLength = contentLength
        st.head = request.method == HttpMethods.HEAD
        st.peerEnded = ev.endStream
        awaiting += st
      case RequestParsing.Refused(status, message) => respondSimple(st, status, message)
    }
  }

  protected def onData(): Unit = {
    val ev = conn.events
    val id = ev.streamId
    val slice = ev.dataSlice
    streams.get(id) match {
      case Some(st) =>
        st.request match {
          case RequestSide.Streaming(_) =>
            // the credit goes back when downstream takes the bytes, so a slow consumer slows the peer
            st.append(slice)
            if (ev.endStream) st.peerEnded = true
            deliver(st)
          case RequestSide.Collecting(_) =>
            // collected before dispatch: the credit goes back at once, the size limit bounds memory
            consumed(id, slice.length)
            if (st.bodyLength + slice.length > settings.maxRequestEntitySize) {
              st.request = RequestSide.Done
              respondSimple(st, StatusCodes.ContentTooLarge, "request entity too large")
              resetStream(st)
            } else {
              st.append(slice)
              if (ev.endStream) st.peerEnded = true
            }
          case RequestSide.Done => consumed(id, slice.length)
        }
      case None => consumed(id, slice.length)
    }
  }

  /**
   * Hands requests to the handler once per inbound chunk: a request whose body is complete as a Strict entity, one that
   * has at least `min-collect-strict-entity-size` octets but no end yet with a streamed entity.
   */
  protected def dispatchAwaiting(): Unit = {
    var i = 0
    var kept = 0
    while (i < awaiting.size) {
      val st = awaiting(i)
      st.request match {
        case RequestSide.Collecting(request) if streams.contains(st.id) =>
          // pekko-http's model refuses an entity on HEAD or TRACE; such a request is dispatched once it ended empty
          val entityAccepted = request.method.isEntityAccepted
          if (!entityAccepted && st.hasBody) refuseEntity(st, request)
          else if (st.peerEnded) dispatch(st, strictRequest(st, request))
          else if (entityAccepted && st.bodyLength >= minCollectStrict) dispatch(st, streamedRequest(st, request))
          else { awaiting(kept) = st; kept += 1 }
        case _ => ()
      }
      i += 1
    }
    awaiting.dropRightInPlace(awaiting.size - kept)
  }

  /** As pekko-http's HTTP/1.1 parser: 422; the rest of the body is not wanted. */
  protected def refuseEntity(st: StreamState, request: HttpRequest): Unit = {
    st.request = RequestSide.Done
    st.takeBody()
    respondSimple(st, StatusCodes.UnprocessableContent, s"${request.method.value} requests must not have an entity")
    if (!st.peerEnded) resetStream(st)
  }

  protected def strictRequest(st: StreamState, req: HttpRequest): HttpRequest = {
    st.request = RequestSide.Done
    val body = st.takeBody()
    if (body.isEmpty) req else req.withEntity(HttpEntity.Strict(req.entity.contentType, body))
  }

  protected def streamedRequest(st: StreamState, req: HttpRequest): HttpRequest = {
    val outlet = new SubSourceOutlet[ByteString](s"request-entity-${st.id}")
    outlet.setHandler(new OutHandler {
      override def onPull(): Unit = { deliver(st); submit(); flush() }
      override def onDownstreamFinish(cause: Throwable): Unit = {
        // the handler does not want the rest: drop it, but keep the peer's windows open
        st.request = RequestSide.Done
        consumed(st.id, st.takeBody().length)
        settle(st)
        submit()
        flush()
      }
    })
    st.request = RequestSide.Streaming(outlet)
    val ct = req.entity.contentType
    val data = Source.fromGraph(outlet.source)
    val entity =
      if (st.contentLength > 0) HttpEntity.Default(ct, st.contentLength, data)
      else HttpEntity.Chunked.fromData(ct, data)
    req.withEntity(entity)
  }

  /** Pushes what a streamed entity has received when downstream wants it, and ends it after END_STREAM. */
  protected def deliver(st: StreamState): Unit =
    st.request match {
      case RequestSide.Streaming(entity) =>
        if (st.hasBody && entity.isAvailable) {
          val chunk = st.takeBody()
          entity.push(chunk)
          consumed(st.id, chunk.length)
        }
        if (!st.hasBody && st.peerEnded) {
          st.request = RequestSide.Done
          entity.complete()
          settle(st)
        }
      case _ => ()
    }

  protected def dispatch(st: StreamState, req: HttpRequest): Unit = {
    val f =
      try handler(req)
      catch { case NonFatal(e) => Future.failed(e) }
    f.value match {
      case Some(result) => onResponse(st, result)
      case None         => f.onComplete(r => responseCallback.invoke((st, r)))(ExecutionContext.parasitic)
    }
  }

  protected def failEntity(st: StreamState, cause: Throwable): Unit =
    st.request match {
      case RequestSide.Streaming(entity) =>
        st.request = RequestSide.Done
        if (st.hasBody) consumed(st.id, st.takeBody().length)
        entity.fail(cause)
      case _ => ()
    }
}
