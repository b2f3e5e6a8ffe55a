package org.kexecsim.analyzer.symbols;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.kexecsim.analyzer.AnalysisException;
import org.kexecsim.analyzer.RootTableFinder;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.VmcoreInfo;

/**
 * The crashed kernel's symbols at their run-time addresses: those of a symbol file (System.map,
 * a kallsyms copy, a vmlinux) and the {@code SYMBOL(name)} lines of VMCOREINFO, which the kernel
 * writes at run time (kernel/vmcore_info.c VMCOREINFO_SYMBOL: {@code (unsigned long)&name}).
 *
 * <p><b>KASLR.</b> A System.map or vmlinux lists the link-time addresses; the kernel moved its
 * image by {@code KERNELOFFSET} (x86_64 arch_crash_save_vmcoreinfo: {@code kaslr_offset()}),
 * which VMCOREINFO records in hex. A kallsyms copy already has the run-time addresses. Which one a
 * file is, is read from the symbols the file shares with VMCOREINFO: their difference is 0 (a
 * run-time list) or KERNELOFFSET (a link-time list, relocated here); anything else means the file
 * belongs to another build and is refused. Only kernel-image symbols move (x86_64: at or above
 * __START_KERNEL_map; absolute and per-CPU symbols do not).
 *
 * <p><b>Physical addresses</b> of kernel-image symbols, for {@code --cr3 init_top_pgt}: x86_64
 * {@code va - __START_KERNEL_map + phys_base} (arch/x86/include/asm/page_64.h
 * __phys_addr_nodebug; {@code NUMBER(phys_base)} of VMCOREINFO, decimal), i386 {@code va -
 * PAGE_OFFSET} (arch/x86/include/asm/page_32.h __phys_addr_nodebug).
 */
public final class KernelSymbols implements AddressNames {
  /** KERNEL_IMAGE_SIZE with KASLR (arch/x86/include/asm/page_64_types.h), when VMCOREINFO does not say. */
  private static final long DEFAULT_IMAGE_SIZE = 1L << 30;
  /** How far past a VMCOREINFO-only symbol an address is named after it: a page (a table, a structure). */
  static final long VMCOREINFO_REACH = 4096;

  private final SymbolTable table;
  private final boolean x86_64;
  private final long slide;
  private final long physBase;
  private final boolean physBaseKnown;
  private final long imageSize;
  private final String source;

  private KernelSymbols(SymbolTable table, boolean x86_64, long slide, long physBase, boolean physBaseKnown, long imageSize, String source) {
    this.table = table;
    this.x86_64 = x86_64;
    this.slide = slide;
    this.physBase = physBase;
    this.physBaseKnown = physBaseKnown;
    this.imageSize = imageSize;
    this.source = source;
  }

  /** The symbols of {@code dump}'s VMCOREINFO and, when given, of {@code file}. */
  public static KernelSymbols of(Dump dump, Optional<Path> file) throws IOException {
    List<Symbol> fromFile = file.isPresent() ? SymbolFile.read(file.get()) : List.of();
    return of(dump.vmcoreInfo(), dump.eMachine(), fromFile, file.map(Path::toString));
  }

  /** VMCOREINFO's symbols only: what every analysis has without a file. */
  public static KernelSymbols of(Dump dump) {
    return of(dump.vmcoreInfo(), dump.eMachine(), List.of(), Optional.empty());
  }

