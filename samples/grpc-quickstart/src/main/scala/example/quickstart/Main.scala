package example.quickstart

import scala.concurrent.{Await, Future}
import scala.concurrent.duration._

import org.apache.pekko.actor.ActorSystem
import org.apache.pekko.grpc.GrpcClientSettings

import h2native.scaladsl.NativeHttp2

class GreeterImpl extends Greeter {
  override def sayHello(in: HelloRequest): Future[HelloReply] = Future.successful(HelloReply(s"Hello, ${in.name}"))
}

/**
 * `sbt run` serves the Greeter on 127.0.0.1:8080 until stopped; `sbt "run --self-test"` serves it on a free port, calls
 * it once with the generated client, prints the reply and exits.
 */
object Main {
  def main(args: Array[String]): Unit = {
    implicit val system: ActorSystem = ActorSystem("grpc-quickstart")
    val selfTest = args.contains("--self-test")
    val port = if (selfTest) 0 else 8080
    val handler = GreeterHandler(new GreeterImpl)

    val bound = NativeHttp2(system).newServerAt("127.0.0.1", port).bind(handler)
    val binding = Await.result(bound, 30.seconds)
    println(s"Greeter on h2native at ${binding.localAddress}")

    if (selfTest) {
      val client = GreeterClient(
        GrpcClientSettings.connectToServiceAt("127.0.0.1", binding.localAddress.getPort).withTls(false)
      )
      try println(s"reply: ${Await.result(client.sayHello(HelloRequest("h2native")), 30.seconds).message}")
      finally {
        Await.result(client.close(), 30.seconds)
        Await.result(binding.terminate(5.seconds), 30.seconds)
        Await.result(system.terminate(), 30.seconds)
      }
    }
  }
}
