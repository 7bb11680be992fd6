/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.bench

import scala.concurrent.{ExecutionContext, Future}

import org.apache.pekko.actor.ClassicActorSystemProvider
import org.apache.pekko.grpc.scaladsl.ServiceHandler
import org.apache.pekko.http.scaladsl.model.{ContentTypes, HttpEntity, HttpMethods, HttpRequest, HttpResponse}

import bench.complex
import bench.string100b

/** The grpc_bench Greeter: the server echoes `request` into `response`. */
final class ComplexGreeter extends complex.Greeter {
  override def sayHello(in: complex.HelloRequest): Future[complex.HelloReply] =
    Future.successful(complex.HelloReply(in.request))
}

final class String100bGreeter extends string100b.Greeter {
  override def sayHello(in: string100b.HelloRequest): Future[string100b.HelloReply] =
    Future.successful(string100b.HelloReply(in.request))
}

object GreeterServices {

  /** Both scenarios' services in one pekko-grpc handler, as a user would concatenate them. */
  def handler(implicit system: ClassicActorSystemProvider): HttpRequest => Future[HttpResponse] =
    ServiceHandler.concatOrNotFound(
      complex.GreeterHandler.partial(new ComplexGreeter),
      string100b.GreeterHandler.partial(new String100bGreeter)
    )

  /** What `GET /` and `POST /` answer on the benchmark's servers (for h2spec, curl, h2load). */
  val rootBody: String = "h2native bench-grpc: ok\n"

  /**
   * The handler the benchmark's servers run (h2native and pekko-http alike): both Greeters, plus `GET /` and `POST /`
   * (whose request body is read and dropped) answering 200 with [[rootBody]].
   */
  def serverHandler(implicit system: ClassicActorSystemProvider): HttpRequest => Future[HttpResponse] = {
    val handler = ServiceHandler.concatOrNotFound(
      complex.GreeterHandler.partial(new ComplexGreeter),
      string100b.GreeterHandler.partial(new String100bGreeter),
      root
    )
    req => handler(uncompressed(req))
  }

  /**
   * ghz (grpc-go) sends `grpc-accept-encoding: gzip`, and pekko-grpc then gzips every response (a Deflater per call:
   * the largest single cost a profile of the pekko-grpc servers shows), while grpc-java answers uncompressed unless
   * told otherwise. The benchmark compares transports, so all three servers answer uncompressed.
   */
  private def uncompressed(req: HttpRequest): HttpRequest =
    if (req.headers.exists(_.is("grpc-accept-encoding")))
      req.withHeaders(req.headers.filterNot(_.is("grpc-accept-encoding")))
    else req

  private def root(implicit system: ClassicActorSystemProvider): PartialFunction[HttpRequest, Future[HttpResponse]] = {
    case req if req.uri.path.toString == "/" && req.method == HttpMethods.GET =>
      req.discardEntityBytes(system)
      Future.successful(rootResponse)
    case req if req.uri.path.toString == "/" && req.method == HttpMethods.POST =>
      req.discardEntityBytes(system).future.map(_ => rootResponse)(ExecutionContext.parasitic)
  }

  private val rootResponse = HttpResponse(entity = HttpEntity(ContentTypes.`text/plain(UTF-8)`, rootBody))
}
