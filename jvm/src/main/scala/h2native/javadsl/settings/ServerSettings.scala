/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.javadsl.settings

import java.time.Duration

import org.apache.pekko.actor.ClassicActorSystemProvider
import org.apache.pekko.annotation.DoNotInherit

import h2native.Fallback

/**
 * The settings of an h2native server, as Java sees them (`h2native.server` and `h2native.fallback` in reference.conf).
 * Immutable: every `with...` returns a copy. Not for extension: get one with [[ServerSettings.create]].
 */
@DoNotInherit
abstract class ServerSettings private[h2native] () { self: h2native.scaladsl.settings.ServerSettings =>
  def getFallback: Fallback = fallback
  def getIdleTimeout: Duration = Duration.ofNanos(idleTimeout.toNanos)
  def getMaxConnections: Int = maxConnections
  def getBacklog: Int = backlog
  def getTcpNoDelay: Boolean = tcpNoDelay
  def getMaxRequestEntitySize: Long = maxRequestEntitySize
  def getHttp2Settings: Http2Settings = http2

  def withIdleTimeout(timeout: Duration): ServerSettings =
    self.withIdleTimeout(scala.concurrent.duration.Duration.fromNanos(timeout.toNanos))
  def withHttp2Settings(settings: Http2Settings): ServerSettings =
    self.withHttp2(settings.asInstanceOf[h2native.scaladsl.settings.Http2Settings])
}

object ServerSettings {

  /** Read from the system's configuration. */
  def create(system: ClassicActorSystemProvider): ServerSettings = h2native.scaladsl.settings.ServerSettings(system)

  /** Read from a whole configuration (`h2native.server`, `h2native.fallback`). */
  def create(config: com.typesafe.config.Config): ServerSettings = h2native.scaladsl.settings.ServerSettings(config)
}
