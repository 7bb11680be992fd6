/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.javadsl.settings

import java.time.Duration

import scala.jdk.CollectionConverters._

import org.apache.pekko.annotation.DoNotInherit

/**
 * The protocol settings and limits of an h2native server (`h2native.server.http2`), as Java sees them. Immutable.
 */
@DoNotInherit
abstract class Http2Settings private[h2native] () { self: h2native.scaladsl.settings.Http2Settings =>
  def getMaxConcurrentStreams: Int = maxConcurrentStreams
  def getIncomingStreamLevelBufferSize: Int = incomingStreamLevelBufferSize
  def getIncomingConnectionLevelBufferSize: Int = incomingConnectionLevelBufferSize
  def getMinCollectStrictEntitySize: Int = minCollectStrictEntitySize

  /** Every engine setting by its key under `h2native.server.http2`: octets, milliseconds or a count. */
  def getEngineSettings: java.util.Map[String, java.lang.Long] =
    engineSettings.map { case (k, v) => k -> java.lang.Long.valueOf(v) }.asJava

  /** A duration-valued engine setting (e.g. `settings-timeout`). */
  def withEngineSetting(name: String, value: Duration): Http2Settings =
    self.withEngineSetting(name, value.toMillis)
}
