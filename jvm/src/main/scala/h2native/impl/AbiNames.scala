/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl

import org.apache.pekko.annotation.InternalApi

/** INTERNAL API: readable names for the numbers of the generated [[Abi]]. */
@InternalApi
object AbiNames {

  /** RFC 9113 section 7 name of an error code, or its hex value. */
  def error(code: Int): String =
    if (code >= 0 && code < Abi.ERROR_NAMES.length) Abi.ERROR_NAMES(code) else f"0x$code%x"

  /** The setting a LIMIT event's number is named after. */
  def limit(number: Int): String =
    if (number > 0 && number < Abi.LIMIT_NAMES.length) Abi.LIMIT_NAMES(number) else s"limit $number"

  /** Whether a LIMIT answered one stream only (431, REFUSED_STREAM); the others end the connection. */
  def limitPerStream(number: Int): Boolean =
    number > 0 && number < Abi.LIMIT_PER_STREAM.length && Abi.LIMIT_PER_STREAM(number)

  /** The LIMIT number of the setting `name`. */
  def limitNumber(name: String): Int = Abi.LIMIT_NAMES.indexOf(name)
}
