#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Records the seeds of the destroy fuzz target: what the kernel's
sock_diag destroy groups send when known sockets close, made in a
private network namespace. Run from the top of the tree as root (or
under `unshare -rn`):

    unshare -n python3 tests/data/record-destroy.py

Each buffer the kernel sent is one seed, tests/data/fuzz/destroy/
seed-recorded-N; seed-recorded-all is them all in one buffer, as a
reader may meet several messages at once."""
import os
import socket
import subprocess
import time

NETLINK_SOCK_DIAG = 4
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
GROUPS = (1, 2, 3, 4)  # SKNLGRP_INET{,6}_{TCP,UDP}_DESTROY
OUT = "tests/data/fuzz/destroy"

subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
nl.bind((0, 0))
for g in GROUPS:
    nl.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, g)

# a v4 connection that moved bytes, both ends closed, then its listener
lst = socket.socket()
lst.bind(("127.0.0.1", 8080))
lst.listen(8)
c = socket.create_connection(("127.0.0.1", 8080))
a, _ = lst.accept()
c.sendall(b"x" * 5000)
got = 0
while got < 5000:
    got += len(a.recv(65536))
a.sendall(b"y" * 300)
c.recv(65536)
c.close()
a.close()
lst.close()

# a v6 one on a dual-stack listener, reached over v4
dual = socket.socket(socket.AF_INET6)
dual.bind(("::", 9090))
dual.listen(5)
c4 = socket.create_connection(("127.0.0.1", 9090))
acc, _ = dual.accept()
acc.close()
c4.close()
dual.close()

# UDP, both families, one bound to a device
u4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u4.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lo")
u4.bind(("127.0.0.1", 5353))
u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u6.bind(("::1", 5354))
u6.connect(("::1", 5354))
u4.close()
u6.close()
time.sleep(0.2)

os.makedirs(OUT, exist_ok=True)
nl.setblocking(False)
bufs = []
while True:
    try:
        bufs.append(nl.recv(65536))
    except BlockingIOError:
        break
for i, b in enumerate(bufs):
    with open(f"{OUT}/seed-recorded-{i}", "wb") as f:
        f.write(b)
with open(f"{OUT}/seed-recorded-all", "wb") as f:
    f.write(b"".join(bufs))
print(f"{len(bufs)} buffers")
