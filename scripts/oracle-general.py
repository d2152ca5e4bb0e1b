#!/usr/bin/env python3
"""Write a page-reference stream (one object id per line) in libCacheSim's
`oracleGeneral` binary trace form, for scripts/bench-compare.sh.

Each record is 24 bytes, little-endian `<IQIq`: time (u32), object id (u64), object
size (u32), and the virtual time -- the request index -- of the object's next
reference (i64, -1 when there is none), which Belady-type policies read. Times are
the request index too (the stream has no clock of its own); sizes are 4096, one page.

usage: oracle-general.py IDS.txt OUT.oracleGeneral.bin
"""
import struct
import sys
from array import array


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        ids = array("Q", (int(line) for line in f))
    n = len(ids)
    nxt = array("q", [-1]) * n
    seen = {}
    for i in range(n - 1, -1, -1):
        nxt[i] = seen.get(ids[i], -1)
        seen[ids[i]] = i
    rec = struct.Struct("<IQIq")
    with open(sys.argv[2], "wb") as out:
        buf = bytearray()
        for i in range(n):
            buf += rec.pack(i & 0xFFFFFFFF, ids[i], 4096, nxt[i])
            if len(buf) >= 1 << 22:
                out.write(buf)
                buf.clear()
        out.write(buf)


if __name__ == "__main__":
    main()
