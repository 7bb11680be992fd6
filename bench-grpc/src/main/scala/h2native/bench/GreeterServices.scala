/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.bench

import scala.concurrent.Future

import org.apache.pekko.actor.ClassicActorSystemProvider
import org.apache.pekko.grpc.scaladsl.ServiceHandler
import org.apache.pekko.http.scaladsl.model.{HttpRequest, HttpResponse}

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
}
