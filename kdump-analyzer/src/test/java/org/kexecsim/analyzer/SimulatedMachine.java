package org.kexecsim.analyzer;

import static org.kexecsim.mmu.PageTableEntry.A;
import static org.kexecsim.mmu.PageTableEntry.D;
import static org.kexecsim.mmu.PageTableEntry.G;
import static org.kexecsim.mmu.PageTableEntry.P;
import static org.kexecsim.mmu.PageTableEntry.PAGE_TABLE;
import static org.kexecsim.mmu.PageTableEntry.RW;
import static org.kexecsim.mmu.PageTableEntry.US;
import static org.kexecsim.mmu.PageTableEntry.XD;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.kexecsim.dump.CoreSpec;
import org.kexecsim.dump.CpuSnapshot;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfClass;
import org.kexecsim.dump.ElfCoreReader;
import org.kexecsim.dump.ElfCoreWriter;
import org.kexecsim.dump.PrStatus;
import org.kexecsim.dump.Register;
import org.kexecsim.dump.RegisterFile;
import org.kexecsim.dump.VmcoreInfo;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.pagetable.BumpFrameAllocator;
import org.kexecsim.pagetable.Overlap;
import org.kexecsim.pagetable.PageTableBuilder;
import org.kexecsim.pagetable.TablePage;
import org.kexecsim.testing.Machines;

/**
 * A small machine with Linux-like mappings built by the pagetable builder, and the list of what
 * was mapped, so tests compare analyses against what was built rather than against constants.
 *
 * <pre>
 * RAM            [0, 640K) and [1M, 256M)
 * page tables    allocated from [128M, 144M)
 * direct map     PAGE_OFFSET -> 0, 4G (long mode, 1G pages) / 512M (PAE, 2M) / 256M (32-bit, 4M)
 * kernel text    x86_64 0xffffffff81000000 (32-bit: 0xf0000000) -> 16M, 16M read-only exec, 2M/4M pages
 * user pages     0x400000 -> 32M + 64K, 4K pages, RW USR, with random contents
 * </pre>
 */
public record SimulatedMachine(SparseMemory memory, PagingMode mode, long cr3, List<Mapping> mappings, List<TablePage> tables) {
  public static final RamMap RAM = RamMap.parse("0-0x9ffff,0x100000-0xfffffff");
  public static final long TABLES = 128L << 20;
  public static final long USER_VA = 0x40_0000L;
  public static final long USER_PA = 32L << 20;
  public static final long USER_SIZE = 64L << 10;
  public static final long TEXT_PA = 16L << 20;

  /** One map() call: what a ptdump must show as one range. */
  public record Mapping(long va, long pa, long size, PageSize pageSize, boolean rw, boolean user, boolean nx, boolean global) {}

  public static long pageOffset(PagingMode mode) {
    return mode.isLongMode() ? (mode == PagingMode.LEVEL5 ? 0xff11_0000_0000_0000L : 0xffff_8880_0000_0000L) : 0xC000_0000L;
  }

  public static long textVa(PagingMode mode) {
    return mode.isLongMode() ? 0xffff_ffff_8100_0000L : 0xF000_0000L;
  }

