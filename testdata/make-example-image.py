#!/usr/bin/env python3
"""Writes example-4level.img: 4 MiB of RAM holding a tiny 4-level hierarchy, for the README.

CR3 = 0x1000 (PML4). Mappings:
  0xffffffff81000000 -> 0x200000, a 2 MiB kernel-text page (P RW A D G PS: 0x1e3)
  0x0000000000400000 -> 0x300000, a 4 KiB user page, read-only, NX (P US, XD)
Usage: python3 testdata/make-example-image.py [OUT]
"""
import struct
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "example-4level.img"
ram = bytearray(4 << 20)


def put(table, index, value):
    struct.pack_into("<Q", ram, table + 8 * index, value)


PML4, PDPT_K, PD_K, PDPT_U, PD_U, PT_U = 0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000
KERNPG, USERPG = 0x63, 0x67
# kernel text: PML4[511] -> PDPT[510] -> PD[8] 2 MiB leaf
put(PML4, 511, PDPT_K | KERNPG)
put(PDPT_K, 510, PD_K | KERNPG)
put(PD_K, 8, 0x200000 | 0x1E3)
# one user page: PML4[0] -> PDPT[0] -> PD[2] -> PT[0]
put(PML4, 0, PDPT_U | USERPG)
put(PDPT_U, 0, PD_U | USERPG)
put(PD_U, 2, PT_U | USERPG)
put(PT_U, 0, 0x300000 | 0x25 | (1 << 63))
with open(out, "wb") as f:
    f.write(ram)
