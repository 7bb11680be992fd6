/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl

import java.net.{URL, URLClassLoader}
import java.nio.ByteBuffer
import java.nio.charset.StandardCharsets
import java.nio.file.Files

import org.scalatest.matchers.should.Matchers
import org.scalatest.wordspec.AnyWordSpec

class NativeLibrarySpec extends AnyWordSpec with Matchers {

  /** FNV-1a 64 computed on the JVM side, to compare with the native one. */
  private def fnv1a(bytes: Array[Byte]): Long =
    bytes.foldLeft(0xcbf29ce484222325L)((h, b) => (h ^ (b & 0xff)) * 0x100000001b3L)

  "The native library" should {
    "load from the jar resources for this platform and report the expected ABI version" in {
      NativeLibrary.ensureLoaded()
      NativeBindings.abiVersion() shouldBe NativeLibrary.AbiVersion
    }

    "compute over the bytes of a direct ByteBuffer, the same value as the JVM" in {
      NativeLibrary.ensureLoaded()
      val text = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII)
      val buf = ByteBuffer.allocateDirect(text.length + 8)
      buf.position(4)
      buf.put(text)
      NativeBindings.fnv1a(buf, 4, text.length) shouldBe fnv1a(text)
      NativeBindings.fnv1a(buf, 4, 0) shouldBe fnv1a(Array.emptyByteArray)
      val random = Array.tabulate[Byte](100000)(i => (i * 31 + i / 7).toByte)
      val big = ByteBuffer.allocateDirect(random.length).put(random)
      NativeBindings.fnv1a(big, 0, random.length) shouldBe fnv1a(random)
    }

    "reject a heap buffer and out-of-range arguments with a clear exception, not a crash" in {
      NativeLibrary.ensureLoaded()
      val heap = intercept[IllegalArgumentException](NativeBindings.fnv1a(ByteBuffer.allocate(8), 0, 8))
      heap.getMessage should include("not a direct ByteBuffer")
      val direct = ByteBuffer.allocateDirect(8)
      intercept[IllegalArgumentException](NativeBindings.fnv1a(direct, 4, 5)).getMessage should include("outside")
      intercept[IllegalArgumentException](NativeBindings.fnv1a(direct, -1, 2)).getMessage should include("negative")
      intercept[IllegalArgumentException](NativeBindings.fnv1a(null, 0, 0)).getMessage should include("null")
    }
  }

  "The loader" should {
    "name the platforms it supports" in {
      NativeLibrary.platformOf("Linux", "amd64") shouldBe "linux-x86_64"
      NativeLibrary.platformOf("Mac OS X", "aarch64") shouldBe "macos-aarch64"
      NativeLibrary.platformOf("Windows 11", "x86_64") shouldBe "windows-x86_64"
      NativeLibrary.resourcePath("linux-x86_64") shouldBe "native/linux-x86_64/libh2native.so"
      NativeLibrary.SupportedPlatforms should contain(NativeLibrary.currentPlatform)
    }

    "fail with the platform and the supported list when the jar has no library for it" in {
      val error = NativeLibrary.load("freebsd-riscv64", getClass.getClassLoader).swap.toOption.get
      error.getMessage should (include("freebsd-riscv64") and include("linux-x86_64") and include(
        "native/freebsd-riscv64/libh2native.so"
      ))
    }

    "fail clearly when the library resource is corrupt" in {
      // A class path whose native/linux-x86_64/libh2native.so is not a shared object at all.
      val dir = Files.createTempDirectory("h2native-corrupt")
      val lib = dir.resolve(NativeLibrary.resourcePath(NativeLibrary.currentPlatform))
      Files.createDirectories(lib.getParent)
      Files.write(lib, "this is not an ELF file".getBytes(StandardCharsets.US_ASCII))
      val loader = new URLClassLoader(Array[URL](dir.toUri.toURL), null)
      val error = NativeLibrary.load(NativeLibrary.currentPlatform, loader).swap.toOption.get
      error.getMessage should (include(NativeLibrary.currentPlatform) and include("System.load failed"))
      error.getCause shouldBe an[UnsatisfiedLinkError]
    }

    "refuse a library whose ABI version differs from the jar's" in {
      NativeLibrary.ensureLoaded()
      val error = NativeLibrary.verifyAbi(NativeLibrary.AbiVersion + 1).swap.toOption.get
      error.getMessage should (include("ABI version mismatch") and include(
        s"speaks version ${NativeLibrary.AbiVersion}"
      ) and include(s"expects ${NativeLibrary.AbiVersion + 1}"))
      NativeLibrary.verifyAbi(NativeLibrary.AbiVersion) shouldBe Right(NativeLibrary.AbiVersion)
    }
  }
}
