/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.bench

import java.io.File
import java.nio.ByteBuffer
import java.nio.file.Files

import bench.complex
import bench.string100b

/**
 * The scenarios' messages as gRPC frames (uncompressed flag, length, protobuf), for load generators that do not speak
 * protobuf (h2native-load): the request ghz sends from `payloads/<scenario>.json`, and the reply the Greeter echoes.
 */
object Payloads {
  val complexHello: complex.Hello = complex.Hello(
    name = "h2native bench",
    d = 3.14159,
    f = 2.71828f,
    b = true,
    n = 42,
    l = 123456789012L,
    choice = complex.Hello.Choice.C1("first choice"),
    pets =
      Seq(complex.Pet("Rex the dog", complex.Pet.Color.BLACK), complex.Pet("Tom the cat", complex.Pet.Color.YELLOW))
  )

  val stringHello: string100b.Hello =
    string100b.Hello(name =
      "An HTTP/2 engine in Rust serves this gRPC call through JNI; the reply echoes exactly these 100 bytes"
    )

  /** (request, expected response) of a scenario, each a whole gRPC message frame. */
  def frames(scenario: String): (Array[Byte], Array[Byte]) = scenario match {
    case "complex_proto" =>
      (
        frame(complex.HelloRequest(Some(complexHello)).toByteArray),
        frame(complex.HelloReply(Some(complexHello)).toByteArray)
      )
    case "string_100B" =>
      (
        frame(string100b.HelloRequest(Some(stringHello)).toByteArray),
        frame(string100b.HelloReply(Some(stringHello)).toByteArray)
      )
    case other => throw new IllegalArgumentException(s"unknown scenario $other")
  }

  def frame(message: Array[Byte]): Array[Byte] =
    ByteBuffer.allocate(5 + message.length).put(0.toByte).putInt(message.length).put(message).array()

  /** Writes `<scenario>.request.bin` and `<scenario>.response.bin` into `dir`; returns their files. */
  def write(scenario: String, dir: File): (File, File) = {
    dir.mkdirs()
    val (req, resp) = frames(scenario)
    val (a, b) = (new File(dir, s"$scenario.request.bin"), new File(dir, s"$scenario.response.bin"))
    Files.write(a.toPath, req)
    Files.write(b.toPath, resp)
    (a, b)
  }
}
