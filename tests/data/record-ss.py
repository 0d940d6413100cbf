#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Records tests/data/ss-D.dump, the raw TCP dump `ss -tan -D FILE` writes
(an IPv4 dump, then an IPv6 dump, each ended by NLMSG_DONE), for a known
set of sockets made in a private network namespace, and
tests/data/ss-D.ss.txt, what that ss reads back from it (TCPDIAG_FILE),
one family at a time as its reader stops at the first NLMSG_DONE. Run
from the top of the tree as root (or under `unshare -rn`):

    unshare -n python3 tests/data/record-ss.py

test_offline.c lists the dump with `sockwatchctl list --from` and checks
every socket ss read is there once, grouped as below; re-record only when
the set below changes, and update the test."""
import os
import socket
import subprocess
import tempfile
import time

subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
keep = []

# 127.0.0.1:8080 has two connections accepted and one in its queue.
lst = socket.socket()
lst.bind(("127.0.0.1", 8080))
lst.listen(16)
for _ in range(2):
    keep.append(socket.create_connection(("127.0.0.1", 8080)))
    keep.append(lst.accept()[0])
keep += [lst, socket.create_connection(("127.0.0.1", 8080))]

# A dual-stack [::]:9090 holds an IPv4 client's socket, v4-mapped.
dual = socket.socket(socket.AF_INET6)
dual.bind(("::", 9090))
dual.listen(5)
keep += [dual, socket.create_connection(("127.0.0.1", 9090)),
         dual.accept()[0]]

# A v6only [::]:8443 with a client on ::1, and 0.0.0.0:8443 beside it.
v6 = socket.socket(socket.AF_INET6)
v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
v6.bind(("::", 8443))
v6.listen(7)
v4 = socket.socket()
v4.bind(("0.0.0.0", 8443))
v4.listen(7)
keep += [v6, v4, socket.create_connection(("::1", 8443)), v6.accept()[0]]

# A listener bound to lo.
dev = socket.socket()
dev.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lo")
dev.bind(("0.0.0.0", 7070))
dev.listen(3)
keep.append(dev)

# TIME-WAIT on the server's side (it closes first); CLOSE-WAIT on 6061.
tw = socket.socket()
tw.bind(("127.0.0.1", 6060))
tw.listen(1)
twc = socket.create_connection(("127.0.0.1", 6060))
tw.accept()[0].close()
time.sleep(0.1)
twc.close()
cw = socket.socket()
cw.bind(("127.0.0.1", 6061))
cw.listen(1)
cwc = socket.create_connection(("127.0.0.1", 6061))
keep += [tw, cw, cw.accept()[0]]
cwc.close()
time.sleep(0.1)

subprocess.run(["ss", "-tan", "-D", "tests/data/ss-D.dump"], check=True)
with tempfile.TemporaryDirectory() as d, \
        open("tests/data/ss-D.ss.txt", "w") as out:
    for fam in ("-4", "-6"):
        f = os.path.join(d, "dump" + fam)
        subprocess.run(["ss", "-tan", fam, "-D", f], check=True)
        out.write(subprocess.run(["ss", "-tanHe"], check=True, text=True,
                                 capture_output=True,
                                 env=dict(os.environ, TCPDIAG_FILE=f)).stdout)
print(open("tests/data/ss-D.ss.txt").read())
