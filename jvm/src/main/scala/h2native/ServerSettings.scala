/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native

import scala.concurrent.duration.FiniteDuration
import scala.jdk.DurationConverters._

import com.typesafe.config.Config
import org.apache.pekko.actor.ClassicActorSystemProvider

import h2native.impl.EngineSettings

/**
 * Settings of an h2native server, read once from `h2native.server` (see reference.conf); `fallback` from
 * `h2native.fallback`.
 */
final case class ServerSettings(
    fallback: Fallback,
    idleTimeout: FiniteDuration,
    maxConnections: Int,
    backlog: Int,
    tcpNoDelay: Boolean,
    maxRequestEntitySize: Long,
    http2: Http2Settings
)

/** The engine's protocol settings and limits (`h2native.server.http2`). */
final case class Http2Settings(
    maxConcurrentStreams: Int,
    incomingStreamLevelBufferSize: Int,
    incomingConnectionLevelBufferSize: Int,
    maxFrameSize: Int,
    headerTableSize: Int,
    maxEncoderTableSize: Int,
    maxHeaderListSize: Int,
    maxHeaderCount: Int,
    maxHeaderBlockSize: Int,
    maxContinuationFrames: Int,
    maxSettingsEntries: Int,
    maxSettingsPerWindow: Int,
    maxQueuedControlReplies: Int,
    maxResetsReceivedPerWindow: Int,
    maxResetsSentPerWindow: Int,
    maxEmptyFramesPerWindow: Int,
    limitWindow: FiniteDuration,
    closedStreamsRemembered: Int,
    settingsTimeout: FiniteDuration,
    minCollectStrictEntitySize: Int
) {

  private[h2native] def toEngine: EngineSettings = EngineSettings(
    maxConcurrentStreams = maxConcurrentStreams,
    initialStreamWindow = incomingStreamLevelBufferSize,
    initialConnectionWindow = incomingConnectionLevelBufferSize,
    maxFrameSize = maxFrameSize,
    headerTableSize = headerTableSize,
    maxEncoderTableSize = maxEncoderTableSize,
    maxHeaderListSize = maxHeaderListSize,
    maxHeaderCount = maxHeaderCount,
    maxHeaderBlockSize = maxHeaderBlockSize,
    maxContinuationFrames = maxContinuationFrames,
    maxSettingsEntries = maxSettingsEntries,
    maxSettingsPerWindow = maxSettingsPerWindow,
    maxQueuedControlReplies = maxQueuedControlReplies,
    maxResetsReceivedPerWindow = maxResetsReceivedPerWindow,
    maxResetsSentPerWindow = maxResetsSentPerWindow,
    maxEmptyFramesPerWindow = maxEmptyFramesPerWindow,
    limitWindowMs = limitWindow.toMillis,
    closedStreamsRemembered = closedStreamsRemembered,
    settingsTimeoutMs = settingsTimeout.toMillis,
    idleTimeoutMs = 0 // the TCP idle timeout of the server closes idle connections
  )
}

/** What `NativeHttp2` does when the native library cannot be used on this platform (`h2native.fallback`). */
sealed abstract class Fallback(val name: String)

object Fallback {

  /** Fail the bind with the loader's message (the default). */
  case object None extends Fallback("none")

  /** Serve through stock pekko-http (HTTP/2 on), and log one line saying so. */
  case object PekkoHttp extends Fallback("pekko-http")

  def apply(name: String): Fallback = name match {
    case None.name      => None
    case PekkoHttp.name => PekkoHttp
    case other =>
      throw new IllegalArgumentException(
        s"h2native.fallback = '$other': expected '${None.name}' or '${PekkoHttp.name}'"
      )
  }
}

object ServerSettings {
  def apply(system: ClassicActorSystemProvider): ServerSettings = fromRoot(system.classicSystem.settings.config)

  /** From a whole configuration: `h2native.server` and `h2native.fallback`. */
  def fromRoot(root: Config): ServerSettings =
    apply(root.getConfig("h2native.server"), Fallback(root.getString("h2native.fallback")))

  /** From the `h2native.server` section. */
  def apply(c: Config, fallback: Fallback): ServerSettings = {
    val h = c.getConfig("http2")
    def bytes(path: String): Int = math.min(h.getBytes(path), Int.MaxValue.toLong).toInt
    ServerSettings(
      fallback = fallback,
      idleTimeout = c.getDuration("idle-timeout").toScala,
      maxConnections = c.getInt("max-connections"),
      backlog = c.getInt("backlog"),
      tcpNoDelay = c.getBoolean("tcp-nodelay"),
      maxRequestEntitySize = c.getBytes("max-request-entity-size"),
      http2 = Http2Settings(
        maxConcurrentStreams = h.getInt("max-concurrent-streams"),
        incomingStreamLevelBufferSize = bytes("incoming-stream-level-buffer-size"),
        incomingConnectionLevelBufferSize = bytes("incoming-connection-level-buffer-size"),
        maxFrameSize = h.getInt("max-frame-size"),
        headerTableSize = h.getInt("header-table-size"),
        maxEncoderTableSize = h.getInt("max-encoder-table-size"),
        maxHeaderListSize = h.getInt("max-header-list-size"),
        maxHeaderCount = h.getInt("max-header-count"),
        maxHeaderBlockSize = h.getInt("max-header-block-size"),
        maxContinuationFrames = h.getInt("max-continuation-frames"),
        maxSettingsEntries = h.getInt("max-settings-entries"),
        maxSettingsPerWindow = h.getInt("max-settings-per-window"),
        maxQueuedControlReplies = h.getInt("max-queued-control-replies"),
        maxResetsReceivedPerWindow = h.getInt("max-resets-received-per-window"),
        maxResetsSentPerWindow = h.getInt("max-resets-sent-per-window"),
        maxEmptyFramesPerWindow = h.getInt("max-empty-frames-per-window"),
        limitWindow = h.getDuration("limit-window").toScala,
        closedStreamsRemembered = h.getInt("closed-streams-remembered"),
        settingsTimeout = h.getDuration("settings-timeout").toScala,
        minCollectStrictEntitySize = bytes("min-collect-strict-entity-size")
      )
    )
  }
}
