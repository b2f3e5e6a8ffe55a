package org.kexecsim.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;
import org.kexecsim.analyzer.AnalysisException;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.RootTableFinder;
import org.kexecsim.analyzer.symbols.AddressExpression;
import org.kexecsim.analyzer.symbols.KernelSymbols;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.VmcoreInfo;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.PagingMode;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code --cr3}, {@code --mode}, {@code --cpu}: how an analysis finds the page tables. */
final class PagingOptions {
  @Option(names = "--cr3", converter = AddressArgument.class, paramLabel = "PA|SYMBOL",
      description = "root table (CR3): a physical address in hex (0x optional), or a symbol (init_top_pgt, swapper_pg_dir+0x1000) meaning its physical address; default: CR3 of a QEMU CPU note (bit 12 masked only when the dump shows PTI), else VMCOREINFO init_top_pgt/swapper_pg_dir")
  AddressExpression cr3;

  @Option(names = "--symbols", paramLabel = "FILE",
      description = "kernel symbols: System.map, a /proc/kallsyms copy, or a vmlinux/.o with a symbol table; relocated by VMCOREINFO KERNELOFFSET (KASLR). VMCOREINFO's SYMBOL() lines are always known")
  Path symbolFile;

  /** The symbols of the dump last asked about, so that a command loads the file once per dump. */
  private Dump symbolsOf;
  private KernelSymbols symbols;

  @Option(names = "--mode", description = "paging mode 32, pae, 4level, 5level; default: from the CPU note or VMCOREINFO")
  String mode;

  @Option(names = "--cpu", defaultValue = "0", description = "whose CPU note gives CR3 (default: ${DEFAULT-VALUE})")
  int cpu;

  /** {@code dump}'s symbols: VMCOREINFO's and those of --symbols, relocated for KASLR. */
  KernelSymbols symbols(Dump dump) throws java.io.IOException {
    if (symbolsOf != dump) {
      symbols = KernelSymbols.of(dump, Optional.ofNullable(symbolFile));
      symbolsOf = dump;
    }
    return symbols;
  }

  /** The virtual address {@code e} names in {@code dump}; an unknown symbol is bad usage. */
  long virtual(CommandLine cl, Dump dump, AddressExpression e) throws java.io.IOException {
    KernelSymbols k = symbols(dump);
    return guarded(cl, dump, () -> k.resolve(e));
  }

  /** The physical address {@code e} names: a number as is, a symbol through the kernel image mapping. */
  long physical(CommandLine cl, Dump dump, AddressExpression e) throws java.io.IOException {
    KernelSymbols k = symbols(dump);
    return guarded(cl, dump, () -> k.resolvePhysical(e));
  }

  /**
   * The virtual address {@code e} names, which {@code ctx}'s mode must be able to form: 32-bit
   * and PAE paging translate 32-bit linear addresses (SDM Vol. 3A §4.3, §4.4), so a wider value
   * is bad usage, not a fault. In 4- and 5-level paging every 64-bit value is an address the CPU
   * can use; a non-canonical one is its #GP, which the walk reports.
   */
  long virtual(CommandLine cl, Dump dump, PagingContext ctx, AddressExpression e) throws java.io.IOException {
    long va = virtual(cl, dump, e);
    requireLinear(cl, ctx, "VA", e.toString(), va, 1);
    return va;
  }

  /**
   * {@code [first, first + length)} fits {@code ctx}'s linear address space, else bad usage
   * naming the argument: {@code label} (VA, ADDRESS) and the user's {@code text}.
   */
  static void requireLinear(CommandLine cl, PagingContext ctx, String label, String text, long first, long length) {
    requireLinear(cl, ctx.mode(), label, text, first, length);
  }

