#!/usr/bin/env python3
"""Regenerate the malformed-trace corpus of tests/bad_input/ (see README.md).

Run from anywhere: `python3 tests/bad_input/make_corpus.py`. It rewrites every corpus
file (deterministically: same bytes every time) but never EXPECTED.tsv, which is kept by
hand. The 10 MB single-line file is NOT written here: tests/bad_input_corpus.rs builds it
in a temporary directory at test time, so the repository stays small.
"""

import gzip
import io
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
H = "time_ns,pid,op,file,offset,length\n"
HF = "time_ns,pid,op,file,offset,length,flags\n"


def put(name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def good_rows():
    """A small well-formed body: open, reads, a write, close (lines 2..7 after H)."""
    return (
        "0,100,open,db,,65536\n"
        "1000,100,read,db,0,4096\n"
        "2000,100,read,db,4096,8192\n"
        "3000,100,write,db,16384,4096\n"
        "4000,100,fsync,db,,\n"
        "5000,100,close,db,,\n"
    )


# ---------------------------------------------------------------- whole-file problems
put("empty.csv", b"")
put("header_only.csv", H)
put("comments_only.csv", "# nothing but a comment\n\n# and another\n")
# binary garbage: a deterministic xorshift stream with NULs and high bytes, no newline
s = 0x9E3779B97F4A7C15
garbage = bytearray()
for _ in range(3000):
    s ^= (s << 13) & 0xFFFFFFFFFFFFFFFF
    s ^= s >> 7
    s ^= (s << 17) & 0xFFFFFFFFFFFFFFFF
    garbage.append(s & 0xFF)
put("binary_garbage.bin", bytes(garbage))
put("png_image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10")
put("no_header.csv", "0,100,open,a,,4096\n1000,100,read,a,0,4096\n")
put("header_missing_offset.csv", "time_ns,pid,op,file,length\n0,1,close,a,\n")
put("header_duplicate_column.csv", "time_ns,pid,op,op,file,offset,length\n")
put("header_unterminated_quote.csv", 'time_ns,pid,"op,file,offset,length\n')
put("utf16_le.csv", H.encode("utf-16-le"))

# ---------------------------------------------------------------- bad numbers
put("time_not_a_number.csv", H + "0,1,open,a,,4096\nabc,1,read,a,0,4096\n")
put("time_float.csv", H + "1.5e9,1,read,a,0,4096\n")
put("time_negative.csv", H + "-1,1,read,a,0,4096\n")
put("time_overflow.csv", H + "18446744073709551616,1,read,a,0,4096\n")
put("pid_negative.csv", H + "0,-5,read,a,0,4096\n")
put("pid_overflow.csv", H + "0,4294967296,read,a,0,4096\n")
put("offset_negative.csv", H + "0,1,read,a,-4096,4096\n")
put("offset_hex.csv", H + "0,1,read,a,0x1000,4096\n")
put("offset_with_space.csv", H + "0,1,read,a, 4096,4096\n")
put("offset_overflow.csv", H + "0,1,read,a,18446744073709551616,1\n")
put("length_overflow.csv", H + "0,1,write,a,0,99999999999999999999999\n")
put("offset_plus_length_overflow.csv", H + "0,1,read,a,18446744073709551615,1\n")
put(
    "mmap_offset_plus_length_overflow.csv",
    H + "0,1,open,a,,4096\n1,1,mmap,a,18446744073709547520,8192\n",
)
put("length_word.csv", H + "0,1,read,a,0,lots\n")

# ---------------------------------------------------------------- ops, flags, fields
put(
    "unknown_op.csv",
    H
    + "0,100,open,db.sqlite,,1048576\n"
    + "1000,100,read,db.sqlite,0,4096\n"
    + "2000,100,pwrite_is_write,db.sqlite,8192,4096\n",
)
put("op_upper_case.csv", H + "0,1,READ,a,0,4096\n")
put("op_empty.csv", H + "0,1,,a,0,4096\n")
put("flag_unknown.csv", HF + "0,1,open,a,,4096,\n1,1,mmap,a,0,4096,fast\n")
put("flag_wrong_op.csv", HF + "0,1,read,a,0,4096,random\n")
put("flag_empty_word.csv", HF + "0,1,mmap,a,0,4096,random||nosync\n")
put("advice_missing.csv", HF + "0,1,open,a,,4096,\n1,1,fadvise,a,0,0,\n")
put(
    "advice_two_words.csv",
    HF + "0,1,open,a,,4096,\n1,1,mmap,a,0,4096,\n2,1,madvise,a,0,4096,random|willneed\n",
)
put("read_without_offset.csv", H + "0,1,read,a,,4096\n")
put("write_without_length.csv", H + "0,1,write,a,0,\n")
put("truncate_without_length.csv", H + "0,1,truncate,a,,\n")
put("file_name_empty.csv", H + "0,1,read,,0,4096\n")
put("too_few_fields.csv", H + "0,1,open,a,,4096\n1,1,close,a\n")
put("unquoted_comma_in_name.csv", H + "0,1,read,my,file,0,4096\n")
put("unterminated_quote.csv", H + '0,1,read,"a,0,4096\n')
put("text_after_quote.csv", H + '0,1,read,"a"b,0,4096\n')
put("invalid_utf8_name.csv", H.encode() + b"0,1,read,caf\xe9,0,4096\n")
put("nul_in_op.csv", H.encode() + b"0,1,read\x00,a,0,4096\n")
# line numbers count comment and blank lines: the bad row is physical line 7
put(
    "error_after_comments.csv",
    "# recorded by hand\n\n" + H + "0,1,open,a,,4096\n# a note\n\n1,1,bogus,a,,\n",
)
# the bad row is line 1002, after 1000 good ones
put(
    "error_on_line_1002.csv",
    H + "".join(f"{i},1,read,a,{(i % 16) * 4096},4096\n" for i in range(1000))
    + "1000,1,read,a,0,-1\n",
)
# several bad lines: check lists them all, replay stops at the first
put(
    "many_bad_lines.csv",
    H
    + "0,1,open,a,,8192\n"
    + "1,1,pread,a,0,4096\n"
    + "2,1,read,a,,4096\n"
    + "3,1,read,a,0,4096\n"
    + "4,1,read,a,-1,4096\n"
    + "5,1,close,a,,\n",
)
put("op_very_long.csv", H + "0,1," + "z" * 500 + ",a,0,1\n")

# ---------------------------------------------------------------- compression
body = (H + good_rows() * 200).encode()
gz = io.BytesIO()
with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g:
    g.write(body)
gzb = gz.getvalue()
put("truncated.csv.gz", gzb[: len(gzb) // 2])
put("gzip_magic_then_garbage.csv.gz", b"\x1f\x8b\x08\x00" + bytes(garbage[:200]))
# .gz by name, but plain text inside: sniffing by extension must not lie about it
put("plain_text_named.csv.gz", H + good_rows())
# zstd frame written by hand: magic, frame header (single segment, 1-byte size),
# one raw last block holding the text; then cut in the middle of the block.
zbody = (H + good_rows()).encode()
assert len(zbody) < 256
zfr = (
    b"\x28\xb5\x2f\xfd"
    + bytes([0x20, len(zbody)])
    + struct.pack("<I", (len(zbody) << 3) | 1)[:3]
    + zbody
)
put("truncated.csv.zst", zfr[: len(zfr) // 2])
put("zstd_magic_then_garbage.csv.zst", b"\x28\xb5\x2f\xfd" + bytes(garbage[:200]))


# ---------------------------------------------------------------- binary form (.vpt)
def vpt(records, files, warnings=(), version=1, record_size=40):
    """Build a binary trace (layout in src/trace/binary.rs)."""
    recs = b""
    for t, off, ln, fid, pid, op, pres, flags in records:
        recs += struct.pack("<QQQIIBBHI", t, off, ln, fid, pid, op, pres, flags, 0)
    table = b""
    for size, declared, name in files:
        n = name.encode()
        table += struct.pack("<QBI", size, declared, len(n)) + n
    table += struct.pack("<I", len(warnings))
    for w in warnings:
        table += struct.pack("<I", len(w)) + w.encode()
    t0 = records[0][0] if records else 2**64 - 1
    t1 = records[-1][0] if records else 2**64 - 1
    header = b"VPSIMTRC" + struct.pack(
        "<IIQQQQQQ",
        version,
        record_size,
        len(records),
        len(files),
        64,
        64 + len(recs),
        t0,
        t1,
    )
    return header + recs + table


OPEN, CLOSE, READ = 0, 1, 2
good = [
    (0, 0, 65536, 0, 100, OPEN, 2, 0),
    (1000, 0, 4096, 0, 100, READ, 3, 0),
    (2000, 4096, 4096, 0, 100, READ, 3, 0),
    (3000, 0, 0, 0, 100, CLOSE, 0, 0),
]
files = [(65536, 1, "db")]
v = vpt(good, files)
put("cut_short.vpt", v[: 64 + 40 + 17])
put("header_cut_short.vpt", v[:40])
put("bad_magic.vpt", b"VPSIMTRX" + v[8:])
put("bad_version.vpt", vpt(good, files, version=7))
put("bad_record_size.vpt", vpt(good, files, record_size=48))
put("bad_op_byte.vpt", vpt(good[:2] + [(2000, 0, 4096, 0, 100, 99, 3, 0)], files))
put("file_id_past_table.vpt", vpt(good[:1] + [(1000, 0, 4096, 5, 100, READ, 3, 0)], files))
put(
    "record_offset_overflow.vpt",
    vpt(good[:1] + [(1000, 2**64 - 1, 1, 0, 100, READ, 3, 0)], files),
)
put("file_table_cut_short.vpt", v[: len(v) - 8])
put("event_count_lies.vpt", v[:16] + struct.pack("<Q", 1000) + v[24:])

# ---------------------------------------------------------------- warnings, not errors
put("time_backwards.csv", H + "0,1,open,a,,8192\n10,1,read,a,0,4096\n5,1,read,a,4096,4096\n")
put("never_opened_no_size.csv", H + "0,1,read,ghost,0,4096\n1,1,read,ghost,8192,4096\n")
put("crlf_line_ends.csv", (H + good_rows()).replace("\n", "\r\n"))
put("bom.csv", "\ufeff" + H + good_rows())
put("bom_crlf_header_only.csv", ("\ufeff" + H).replace("\n", "\r\n"))
put("quoted_comma_in_name.csv", H + '0,1,open,"a,b.dat",,8192\n1,1,read,"a,b.dat",0,4096\n')
put("close_without_open.csv", H + "0,1,close,a,,\n")
put("munmap_without_mmap.csv", H + "0,1,open,a,,8192\n1,1,munmap,a,0,8192\n")
put(
    "fault_outside_mmap.csv",
    H + "0,1,open,a,,65536\n1,1,mmap,a,0,4096\n2,1,fault_read,a,32768,4096\n",
)
put("no_trailing_newline.csv", H + "0,1,open,a,,4096\n1,1,read,a,0,4096")
put(
    "read_longer_than_max_rw_count.csv",
    H + "0,1,open,a,,0\n1,1,write,a,0,4096\n2,1,read,a,0,144115188075855882\n",
)
put("record_read_longer_than_max_rw_count.vpt", vpt(good + [(3000, 0, 2**41, 0, 100, READ, 3, 0)], files))
put(
    "extra_column_reordered.csv",
    "latency_ns,file,length,offset,op,pid,time_ns\n5,a,4096,,open,1,0\n7,a,4096,0,read,1,1\n",
)
put("read_past_eof.csv", H + "0,1,open,a,,100\n1,1,read,a,0,1048576\n2,1,read,a,1048576,4096\n")
