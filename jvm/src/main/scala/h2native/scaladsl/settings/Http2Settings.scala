/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.scaladsl.settings

import scala.concurrent.duration.FiniteDuration

import com.typesafe.config.Config
import org.apache.pekko.annotation.{DoNotInherit, InternalApi}

import h2native.impl.EngineConfig

/**
 * The protocol settings and limits of an h2native server (`h2native.server.http2` in reference.conf). The four
 * pekko-http also has are typed; every setting of the native engine (limits, windows, timeouts: reference.conf lists
 * them) is reachable by its key through `engineSetting` / `withEngineSetting`, so that a new engine limit needs no new
 * method here. Immutable; every `with...` returns a validated copy.
 */
@DoNotInherit
abstract class Http2Settings private[h2native] () extends h2native.javadsl.settings.Http2Settings {

  /** SETTINGS_MAX_CONCURRENT_STREAMS (pekko.http.server.http2.max-concurrent-streams). */
  def maxConcurrentStreams: Int

  /** The initial stream window we grant (pekko.http.server.http2.incoming-stream-level-buffer-size). */
  def incomingStreamLevelBufferSize: Int

  /** The connection window we grant (pekko.http.server.http2.incoming-connection-level-buffer-size). */
  def incomingConnectionLevelBufferSize: Int

  /** As pekko.http.server.http2.min-collect-strict-entity-size (see reference.conf). */
  def minCollectStrictEntitySize: Int

  /** Every engine setting by its key: octets, milliseconds or a count. */
  def engineSettings: Map[String, Long]

  /** One engine setting by its key, e.g. `engineSetting("max-resets-received-per-window")`. */
  def engineSetting(name: String): Long

  def withMaxConcurrentStreams(n: Int): Http2Settings
  def withIncomingStreamLevelBufferSize(octets: Int): Http2Settings
  def withIncomingConnectionLevelBufferSize(octets: Int): Http2Settings
  def withMinCollectStrictEntitySize(octets: Int): Http2Settings

  /** Sets an engine setting by its key; an unknown key or a value out of the engine's range is refused. */
  def withEngineSetting(name: String, value: Long): Http2Settings

  /** Sets a duration-valued engine setting (e.g. `settings-timeout`, `limit-window`). */
  def withEngineSetting(name: String, value: FiniteDuration): Http2Settings = withEngineSetting(name, value.toMillis)

  /** INTERNAL API: what the engine is opened with. */
  @InternalApi
  private[h2native] def engine: EngineConfig
}

object Http2Settings {

  /** From a `h2native.server.http2` section. */
  def apply(c: Config): Http2Settings =
    Impl(EngineConfig.fromConfig(c), math.min(c.getBytes("min-collect-strict-entity-size"), Int.MaxValue).toInt)

  /** INTERNAL API */
  @InternalApi
  final private[h2native] case class Impl(engine: EngineConfig, minCollectStrictEntitySize: Int) extends Http2Settings {
    require(minCollectStrictEntitySize >= 0, "h2native.server.http2.min-collect-strict-entity-size: negative")

    def maxConcurrentStreams: Int = engine("max-concurrent-streams").toInt
    def incomingStreamLevelBufferSize: Int = engine("incoming-stream-level-buffer-size").toInt
    def incomingConnectionLevelBufferSize: Int = engine("incoming-connection-level-buffer-size").toInt
    def engineSettings: Map[String, Long] = engine.toMap
    def engineSetting(name: String): Long = engine(name)

    def withMaxConcurrentStreams(n: Int): Http2Settings = withEngineSetting("max-concurrent-streams", n.toLong)
    def withIncomingStreamLevelBufferSize(octets: Int): Http2Settings =
      withEngineSetting("incoming-stream-level-buffer-size", octets.toLong)
    def withIncomingConnectionLevelBufferSize(octets: Int): Http2Settings =
      withEngineSetting("incoming-connection-level-buffer-size", octets.toLong)
    def withMinCollectStrictEntitySize(octets: Int): Http2Settings = copy(minCollectStrictEntitySize = octets)
    def withEngineSetting(name: String, value: Long): Http2Settings = copy(engine = engine.updated(name, value))
  }
}