  /** As above, for a paging mode the command chose itself (translate). */
  static void requireLinear(CommandLine cl, PagingMode mode, String label, String text, long first, long length) {
    if (mode.isLongMode()) {
      return;
    }
    long last = first + length - 1;
    if (Long.compareUnsigned(first, 0xFFFF_FFFFL) > 0 || Long.compareUnsigned(last, 0xFFFF_FFFFL) > 0) {
      String hex = String.format("0x%x", first);
      throw new CommandLine.ParameterException(cl, String.format(
          "%s %s%s: %s paging translates 32-bit linear addresses, 0x0-0xffffffff (SDM Vol. 3A %s)",
          label, text.equals(hex) ? text : text + " = " + hex, length > 1 ? String.format(" + 0x%x", length) : "",
          mode == PagingMode.PAE ? "PAE" : "32-bit", mode == PagingMode.PAE ? "§4.4" : "§4.3"));
    }
  }

  private OptionalLong cr3(CommandLine cl, Dump dump) {
    if (cr3 == null) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(physical(cl, dump, cr3));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  PagingContext resolve(CommandLine cl, Dump dump) {
    requireCpu(cl, dump);
    Optional<PagingMode> m = mode(cl);
    OptionalLong root = cr3(cl, dump);
    PagingContext ctx = guarded(cl, dump,
        () -> RootTableFinder.find(dump, root, m, cpu));
    requireRootInRam(dump, ctx);
    return ctx;
  }

  /**
   * With --cr3, that root; otherwise every root {@code dump} names: the crashed kernel's from
   * {@code info} (VMCOREINFO) and each CPU's CR3 of QEMU's notes; when it names none, what
   * {@link #resolve} finds.
   */
  List<RootTableFinder.LabeledRoot> resolveAll(CommandLine cl, Dump dump, Optional<VmcoreInfo> info) {
    if (cr3 != null) {
      return List.of(new RootTableFinder.LabeledRoot("--cr3", resolve(cl, dump)));
    }
    Optional<PagingMode> m = mode(cl);
    List<RootTableFinder.LabeledRoot> roots = guarded(cl, dump, () -> RootTableFinder.allRoots(dump, info, m));
    if (roots.isEmpty()) {
      return List.of(new RootTableFinder.LabeledRoot("root", resolve(cl, dump)));
    }
    roots.forEach(r -> requireRootInRam(dump, r.paging()));
    return roots;
  }

  /** --cpu names a CPU whose note the dump holds; no silent fallback to another CPU's CR3. */
  private void requireCpu(CommandLine cl, Dump dump) {
    if (cpu < 0) {
      throw new CommandLine.ParameterException(cl, "--cpu " + cpu + ": a CPU number is 0 or more");
    }
    int notes = dump.qemuCpuStates().size();
    if (cr3 == null && notes > 0 && cpu >= notes) {
      throw new CommandLine.ParameterException(cl, String.format(
          "--cpu %d: %s has QEMU CPU notes for CPUs 0-%d", cpu, dump.name(), notes - 1));
    }
  }

  private Optional<PagingMode> mode(CommandLine cl) {
    if (mode == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(PagingMode.fromCliName(mode));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--mode: " + e.getMessage());
    }
  }

  private <T> T guarded(CommandLine cl, Dump dump, Supplier<T> finder) {
    try {
      return finder.get();
    } catch (AnalysisException e) {
      if (e.kind() == AnalysisException.Kind.USAGE) {
        throw new CommandLine.ParameterException(cl, dump.name() + ": " + e.getMessage());
      }
      throw naming(dump, e);
    }
  }

  /** A root table the dump does not hold is bad input, not an unmapped address: nothing could translate. */
  private static void requireRootInRam(Dump dump, PagingContext ctx) {
    long rootBytes = ctx.mode() == PagingMode.PAE ? 32 : PhysicalMemory.PAGE_SIZE;
    if (!dump.physicalMemory().ramMap().containsRange(ctx.root(), rootBytes)) {
      throw TablesOutsideRam.atRoot(dump.name(), ctx.state().mode().rootTableName(), ctx.state().control().cr3(),
          ctx.root(), dump.physicalMemory().ramMap());
    }
  }

  /** {@code e} with the image's name in front, so that the one line says which file. */
  static AnalysisException naming(Dump dump, AnalysisException e) {
    return e.naming(dump.name());
  }
}
