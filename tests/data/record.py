#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Records tests/data/dump.bin: the kernel's sock_diag replies for a known
set of sockets, made in a private network namespace. Run from the top of
the tree as root (or under `unshare -rn`):

    unshare -n python3 tests/data/record.py

The parser tests read the file and check these sockets come out right;
re-record only when the set below changes, and update test_diag.c."""
import socket
import subprocess
import time

subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
keep = []

lst = socket.socket()
lst.bind(("127.0.0.1", 8080))
lst.listen(128)
cli = socket.create_connection(("127.0.0.1", 8080))  # left in the queue
keep += [lst, cli]

v6 = socket.socket(socket.AF_INET6)
v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
v6.bind(("::", 8443))
v6.listen(7)
dual = socket.socket(socket.AF_INET6)
dual.bind(("::", 9090))
dual.listen(5)
c4 = socket.create_connection(("127.0.0.1", 9090))
acc, _ = dual.accept()
keep += [v6, dual, c4, acc]

dev = socket.socket()
dev.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lo")
dev.bind(("0.0.0.0", 7070))
dev.listen(3)
keep.append(dev)

# TIME-WAIT: the server side closes first.
tw = socket.socket()
tw.bind(("127.0.0.1", 6060))
tw.listen(1)
twc = socket.create_connection(("127.0.0.1", 6060))
tws, _ = tw.accept()
tws.close()
time.sleep(0.1)
twc.close()
time.sleep(0.1)
keep.append(tw)

u4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u4.bind(("127.0.0.1", 5353))
u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u6.bind(("::1", 5354))
uc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
uc.connect(("127.0.0.1", 5353))
keep += [u4, u6, uc]

subprocess.run(["build/bench-dumpfloor", "-o", "tests/data/dump.bin"],
               check=True)
print(subprocess.run(["ss", "-tuanHe"], capture_output=True,
                     text=True).stdout)
