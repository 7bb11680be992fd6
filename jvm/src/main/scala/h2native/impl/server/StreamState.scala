/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl.server

import org.apache.pekko.annotation.InternalApi
import org.apache.pekko.http.scaladsl.model.{HttpEntity, HttpRequest}
import org.apache.pekko.stream.stage.GraphStageLogic
import org.apache.pekko.util.ByteString

/**
 * INTERNAL API
 *
 * One stream as the server stage sees it: its request side, its response side, and the request octets received and not
 * taken yet. The engine keeps the protocol state (RFC 9113 5.1); this is what the application has of the stream.
 *
 * Request side ([[RequestSide]]):
 * {{{
 *   HEADERS ──▶ Collecting(request) ── body complete (END_STREAM) ─────────▶ Done   handler gets HttpEntity.Strict
 *                    │ ──────────── min-collect-strict-entity-size octets ─▶ Streaming(entity)
 *                    │ ──────────── too large (413), HEAD/TRACE body (422) ─▶ Done   answered by the stage
 *   Streaming ── everything taken after END_STREAM ─▶ Done   entity completed
 *             ── the handler cancels the entity ───▶ Done   the rest is dropped, its credit returned
 *   any ── RST_STREAM either way, connection end ──▶ Done   a streamed entity fails
 * }}}
 * Response side ([[ResponseSide]]):
 * {{{
 *   Awaiting ── handler's response ──▶ Sending ── last DATA (END_STREAM) or trailers sent ──▶ Ended
 *            ── headers only (HEAD, empty Strict body, no trailers) ────────────────────────▶ Ended
 *   any ── RST_STREAM either way ──▶ the stream is forgotten
 * }}}
 * A stream is forgotten once its response has Ended and its request side is settled (not Streaming).
 */
@InternalApi
final private[server] class StreamState(val id: Int) {
  import StreamState._

  var request: RequestSide = RequestSide.Done
  var response: ResponseSide = ResponseSide.Awaiting

  /** The peer ended its side (END_STREAM seen). */
  var peerEnded = false

  /** A response to HEAD carries headers only (RFC 9113 8.1.1). */
  var head = false

  /** The request's content-length, or -1. */
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

  /** The request side needs no more attention (nothing streaming to the handler). */
  def requestSettled: Boolean = !request.isInstanceOf[RequestSide.Streaming]

  /** The response side, once it is sending. */
  def sending: ResponseSide.Sending = response match {
    case s: ResponseSide.Sending => s
    case other                   => throw new IllegalStateException(s"stream $id: response is $other, not sending")
  }
}

/** INTERNAL API */
@InternalApi
private[server] object StreamState {

  /**
   * Request octets held for the application are copied once a stream holds more than one slice: a slice pins the whole
   * input chunk it came from and costs an object, so 1-octet DATA frames held for a handler that does not read cost ~40
   * octets of heap per octet (CVE-2019-9511 against request entities). Slices shorter than this are gathered in one
   * buffer per stream, longer ones are compacted.
   */
  final val CopyBelow = 1024
  final private val SmallBufferSize = 4 * 1024
}

/** INTERNAL API: the request side of a stream (see [[StreamState]]). */
@InternalApi
sealed private[server] trait RequestSide

/** INTERNAL API */
@InternalApi
private[server] object RequestSide {

  /** Headers received; the request waits for its body (or enough of it) before the handler gets it. */
  final case class Collecting(request: HttpRequest) extends RequestSide

  /** Handed over with a streamed entity, fed as the handler pulls. */
  final case class Streaming(entity: GraphStageLogic#SubSourceOutlet[ByteString]) extends RequestSide

  /** Nothing more goes to the handler. */
  case object Done extends RequestSide
}

/** INTERNAL API: the response side of a stream (see [[StreamState]]). */
@InternalApi
sealed private[server] trait ResponseSide

/** INTERNAL API */
@InternalApi
private[server] object ResponseSide {

  /** The handler has not answered (or not been called) yet. */
  case object Awaiting extends ResponseSide

  /**
   * Headers sent; DATA and trailers still to go. `pending`: octets of the current element not yet accepted by the
   * windows; `lastElement`: no more elements follow `pending` (a Strict entity, or a streamed one that ended);
   * `source`: the streamed entity, pulled one element at a time.
   */
  final class Sending(var trailers: List[(String, String)], var hasTrailers: Boolean) extends ResponseSide {
    var pending: ByteString = ByteString.empty
    var lastElement = false
    var source: GraphStageLogic#SubSinkInlet[HttpEntity.ChunkStreamPart] = _

    /** Waiting for a WINDOW_OPENED to send `pending` (listed in the stage's `blocked`). */
    var blocked = false

    /** The last DATA command carried END_STREAM (then nothing follows it). */
    var endOnData = false

    override def toString: String = s"Sending(${pending.length} octets pending, last = $lastElement)"
  }

  /** Everything was sent. */
  case object Ended extends ResponseSide
}
