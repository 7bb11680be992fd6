/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl.server

import scala.concurrent.duration._
import scala.concurrent.{ExecutionContext, Future, Promise}

import org.apache.pekko.Done
import org.apache.pekko.actor.ClassicActorSystemProvider
import org.apache.pekko.annotation.InternalApi
import org.apache.pekko.event.Logging
import org.apache.pekko.http.scaladsl.{Http, HttpsConnectionContext}
import org.apache.pekko.http.scaladsl.model.{HttpRequest, HttpResponse}
import org.apache.pekko.io.Inet
import org.apache.pekko.io.Tcp.SO
import org.apache.pekko.stream.scaladsl.{Flow, Keep, Sink, Tcp, TLS}
import org.apache.pekko.stream.{KillSwitches, Materializer, TLSClosing}
import org.apache.pekko.stream.TLSProtocol.{SendBytes, SessionBytes, SslTlsInbound, SslTlsOutbound}
import org.apache.pekko.util.ByteString

import h2native.{Fallback, ServerMetrics}
import h2native.scaladsl.settings.ServerSettings
import h2native.impl.{NativeLibrary, NativeLibraryException}

/** INTERNAL API: binds a TCP port and runs one [[Http2ServerStage]] per accepted connection (h2c, or TLS + ALPN). */
@InternalApi
private[h2native] object ServerRuntime {

  /**
   * Serves with the native engine when its library loads on this platform; otherwise fails with the loader's message,
   * or serves through stock pekko-http when `h2native.fallback = pekko-http`.
   */
  def bind(
      interface: String,
      port: Int,
      settings: ServerSettings,
      https: Option[HttpsConnectionContext],
      handler: HttpRequest => Future[HttpResponse],
      directory: ServerDirectory
  )(implicit provider: ClassicActorSystemProvider): Future[Http.ServerBinding] =
    bindWith(NativeLibrary.availability, interface, port, settings, https, handler, directory)

  /** `bind` with the library's availability given: tests use it to take the fallback path. */
  def bindWith(
      native: Either[NativeLibraryException, Unit],
      interface: String,
      port: Int,
      settings: ServerSettings,
      https: Option[HttpsConnectionContext],
      handler: HttpRequest => Future[HttpResponse],
      directory: ServerDirectory
  )(implicit provider: ClassicActorSystemProvider): Future[Http.ServerBinding] = native match {
    case Right(_) => bindNative(interface, port, settings, https, handler, directory)
    case Left(e) if settings.fallback == Fallback.PekkoHttp =>
      val system = provider.classicSystem
      Logging(system, classOf[Http2ServerStage]).warning(
        "h2native: serving {}:{} through stock pekko-http (h2native.fallback = pekko-http), because {}",
        interface,
        port,
        e.getMessage
      )
      val builder = Http(system).newServerAt(interface, port).adaptSettings(_.withEnableHttp2(true))
      https
        .fold(builder)(builder.enableHttps)
        .bind(handler)
        .map(b => published(b, new ServerMetrics(ServerMetrics.PekkoHttp), directory))(system.dispatcher)
    case Left(e) => Future.failed(e)
  }

  /** Publishes the server's metrics while it is bound. */
  private def published(
      b: Http.ServerBinding,
      metrics: ServerMetrics,
      directory: ServerDirectory
  ): Http.ServerBinding = {
    directory.add(b.localAddress, metrics)
    implicit val ec: ExecutionContext = ExecutionContext.parasitic
    Http.ServerBinding(b.localAddress)(
      () => b.unbind().map(_ => directory.remove(b.localAddress)),
      deadline => b.terminate(deadline).andThen { case _ => directory.remove(b.localAddress) }
    )
  }

  private def bindNative(
      interface: String,
      port: Int,
      settings: ServerSettings,
      https: Option[HttpsConnectionContext],
      handler: HttpRequest => Future[HttpResponse],
      directory: ServerDirectory
  )(implicit provider: ClassicActorSystemProvider): Future[Http.ServerBinding] = {
    val system = provider.classicSystem
    implicit val mat: Materializer = Materializer(system)
    import system.dispatcher
    val log = Logging(system, classOf[Http2ServerStage])
    val registry = new ConnectionRegistry(new ServerMetrics(ServerMetrics.Native))
    val killSwitch = KillSwitches.shared(s"h2native-$interface-$port")
    val allDone = Promise[Done]()
    val options: List[Inet.SocketOption] = List(SO.TcpNoDelay(settings.tcpNoDelay))
    val tlsEngine = https.map(TlsEngines.factory)

    /** The stage, under a TLS layer when serving HTTPS; materializes to the connection's end. */
    def connectionFlow(stage: Http2ServerStage): Flow[ByteString, ByteString, Future[Done]] = {
      val plain = Flow.fromGraph(stage).watchTermination()(Keep.right)
      tlsEngine match {
        case None => plain
        case Some(engine) =>
          val app = Flow[SslTlsInbound]
            .collect { case SessionBytes(_, bytes) => bytes }
            .viaMat(plain)(Keep.right)
            .map[SslTlsOutbound](SendBytes(_))
          TLS(engine, TLSClosing.eagerClose).reversed.joinMat(app)(Keep.right)
      }
    }

    val (bound, finished) = Tcp(system)
      .bind(interface, port, settings.backlog, options, halfClose = false, idleTimeout = settings.idleTimeout)
      .mapAsyncUnordered(settings.maxConnections) { connection =>
        val stage = new Http2ServerStage(settings, handler, Some(connection.remoteAddress), registry)
        connection.flow
          .via(killSwitch.flow[ByteString])
          .joinMat(connectionFlow(stage))(Keep.right)
          .run()
          .recover { case e =>
            log.debug("connection from {} ended: {}", connection.remoteAddress, e.getMessage)
            Done
          }
      }
      .toMat(Sink.ignore)(Keep.both)
      .run()
    finished.onComplete(_ => allDone.trySuccess(Done))

    bound.map { b =>
      log.info(
        "h2native: serving HTTP/2 ({}) on {} with the native engine",
        if (tlsEngine.isDefined) "TLS, ALPN h2" else "h2c, prior knowledge",
        b.localAddress
      )
      val unbindAction = () => b.unbind().map(_ => ())
      val terminateAction = (deadline: FiniteDuration) => {
        val hardStop = system.scheduler.scheduleOnce(deadline)(killSwitch.shutdown())
        b.unbind().flatMap { _ =>
          registry.goawayAll() // GOAWAY, drain in-flight streams; each connection closes when drained
          allDone.future.map { _ =>
            hardStop.cancel()
            Http.HttpServerTerminated
          }
        }
      }
      published(Http.ServerBinding(b.localAddress)(unbindAction, terminateAction), registry.metrics, directory)
    }
  }
}
