package org.kexecsim.relocate;

import org.kexecsim.isa.Assembler;
import org.kexecsim.isa.Assembly;
import org.kexecsim.kimage.Arch;
import org.kexecsim.memory.PhysicalMemory;

/**
 * The program of ours that stands at the new kernel's entry point: it records the CPU state it
 * was entered with into memory next to itself and halts. Assembled for the address it will run
 * at, so it needs no stack and no RIP-relative tricks.
 */
public record NewKernelEntry(Arch arch, long entryPhysical, Assembly assembly) {
  /** "KXEC", stored last by the program, so a record that has it is complete. */
  public static final int MAGIC = 0x4345_584B;

  public static NewKernelEntry at(Arch arch, long entryPhysical) {
    return at(arch, entryPhysical, false);
  }

  /** With {@code jumpBack}, the kexec-jump peer of entry-jump-{32,64}.S: enters, returns, is entered again. */
  public static NewKernelEntry at(Arch arch, long entryPhysical, boolean jumpBack) {
    String source = RelocateRoutine.source((jumpBack ? "entry-jump-" : "entry-") + (arch.is64Bit() ? "64.S" : "32.S"));
    return new NewKernelEntry(arch, entryPhysical,
        Assembler.assemble(source, arch.is64Bit() ? 64 : 32, entryPhysical, RelocateRoutine.RESOURCES));
  }

  public byte[] bytes() {
    return assembly.bytes();
  }

  /** Where the program leaves its record. */
  public long recordPhysical() {
    return assembly.symbols().get("record");
  }

  /** The jump-back program's second record (its re-entry); empty for the plain program. */
  public java.util.Optional<EntryRecord> readSecond(PhysicalMemory memory) {
    Long r = assembly.symbols().get("record2");
    return r == null ? java.util.Optional.empty() : read(memory, r);
  }

  /** Bytes from the first record to the end of the program: what the program itself writes. */
  public int recordBytes() {
    return (int) (entryPhysical + assembly.size() - recordPhysical());
  }

  /** The record the program wrote, or empty when it never completed. */
  public java.util.Optional<EntryRecord> read(PhysicalMemory memory) {
    return read(memory, recordPhysical());
  }

  private java.util.Optional<EntryRecord> read(PhysicalMemory memory, long r) {
    if (memory.readU32(r) != MAGIC) {
      return java.util.Optional.empty();
    }
    int width = (int) memory.readU32(r + 4);
    return java.util.Optional.of(new EntryRecord(
        width, memory.readU64(r + 8), memory.readU64(r + 16), memory.readU64(r + 24),
        memory.readU64(r + 32), (int) memory.readU64(r + 40) & 0xFFFF, memory.readU64(r + 48)));
  }

  /** What the new kernel saw at its entry. For the 32-bit program EFER reads as 0. */
  public record EntryRecord(int width, long cr0, long cr3, long cr4, long efer, int cs, long stackPointer) {
    public boolean pagingOn() {
      return (cr0 & org.kexecsim.mmu.Cr0.PG) != 0;
    }
  }
}
