/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.scaladsl

import java.net.InetSocketAddress

import scala.concurrent.Future

import org.apache.pekko.actor.{
  ClassicActorSystemProvider,
  ExtendedActorSystem,
  Extension,
  ExtensionId,
  ExtensionIdProvider
}
import org.apache.pekko.event.Logging
import org.apache.pekko.http.scaladsl.{Http, HttpsConnectionContext}
import org.apache.pekko.http.scaladsl.model.{HttpRequest, HttpResponse}

import h2native.ServerMetrics
import h2native.scaladsl.settings.ServerSettings
import h2native.impl.NativeLibraryException
import h2native.impl.server.{ServerDirectory, ServerRuntime}

/**
 * The h2native HTTP/2 server: `NativeHttp2(system).newServerAt(host, port).bind(handler)` serves the same `HttpRequest
 * \=> Future[HttpResponse]` handlers as pekko-http's `Http().newServerAt(...)`, e.g. pekko-grpc's.
 */
object NativeHttp2 extends ExtensionId[NativeHttp2] with ExtensionIdProvider {
  override def get(system: ClassicActorSystemProvider): NativeHttp2 = super.get(system)
  override def lookup: NativeHttp2.type = NativeHttp2
  override def createExtension(system: ExtendedActorSystem): NativeHttp2 = new NativeHttp2(system)
}

final class NativeHttp2(system: ExtendedActorSystem) extends Extension {

  /** Settings read once from `h2native.server` and `h2native.fallback`. */
  val defaultServerSettings: ServerSettings = ServerSettings(system)

  private val directory = new ServerDirectory(Logging(system, classOf[NativeHttp2]))

  def newServerAt(interface: String, port: Int): ServerBuilder =
    new ServerBuilder(system, interface, port, defaultServerSettings, None, directory)

  /**
   * The counters of the server bound at `localAddress` (`binding.localAddress`), while it is bound; also published over
   * JMX as `h2native:type=Server,address="<ip:port>"`.
   */
  def metrics(localAddress: InetSocketAddress): Option[ServerMetrics] = directory.metrics(localAddress)
}

/** Configures and binds one server. Immutable: every `with...` returns a new builder. */
final class ServerBuilder private[h2native] (
    system: ClassicActorSystemProvider,
    interface: String,
    port: Int,
    settings: ServerSettings,
    https: Option[HttpsConnectionContext],
    directory: ServerDirectory
) {

  def withSettings(newSettings: ServerSettings): ServerBuilder =
    new ServerBuilder(system, interface, port, newSettings, https, directory)

  def adaptSettings(f: ServerSettings => ServerSettings): ServerBuilder = withSettings(f(settings))

  /**
   * Serves over TLS, offering ALPN `h2` (RFC 9113 3.2), e.g. with `ConnectionContext.httpsServer(sslContext)`, as
   * pekko-http's `enableHttps`. Without it the server speaks h2c with prior knowledge.
   */
  def enableHttps(context: HttpsConnectionContext): ServerBuilder =
    new ServerBuilder(system, interface, port, settings, Some(context), directory)

  /**
   * Binds the port and serves HTTP/2: h2c with prior knowledge (what gRPC clients use without TLS), or TLS with ALPN
   * `h2` after `enableHttps`. The binding's `terminate(deadline)` sends GOAWAY, lets in-flight streams finish until the
   * deadline, then closes.
   */
  def bind(handler: HttpRequest => Future[HttpResponse]): Future[Http.ServerBinding] =
    ServerRuntime.bind(interface, port, settings, https, handler, directory)(system)

  /** `bind` as if the native library were unavailable for `reason`: tests of the fallback path. */
  private[h2native] def bindWithoutNativeLibrary(
      reason: String,
      handler: HttpRequest => Future[HttpResponse]
  ): Future[Http.ServerBinding] =
    ServerRuntime.bindWith(
      Left(new NativeLibraryException(reason)),
      interface,
      port,
      settings,
      https,
      handler,
      directory
    )(
      system
    )
}
