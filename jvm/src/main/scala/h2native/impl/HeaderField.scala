/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl

import org.apache.pekko.annotation.InternalApi
import org.apache.pekko.http.scaladsl.model.{ContentType, ContentTypes, HttpHeader}
import org.apache.pekko.http.scaladsl.model.headers.RawHeader

/**
 * INTERNAL API
 *
 * One header field as materialised on the JVM: the name, the value and the pekko-http header, created once per HPACK
 * table entry and shared by every request that references that entry.
 */
@InternalApi
final class HeaderField(val name: String, val value: String) {
  def isPseudo: Boolean = name.nonEmpty && name.charAt(0) == ':'
  private[this] var _header: HttpHeader = _
  private[this] var _contentType: ContentType = _

  /** The pekko-http header (a `RawHeader`), created on first use and then cached with the field. */
  def header: HttpHeader = {
    if (_header eq null) _header = RawHeader(name, value)
    _header
  }

  /**
   * The value parsed as a content-type (`application/octet-stream` when it does not parse), cached with the field: a
   * field HPACK indexed is parsed once per connection, and the cache is the header cache's, with its bound (no map
   * keyed by values the peer chooses).
   */
  def contentType: ContentType = {
    if (_contentType eq null)
      _contentType = ContentType.parse(value).getOrElse(ContentTypes.`application/octet-stream`)
    _contentType
  }
}
