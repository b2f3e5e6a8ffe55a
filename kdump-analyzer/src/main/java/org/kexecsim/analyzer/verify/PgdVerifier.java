package org.kexecsim.analyzer.verify;

import static org.kexecsim.mmu.PageTableEntry.P;
import static org.kexecsim.mmu.PageTableEntry.PS;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.kexecsim.analyzer.AnalysisException;
import org.kexecsim.analyzer.Findings;
import org.kexecsim.analyzer.PageTables;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.dump.VmcoreInfo;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.PageSize;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.ReservedBitFinding;
import org.kexecsim.mmu.Translation;
import org.kexecsim.pagetable.RootCheck;
import org.kexecsim.pagetable.RootPreservation;
import org.kexecsim.pagetable.TableWalk;

/**
 * Proves (or refutes) that a crashed kernel's page tables survived a kexec: the comparison is
 * core's {@link RootPreservation} (every table reachable from the root in BEFORE unchanged at the
 * same address in AFTER); this class adds the explanation: a changed page is reported entry by entry with what the entry mapped before and after, and each change is
 * classified ({@link ChangeKind}): A/D bits set by the CPU's own walks of the old tables until the
 * switch do not change a translation, so they are reported but, unless {@code strict}, do not make
 * the verdict negative.
 *
 * <p>With a single image ({@link #inspect}) there is nothing to compare with: the check is that
 * every table reachable from the root is in the image and that the kernel's VMCOREINFO symbols
 * translate through it, the root's own symbol to the root.
 *
 * <p>Reserved bits are walked through and reported ({@link org.kexecsim.mmu.ReservedBitPolicy#REPORT}).
 */
public final class PgdVerifier {
  /** Table changes listed in full; the count covers all of them. */
  public static final int MAX_REPORTED = 16;

  private PgdVerifier() {}

  /** BEFORE against AFTER, A/D set by hardware walks tolerated. */
  public static PgdVerdict verify(PhysicalMemory before, PhysicalMemory after, PagingContext ctx) {
    return verify(before, after, ctx, "root", false);
  }

  /**
   * Whether every table reachable from {@code ctx}'s root in {@code before} is unchanged in
   * {@code after}, so every translation it defines survived.
   *
   * @param label names the root in the verdict ("VMCOREINFO kernel root", "CPU 0 CR3")
   * @param strict count A/D bits set by hardware walks as changes
   */
  public static PgdVerdict verify(PhysicalMemory before, PhysicalMemory after, PagingContext ctx, String label, boolean strict) {
    requirePaging(ctx);
    Findings findings = new Findings();
    RootCheck check = RootPreservation.check(label, before, after, TableWalk.Start.of(ctx.state()), false,
        PageTables.guarded(ctx.state(), findings(findings)));
    PagingMode mode = ctx.mode();
    List<TableChange> changes = new ArrayList<>();
    long software = 0;
    for (RootCheck.Table t : check.changedTables()) {
      String name = PagingMode.entryName(t.level());
      TableChange change;
      if (t.missing()) {
        change = new TableChange(t.physical(), t.level(), name, mode.canonical(t.linearBase()), true, List.of());
      } else {
        byte[] a = new byte[t.bytes()];
        byte[] b = new byte[t.bytes()];
        before.read(t.physical(), a, 0, a.length);
        after.read(t.physical(), b, 0, b.length);
        change = new TableChange(t.physical(), t.level(), name, mode.canonical(t.linearBase()), false, entries(mode, t, a, b));
      }
      software += change.software() ? 1 : 0;
      if (changes.size() < MAX_REPORTED) {
        changes.add(change);
      }
    }
    return new PgdVerdict(label, ctx, false, strict, check, software,
        List.copyOf(changes), findings.listed(), findings.total(), List.of());
  }

