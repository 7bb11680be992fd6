/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl

import java.nio.{ByteBuffer, ByteOrder}

import org.scalatest.matchers.should.Matchers
import org.scalatest.wordspec.AnyWordSpec

/**
 * Copy-vs-pin for inbound bytes: (a) copy the heap array into a reused direct buffer and call `feed`, (b) pin the heap
 * array with `feedArray`. The input is an incomplete frame (a 16384-octet DATA header and part of its payload), so the
 * codec returns at once and the figures are the boundary's own cost. Ratios only; printed with `info`.
 */
class FeedPathBench extends AnyWordSpec with Matchers {
  "Feeding heap bytes" should {
    "be measured both ways (copy into a direct buffer vs pin the array)" in {
      NativeLibrary.ensureLoaded()
      val h = NativeBindings.open(true, null)
      val io = ByteBuffer.allocateDirect(64 << 10).order(ByteOrder.LITTLE_ENDIAN)
      val ioAddr = NativeBindings.address(io)
      val preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes("US-ASCII") ++ Array[Byte](0, 0, 0, 4, 0, 0, 0, 0, 0)
      NativeBindings.feedArray(h, 0, preface, 0, preface.length, ioAddr, io.capacity) shouldBe 0
      val direct = ByteBuffer.allocateDirect(16 << 10)
      val dAddr = NativeBindings.address(direct)
      def chunk(n: Int): Array[Byte] = {
        val a = new Array[Byte](n)
        a(0) = 0; a(1) = 0x40; a(2) = 0; a(3) = 0; a(8) = 1 // DATA, length 16384, stream 1: never complete
        a
      }
      def run(a: Array[Byte], pin: Boolean, iterations: Int): Double = {
        val t0 = System.nanoTime()
        var i = 0
        while (i < iterations) {
          if (pin) NativeBindings.feedArray(h, 0, a, 0, a.length, ioAddr, io.capacity)
          else {
            direct.clear(); direct.put(a, 0, a.length)
            NativeBindings.feed(h, 0, dAddr, a.length, ioAddr, io.capacity)
          }
          i += 1
        }
        (System.nanoTime() - t0).toDouble / iterations
      }
      for ((size, n) <- Seq(16383 -> 200000, 4096 -> 500000, 1024 -> 1000000, 200 -> 2000000)) {
        val a = chunk(size)
        (0 until 3).foreach { _ => run(a, pin = true, n / 4); run(a, pin = false, n / 4) }
        val rounds = (0 until 5).map(_ => (run(a, pin = false, n), run(a, pin = true, n)))
        val copy = rounds.map(_._1).sorted.apply(2)
        val pin = rounds.map(_._2).sorted.apply(2)
        info(f"$size%5d octets: copy+feed $copy%.0f ns, pin (feedArray) $pin%.0f ns, copy/pin ${copy / pin}%.2f")
      }
      NativeBindings.close(h) shouldBe true
    }
  }
}
