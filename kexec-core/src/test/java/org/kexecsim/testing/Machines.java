package org.kexecsim.testing;

import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.ControlRegisterRules;
import org.kexecsim.mmu.ControlState;
import org.kexecsim.mmu.ControlWrite;
import org.kexecsim.mmu.Cr0;
import org.kexecsim.mmu.Cr4;
import org.kexecsim.mmu.CpuFeatures;
import org.kexecsim.mmu.Efer;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.PagingState;
import org.kexecsim.dump.CoreSpec;
import org.kexecsim.dump.CpuSnapshot;
import org.kexecsim.dump.ElfClass;
import org.kexecsim.dump.ElfCoreWriter;
import org.kexecsim.dump.PrStatus;
import org.kexecsim.dump.Register;
import org.kexecsim.dump.RegisterFile;
import org.kexecsim.dump.VmcoreInfo;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.pagetable.BumpFrameAllocator;
import org.kexecsim.pagetable.PageTableBuilder;

/** Test fixtures shared across modules (kexec-core's test-jar): small machines and paging states. */
public final class Machines {
  private Machines() {}

  /**
   * Writes {@code memory} as a raw image (byte N = physical N) of {@code length} bytes; frames
   * never written stay holes of a sparse file.
   */
  public static void writeRaw(SparseMemory memory, java.nio.file.Path file, long length) throws java.io.IOException {
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE,
        java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
      byte[] page = new byte[4096];
      for (long pfn : memory.presentFrameNumbers()) {
        memory.read(pfn << 12, page, 0, page.length);
        ch.write(java.nio.ByteBuffer.wrap(page), pfn << 12);
      }
      if (ch.size() < length) {
        ch.write(java.nio.ByteBuffer.wrap(new byte[1]), length - 1);
      }
    }
  }

  public static SparseMemory ram(long bytes) {
    return new SparseMemory(RamMap.ofSize(bytes));
  }

  /** Linux x86_64's direct map without KASLR (__PAGE_OFFSET_BASE_L4, arch/x86/include/asm/page_64_types.h). */
  public static final long DIRECT_MAP = 0xffff_8880_0000_0000L;

  /**
   * 4-level tables in {@code memory}, their pages taken from {@code [tablesFrom, tablesTo)}, that
   * map RAM {@code [0, bytes)} at {@link #DIRECT_MAP} with kernel pages of {@code page}.
   */
  public static PageTableBuilder directMap(SparseMemory memory, long tablesFrom, long tablesTo, long bytes, PageSize page) {
    PageTableBuilder b = PageTableBuilder.create(memory, PagingMode.LEVEL4, new BumpFrameAllocator(tablesFrom, tablesTo));
    b.map(DIRECT_MAP, 0, bytes, PageTableEntry.PAGE_KERNEL, page);
    return b;
  }

  /**
   * Writes {@code memory} to {@code file} as QEMU's dump-guest-memory writes an x86_64 guest: an
   * ELF64 core of every RAM range, one CPU with {@code cpu}'s registers, and {@code info} as its
   * VMCOREINFO note when present.
   */
  public static java.nio.file.Path writeQemuCore(SparseMemory memory, RegisterFile cpu,
      java.util.Optional<VmcoreInfo> info, java.nio.file.Path file) throws java.io.IOException {
    ElfCoreWriter.write(memory, CoreSpec.qemu(ElfClass.ELF64, PrStatus.Arch.X86_64, memory.ramMap().ranges(),
        java.util.List.of(new CpuSnapshot(1, cpu)), info), file, false);
    return file;
  }

  /** An x86_64 CPU in 4-level paging on the tables at {@code cr3}: {@link #controlFor} LEVEL4, EFER.LMA set as the CPU sets it. */
  public static RegisterFile longModeRegisters(long cr3) {
    long[] c = controlFor(PagingMode.LEVEL4);
    return RegisterFile.EMPTY.with(Register.CR0, c[0]).with(Register.CR3, cr3).with(Register.CR4, c[1])
        .with(Register.EFER, c[2] | Efer.LMA);
  }

  /** CR0/CR4/EFER that select {@code mode} with WP and, where the mode has XD, NXE. */
  public static long[] controlFor(PagingMode mode) {
    long cr0 = Cr0.PE | Cr0.PG | Cr0.WP | Cr0.ET | Cr0.NE;
    return switch (mode) {
      case DISABLED -> new long[] {Cr0.PE, 0, 0};
      case BITS32 -> new long[] {cr0, Cr4.PSE, 0};
      case PAE -> new long[] {cr0, Cr4.PAE, Efer.NXE};
      case LEVEL4 -> new long[] {cr0, Cr4.PAE, Efer.LME | Efer.NXE};
      case LEVEL5 -> new long[] {cr0, Cr4.PAE | Cr4.LA57, Efer.LME | Efer.NXE};
    };
  }

  /** Loads CR3 as the CPU would for {@code mode} (PAE: PDPTE registers) and returns the paging state. */
  public static PagingState paging(SparseMemory memory, PagingMode mode, long cr3) {
    return paging(memory, mode, cr3, CpuFeatures.DEFAULT);
  }

  public static PagingState paging(SparseMemory memory, PagingMode mode, long cr3, CpuFeatures features) {
    long[] c = controlFor(mode);
    ControlWrite w = ControlRegisterRules.establish(c[0], cr3, c[1], c[2], memory, features);
    if (w instanceof ControlWrite.Accepted(ControlState s)) {
      return PagingState.of(s, features);
    }
    throw new AssertionError("CR3 load refused: " + w);
  }
}