  public static SimulatedMachine build(PagingMode mode, long seed) {
    SparseMemory m = new SparseMemory(RAM);
    PageTableBuilder b = PageTableBuilder.create(m, mode, new BumpFrameAllocator(TABLES, TABLES + (16L << 20)));
    boolean hasXd = mode != PagingMode.BITS32;
    List<Mapping> maps = new ArrayList<>();
    long kernelData = P | RW | A | D | G | (hasXd ? XD : 0);
    PageSize large = switch (mode) {
      case BITS32 -> PageSize.SIZE_4M;
      case PAE -> PageSize.SIZE_2M;
      default -> PageSize.SIZE_1G;
    };
    long directSize = switch (mode) {
      case BITS32 -> 256L << 20;
      case PAE -> 512L << 20;
      default -> 4L << 30;
    };
    b.map(pageOffset(mode), 0, directSize, kernelData, large);
    maps.add(new Mapping(pageOffset(mode), 0, directSize, large, true, false, hasXd, true));

    PageSize textPage = mode == PagingMode.BITS32 ? PageSize.SIZE_4M : PageSize.SIZE_2M;
    b.map(textVa(mode), TEXT_PA, 16L << 20, P | A | G, textPage);
    maps.add(new Mapping(textVa(mode), TEXT_PA, 16L << 20, textPage, false, false, false, true));

    b.map(USER_VA, USER_PA, USER_SIZE, P | RW | US | A | D | (hasXd ? XD : 0), PAGE_TABLE, PageSize.SIZE_4K, Overlap.REPLACE);
    maps.add(new Mapping(USER_VA, USER_PA, USER_SIZE, PageSize.SIZE_4K, true, true, hasXd, false));

    Random r = new Random(seed);
    byte[] page = new byte[PhysicalMemory.PAGE_SIZE];
    for (long pa = USER_PA; pa < USER_PA + USER_SIZE; pa += page.length) {
      r.nextBytes(page);
      m.write(pa, page, 0, page.length);
    }
    for (long pa = TEXT_PA; pa < TEXT_PA + (1L << 20); pa += page.length) {
      r.nextBytes(page);
      m.write(pa, page, 0, page.length);
    }
    return new SimulatedMachine(m, mode, b.root(), List.copyOf(maps), b.tablePages());
  }

  /** Every core the tests write must also satisfy binutils (skipped with a message when readelf is absent). */
  static Path readelf(Path core) {
    if (org.kexecsim.dump.ReadElf.available()) {
      try {
        org.kexecsim.dump.ReadElf.check(core);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    } else {
      System.err.println("readelf not on PATH: " + core + " not cross-checked with binutils");
    }
    return core;
  }

  /** CR0/CR3/CR4/EFER as the CPU had them, for the CPU notes. */
  public RegisterFile registers() {
    long[] c = Machines.controlFor(mode);
    return RegisterFile.EMPTY.with(Register.CR0, c[0]).with(Register.CR3, cr3).with(Register.CR4, c[1])
        .with(Register.EFER, c[2] | (mode.isLongMode() ? 1L << 10 : 0)).with(Register.RIP, textVa(mode) + 0x1234);
  }

  public PrStatus.Arch arch() {
    return mode.isLongMode() ? PrStatus.Arch.X86_64 : PrStatus.Arch.I386;
  }

  /** The ELF class QEMU writes for this machine's mode: ELF64 in long mode, else ELF32. */
  public ElfClass nativeClass() {
    return mode.isLongMode() ? ElfClass.ELF64 : ElfClass.ELF32;
  }

  /** This machine's QEMU dump, written as {@code dir/core} and opened. */
  public Dump openQemu(Path dir, ElfClass cls) throws IOException {
    return ElfCoreReader.open(writeQemu(dir.resolve("core"), cls));
  }

  /** A QEMU dump-guest-memory file of this machine, CR3 in the QEMU note. */
  public Path writeQemu(Path out, ElfClass cls) throws IOException {
    return writeQemu(memory, out, cls, registers());
  }

  public Path writeQemu(PhysicalMemory mem, Path out, ElfClass cls, RegisterFile regs) throws IOException {
    ElfCoreWriter.write(mem, CoreSpec.qemu(cls, arch(), RAM.ranges(), List.of(new CpuSnapshot(1, regs)),
        Optional.empty()), out, false);
    return readelf(out);
  }

  /** A kernel-style /proc/vmcore with VMCOREINFO pointing at the root table. */
  public Path writeVmcore(Path out, ElfClass cls, VmcoreInfo info) throws IOException {
    ElfCoreWriter.write(memory, CoreSpec.vmcore(cls, arch(), RAM.ranges(), List.of(new CpuSnapshot(1, registers())),
        Optional.of(info), Optional.empty()), out, false);
    return readelf(out);
  }

  /** A raw image: byte N of the file is physical byte N; only present frames are written. */
  public static Path writeRaw(SparseMemory m, Path out) throws IOException {
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(out, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
      byte[] page = new byte[PhysicalMemory.PAGE_SIZE];
      for (long pfn : m.presentFrameNumbers()) {
        m.read(pfn << 12, page, 0, page.length);
        ch.write(java.nio.ByteBuffer.wrap(page), pfn << 12);
      }
      long end = m.ramMap().end();
      if (ch.size() < end) {
        ch.write(java.nio.ByteBuffer.allocate(1), end - 1);
      }
    }
    return out;
  }

}
