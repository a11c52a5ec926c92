"""Exit 0 if a MongoDB wire-protocol server on 127.0.0.1:PORT answers {ping: 1} with ok: 1.

Raw OP_MSG over a socket, so no driver is needed. Usage: python3 mongo_ping.py PORT
"""

import socket
import struct
import sys


def bson_ping() -> bytes:
    db = b"admin\x00"
    body = b"\x10ping\x00" + struct.pack("<i", 1) + b"\x02$db\x00" + struct.pack("<i", len(db)) + db + b"\x00"
    return struct.pack("<i", len(body) + 4) + body


def main() -> int:
    payload = struct.pack("<I", 0) + b"\x00" + bson_ping()  # flagBits, section kind 0
    msg = struct.pack("<iiii", 16 + len(payload), 1, 0, 2013) + payload  # OP_MSG
    try:
        with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2) as s:
            s.sendall(msg)
            reply = s.recv(65536)
    except OSError:
        return 1
    ok_double = b"\x01ok\x00" + struct.pack("<d", 1.0)
    return 0 if len(reply) > 16 and ok_double in reply else 1


if __name__ == "__main__":
    sys.exit(main())
