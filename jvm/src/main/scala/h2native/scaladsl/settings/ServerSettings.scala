/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.scaladsl.settings

import scala.concurrent.duration.FiniteDuration
import scala.jdk.DurationConverters._

import com.typesafe.config.Config
import org.apache.pekko.actor.ClassicActorSystemProvider
import org.apache.pekko.annotation.{DoNotInherit, InternalApi}

import h2native.Fallback

/**
 * The settings of an h2native server, read once from `h2native.server` and `h2native.fallback` (reference.conf; names
 * as pekko-http's where the meaning is the same). Immutable: every `with...` returns a copy, validated. Not for
 * extension: get one from [[ServerSettings.apply]] or `NativeHttp2(system).defaultServerSettings`.
 */
@DoNotInherit
abstract class ServerSettings private[h2native] () extends h2native.javadsl.settings.ServerSettings {
  def fallback: Fallback
  def idleTimeout: FiniteDuration
  def maxConnections: Int
  def backlog: Int
  def tcpNoDelay: Boolean
  def maxRequestEntitySize: Long
  def http2: Http2Settings

  def withFallback(fallback: Fallback): ServerSettings
  def withIdleTimeout(timeout: FiniteDuration): ServerSettings
  def withMaxConnections(n: Int): ServerSettings
  def withBacklog(n: Int): ServerSettings
  def withTcpNoDelay(on: Boolean): ServerSettings
  def withMaxRequestEntitySize(octets: Long): ServerSettings
  def withHttp2(settings: Http2Settings): ServerSettings
  def adaptHttp2(f: Http2Settings => Http2Settings): ServerSettings = withHttp2(f(http2))
}

object ServerSettings {
  def apply(system: ClassicActorSystemProvider): ServerSettings = apply(system.classicSystem.settings.config)

  /** From a whole configuration: `h2native.server` and `h2native.fallback`. */
  def apply(root: Config): ServerSettings = {
    val c = root.getConfig("h2native.server")
    Impl(
      fallback = Fallback(root.getString("h2native.fallback")),
      idleTimeout = c.getDuration("idle-timeout").toScala,
      maxConnections = c.getInt("max-connections"),
      backlog = c.getInt("backlog"),
      tcpNoDelay = c.getBoolean("tcp-nodelay"),
      maxRequestEntitySize = c.getBytes("max-request-entity-size"),
      http2 = Http2Settings(c.getConfig("http2"))
    )
  }

  /** INTERNAL API */
  @InternalApi
  final private[h2native] case class Impl(
      fallback: Fallback,
      idleTimeout: FiniteDuration,
      maxConnections: Int,
      backlog: Int,
      tcpNoDelay: Boolean,
      maxRequestEntitySize: Long,
      http2: Http2Settings
  ) extends ServerSettings {
    require(idleTimeout > FiniteDuration(0, "s"), s"h2native.server.idle-timeout = $idleTimeout: must be positive")
    require(maxConnections > 0, s"h2native.server.max-connections = $maxConnections: must be positive")
    require(backlog > 0, s"h2native.server.backlog = $backlog: must be positive")
    require(maxRequestEntitySize >= 0, s"h2native.server.max-request-entity-size = $maxRequestEntitySize: negative")

    def withFallback(fallback: Fallback): ServerSettings = copy(fallback = fallback)
    def withIdleTimeout(timeout: FiniteDuration): ServerSettings = copy(idleTimeout = timeout)
    def withMaxConnections(n: Int): ServerSettings = copy(maxConnections = n)
    def withBacklog(n: Int): ServerSettings = copy(backlog = n)
    def withTcpNoDelay(on: Boolean): ServerSettings = copy(tcpNoDelay = on)
    def withMaxRequestEntitySize(octets: Long): ServerSettings = copy(maxRequestEntitySize = octets)
    def withHttp2(settings: Http2Settings): ServerSettings = copy(http2 = settings)
  }
}