  /**
   * @param eMachine the dump's e_machine (62 x86_64, 3 i386, 0 unknown: then VMCOREINFO or the
   *     symbols' width decide)
   */
  public static KernelSymbols of(Optional<VmcoreInfo> info, int eMachine, List<Symbol> fileSymbols, Optional<String> fileName) {
    boolean x86_64 = eMachine == Dump.EM_X86_64 || (eMachine != Dump.EM_386
        && (info.map(v -> v.symbol("init_top_pgt").isPresent() || v.symbol("init_level4_pgt").isPresent()).orElse(false)
            || (info.map(v -> v.symbol("swapper_pg_dir").isEmpty()).orElse(true)
                && fileSymbols.stream().anyMatch(s -> Long.compareUnsigned(s.address(), 0xFFFF_FFFFL) > 0))));
    long recorded = info.flatMap(v -> v.kernelOffset().isPresent() ? Optional.of(v.kernelOffset().getAsLong()) : Optional.empty()).orElse(0L);
    Map<String, String> entries = info.map(VmcoreInfo::entries).orElse(Map.of());
    long slide = recorded;
    String slideWhy = recorded == 0 ? "" : String.format(", KERNELOFFSET 0x%x applied", recorded);
    if (!fileSymbols.isEmpty() && info.isPresent()) {
      for (Symbol s : fileSymbols) {
        OptionalLong v = info.get().symbol(s.name());
        if (v.isEmpty() || s.absolute() || !inImage(x86_64, s.address())) {
          continue;
        }
        long d = v.getAsLong() - s.address();
        if (d == 0) {
          slide = 0;
          slideWhy = recorded == 0 ? "" : String.format(", run-time addresses already (SYMBOL(%s) matches; KERNELOFFSET 0x%x not applied)", s.name(), recorded);
        } else if (d == recorded) {
          slide = recorded;
        } else {
          throw new SymbolFileException(String.format(
              "%s does not belong to this dump: %s is 0x%x there, VMCOREINFO has SYMBOL(%s)=%x and KERNELOFFSET=%x (%s)",
              fileName.orElse("the symbol file"), s.name(), s.address(), s.name(), v.getAsLong(), recorded,
              entries.getOrDefault("OSRELEASE", "no OSRELEASE")));
        }
        break;
      }
    }
    List<Symbol> all = new ArrayList<>(fileSymbols.size() + 64);
    Set<String> names = new HashSet<>();
    for (Symbol s : fileSymbols) {
      long a = !s.absolute() && inImage(x86_64, s.address()) ? s.address() + slide : s.address();
      all.add(new Symbol(s.name(), a, s.type(), s.size()));
      names.add(s.name());
    }
    int fromInfo = 0;
    for (String key : entries.keySet()) {
      if (key.startsWith("SYMBOL(") && key.endsWith(")")) {
        String name = key.substring(7, key.length() - 1);
        fromInfo++;
        if (!names.contains(name)) {
          all.add(new Symbol(name, info.get().symbol(name).getAsLong(), 'D', 0));
        }
      }
    }
    long[] range = nameableRange(x86_64, all, fileSymbols.isEmpty());
    // VMCOREINFO lists a few symbols: past one of them, only its own page is named after it
    Set<String> sparse = new HashSet<>();
    for (Symbol s : all) {
      if (!names.contains(s.name())) {
        sparse.add(s.name());
      }
    }
    SymbolTable table = SymbolTable.of(all, a -> Long.compareUnsigned(a, range[0]) >= 0 && Long.compareUnsigned(a, range[1]) <= 0,
        s -> sparse.contains(s.name()) ? VMCOREINFO_REACH : Long.MAX_VALUE);
    OptionalLong pb = info.map(v -> v.number("phys_base")).orElse(OptionalLong.empty());
    long imageSize = info.map(v -> v.number("KERNEL_IMAGE_SIZE")).orElse(OptionalLong.empty()).orElse(DEFAULT_IMAGE_SIZE);
    StringBuilder src = new StringBuilder();
    fileName.ifPresent(f -> src.append(f).append(" (").append(fileSymbols.size()).append(" symbols)"));
    if (info.isPresent()) {
      src.append(src.isEmpty() ? "" : " + ").append("VMCOREINFO (").append(fromInfo).append(" SYMBOL lines)");
    }
    if (src.isEmpty()) {
      src.append("none");
    }
    if (!fileSymbols.isEmpty()) { // VMCOREINFO's own lines are run-time addresses: nothing was relocated
      src.append(slideWhy);
    }
    return new KernelSymbols(table, x86_64, slide, pb.orElse(0), pb.isPresent(), imageSize, src.toString());
  }

  /**
   * The addresses symbols may name: the kernel image and, on x86_64, the module area above it
   * (from __START_KERNEL_map up). Not the direct map or the heap: some SYMBOL() lines of
   * VMCOREINFO hold a pointer's value there ({@code SYMBOL(mem_section)}, kernel/vmcore_info.c
   * VMCOREINFO_SYMBOL_ARRAY), and per-CPU symbols are offsets. On i386 the image runs from
   * {@code _text} to {@code _end} when known; else from PAGE_OFFSET up to the highest symbol of
   * the file, or KERNEL_IMAGE_SIZE (512 MiB, arch/x86/include/asm/page_32_types.h) past it.
   */
  private static long[] nameableRange(boolean x86_64, List<Symbol> all, boolean vmcoreInfoOnly) {
    if (x86_64) {
      return new long[] {RootTableFinder.START_KERNEL_MAP, -1L};
    }
    long low = -1;
    long high = -1;
    long highest = RootTableFinder.PAGE_OFFSET_I386;
    for (Symbol s : all) {
      long a = s.address();
      if ((s.name().equals("_text") || s.name().equals("_stext")) && Long.compareUnsigned(a, low) < 0) {
        low = a;
      } else if (s.name().equals("_end")) {
        high = a;
      }
      if (!s.absolute() && Long.compareUnsigned(a, highest) > 0 && Long.compareUnsigned(a, 0xFFFF_FFFFL) <= 0) {
        highest = a;
      }
    }
    if (low == -1) {
      low = RootTableFinder.PAGE_OFFSET_I386;
    }
    if (high == -1) {
      high = vmcoreInfoOnly ? low + (512L << 20) - 1 : highest;
    }
    return new long[] {low, high};
  }

