/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl

import java.util.concurrent.TimeUnit

import scala.concurrent.duration.FiniteDuration

import com.typesafe.config.Config
import org.apache.pekko.annotation.InternalApi

/**
 * INTERNAL API
 *
 * The engine's configuration: every field of the Rust `Config`, by the names of `Abi.CONFIG_NAMES` (generated from
 * rust/codec/src/conn/limits.rs), which are the keys under `h2native.server.http2` in reference.conf. Nothing here
 * names a field: a new engine setting needs its Rust definition and its reference.conf line, no code on this side.
 * Crosses to the library as one record (`record`, rust/ffi/JNI.md), built once.
 */
@InternalApi
final class EngineConfig private (values: Array[Long]) {
  import EngineConfig._

  /** The value of the setting `name` (octets, milliseconds or a count, per `Abi.CONFIG_UNITS`). */
  def apply(name: String): Long = values(id(name))

  /** A copy with `name` set; the value must be one the engine field can hold. */
  def updated(name: String, value: Long): EngineConfig = {
    val i = id(name)
    val max = Abi.CONFIG_MAX(i)
    require(value >= 0 && value <= max, s"h2native.server.http2.$name = $value: must be in 0..$max")
    val v = values.clone()
    v(i) = value
    new EngineConfig(v)
  }

  /** Every setting by name, in the engine's order. */
  def toMap: Map[String, Long] = Abi.CONFIG_NAMES.indices.map(i => Abi.CONFIG_NAMES(i) -> values(i)).toMap

  /** `[version, id, value, ...]` for `NativeBindings.open`: every field, so that the JVM's values are the ones used. */
  lazy val record: Array[Long] = {
    val r = new Array[Long](1 + 2 * values.length)
    r(0) = Abi.CONFIG_RECORD_VERSION
    var i = 0
    while (i < values.length) { r(1 + 2 * i) = i; r(2 + 2 * i) = values(i); i += 1 }
    r
  }

  override def equals(other: Any): Boolean = other match {
    case o: EngineConfig => java.util.Arrays.equals(values, o.valuesArray)
    case _               => false
  }
  override def hashCode: Int = java.util.Arrays.hashCode(values)
  override def toString: String = toMap.toSeq.sortBy(kv => id(kv._1)).map { case (k, v) => s"$k=$v" }.mkString(", ")

  private def valuesArray: Array[Long] = values
}

/** INTERNAL API */
@InternalApi
object EngineConfig {

  /** The engine's own defaults. */
  val Defaults: EngineConfig = new EngineConfig(Abi.CONFIG_DEFAULTS.clone())

  private val ids: Map[String, Int] = Abi.CONFIG_NAMES.indices.map(i => Abi.CONFIG_NAMES(i) -> i).toMap

  private def id(name: String): Int =
    ids.getOrElse(
      name,
      throw new IllegalArgumentException(
        s"unknown engine setting '$name' (h2native.server.http2: ${Abi.CONFIG_NAMES.mkString(", ")})"
      )
    )

  /**
   * From a `h2native.server.http2` section: each engine setting present there, read by its unit (a size, a duration or
   * a number), the engine's default for one that is absent (reference.conf lists all but `idle-timeout`, which the
   * server's own `idle-timeout` replaces).
   */
  def fromConfig(c: Config): EngineConfig =
    Abi.CONFIG_NAMES.indices.foldLeft(Defaults) { (acc, i) =>
      val name = Abi.CONFIG_NAMES(i)
      if (!c.hasPath(name)) acc
      else {
        val v = Abi.CONFIG_UNITS(i) match {
          case "octets" => c.getBytes(name).longValue
          case "millis" => c.getDuration(name, TimeUnit.MILLISECONDS)
          case _        => c.getLong(name)
        }
        acc.updated(name, v)
      }
    }

  /** `value` in the unit of setting `name`: milliseconds for a duration. */
  def millis(d: FiniteDuration): Long = d.toMillis
}
