/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native

/** What `NativeHttp2` does when the native library cannot be used on this platform (`h2native.fallback`). */
sealed abstract class Fallback(val name: String)

object Fallback {

  /** Fail the bind with the loader's message (the default). */
  case object None extends Fallback("none")

  /** Serve through stock pekko-http (HTTP/2 on), and log one line saying so. */
  case object PekkoHttp extends Fallback("pekko-http")

  def apply(name: String): Fallback = name match {
    case None.name      => None
    case PekkoHttp.name => PekkoHttp
    case other =>
      throw new IllegalArgumentException(
        s"h2native.fallback = '$other': expected '${None.name}' or '${PekkoHttp.name}'"
      )
  }
}
