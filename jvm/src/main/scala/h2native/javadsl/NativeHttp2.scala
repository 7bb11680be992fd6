/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.javadsl

import java.net.InetSocketAddress
import java.util.Optional
import java.util.concurrent.CompletionStage

import scala.concurrent.{ExecutionContext, Future}
import scala.jdk.FutureConverters._
import scala.jdk.OptionConverters._

import org.apache.pekko.actor.{
  ActorSystem,
  ClassicActorSystemProvider,
  ExtendedActorSystem,
  Extension,
  ExtensionId,
  ExtensionIdProvider
}
import org.apache.pekko.http.javadsl.{HttpsConnectionContext, ServerBinding}
import org.apache.pekko.http.javadsl.model.{HttpRequest, HttpResponse}
import org.apache.pekko.http.scaladsl.{model => sm}
import org.apache.pekko.japi.function.{Function => JFunction}

import h2native.ServerMetrics
import h2native.javadsl.settings.ServerSettings
import h2native.impl.server.PekkoHttpAccess

/**
 * The h2native HTTP/2 server for Java: `NativeHttp2.get(system).newServerAt(host, port).bind(handler)` serves the
 * `Function<HttpRequest, CompletionStage<HttpResponse>>` handlers that pekko-grpc's Java code generator makes, like
 * pekko-http's `Http.get(system).newServerAt(...)`.
 */
object NativeHttp2 extends ExtensionId[NativeHttp2] with ExtensionIdProvider {
  override def get(system: ActorSystem): NativeHttp2 = super.get(system)
  override def get(system: ClassicActorSystemProvider): NativeHttp2 = super.get(system)
  override def lookup: NativeHttp2.type = NativeHttp2
  override def createExtension(system: ExtendedActorSystem): NativeHttp2 = new NativeHttp2(system)
}

final class NativeHttp2(system: ExtendedActorSystem) extends Extension {
  private val delegate = h2native.scaladsl.NativeHttp2(system)

  /** Settings read once from `h2native.server`. */
  def defaultServerSettings: ServerSettings = delegate.defaultServerSettings

  def newServerAt(interface: String, port: Int): ServerBuilder =
    new ServerBuilder(delegate.newServerAt(interface, port))

  /** The counters of the server bound at `localAddress`, while it is bound (also over JMX). */
  def metrics(localAddress: InetSocketAddress): Optional[ServerMetrics] = delegate.metrics(localAddress).toJava
}

/** Configures and binds one server. Immutable: every `with...` returns a new builder. */
final class ServerBuilder private[javadsl] (delegate: h2native.scaladsl.ServerBuilder) {

  def withSettings(settings: ServerSettings): ServerBuilder =
    new ServerBuilder(delegate.withSettings(settings.asInstanceOf[h2native.scaladsl.settings.ServerSettings]))

  /** Serves over TLS with ALPN `h2`, e.g. with `ConnectionContext.httpsServer(sslContext)`. */
  def enableHttps(context: HttpsConnectionContext): ServerBuilder =
    new ServerBuilder(delegate.enableHttps(context.asInstanceOf[org.apache.pekko.http.scaladsl.HttpsConnectionContext]))

  /**
   * Binds the port and serves HTTP/2 (h2c with prior knowledge, or TLS with ALPN `h2` when the settings say so). The
   * binding's `terminate(deadline)` sends GOAWAY, lets in-flight streams finish until the deadline, then closes.
   */
  def bind(handler: JFunction[HttpRequest, CompletionStage[HttpResponse]]): CompletionStage[ServerBinding] = {
    val scalaHandler: sm.HttpRequest => Future[sm.HttpResponse] = req =>
      // javadsl.HttpResponse has one implementation, the scaladsl one (pekko-http's JavaMapping does the same)
      handler(req).asScala.map(_.asInstanceOf[sm.HttpResponse])(ExecutionContext.parasitic)
    delegate.bind(scalaHandler).map(PekkoHttpAccess.toJava)(ExecutionContext.parasitic).asJava
  }
}
