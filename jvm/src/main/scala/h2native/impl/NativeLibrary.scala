/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl

import java.io.InputStream
import java.nio.file.attribute.PosixFilePermissions
import java.nio.file.{Files, Path, StandardCopyOption}
import java.util.Locale

import scala.util.control.NonFatal

import org.apache.pekko.annotation.InternalApi

/** Thrown when libh2native cannot be used on this JVM; the message says which platform and why. */
final class NativeLibraryException(message: String, cause: Throwable = null) extends RuntimeException(message, cause)

/**
 * INTERNAL API
 *
 * Finds libh2native for the running platform in the jar (`native/<os>-<arch>/`), extracts it once to a private
 * temporary file, loads it and checks that it speaks the ABI version this jar expects.
 */
@InternalApi
private[h2native] object NativeLibrary {

  /** Must equal the library's `ABI_VERSION`: the flat event/command format both sides speak (generated `Abi`). */
  final val AbiVersion = Abi.ABI_VERSION

  /** Platforms whose library this jar carries (the sbt build puts each under native/<platform>/). */
  val SupportedPlatforms: List[String] = List("linux-x86_64")

  def currentPlatform: String = platformOf(System.getProperty("os.name", ""), System.getProperty("os.arch", ""))

  def platformOf(osName: String, osArch: String): String = {
    val name = osName.toLowerCase(Locale.ROOT)
    val os =
      if (name.startsWith("linux")) "linux"
      else if (name.startsWith("mac")) "macos"
      else if (name.startsWith("windows")) "windows"
      else name.replaceAll("\\W", "")
    val arch = osArch.toLowerCase(Locale.ROOT) match {
      case "amd64" | "x86_64"  => "x86_64"
      case "aarch64" | "arm64" => "aarch64"
      case other               => other
    }
    s"$os-$arch"
  }

  def resourcePath(platform: String): String = {
    val file = platform.takeWhile(_ != '-') match {
      case "macos"   => "libh2native.dylib"
      case "windows" => "h2native.dll"
      case _         => "libh2native.so"
    }
    s"native/$platform/$file"
  }

  private lazy val loaded: Either[NativeLibraryException, Path] =
    load(currentPlatform, getClass.getClassLoader).flatMap(path => verifyAbi(AbiVersion).map(_ => path))

  /** Loads the library once per JVM; throws [[NativeLibraryException]] with the reason if it cannot. */
  def ensureLoaded(): Unit = loaded.fold(e => throw e, _ => ())

  def isAvailable: Boolean = loaded.isRight

  /** Loads the library once per JVM; the reason if it cannot be used. */
  def availability: Either[NativeLibraryException, Unit] = loaded.map(_ => ())

  /** Extracts the resource of `platform` from `classLoader` to a private temporary file and loads it. */
  def load(platform: String, classLoader: ClassLoader): Either[NativeLibraryException, Path] = {
    val resource = resourcePath(platform)
    def fail(reason: String, cause: Throwable = null) =
      Left(
        new NativeLibraryException(s"h2native: cannot load the native library for platform $platform: $reason", cause)
      )
    Option(classLoader.getResourceAsStream(resource)) match {
      case None =>
        fail(
          s"the jar has no '$resource' (this h2native jar supports ${SupportedPlatforms.mkString(", ")}; " +
            "set h2native.fallback = pekko-http to serve through stock pekko-http instead)"
        )
      case Some(in) =>
        try {
          val file = extract(in)
          System.load(file.toString)
          Right(file)
        } catch {
          case e: UnsatisfiedLinkError => fail(s"System.load failed: ${e.getMessage}", e)
          case NonFatal(e)             => fail(s"extracting '$resource' failed: $e", e)
        } finally in.close()
    }
  }

  /** Asks the loaded library for its ABI version and compares it with `expected`. */
  def verifyAbi(expected: Int): Either[NativeLibraryException, Int] = {
    val reported =
      try Right(NativeBindings.abiVersion())
      catch {
        case e: UnsatisfiedLinkError =>
          Left(new NativeLibraryException(s"h2native: the native library did not register its methods: $e", e))
      }
    reported.flatMap { version =>
      if (version == expected) Right(version)
      else
        Left(
          new NativeLibraryException(
            s"h2native: ABI version mismatch on $currentPlatform: the native library speaks version $version " +
              s"but this jar expects $expected. The jar and its native library come from different builds; " +
              "rebuild or use one h2native artifact."
          )
        )
    }
  }

  private def extract(in: InputStream): Path = {
    // Owner-only permissions: nobody else may swap the library between extraction and load.
    val file = Files.createTempFile(
      "libh2native-",
      ".so",
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))
    )
    file.toFile.deleteOnExit()
    Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING)
    file
  }
}
