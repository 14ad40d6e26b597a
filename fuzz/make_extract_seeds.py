#!/usr/bin/env python3
"""Writes the seed archives of fuzz/safe_extract_fuzzer into fuzz/corpus/safe_extract/.

    fuzz/make_extract_seeds.py [OUTPUT_DIR]

Tar headers are written by hand, byte by byte, so the seeds can say what no tar writer
would: `..` names, absolute names, links to anywhere, device nodes, sizes far beyond the
data, bad checksums. Compressed seeds use Python's gzip, lzma and bz2 modules and the
`zstd` command (Debian's zstd package). Every seed stays under 4 KiB, libFuzzer's default
maximum input size.

The fuzzer extracts into box/target, beside box/sentinel (a directory) and box/outside (a
file): the relative links below (`../sentinel`, `../outside`) aim at them.

Not written here, but kept in the same directory: pot_image_tiny.tar.zst, a real image made
by `pot export` (pax, zstd frames) of a pot on a `tar:` base of a five-file tree.
"""

import bz2
import gzip
import lzma
import os
import subprocess
import sys

MTIME = 1700000000
BLOCK = 512


def octal(value, width):
    """A NUL-terminated octal field, as ustar writes it."""
    text = b"%0*o" % (width - 1, value)
    if len(text) > width - 1:
        raise ValueError("%d does not fit %d octal digits" % (value, width - 1))
    return text + b"\0"


def base256(value, width):
    """GNU's binary field: the high bit of the first byte set, big-endian two's complement."""
    raw = (value % (1 << (8 * width))).to_bytes(width, "big")
    return bytes([raw[0] | 0x80]) + raw[1:]


def field(text, width):
    data = text.encode() if isinstance(text, str) else text
    if len(data) > width:
        raise ValueError("%r is longer than %d bytes" % (data, width))
    return data + b"\0" * (width - len(data))


def header(name, type_flag=b"0", size=0, mode=0o644, uid=0, gid=0, link="", dev=(0, 0),
           gnu=False, size_field=None, uid_field=None, checksum_delta=0, gnu_tail=b""):
    """One 512-byte header block. gnu: GNU magic (needed for old-style sparse entries)."""
    block = bytearray()
    block += field(name, 100)
    block += octal(mode, 8)
    block += uid_field if uid_field is not None else octal(uid, 8)
    block += octal(gid, 8)
    block += size_field if size_field is not None else octal(size, 12)
    block += octal(MTIME, 12)
    block += b" " * 8  # checksum: spaces while summing
    block += type_flag
    block += field(link, 100)
    block += b"ustar  \0" if gnu else b"ustar\x0000"
    block += field("root", 32) + field("root", 32)
    block += octal(dev[0], 8) + octal(dev[1], 8)
    if gnu:
        block += field(gnu_tail, 167)  # atime .. realsize, see gnu_sparse below
    else:
        block += field("", 155)  # prefix
    block += b"\0" * (BLOCK - len(block))
    checksum = sum(block) + checksum_delta
    block[148:156] = b"%06o\0 " % checksum
    return bytes(block)


def padded(data):
    return data + b"\0" * (-len(data) % BLOCK)


def regular(name, data=b"", mode=0o644, **kw):
    return header(name, b"0", len(data), mode, **kw) + padded(data)


def directory(name, mode=0o755):
    return header(name, b"5", 0, mode)


def symlink(name, target):
    return header(name, b"2", 0, 0o777, link=target)


def hardlink(name, target):
    return header(name, b"1", 0, 0o644, link=target)


def fifo(name):
    return header(name, b"6", 0, 0o644)


def device(name, kind, major, minor):
    return header(name, kind, 0, 0o600, dev=(major, minor))


def pax(records, name="././@PaxHeader"):
    """A pax extended header (typeflag x) applying to the next entry."""
    body = b""
    for key, value in records:
        record = b" %s=%s\n" % (key.encode(), value.encode() if isinstance(value, str) else value)
        length = len(record) + 1
        while len(str(length)) + len(record) != length:
            length = len(str(length)) + len(record)
        body += str(length).encode() + record
    return header(name, b"x", len(body), 0o644) + padded(body)


def gnu_longname(name):
    data = name.encode() + b"\0"
    return header("././@LongLink", b"L", len(data), 0o644, gnu=True) + padded(data)


