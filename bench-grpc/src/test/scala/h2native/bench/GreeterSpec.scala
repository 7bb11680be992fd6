/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.bench

import scala.concurrent.Await
import scala.concurrent.duration._

import org.apache.pekko.actor.ActorSystem
import org.apache.pekko.http.scaladsl.Http
import org.scalatest.BeforeAndAfterAll
import org.scalatest.matchers.should.Matchers
import org.scalatest.wordspec.AnyWordSpec

class GreeterSpec extends AnyWordSpec with Matchers with BeforeAndAfterAll {
  implicit val system: ActorSystem = ActorSystem("GreeterSpec")

  override def afterAll(): Unit = Await.result(system.terminate(), 30.seconds)

  "The bench Greeter on stock pekko-http" should {
    "echo both scenarios' messages to a real pekko-grpc client over HTTP/2" in {
      val binding = Await.result(Http().newServerAt("127.0.0.1", 0).bind(GreeterServices.handler), 30.seconds)
      try Await.result(Demo.roundTrip("127.0.0.1", binding.localAddress.getPort), 30.seconds) shouldBe true
      finally Await.result(binding.unbind(), 30.seconds)
    }
  }
}