  /**
   * One image: the tables reachable from the root are all there, and every kernel-half VMCOREINFO
   * symbol translates through them; {@code kernelRoot}, when known, is where the root table's own
   * symbol (init_top_pgt, swapper_pg_dir) must land.
   */
  public static PgdVerdict inspect(PhysicalMemory image, PagingContext ctx, String label, Optional<VmcoreInfo> info,
      OptionalLong kernelRoot) {
    requirePaging(ctx);
    Findings findings = new Findings();
    RootCheck check = RootPreservation.survey(label, image, TableWalk.Start.of(ctx.state()),
        PageTables.guarded(ctx.state(), findings(findings)));
    List<SymbolCheck> symbols = new ArrayList<>();
    if (info.isPresent()) {
      PageWalker walker = new PageWalker(image);
      for (String key : info.get().entries().keySet()) {
        if (!key.startsWith("SYMBOL(") || !key.endsWith(")")) {
          continue;
        }
        String sym = key.substring(7, key.length() - 1);
        long va = info.get().symbol(sym).orElse(0);
        if (!kernelHalf(ctx.mode(), va)) {
          continue; // not a kernel variable's address: nothing to expect of it
        }
        boolean isRoot = sym.equals("init_top_pgt") || sym.equals("init_level4_pgt") || sym.equals("swapper_pg_dir");
        symbols.add(check(walker, image, ctx, sym, va, isRoot ? kernelRoot : OptionalLong.empty()));
      }
    }
    return new PgdVerdict(label, ctx, true, false, check, 0, List.of(),
        findings.listed(), findings.total(), List.copyOf(symbols));
  }

  private static boolean kernelHalf(PagingMode mode, long va) {
    return mode.isLongMode() ? va < 0 : Long.compareUnsigned(va, 0xC000_0000L) >= 0 && Long.compareUnsigned(va, 1L << 32) < 0;
  }

  private static SymbolCheck check(PageWalker walker, PhysicalMemory image, PagingContext ctx, String sym, long va,
      OptionalLong expected) {
    Translation t = walker.translate(ctx.state(), va, Access.READ, false);
    if (t instanceof Translation.Faulted f) {
      return new SymbolCheck(sym, va, expected, OptionalLong.empty(), "not mapped: " + f.describe());
    }
    if (t instanceof Translation.Unreadable u) {
      return new SymbolCheck(sym, va, expected, OptionalLong.empty(), "a table on the way is outside the image: " + u.reason());
    }
    long pa = ((Translation.Mapped) t).physical();
    if (expected.isPresent() && expected.getAsLong() != pa) {
      return new SymbolCheck(sym, va, expected, OptionalLong.of(pa),
          String.format("maps to 0x%x, not to the kernel root 0x%x", pa, expected.getAsLong()));
    }
    if (!image.ramMap().containsRange(pa, 1)) {
      return new SymbolCheck(sym, va, expected, OptionalLong.of(pa), String.format("maps to 0x%x, outside the image", pa));
    }
    return new SymbolCheck(sym, va, expected, OptionalLong.of(pa), "");
  }

  private static void requirePaging(PagingContext ctx) {
    if (ctx.mode() == PagingMode.DISABLED) {
      // Nothing to walk would make "preserved" vacuously true: refuse instead.
      throw new AnalysisException(AnalysisException.Kind.USAGE,
          "paging was off in BEFORE (" + ctx.modeSource() + "), so it has no page tables to verify; pass --cr3 and --mode");
    }
  }

  private static PageTables.Visitor findings(Findings findings) {
    return new PageTables.Visitor() {
      @Override
      public void reserved(ReservedBitFinding f) {
        findings.add(f);
      }
    };
  }

  private static List<EntryChange> entries(PagingMode mode, RootCheck.Table t, byte[] a, byte[] b) {
    int width = mode.entryBytes();
    int shift = mode.shift(t.level());
    List<EntryChange> out = new ArrayList<>();
    for (int i = 0; i * width < a.length; i++) {
      long oldValue = entry(a, i, width);
      long newValue = entry(b, i, width);
      if (oldValue != newValue) {
        long linear = mode.canonical(t.linearBase() + ((long) i << shift));
        out.add(new EntryChange(i, oldValue, newValue, linear, 1L << shift, meaning(mode, t.level(), oldValue),
            meaning(mode, t.level(), newValue), ChangeKind.of(mode, t.level(), oldValue, newValue)));
      }
    }
    return List.copyOf(out);
  }

  private static long entry(byte[] page, int index, int width) {
    long v = 0;
    for (int k = width - 1; k >= 0; k--) {
      v = (v << 8) | (page[index * width + k] & 0xff);
    }
    return v;
  }

  /** What an entry at {@code level} points to: nothing, a lower table, or a page. */
  static String meaning(PagingMode mode, int level, long e) {
    if ((e & P) == 0) {
      return "not present";
    }
    boolean leaf = level == 1 || ((e & PS) != 0 && mode.psLeafLevel(level));
    if (!leaf) {
      return String.format("table at 0x%x", mode.tableAddress(e));
    }
    long pa = mode.leafPhysical(e, level, PagingMode.FRAME_MASK_64);
    return String.format("%s page at 0x%x %s", PageSize.ofShift(mode.shift(level)).label(), pa, PageTableEntry.flags(e));
  }
}