def gnu_sparse(name, chunks, realsize):
    """An old-style GNU sparse entry (typeflag S): up to four (offset, size) chunks."""
    tail = bytearray()
    tail += b"\0" * 12 * 3 + b"\0" * 4 + b"\0"  # atime, ctime, offset, longnames, unused
    for offset, size in chunks[:4]:
        tail += octal(offset, 12) + octal(size, 12)
    tail += b"\0" * 24 * (4 - len(chunks[:4]))
    tail += b"\0"  # isextended
    tail += octal(realsize, 12)
    stored = sum(size for _, size in chunks)
    data = b"".join(bytes([0x41 + i]) * size for i, (_, size) in enumerate(chunks))
    return header(name, b"S", stored, 0o644, gnu=True, gnu_tail=bytes(tail)) + padded(data)


def pax_sparse_1_0(name, chunks, realsize):
    """A pax GNU sparse 1.0 entry: the map in decimal lines at the start of the data."""
    sparse_map = ("%d\n" % len(chunks)).encode()
    for offset, size in chunks:
        sparse_map += b"%d\n%d\n" % (offset, size)
    data = padded(sparse_map) + b"".join(bytes([0x61 + i]) * size for i, (_, size) in enumerate(chunks))
    records = [("GNU.sparse.major", "1"), ("GNU.sparse.minor", "0"),
               ("GNU.sparse.name", name), ("GNU.sparse.realsize", str(realsize))]
    return pax(records) + header("GNUSparseFile.0/" + name, b"0", len(data), 0o644) + padded(data)


# One zero block: tar writes two, but readers stop at the first, and the seeds stay small.
END = b"\0" * BLOCK


def tar(*entries, end=END):
    return b"".join(entries) + end


def zstd(data, *args):
    return subprocess.run(["zstd", "-q", "-c", "--no-check", *args], input=data,
                          stdout=subprocess.PIPE, check=True).stdout


# A small root filesystem, as a `tar:` base might be.
TREE = [
    directory("./"),
    directory("./etc/"),
    regular("./etc/hostname", b"web\n"),
    hardlink("./etc/hostname.bak", "./etc/hostname"),
    directory("./bin/"),
    regular("./bin/hello", b"#!/bin/sh\necho hello\n", 0o755),
    symlink("./bin/sh", "hello"),
    directory("./tmp/", 0o1777),
    fifo("./tmp/fifo"),
    regular("./usr/bin/su", b"setuid\n", 0o4755),
    directory("./ro/", 0o555),
    regular("./ro/file", b"read-only\n", 0o444),
]


