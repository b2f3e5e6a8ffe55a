package org.kexecsim.dump;

/** How a dump file stores memory; each is recognized by its first bytes. */
public enum DumpFormat {
  /** ELF core: /proc/vmcore, QEMU dump-guest-memory without -z/-l/-s, makedumpfile -E. */
  ELF("elf"),
  /** makedumpfile's kdump-compressed (diskdump) file, "KDUMP   ": /var/crash on most distributions, QEMU -z/-l/-s. */
  KDUMP_COMPRESSED("kdump-compressed"),
  /** A kdump-compressed file sent as makedumpfile -F's flattened stream. */
  FLATTENED("flattened"),
  /** Several kdump-compressed files written by makedumpfile --split, read as one. */
  SPLIT("split"),
  /** Bytes at their physical addresses; only when the user says so. */
  RAW("raw");

  private final String cliName;

  DumpFormat(String cliName) {
    this.cliName = cliName;
  }

  public String cliName() {
    return cliName;
  }

  public static DumpFormat ofCliName(String name) {
    for (DumpFormat f : values()) {
      if (f.cliName.equals(name)) {
        return f;
      }
    }
    throw new IllegalArgumentException("unknown format '" + name + "': one of elf, kdump-compressed, flattened, split, raw");
  }
}
