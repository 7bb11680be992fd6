"""Many HTTP/2 client connections from one process, for the server's memory tests (ConnectionMemorySpec).

Out of the server's JVM so that its heap and native memory are the server's alone. Raw frames, no
library: the preface, an empty SETTINGS and its ACK, and (with --streams) HEADERS of literal fields
without END_STREAM, then (with --body) DATA without END_STREAM. Raises its own file descriptor limit
to the hard limit.

Commands on stdin, one per line; each answers one line on stdout:
  open N STREAMS BODY   opens N connections, each with STREAMS streams carrying BODY octets of DATA
                        -> "opened N served S" (served: the server's SETTINGS arrived within 10 s)
  served                -> "served S": connections whose server SETTINGS has arrived by now
  close N               closes the N oldest open connections -> "closed N"
  exit
"""
import asyncio
import resource
import struct
import sys

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def literal(name, value):
    # RFC 7541 6.2.2, literal without indexing, new name; lengths below 127
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


def request(path):
    fields = [(b":method", b"POST"), (b":scheme", b"http"), (b":path", path), (b":authority", b"127.0.0.1")]
    return b"".join(literal(n, v) for n, v in fields)


class Client:
    def __init__(self):
        self.reader = None
        self.writer = None
        self.served = asyncio.Event()
        self.task = None

    async def open(self, port, streams, body):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        out = PREFACE + frame(0x4, 0, 0) + frame(0x4, 0x1, 0)
        for i in range(streams):
            sid = 2 * i + 1
            out += frame(0x1, 0x4, sid, request(b"/hold"))
            left = body
            while left > 0:
                n = min(left, 16384)
                out += frame(0x0, 0, sid, b"x" * n)
                left -= n
        self.writer.write(out)
        await self.writer.drain()
        self.task = asyncio.ensure_future(self.read())

    async def read(self):
        try:
            while True:
                head = await self.reader.readexactly(9)
                length = int.from_bytes(head[:3], "big")
                await self.reader.readexactly(length)
                if head[3] == 0x4 and head[4] & 0x1 == 0:
                    self.served.set()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass

    def close(self):
        if self.task:
            self.task.cancel()
        if self.writer:
            self.writer.close()


async def main(port):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    clients = []
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        words = line.split()
        if not words or words[0] == "exit":
            break
        if words[0] == "open":
            n, streams, body = int(words[1]), int(words[2]), int(words[3])
            batch = [Client() for _ in range(n)]
            # connect in waves: a connect beyond the server's accept backlog waits for it (SYN retries)
            opening = [asyncio.ensure_future(c.open(port, streams, body)) for c in batch]
            await asyncio.wait(opening, timeout=10)
            clients.extend(batch)
            waits = [asyncio.ensure_future(c.served.wait()) for c in batch]
            await asyncio.wait(waits, timeout=10)
            served = sum(1 for c in batch if c.served.is_set())
            print(f"opened {n} served {served}", flush=True)
        elif words[0] == "served":
            print(f"served {sum(1 for c in clients if c.served.is_set())}", flush=True)
        elif words[0] == "close":
            n = int(words[1])
            for c in clients[:n]:
                c.close()
            del clients[:n]
            await asyncio.sleep(0.5)
            print(f"closed {n}", flush=True)
    for c in clients:
        c.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
