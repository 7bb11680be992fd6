/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl.server

import java.net.InetSocketAddress

import scala.util.control.NonFatal

import org.apache.pekko.annotation.InternalApi
import org.apache.pekko.http.scaladsl.model._
import org.apache.pekko.util.ByteString

import h2native.impl.{Abi, EventReader, HeaderField}

/**
 * INTERNAL API
 *
 * A HEADERS event that opens a stream, made into pekko-http's `HttpRequest`, or the answer the stream gets instead. One
 * per connection: it keeps the last URI (a gRPC connection sends the same `:path` and `:authority` objects request
 * after request, from the HPACK cache) and the request attributes pekko-http's own HTTP/2 server sets.
 */
@InternalApi
final private[server] class RequestParsing(remote: Option[InetSocketAddress]) {
  import RequestParsing._

  private[this] val remoteAttr: Option[RemoteAddress] = remote.map(RemoteAddress(_))

  // one-entry memo: the same :path / :authority objects give the same Uri
  private[this] var lastPath: HeaderField = _
  private[this] var lastAuthority: HeaderField = _
  private[this] var lastScheme: String = _
  private[this] var lastUri: Uri = _

  /** The request of the HEADERS event `ev` is at (not trailers) on stream `id`. */
  def parse(ev: EventReader, id: Int): Parsed = {
    if ((ev.flags & Abi.EVENT_FLAG_TOO_LARGE) != 0)
      return Refused(StatusCodes.RequestHeaderFieldsTooLarge, "request header fields too large")
    var method: String = null
    var scheme: String = "http"
    var authority: HeaderField = null
    var path: HeaderField = null
    var contentType: ContentType = ContentTypes.NoContentType
    var contentLength = -1L
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
        case "content-length" => contentLength = f.value.toLongOption.getOrElse(-1L)
        case _                => headers += f.header
      }
      i += 1
    }
    val uri =
      try uriOf(scheme, authority, path)
      catch { case NonFatal(_) => null }
    if (uri eq null) return Refused(StatusCodes.BadRequest, "invalid :path or :authority")
    val attrs = remoteAttr match {
      case Some(r) => Map[AttributeKey[_], Any](StreamIdKey -> id, AttributeKeys.remoteAddress -> r)
      case None    => Map[AttributeKey[_], Any](StreamIdKey -> id)
    }
    // the engine checks :method and :scheme only for presence and field syntax: pekko-http's model rejects more (an
    // empty method, a scheme other than http(s)/ws(s)), and must answer that stream, not end the connection
    try
      Parsed.Request(
        HttpRequest(
          HttpMethods.getForKey(method).getOrElse(HttpMethod.custom(method)),
          uri,
          headers.result(),
          HttpEntity.Strict(contentType, ByteString.empty),
          HttpProtocols.`HTTP/2.0`
        ).withAttributes(attrs),
        contentLength
      )
    catch { case NonFatal(_) => Refused(StatusCodes.BadRequest, "invalid :method or :scheme") }
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
}

/** INTERNAL API */
@InternalApi
private[h2native] object RequestParsing {

  /** The request attribute pekko-http's own HTTP/2 server sets (`Http2.streamId`): same name, same type. */
  val StreamIdKey: AttributeKey[Int] = AttributeKey[Int]("x-http2-stream-id")

  sealed trait Parsed
  object Parsed {

    /** The request (its entity still empty), and the content-length it declared (-1: none). */
    final case class Request(request: HttpRequest, contentLength: Long) extends Parsed
  }

  /** The stream is answered with `status` (and `message` as its body) instead of going to the handler. */
  final case class Refused(status: StatusCode, message: String) extends Parsed
}
