/*
 * Licensed under the Apache License, Version 2.0.
 */
package h2native.impl.server

import java.lang.management.ManagementFactory
import java.net.InetSocketAddress
import java.util.concurrent.ConcurrentHashMap
import javax.management.ObjectName

import scala.util.control.NonFatal

import org.apache.pekko.annotation.InternalApi
import org.apache.pekko.event.LoggingAdapter

import h2native.ServerMetrics

/** INTERNAL API: the bound servers of one actor system and their metrics, also published over JMX. */
@InternalApi
final private[h2native] class ServerDirectory(log: LoggingAdapter) {
  private val servers = new ConcurrentHashMap[InetSocketAddress, ServerMetrics]

  def metrics(address: InetSocketAddress): Option[ServerMetrics] = Option(servers.get(address))

  def add(address: InetSocketAddress, metrics: ServerMetrics): Unit = {
    servers.put(address, metrics)
    try ManagementFactory.getPlatformMBeanServer.registerMBean(metrics, ServerDirectory.objectName(address))
    catch { case NonFatal(e) => log.warning("h2native: metrics of {} not published over JMX: {}", address, e) }
  }

  def remove(address: InetSocketAddress): Unit =
    if (servers.remove(address) ne null)
      try ManagementFactory.getPlatformMBeanServer.unregisterMBean(ServerDirectory.objectName(address))
      catch { case NonFatal(_) => () }
}

@InternalApi
private[h2native] object ServerDirectory {
  def objectName(address: InetSocketAddress): ObjectName =
    new ObjectName(
      s"h2native:type=Server,address=${ObjectName.quote(s"${address.getAddress.getHostAddress}:${address.getPort}")}"
    )
}
