package org.kexecsim.dump;

import org.kexecsim.input.CliNamed;

/** How a dump file stores memory; each is recognized by its first bytes. */
public enum DumpFormat implements CliNamed {
  /** ELF core: /proc/vmcore, QEMU dump-guest-memory without -z/-l/-s, makedumpfile -E. */
  ELF,
  /** makedumpfile's kdump-compressed (diskdump) file, "KDUMP   ": /var/crash on most distributions, QEMU -z/-l/-s. */
  KDUMP_COMPRESSED,
  /** A kdump-compressed file sent as makedumpfile -F's flattened stream. */
  FLATTENED,
  /** Several kdump-compressed files written by makedumpfile --split, read as one. */
  SPLIT,
  /** Bytes at their physical addresses; only when the user says so. */
  RAW;

  public static DumpFormat ofCliName(String name) {
    return CliNamed.parse(DumpFormat.class, "format", name, IllegalArgumentException::new);
  }
}
