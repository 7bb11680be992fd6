"""Calls the Echo service (bench-grpc/src/test/protobuf/echo.proto) with Python's grpcio: every call
shape, an error status, a deadline, a cancellation. Prints "ok <case>" per passing case; exits 1 on
the first failure.

usage: echo_client.py PROTO_DIR WORK_DIR HOST:PORT
"""
import queue
import sys
import threading

from grpc_tools import protoc
import grpc

proto_dir, work_dir, target = sys.argv[1:4]
if protoc.main(["protoc", f"-I{proto_dir}", f"--python_out={work_dir}", f"--grpc_python_out={work_dir}",
                f"{proto_dir}/echo.proto"]) != 0:
    sys.exit("protoc failed")
sys.path.insert(0, work_dir)
import echo_pb2 as pb  # noqa: E402
import echo_pb2_grpc as pb_grpc  # noqa: E402


def check(name, cond, detail=""):
    if not cond:
        print(f"FAILED {name}: {detail}", flush=True)
        sys.exit(1)
    print(f"ok {name}", flush=True)


with grpc.insecure_channel(target) as channel:
    stub = pb_grpc.EchoStub(channel)

    replies = [stub.Unary(pb.EchoRequest(text=f"py{i}"), timeout=10).text for i in range(20)]
    check("unary", replies == [f"py{i}" for i in range(20)], replies)

    got = [(r.text, r.index) for r in stub.ServerStream(pb.EchoRequest(text="s", count=50), timeout=10)]
    check("server_stream", got == [(f"s-{i}", i) for i in range(1, 51)], got[:5])

    texts = [f"c{i}" for i in range(30)] + ["y" * 200000]
    r = stub.ClientStream(iter(pb.EchoRequest(text=t) for t in texts), timeout=10)
    check("client_stream", (r.text, r.index) == (",".join(texts), len(texts)), r.index)

    # Interactive: the next request is only sent after the previous reply arrived.
    outbox = queue.Queue()

    def requests():
        while True:
            item = outbox.get()
            if item is None:
                return
            yield item

    outbox.put(pb.EchoRequest(text="b1"))
    seen = []
    call = stub.Bidi(requests(), timeout=10)
    for reply in call:
        seen.append((reply.text, reply.index))
        if len(seen) < 5:
            outbox.put(pb.EchoRequest(text=f"b{len(seen) + 1}"))
        else:
            outbox.put(None)
    check("bidi", seen == [(f"b{i}", i) for i in range(1, 6)], seen)

    try:
        stub.Unary(pb.EchoRequest(text="nope", fail=True), timeout=10)
        check("error", False, "no error")
    except grpc.RpcError as e:
        check("error", e.code() == grpc.StatusCode.INVALID_ARGUMENT and e.details() == "bad text: nope",
              (e.code(), e.details()))

    try:
        stub.Unary(pb.EchoRequest(text="late", delay_ms=3000), timeout=0.3)
        check("deadline", False, "no deadline")
    except grpc.RpcError as e:
        check("deadline", e.code() == grpc.StatusCode.DEADLINE_EXCEEDED, e.code())

    stream = stub.ServerStream(pb.EchoRequest(text="slow", count=10000, delay_ms=20), timeout=30)
    first = [next(stream).index for _ in range(3)]
    stream.cancel()
    after = stub.Unary(pb.EchoRequest(text="after cancel"), timeout=10).text
    check("cancel", first == [1, 2, 3] and after == "after cancel", (first, after))
