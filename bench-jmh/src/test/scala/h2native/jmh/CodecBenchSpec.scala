/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.jmh

import scala.jdk.CollectionConverters._

import org.apache.pekko.http.impl.engine.http2.PekkoHttpCodec
import org.apache.pekko.util.ByteString
import org.scalatest.matchers.should.Matchers
import org.scalatest.wordspec.AnyWordSpec

/** The benchmark's three paths do the same work, and keep doing it past the flow-control windows. */
class CodecBenchSpec extends AnyWordSpec with Matchers {
  import UnaryGrpc._

  /** (type, flags, stream id, payload length) of every frame in `bytes` but WINDOW_UPDATEs (credit for requests). */
  private def frames(bytes: ByteString): List[(Int, Int, Int, Int)] = allFrames(bytes).filterNot(_._1 == WindowUpdate)

  private def allFrames(bytes: ByteString): List[(Int, Int, Int, Int)] =
    if (bytes.isEmpty) Nil
    else {
      val len = ((bytes(0) & 0xff) << 16) | ((bytes(1) & 0xff) << 8) | (bytes(2) & 0xff)
      val id = bytes.slice(5, 9).iterator.foldLeft(0)((a, b) => (a << 8) | (b & 0xff)) & 0x7fffffff
      (bytes(3) & 0xff, bytes(4) & 0xff, id, len) :: allFrames(bytes.drop(9 + len))
    }

  "The codec benchmark's paths" should {
    "decode the same request headers and body" in {
      val h2 = new H2nativeCodec(CodecBenchSpec.blackhole)
      val netty = new NettyCodec
      val pekko = new PekkoHttpCodec
      try {
        h2.fields shouldBe requestHeaders
        h2.lastBodyLength shouldBe UnaryGrpc.message.length
        netty
          .inbound()
          .iterator
          .asScala
          .map(e => e.getKey.toString -> e.getValue.toString)
          .toList shouldBe requestHeaders
        netty.lastBodyLength shouldBe UnaryGrpc.message.length
        pekko.inbound() shouldBe requestHeaders
        pekko.lastBodyLength shouldBe UnaryGrpc.message.length
      } finally { h2.close(); netty.close() }
    }

    "write HEADERS, DATA and trailing HEADERS for an exchange, for 30,000 exchanges (past every window)" in {
      val h2 = new H2nativeCodec(CodecBenchSpec.blackhole)
      val netty = new NettyCodec
      val pekko = new PekkoHttpCodec
      try {
        for (i <- 1 to 30000) {
          if (i % 2 == 0) h2.inbound() else frames(h2.exchange()) should have size 3
          netty.exchange() should be > UnaryGrpc.message.length
          pekko.exchange()
        }
        for (out <- Seq(h2.exchange(), pekko.exchange())) {
          val fs = frames(out)
          fs.map(f => (f._1, f._2 & EndStream)) shouldBe List((Headers, 0), (Data, 0), (Headers, EndStream))
          fs(1)._4 shouldBe UnaryGrpc.message.length
          fs.map(_._3).distinct should have size 1
        }
        h2.fields shouldBe requestHeaders
      } finally { h2.close(); netty.close() }
    }

    "write a response on every stream of a batch, for 500 batches (past every window)" in {
      val h2 = new H2nativeCodec(CodecBenchSpec.blackhole)
      val netty = new NettyCodec
      val pekko = new PekkoHttpCodec
      try {
        var ids = Set.empty[Int]
        for (_ <- 1 to 500) {
          h2.openStreams()
          for (_ <- 1 to OutboundBatch) {
            val fs = frames(h2.respond())
            fs.map(f => (f._1, f._2 & EndStream)) shouldBe List((Headers, 0), (Data, 0), (Headers, EndStream))
            fs(1)._4 shouldBe UnaryGrpc.message.length
            fs.map(_._3).distinct should have size 1
            ids += fs.head._3
            netty.outbound() should be > UnaryGrpc.message.length
            frames(pekko.outbound()).map(_._1) shouldBe List(Headers, Data, Headers)
          }
          an[IllegalStateException] should be thrownBy h2.respond()
        }
        ids should have size 500L * OutboundBatch
      } finally { h2.close(); netty.close() }
    }
  }

  "The crossing benchmark" should {
    "make a real JNI call and apply empty batches on a connection that stays open" in {
      val bench = new CrossingBench
      bench.setup()
      try {
        bench.jniCall() shouldBe h2native.impl.NativeLibrary.AbiVersion
        (1 to 100000).foreach(_ => bench.emptyBatch() shouldBe 0)
        bench.connection.isClosed shouldBe false
        bench.connection.hasOutput shouldBe false
      } finally bench.tearDown()
    }
  }
}

object CodecBenchSpec {

  /** A Blackhole outside a JMH run (JMH asks for this sentence to confirm it is not used in a benchmark). */
  val blackhole = new org.openjdk.jmh.infra.Blackhole(
    "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous."
  )
}
