/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.bench

import java.util.concurrent.ConcurrentLinkedQueue

import scala.concurrent.Future
import scala.concurrent.duration._

import io.grpc.Status
import org.apache.pekko.{Done, NotUsed}
import org.apache.pekko.actor.ActorSystem
import org.apache.pekko.grpc.GrpcServiceException
import org.apache.pekko.pattern.after
import org.apache.pekko.stream.scaladsl.{Sink, Source}

import h2native.test.echo.{Echo, EchoReply, EchoRequest}

/** The test service of echo.proto: the four call shapes, an error, a slow answer. */
final class EchoService(implicit system: ActorSystem) extends Echo {
  import system.dispatcher

  /** How each server stream ended (completed, or cancelled by the client), in call order. */
  val serverStreamEnds = new ConcurrentLinkedQueue[Future[Done]]()

  override def unary(in: EchoRequest): Future[EchoReply] =
    if (in.fail)
      Future.failed(new GrpcServiceException(Status.INVALID_ARGUMENT.withDescription(s"bad text: ${in.text}")))
    else if (in.delayMs > 0) after(in.delayMs.millis)(Future.successful(EchoReply(in.text)))
    else Future.successful(EchoReply(in.text))

  override def serverStream(in: EchoRequest): Source[EchoReply, NotUsed] = {
    val replies = Source(1 to in.count).map(i => EchoReply(s"${in.text}-$i", i))
    val paced = if (in.delayMs > 0) replies.throttle(1, in.delayMs.millis) else replies
    paced.watchTermination() { (mat, done) => serverStreamEnds.add(done); mat }
  }

  override def clientStream(in: Source[EchoRequest, NotUsed]): Future[EchoReply] =
    in.runWith(Sink.seq).map(all => EchoReply(all.map(_.text).mkString(","), all.size))

  override def bidi(in: Source[EchoRequest, NotUsed]): Source[EchoReply, NotUsed] =
    in.zipWithIndex.map { case (r, i) => EchoReply(r.text, i.toInt + 1) }
}
