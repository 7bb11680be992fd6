/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl.server

import org.apache.pekko.annotation.InternalApi
import org.apache.pekko.http.scaladsl.model.{ContentType, ContentTypes, HttpHeader, HttpResponse}

/**
 * INTERNAL API
 *
 * pekko-http's `HttpResponse` as the header lists the engine sends: `:status`, content-type and content-length from the
 * entity, the response's headers lowercased. Connection-specific headers (RFC 9113 8.2.2), which pekko-http's model
 * allows, are left to the engine, which drops them from every block it sends.
 */
@InternalApi
private[server] object ResponseRendering {

  /** The `:status` strings, made once. */
  private val StatusStrings: Array[String] = Array.tabulate(600)(_.toString)

  private def status(code: Int): String =
    if (code >= 0 && code < StatusStrings.length) StatusStrings(code) else code.toString

  /** The response's header list; `length` is written as content-length when positive. */
  def headers(r: HttpResponse, ct: ContentType, length: Option[Long]): List[(String, String)] = {
    var fields: List[(String, String)] = Nil
    r.headers.foreach(h => fields = (h.lowercaseName, h.value) :: fields)
    fields = fields.reverse
    length.foreach(l => if (l > 0) fields = ("content-length", l.toString) :: fields)
    if (ct ne ContentTypes.NoContentType) fields = ("content-type", ct.value) :: fields
    (":status", status(r.status.intValue)) :: fields
  }

  /** Trailing headers, lowercased (pekko-http's `LastChunk` or `trailer` attribute). */
  def trailers(headers: Seq[HttpHeader]): List[(String, String)] =
    headers.iterator.map(h => h.lowercaseName -> h.value).toList
}
