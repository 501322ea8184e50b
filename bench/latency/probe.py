#!/usr/bin/env python3
"""ICMP echo probes from one source address, at a fixed pace, bounded in count and time.

    probe.py SRC DST INTERVAL_MS COUNT

Node has no raw sockets, hence this helper. It only sends: the replies (or their absence
once a firewall drops SRC) are read from the capture on the PBX side, where both the
probes and the SIP answers carry timestamps of one clock. Echo id = this PID & 0xffff,
sequence = probe number (mod 65536). Ends after COUNT probes or COUNT * INTERVAL + 2 s.
"""
import os
import socket
import struct
import sys
import time


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    src, dst = sys.argv[1], sys.argv[2]
    interval = float(sys.argv[3]) / 1000.0
    count = int(sys.argv[4])
    if not (0.0001 <= interval <= 1.0 and 1 <= count <= 100000):
        print("probe.py: INTERVAL_MS 0.1-1000, COUNT 1-100000", file=sys.stderr)
        return 2
    ident = os.getpid() & 0xFFFF
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.bind((src, 0))
    s.setblocking(False)
    start = time.monotonic()
    deadline = start + count * interval + 2.0
    for seq in range(count):
        due = start + seq * interval
        while True:
            now = time.monotonic()
            if now >= due:
                break
            if due - now > 0.0003:
                time.sleep(due - now - 0.0002)
        if now > deadline:
            break
        body = struct.pack("!d", time.time())
        head = struct.pack("!BBHHH", 8, 0, 0, ident, seq & 0xFFFF)
        c = checksum(head + body)
        pkt = struct.pack("!BBHHH", 8, 0, c, ident, seq & 0xFFFF) + body
        try:
            s.sendto(pkt, (dst, 0))
        except BlockingIOError:
            pass
        # Drain replies so the socket buffer never fills (they are read from the capture).
        try:
            while True:
                s.recv(2048)
        except BlockingIOError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
