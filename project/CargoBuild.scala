import java.io.File

import scala.sys.process.Process

import sbt.MessageOnlyException
import sbt.util.Logger

/** Builds libh2native with cargo and runs the Rust checks; the sbt side of the Rust workspace. */
object CargoBuild {

  /** The platform folder name, as the runtime loader (h2native.impl.NativeLibrary) computes it. */
  def platform: String = {
    val os = sys.props("os.name").toLowerCase match {
      case n if n.startsWith("linux")   => "linux"
      case n if n.startsWith("mac")     => "macos"
      case n if n.startsWith("windows") => "windows"
      case n                            => n.replaceAll("\\W", "")
    }
    val arch = sys.props("os.arch") match {
      case "amd64" | "x86_64"  => "x86_64"
      case "aarch64" | "arm64" => "aarch64"
      case a                   => a
    }
    s"$os-$arch"
  }

  def libraryFileName: String = System.mapLibraryName("h2native")

  /** `cargo build --release -p h2native-ffi`; returns the built library. Cargo is incremental. */
  def buildLibrary(root: File, log: Logger): File = {
    cargo(Seq("cargo", "build", "--release", "--locked", "-p", "h2native-ffi"), root, log)
    new File(root, s"target/release/$libraryFileName")
  }

  def cargo(cmd: Seq[String], cwd: File, log: Logger): Unit = {
    log.info(s"running: ${cmd.mkString(" ")}")
    // The runners' own summary lines must reach the console whole: stderr is merged into stdout in the
    // child, so one stream is copied in order (two copied side by side once split a "test result:" line).
    val code = Process(Seq("bash", "-c", "exec \"$@\" 2>&1", cmd.head) ++ cmd, cwd).!
    if (code != 0) throw new MessageOnlyException(s"'${cmd.mkString(" ")}' failed with exit code $code")
  }
}
