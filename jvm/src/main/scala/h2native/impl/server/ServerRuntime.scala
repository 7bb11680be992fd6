/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl.server

import scala.concurrent.duration._
import scala.concurrent.{Future, Promise}

import org.apache.pekko.Done
import org.apache.pekko.actor.ClassicActorSystemProvider
import org.apache.pekko.annotation.InternalApi
import org.apache.pekko.event.Logging
import org.apache.pekko.http.scaladsl.Http
import org.apache.pekko.http.scaladsl.model.{HttpRequest, HttpResponse}
import org.apache.pekko.io.Inet
import org.apache.pekko.io.Tcp.SO
import org.apache.pekko.stream.scaladsl.{Flow, Keep, Sink, Tcp}
import org.apache.pekko.stream.{KillSwitches, Materializer}
import org.apache.pekko.util.ByteString

import h2native.ServerSettings
import h2native.impl.NativeLibrary

/** INTERNAL API: binds a TCP port and runs one [[Http2ServerStage]] per accepted connection (h2c, prior knowledge). */
@InternalApi
private[h2native] object ServerRuntime {

  def bind(interface: String, port: Int, settings: ServerSettings, handler: HttpRequest => Future[HttpResponse])(
      implicit provider: ClassicActorSystemProvider
  ): Future[Http.ServerBinding] = {
    NativeLibrary.ensureLoaded()
    val system = provider.classicSystem
    implicit val mat: Materializer = Materializer(system)
    import system.dispatcher
    val log = Logging(system, classOf[Http2ServerStage])
    val registry = new ConnectionRegistry
    val killSwitch = KillSwitches.shared(s"h2native-$interface-$port")
    val allDone = Promise[Done]()
    val options: List[Inet.SocketOption] = List(SO.TcpNoDelay(settings.tcpNoDelay))

    val (bound, finished) = Tcp(system)
      .bind(interface, port, settings.backlog, options, halfClose = false, idleTimeout = settings.idleTimeout)
      .mapAsyncUnordered(settings.maxConnections) { connection =>
        val stage = new Http2ServerStage(settings, handler, Some(connection.remoteAddress), registry)
        connection.flow
          .via(killSwitch.flow[ByteString])
          .joinMat(Flow.fromGraph(stage).watchTermination()(Keep.right))(Keep.right)
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
      log.info("h2native: serving HTTP/2 (h2c) on {} with the native engine", b.localAddress)
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
      Http.ServerBinding(b.localAddress)(unbindAction, terminateAction)
    }
  }
}
