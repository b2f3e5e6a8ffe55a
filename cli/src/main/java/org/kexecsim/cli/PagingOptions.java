package org.kexecsim.cli;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;
import org.kexecsim.analyzer.AnalysisException;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.RootTableFinder;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.VmcoreInfo;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.PagingMode;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code --cr3}, {@code --mode}, {@code --cpu}: how an analysis finds the page tables. */
final class PagingOptions {
  @Option(names = "--cr3", converter = Numbers.class,
      description = "root table (CR3); default: CR3 of a QEMU CPU note (bit 12 masked only when the dump shows PTI), else VMCOREINFO init_top_pgt/swapper_pg_dir")
  Long cr3;

  @Option(names = "--mode", description = "paging mode 32, pae, 4level, 5level; default: from the CPU note or VMCOREINFO")
  String mode;

  @Option(names = "--cpu", defaultValue = "0", description = "whose CPU note gives CR3 (default: ${DEFAULT-VALUE})")
  int cpu;

  PagingContext resolve(CommandLine cl, Dump dump) {
    requireCpu(cl, dump);
    Optional<PagingMode> m = mode(cl);
    PagingContext ctx = guarded(cl, dump,
        () -> RootTableFinder.find(dump, cr3 == null ? OptionalLong.empty() : OptionalLong.of(cr3), m, cpu));
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
      throw TablesOutsideRam.atRoot(dump.name(), TablesOutsideRam.rootName(ctx.state()), ctx.state().control().cr3(),
          ctx.root(), dump.physicalMemory().ramMap());
    }
  }

  /** {@code e} with the image's name in front, so that the one line says which file. */
  static AnalysisException naming(Dump dump, AnalysisException e) {
    return e.naming(dump.name());
  }
}