  private static boolean inImage(boolean x86_64, long va) {
    return x86_64 ? Long.compareUnsigned(va, RootTableFinder.START_KERNEL_MAP) >= 0
        : Long.compareUnsigned(va, RootTableFinder.PAGE_OFFSET_I386) >= 0;
  }

  public SymbolTable table() {
    return table;
  }

  /** Where the symbols came from and whether they were relocated, for reports. */
  public String source() {
    return source;
  }

  public OptionalLong address(String name) {
    return table.address(name);
  }

  /** The virtual address {@code e} names; a USAGE AnalysisException for a symbol nobody lists. */
  public long resolve(AddressExpression e) {
    if (e.symbol().isEmpty()) {
      return e.offset();
    }
    String name = e.symbol().get();
    OptionalLong a = table.address(name);
    if (a.isEmpty()) {
      throw new AnalysisException(AnalysisException.Kind.USAGE, source.startsWith("none")
          ? String.format("'%s': no symbols known (no VMCOREINFO, no --symbols); pass --symbols System.map|vmlinux|kallsyms", e.text())
          : String.format("'%s': no symbol %s in %s%s", e.text(), name, source,
              source.startsWith("VMCOREINFO") ? "; pass --symbols System.map|vmlinux|kallsyms" : ""));
    }
    return a.getAsLong() + e.offset();
  }

  /**
   * The physical address {@code e} names: a number as it is, a symbol through the kernel's own
   * image mapping (see the class comment); a USAGE AnalysisException for a symbol outside it.
   */
  public long resolvePhysical(AddressExpression e) {
    long va = resolve(e);
    if (e.symbol().isEmpty()) {
      return va;
    }
    OptionalLong pa = physical(va);
    if (pa.isEmpty()) {
      throw new AnalysisException(AnalysisException.Kind.USAGE, String.format(
          "'%s' = 0x%x is not in the kernel image mapping, so its physical address is not a subtraction; give a physical address", e.text(), va));
    }
    return pa.getAsLong();
  }

  /** The physical address of a kernel-image virtual address, or empty outside the image mapping. */
  public OptionalLong physical(long va) {
    if (x86_64) {
      long off = va - RootTableFinder.START_KERNEL_MAP;
      return Long.compareUnsigned(va, RootTableFinder.START_KERNEL_MAP) >= 0 && Long.compareUnsigned(off, imageSize) < 0
          ? OptionalLong.of(off + physBase) : OptionalLong.empty();
    }
    return Long.compareUnsigned(va, RootTableFinder.PAGE_OFFSET_I386) >= 0 && Long.compareUnsigned(va, 0xFFFF_FFFFL) <= 0
        ? OptionalLong.of(va - RootTableFinder.PAGE_OFFSET_I386) : OptionalLong.empty();
  }

  /** Whether phys_base came from VMCOREINFO (else 0 is assumed, right for a kernel loaded where it was linked). */
  public boolean physBaseKnown() {
    return physBaseKnown;
  }

  @Override
  public Optional<String> at(long va) {
    return table.nameAt(va);
  }

  @Override
  public Optional<String> atPhysical(long pa) {
    OptionalLong va = virtual(pa);
    return va.isPresent() ? table.nameAt(va.getAsLong()) : Optional.empty();
  }

  /**
   * The kernel-image virtual address of a physical one, the inverse of {@link #physical}: x86_64
   * within KERNEL_IMAGE_SIZE of phys_base; i386 {@code pa + PAGE_OFFSET} while that stays in the
   * 32-bit space, so below {@code 4 GiB - PAGE_OFFSET} (1 GiB with the 3G/1G split).
   */
  private OptionalLong virtual(long pa) {
    if (x86_64) {
      return Long.compareUnsigned(pa - physBase, imageSize) < 0
          ? OptionalLong.of(pa - physBase + RootTableFinder.START_KERNEL_MAP) : OptionalLong.empty();
    }
    return Long.compareUnsigned(pa, (1L << 32) - RootTableFinder.PAGE_OFFSET_I386) < 0
        ? OptionalLong.of(pa + RootTableFinder.PAGE_OFFSET_I386) : OptionalLong.empty();
  }
}