def seeds():
    small_tree = tar(directory("etc/"), regular("etc/hostname", b"web\n"),
                     symlink("etc/localtime", "/usr/share/zoneinfo/UTC"),
                     hardlink("etc/hostname.bak", "etc/hostname"), end=b"\0" * 2 * BLOCK)
    tree = tar(*TREE)
    # Well-formed archives, in every compression the extraction reads.
    yield "tree_small.tar", small_tree
    yield "tree.tar.gz", gzip.compress(tree, 9, mtime=0)
    yield "tree.tar.xz", lzma.compress(tree)
    yield "tree.tar.bz2", bz2.compress(tree, 9)
    yield "tree.tar.zst", zstd(tree, "-19")
    # pot's own images are independent zstd frames one after another.
    half = len(TREE) // 2
    yield "tree_two_frames.tar.zst", zstd(b"".join(TREE[:half])) + zstd(tar(*TREE[half:]))
    yield "gnu_long_name.tar", tar(gnu_longname("d/" + "n" * 150), regular("d/" + "n" * 97, b"x"))
    yield "pax_path_owner_times.tar", tar(
        pax([("path", "pax/" + "p" * 120), ("uid", "1000"), ("gid", "1000"),
             ("mtime", "1700000000.123456789"), ("atime", "1600000000.5")]),
        regular("short", b"pax data\n"))
    yield "gnu_sparse_old.tar", tar(gnu_sparse("sparse", [(0, 3), (4096, 5), (1 << 20, 2)], 2 << 20))
    yield "pax_sparse_1_0.tar", tar(pax_sparse_1_0("sparse10", [(0, 4), (65536, 4)], 1 << 20))

    # Names that leave the target, or try to.
    yield "dotdot.tar", tar(regular("../sentinel/pwned", b"pwned\n"))
    yield "dotdot_inner.tar", tar(directory("a/"), regular("a/../../outside", b"pwned\n"))
    yield "absolute_names.tar", tar(regular("/etc/pot-fuzz-pwned", b"inside\n"),
                                    directory("//abs/dir/"), regular("/./abs/./file", b"x"))
    yield "empty_and_dot_names.tar", tar(directory("./"), regular("", b"x"), regular("./", b"y"),
                                         regular("a//b/./c", b"z"))
    # Symlinks out of the target, then writes through them.
    yield "symlink_escape_then_write.tar", tar(symlink("l", "../sentinel"),
                                               regular("l/pwned", b"pwned\n"))
    yield "symlink_root_then_write.tar", tar(symlink("root", "/"),
                                             regular("root/tmp/pot-fuzz-pwned", b"pwned\n"))
    yield "symlink_chain_then_dir.tar", tar(symlink("a", "b"), symlink("b", "../sentinel"),
                                            directory("a/sub/"), regular("a/sub/f", b"pwned\n"))
    yield "symlink_in_subdir_up.tar", tar(directory("d/"), symlink("d/up", "../.."),
                                          regular("d/up/sentinel/pwned", b"pwned\n"))
    yield "symlink_replaces_dir.tar", tar(directory("d/"), regular("d/x", b"1"),
                                          symlink("d", "../sentinel"), regular("d/y", b"pwned\n"))
    yield "symlink_to_outside_file_then_overwrite.tar", tar(
        symlink("o", "../outside"), regular("o", b"overwrites the link, not the file\n"))
    # Hard links to outside, or through symlinks.
    yield "hardlink_outside.tar", tar(hardlink("h", "../outside"), regular("h", b"pwned\n"))
    yield "hardlink_absolute.tar", tar(hardlink("h", "/etc/passwd"))
    yield "hardlink_through_symlink.tar", tar(symlink("s", "../outside"), hardlink("h", "s"),
                                              symlink("up", ".."), hardlink("h2", "up/outside"))
    yield "hardlink_into_symlinked_dir.tar", tar(regular("f", b"data"), symlink("l", "../sentinel"),
                                                 hardlink("l/h", "f"))
    yield "hardlink_then_overwrite.tar", tar(regular("f", b"original"), hardlink("h", "f"),
                                             regular("h", b"replaced"), hardlink("self", "self"))
    yield "hardlink_to_dir_and_fifo.tar", tar(directory("d/"), fifo("p"), hardlink("h", "d"),
                                              hardlink("h2", "p"))
    # Device nodes: refused.
    yield "device_nodes.tar", tar(directory("dev/"), device("dev/null", b"3", 1, 3),
                                  device("disk", b"4", 8, 0))
    # Sizes far beyond the data, and beyond the limits.
    yield "huge_size_octal.tar", tar(header("big", b"0", 0o77777777777), end=b"data")
    yield "huge_size_base256.tar", tar(header("big", b"0", size_field=base256(1 << 62, 12)))
    yield "negative_size_base256.tar", tar(header("neg", b"0", size_field=base256(-1, 12)))
    yield "negative_uid_base256.tar", tar(header("u", b"0", uid_field=base256(-2, 8)))
    yield "uid_minus_one_pax.tar", tar(pax([("uid", "4294967295")]), regular("u", b"x"))
    yield "sparse_beyond_limit.tar", tar(gnu_sparse("holes", [(0, 1), (1 << 32, 1)], (1 << 32) + 1))
    yield "zeros_64m.tar.zst", zstd(tar(header("zeros", b"0", 64 << 20)) + b"\0" * (64 << 20), "-19")
    # Over the fuzzer's 4096 entries (the same name each time, so that it compresses).
    yield "5000_entries.tar.xz", lzma.compress(header("f", b"0", 0) * 5000 + END)
    # Entries that replace each other.
    yield "file_dir_file.tar", tar(regular("a", b"one"), directory("a/"), regular("a/x", b"1"),
                                   regular("a", b"three"))
    yield "duplicates.tar", tar(regular("a", b"one"), regular("a", b"two"), fifo("p"),
                                regular("p", b"no longer a fifo"))
    # Broken archives.
    yield "bad_checksum.tar", tar(header("x", b"0", 1, checksum_delta=1) + padded(b"x"))
    yield "truncated_data.tar", regular("cut", b"x" * 2000)[:1200]
    yield "truncated.tar.gz", gzip.compress(tree, 9, mtime=0)[:200]
    yield "truncated.tar.zst", zstd(tree)[:150]
    yield "trailing_garbage.tar.zst", zstd(small_tree) + b"\x28\xb5\x2f\xfd garbage"
    yield "unknown_type.tar", tar(header("weird", b"Z", 0), header("sock", b"7", 0))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__),
                                                            "corpus", "safe_extract")
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        if len(data) > 4096:
            raise SystemExit("%s: %d bytes, over 4 KiB" % (name, len(data)))
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        print("%6d %s" % (len(data), name))


if __name__ == "__main__":
    main()
