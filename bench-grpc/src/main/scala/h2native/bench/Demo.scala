/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.bench

import scala.concurrent.Future

import org.apache.pekko.actor.ActorSystem
import org.apache.pekko.grpc.GrpcClientSettings

import bench.complex
import bench.string100b

/** One call of each scenario through a real pekko-grpc client, checked against the echo contract. */
object Demo {
  val complexHello: complex.Hello = complex.Hello(
    name = "h2native",
    d = 1.5,
    f = 2.5f,
    b = true,
    n = 42,
    l = 1L << 40,
    choice = complex.Hello.Choice.C1("choice"),
    pets = Seq(complex.Pet("rex", complex.Pet.Color.RED), complex.Pet("tom", complex.Pet.Color.GREEN))
  )

  val stringHello: string100b.Hello = string100b.Hello(name = "x" * 100)

  def roundTrip(host: String, port: Int)(implicit system: ActorSystem): Future[Boolean] = {
    import system.dispatcher
    val settings = GrpcClientSettings.connectToServiceAt(host, port).withTls(false)
    val complexClient = complex.GreeterClient(settings)
    val stringClient = string100b.GreeterClient(settings)
    val calls = for {
      c <- complexClient.sayHello(complex.HelloRequest(Some(complexHello)))
      s <- stringClient.sayHello(string100b.HelloRequest(Some(stringHello)))
    } yield c.response.contains(complexHello) && s.response.contains(stringHello)
    calls.andThen { case _ => complexClient.close(); stringClient.close() }
  }
}
