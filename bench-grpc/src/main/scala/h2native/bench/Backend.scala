/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.bench

import _root_.h2native.scaladsl.NativeHttp2

import scala.concurrent.Future

import org.apache.pekko.actor.ActorSystem
import org.apache.pekko.http.scaladsl.Http
import org.apache.pekko.http.scaladsl.model.{HttpRequest, HttpResponse}

/** The servers the benchmark compares. Each runs in its own JVM (see [[ServerJvm]]), one per process. */
sealed abstract class Backend(val name: String, val description: String) {
  override def toString: String = name
}

object Backend {
  case object H2Native extends Backend("h2native", "the pekko-grpc handler on h2native's NativeHttp2")
  case object PekkoHttp extends Backend("pekko-http", "the pekko-grpc handler on stock pekko-http")
  case object GrpcJava
      extends Backend("grpc-java", s"a generated grpc-java service on Netty (grpc-java ${GrpcJavaServer.version})")

  /** In the order of the reports: h2native first, then its two peers. */
  val all: Seq[Backend] = Seq(H2Native, PekkoHttp, GrpcJava)

  def byName(name: String): Option[Backend] = all.find(_.name == name)

  /** Why a backend cannot run in this build, if it cannot. */
  def notBuilt(backend: Backend): Option[String] = backend match {
    case H2Native if PekkoBinders.h2native.isEmpty =>
      Some("not built yet: h2native.scaladsl.NativeHttp2 does not exist (issue 6); see PekkoBinders.h2native")
    case _ => None
  }

  def built: Seq[Backend] = all.filter(notBuilt(_).isEmpty)
}

/** Binds an HTTP handler (pekko-grpc's) at host and port, in a given actor system. */
final case class HandlerBinder(
    bind: (ActorSystem, String, Int, HttpRequest => Future[HttpResponse]) => Future[Http.ServerBinding]
)

object PekkoBinders {

  val pekkoHttp: HandlerBinder =
    HandlerBinder((system, host, port, handler) => Http()(system).newServerAt(host, port).bind(handler))

  /** h2native: the same handler on the native HTTP/2 engine. */
  val h2native: Option[HandlerBinder] = Some(
    HandlerBinder((system, host, port, handler) => NativeHttp2(system).newServerAt(host, port).bind(handler))
  )
}
