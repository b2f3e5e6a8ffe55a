package org.kexecsim.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kexecsim.kimage.Arch;
import org.kexecsim.memory.RamMap;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.CpuFeatures;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.mmu.PagingState;
import org.kexecsim.mmu.Translation;

class KernelBootTest {
  private static final long GIB = 1L << 30;
  private static final long TIB = 1L << 40;

  private static CrashedKernel boot(Arch arch, long ram, long seed) {
    return KernelBoot.boot(arch, RamMap.ofSize(ram), Optional.of("256M"), seed);
  }

  private static Translation.Mapped mapped(CrashedKernel k, long root, long va, int access) {
    PagingState s = k.registers().withCr3(root).pagingState(k.memory(), k.cpu());
    return assertInstanceOf(Translation.Mapped.class, PageWalker.translate(k.memory(), s, va, access),
        String.format("0x%x under root 0x%x", va, root));
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void theSameSeedBootsTheSameMachine(Arch arch) {
    CrashedKernel a = boot(arch, 2 * GIB, 77);
    CrashedKernel b = boot(arch, 2 * GIB, 77);
    assertArrayEquals(a.memory().presentFrameNumbers(), b.memory().presentFrameNumbers());
    for (long pfn : a.memory().presentFrameNumbers()) {
      assertTrue(a.memory().pageEquals(pfn << 12, b.memory(), pfn << 12));
    }
    assertEquals(a.registers(), b.registers());
    assertEquals(a.relocateKernelVirtual(), b.relocateKernelVirtual());
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void kernelTextAndRelocateKernelAreExecutableThroughCr3(Arch arch) {
    CrashedKernel k = boot(arch, 2 * GIB, 5);
    Translation.Mapped t = mapped(k, k.currentPgd(), k.relocateKernelVirtual(), Access.FETCH);
    assertEquals(k.relocateKernelPhysical(), t.physical());
    assertTrue(k.text().containsVirtual(k.relocateKernelVirtual()));
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void everyProcessSharesTheKernelHalf(Arch arch) {
    CrashedKernel k = boot(arch, 2 * GIB, 9);
    long probe = k.directMapVirtual(0x10_0000);
    for (KernelProcess p : k.processes()) {
      assertEquals(0x10_0000L, mapped(k, p.pgdPhysical(), probe, Access.READ).physical());
      for (long user : p.userPages()) {
        mapped(k, p.pgdPhysical(), user, Access.READ | Access.USER);
      }
    }
    assertTrue(k.processes().stream().anyMatch(p -> p.pgdPhysical() == k.currentPgd()), "CR3 is a process's pgd");
  }

  @Test
  void x86_64DirectMapUses1GPagesAndTensOfTibCostOnlyTables() {
    CrashedKernel k = boot(Arch.X86_64, 48 * TIB, 3);
    Translation.Mapped t = mapped(k, k.currentPgd(), 0xFFFF_8880_0000_0000L + 40 * TIB + 0x1234, Access.READ);
    assertEquals(40 * TIB + 0x1234, t.physical());
    assertEquals(PageSize.SIZE_1G, t.pageSize());
    // Tables, plus what SPARSEMEM_VMEMMAP costs whatever the kernel does: a mem_section root page
    // per 128 sections, a vmemmap PMD page per 512 (2 MiB pages), the root array; plus the free
    // blocks' stale data (under 1024 frames). The struct pages themselves stay holes.
    long sections = (48 * TIB) >>> SparseVmemmap.SECTION_SIZE_BITS;
    long memmapTables = sections / SparseVmemmap.SECTIONS_PER_ROOT + sections / 512 + 8;
    assertTrue(k.memory().framesPresent() < 400 + memmapTables + 1024,
        "frames touched: " + k.memory().framesPresent() + ", of which memmap tables " + memmapTables);
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void i386LowmemUsesLargePagesAndX86_64TextSitsAtPhysBase(Arch arch) {
    CrashedKernel k = boot(arch, 2 * GIB, 4);
    Translation.Mapped t = mapped(k, k.kernelPgd(), k.directMapVirtual(0x40_0000), Access.READ);
    assertEquals(arch == Arch.X86_64 ? PageSize.SIZE_1G : arch.largestPage(), t.pageSize());
    if (arch == Arch.X86_64) {
      assertEquals(0xFFFF_FFFF_8100_0000L, k.text().virtualStart());
      assertEquals(k.physBase() + 0x100_0000L, k.text().physicalStart());
    }
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void vmcoreinfoIsAnElfNoteWhoseSymbolsTranslate(Arch arch) {
    CrashedKernel k = boot(arch, 2 * GIB, 12);
    byte[] note = new byte[k.vmcoreinfoNoteBytes()];
    k.memory().read(k.vmcoreinfoNote(), note, 0, note.length);
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(note).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    int namesz = b.getInt(0);
    int descsz = b.getInt(4);
    assertEquals(11, namesz);
    assertEquals(0, b.getInt(8), "type 0");
    assertEquals("VMCOREINFO", new String(note, 12, 10, StandardCharsets.US_ASCII));
    byte[] desc = java.util.Arrays.copyOfRange(note, 24, 24 + descsz);
    Map<String, String> info = org.kexecsim.dump.VmcoreInfo.parse(new String(desc, StandardCharsets.US_ASCII)).entries();
    assertEquals("4096", info.get("PAGESIZE"));
    long pgdVa = Long.parseUnsignedLong(info.get("SYMBOL(swapper_pg_dir)"), 16);
    assertEquals(k.kernelPgd(), mapped(k, k.currentPgd(), pgdVa, Access.READ).physical());
    if (arch == Arch.X86_64) {
      assertEquals(String.valueOf(k.physBase()), info.get("NUMBER(phys_base)"));
      assertEquals(info.get("SYMBOL(swapper_pg_dir)"), info.get("SYMBOL(init_top_pgt)"));
    }
    // What VMCOREINFO says is there, is there: one node online, and mem_map holds a pointer.
    long nodesVa = Long.parseUnsignedLong(info.get("SYMBOL(node_online_map)"), 16);
    assertEquals(1L, k.memory().readU64(mapped(k, k.currentPgd(), nodesVa, Access.READ).physical()), "node 0 online");
    String memModel = arch == Arch.X86_64 ? "SYMBOL(mem_section)" : "SYMBOL(mem_map)";
    long memMapVa = Long.parseUnsignedLong(info.get(memModel), 16);
    long memModelPa = mapped(k, k.currentPgd(), memMapVa, Access.READ).physical();
    assertNotEquals(0L, k.memory().readU64(memModelPa), memModel + " set");
    if (arch != Arch.X86_64) {
      // FLATMEM: mem_map holds the direct-map address of a struct page array that is mapped and
      // is the kernel's own memory (not a pointer to physical 0 with nothing behind it).
      long array = mapped(k, k.currentPgd(), k.memory().readU32(memModelPa), Access.READ).physical();
      assertTrue(k.memmap().stream().anyMatch(r -> r.start() == array), String.format("mem_map -> 0x%x", array));
      assertEquals("4", info.get("SIZE(nodemask_t)"), "one unsigned long on i386, as 686-pae's VMCOREINFO says");
    }
    assertEquals(0, b.getInt(24 + ((descsz + 3) & ~3)), "a final empty note follows");
    assertArrayEquals(desc, k.vmcoreinfoData());
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void gdtHoldsKernelCsAndTheIdtPointsIntoText(Arch arch) {
    CrashedKernel k = boot(arch, 2 * GIB, 21);
    boolean is64 = arch == Arch.X86_64;
    int cs = is64 ? SegmentDescriptors.X86_64_KERNEL_CS : SegmentDescriptors.I386_KERNEL_CS;
    long gdtPa = mapped(k, k.currentPgd(), k.gdt().virtual(), Access.READ).physical();
    long desc = k.memory().readU64(gdtPa + cs);
    assertEquals(is64 ? 1 : 0, (desc >>> 53) & 1, "L bit");
    assertEquals(0x9b, (desc >>> 40) & 0xFF, "present, DPL 0, code exec/read, accessed");
    long idtPa = mapped(k, k.currentPgd(), k.idt().virtual(), Access.READ).physical();
    long low = k.memory().readU64(idtPa);
    long handler = (low & 0xFFFF) | (((low >>> 48) & 0xFFFF) << 16) | (is64 ? k.memory().readU64(idtPa + 8) << 32 : 0);
    assertEquals(cs, (int) ((low >>> 16) & 0xFFFF));
    assertTrue(k.text().containsVirtual(handler), String.format("vector 0 handler 0x%x", handler));
    assertEquals(is64 ? 4095 : 2047, k.idt().limit());
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void theCrashingCpusNoteNamesTheCurrentProcess(Arch arch) {
    CrashedKernel k = boot(arch, 2 * GIB, 33);
    boolean found = false;
    for (long pa : k.crashNotes()) {
      assertEquals(5, k.memory().readU32(pa));
      assertEquals(arch == Arch.X86_64 ? 336 : 144, k.memory().readU32(pa + 4));
      assertEquals(1, k.memory().readU32(pa + 8), "NT_PRSTATUS");
      long pid = k.memory().readU32(pa + 20 + (arch == Arch.X86_64 ? 32 : 24));
      found |= pid == k.currentPid();
    }
    assertTrue(found);
  }

  /** A vmlinux's relocate_kernel address is honoured when it is a page of kernel text, refused otherwise. */
  @Test
  void relocateKernelGoesWhereAVmlinuxLinkedIt() {
    long linked = 0xffff_ffff_8107_8000L;
    CrashedKernel k = KernelBoot.boot(Arch.X86_64, RamMap.ofSize(1L << 30), Optional.empty(), 3, java.util.OptionalLong.of(linked));
    assertEquals(linked, k.relocateKernelVirtual());
    assertEquals(k.text().physical(linked), k.relocateKernelPhysical());
    for (long bad : new long[] {linked + 0x10, 0xffff_ffff_a000_0000L, k.text().virtualStart()}) {
      org.junit.jupiter.api.Assertions.assertThrows(org.kexecsim.kimage.ImpossibleLayoutException.class,
          () -> KernelBoot.boot(Arch.X86_64, RamMap.ofSize(1L << 30), Optional.empty(), 3, java.util.OptionalLong.of(bad)));
    }
  }
}
