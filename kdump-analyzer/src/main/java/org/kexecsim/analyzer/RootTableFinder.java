package org.kexecsim.analyzer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.QemuCpuState;
import org.kexecsim.dump.Register;
import org.kexecsim.dump.VmcoreInfo;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.ControlWrite;
import org.kexecsim.mmu.CpuFeatures;
import org.kexecsim.mmu.Cr0;
import org.kexecsim.mmu.Cr4;
import org.kexecsim.mmu.Efer;
import org.kexecsim.mmu.LinuxControl;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PagingLoad;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.PagingState;
import org.kexecsim.mmu.Pdptes;
import org.kexecsim.mmu.ReservedBitFinding;
import org.kexecsim.mmu.ReservedBitPolicy;
import org.kexecsim.mmu.WalkStep;

/**
 * Finds the root page table and the paging mode of an image, in this order:
 *
 * <ol>
 *   <li>an explicit CR3 / mode from the user;
 *   <li>CR3 (and CR0/CR4) of a QEMU CPU note. Bits 11:0 are never address bits (PCID or
 *       PWT/PCD, SDM §4.5 Tables 4-12/4-13). Bit 12 is masked only when the dump shows kernel
 *       page-table isolation (see {@link #ptiEvidence}); otherwise CR3 is used as it is, since a
 *       CR3 of 0x1000 names the table at 0x1000;
 *   <li>VMCOREINFO: {@code SYMBOL(init_top_pgt) - __START_KERNEL_map + NUMBER(phys_base)} on
 *       x86_64 (4- or 5-level from {@code NUMBER(pgtable_l5_enabled)}), {@code
 *       SYMBOL(swapper_pg_dir) - PAGE_OFFSET} on i386 (PAE when {@code CONFIG_X86_PAE=y}).
 * </ol>
 *
 * <p>Dumps record no EFER, so long mode is inferred from e_machine EM_X86_64 (QEMU picks it
 * exactly when the vCPU had EFER.LMA, target/i386/arch_dump.c) or from the L bit of CS, and
 * NXE is assumed set: Linux enables it wherever the CPU has it, and with NXE clear bit 63 would
 * be reserved and every NX mapping would fault. MAXPHYADDR is taken as 52, the architectural
 * maximum, so that no entry a real CPU accepted is refused for reserved bits.
 *
 * <p>Walks use {@link ReservedBitPolicy#REPORT}: a dump shows what its machine ran with (QEMU
 * TCG sets A in PAE PDPTEs, which the SDM reserves), so reserved bits become findings rather
 * than a refusal; {@link PagingContext#rootFindings} holds those of the PAE PDPTEs, which a CPU
 * checks when CR3 is loaded.
 */
public final class RootTableFinder {
  /** x86_64 __START_KERNEL_map (arch/x86/include/asm/page_64_types.h). */
  public static final long START_KERNEL_MAP = 0xFFFF_FFFF_8000_0000L;
  /** i386 PAGE_OFFSET, default 3G/1G split. */
  public static final long PAGE_OFFSET_I386 = 0xC000_0000L;
  /** What dumps are walked with: every physical address bit allowed, 1 GiB pages. */
  public static final CpuFeatures DUMP_FEATURES = new CpuFeatures(52, true);

  private static final long PCID_MASK = 0xFFFL;
  /** arch/x86/include/asm/pgtable.h PTI_PGTABLE_SWITCH_BIT: the user PGD is the kernel PGD + 4 KiB. */
  private static final long PTI_USER_PGD = 1L << 12;

  private RootTableFinder() {}

  /** The root the dump itself names, as the commands find it without --cr3, --mode or --cpu (CPU 0's notes first). */
  public static PagingContext find(Dump dump) {
    return find(dump, OptionalLong.empty(), Optional.empty(), 0);
  }

  /**
   * @param dump the image, for its notes (may be a raw image, which has none)
   * @param cr3 an explicit CR3, used as given (the hardware ignores PCID bits itself)
   * @param mode an explicit paging mode
   * @param cpu which CPU's notes to use
   */
  public static PagingContext find(Dump dump, OptionalLong cr3, Optional<PagingMode> mode, int cpu) {
    return find(dump.physicalMemory(), dump.eMachine(), cpuState(dump, cpu), dump.vmcoreInfo(), cr3, mode, cpu);
  }

  /**
   * The crashed kernel's own root (init_top_pgt / swapper_pg_dir) from {@code info}, walked over
   * {@code dump}'s memory; empty when VMCOREINFO has no such symbol. {@code info} may come from
   * another image of the same machine (a capture kernel's vmcore carries the crashed kernel's).
   */
  public static Optional<PagingContext> kernelRoot(Dump dump, Optional<VmcoreInfo> info, Optional<PagingMode> mode) {
    if (info.isEmpty() || !hasRootSymbol(info.get())) {
      return Optional.empty();
    }
    return Optional.of(find(dump.physicalMemory(), dump.eMachine(), Optional.empty(), info, OptionalLong.empty(), mode, 0));
  }

  /** CR3 of QEMU's note for {@code cpu}, with {@code info} as the PTI evidence; empty when the note has no CR3. */
  public static Optional<PagingContext> cpuRoot(Dump dump, int cpu, Optional<VmcoreInfo> info, Optional<PagingMode> mode) {
    Optional<QemuCpuState> q = cpuState(dump, cpu);
    if (q.isEmpty() || !q.get().registers().has(Register.CR3)) {
      return Optional.empty();
    }
    return Optional.of(find(dump.physicalMemory(), dump.eMachine(), q, info, OptionalLong.empty(), mode, cpu));
  }

  /** A root an analysis checks, and which one it is ("VMCOREINFO kernel root", "CPU 1 CR3"). */
  public record LabeledRoot(String label, PagingContext paging) {}

  /**
   * Every root a dump names: the crashed kernel's (VMCOREINFO, from {@code info}) and each CPU's
   * CR3 of QEMU's notes, in that order; a CPU whose root is one already listed adds its name to
   * that one's label. A CPU with paging off (an offline vCPU QEMU never started, one parked in
   * real mode) has no tables and is left out: see {@link #cpusWithoutPaging}. Empty when the dump
   * names none.
   */
  public static List<LabeledRoot> allRoots(Dump dump, Optional<VmcoreInfo> info, Optional<PagingMode> mode) {
    LinkedHashMap<String, LabeledRoot> roots = new LinkedHashMap<>();
    kernelRoot(dump, info, mode).ifPresent(c -> roots.put(c.mode() + "@" + c.root(), new LabeledRoot("VMCOREINFO kernel root", c)));
    for (int cpu = 0; cpu < dump.qemuCpuStates().size(); cpu++) {
      Optional<PagingContext> c = cpuRoot(dump, cpu, info, mode);
      if (c.isEmpty() || c.get().mode() == PagingMode.DISABLED) {
        continue;
      }
      String name = "CPU " + cpu + " CR3";
      String key = c.get().mode() + "@" + c.get().root();
      LabeledRoot same = roots.get(key);
      roots.put(key, same != null
          ? new LabeledRoot(same.label() + " = " + name, same.paging())
          : new LabeledRoot(name, c.get()));
    }
    return List.copyOf(roots.values());
  }

  /** The CPUs of QEMU's notes whose CR0.PG is clear: no page tables in use there. */
  public static List<Integer> cpusWithoutPaging(Dump dump) {
    List<Integer> out = new ArrayList<>();
    for (int cpu = 0; cpu < dump.qemuCpuStates().size(); cpu++) {
      var regs = dump.qemuCpuStates().get(cpu).registers();
      if (regs.has(Register.CR0) && (regs.getOrZero(Register.CR0) & Cr0.PG) == 0) {
        out.add(cpu);
      }
    }
    return List.copyOf(out);
  }

  private static boolean hasRootSymbol(VmcoreInfo v) {
    return v.symbol("init_top_pgt").isPresent() || v.symbol("init_level4_pgt").isPresent()
        || v.symbol("swapper_pg_dir").isPresent();
  }

  private static Optional<QemuCpuState> cpuState(Dump dump, int cpu) {
    return cpu < dump.qemuCpuStates().size() ? Optional.of(dump.qemuCpuStates().get(cpu)) : Optional.empty();
  }

  /** With an explicit CR3 and mode over any memory, e.g. a simulated machine. */
  public static PagingContext explicit(PhysicalMemory memory, long cr3, PagingMode mode) {
    return find(memory, 0, Optional.empty(), Optional.empty(), OptionalLong.of(cr3), Optional.of(mode), 0);
  }

  static PagingContext find(PhysicalMemory memory, int eMachine, Optional<QemuCpuState> qemu,
      Optional<VmcoreInfo> info, OptionalLong cr3, Optional<PagingMode> explicitMode, int cpu) {
    long cr0;
    long cr4;
    long efer;
    String modeSource;
    String noteName = "QEMU note of CPU " + cpu;
    boolean x86_64 = eMachine == Dump.EM_X86_64;
    // A raw image cannot say its root or mode: the user must (exit 2). A dump file whose notes
    // should have said it and do not is the file's fault, named by key (exit 3).
    AnalysisException.Kind missing = eMachine == 0 ? AnalysisException.Kind.USAGE : AnalysisException.Kind.BAD_INPUT;
    if (explicitMode.isPresent()) {
      LinuxControl c = LinuxControl.of(explicitMode.get());
      cr0 = c.cr0();
      cr4 = c.cr4();
      efer = c.efer();
      modeSource = "--mode";
    } else if (qemu.isPresent() && qemu.get().registers().has(Register.CR0)) {
      QemuCpuState q = qemu.get();
      cr0 = q.registers().getOrZero(Register.CR0);
      cr4 = q.registers().getOrZero(Register.CR4) & Cr4.SUPPORTED;
      boolean lm = (x86_64 || (q.csFlags() & QemuCpuState.CS_FLAG_L) != 0) && (cr4 & Cr4.PAE) != 0;
      efer = (lm ? Efer.LME : 0) | Efer.NXE;
      modeSource = noteName + " (CR0/CR4)";
    } else if (info.isPresent() && (x86_64 || info.get().symbol("init_top_pgt").isPresent()
        || info.get().symbol("swapper_pg_dir").isPresent())) {
      VmcoreInfo v = info.get();
      boolean long64 = x86_64 || v.symbol("init_top_pgt").isPresent() || v.symbol("init_level4_pgt").isPresent();
      PagingMode m = long64
          ? (v.number("pgtable_l5_enabled").orElse(0) != 0 ? PagingMode.LEVEL5 : PagingMode.LEVEL4)
          : (v.config("X86_PAE") ? PagingMode.PAE : PagingMode.BITS32);
      LinuxControl c = LinuxControl.of(m);
      cr0 = c.cr0();
      cr4 = c.cr4();
      efer = c.efer();
      modeSource = long64 ? "VMCOREINFO NUMBER(pgtable_l5_enabled)" : "VMCOREINFO CONFIG_X86_PAE";
    } else {
      throw new AnalysisException(missing,
          "paging mode unknown: the image has no QEMU CPU note or VMCOREINFO; pass --mode 32|pae|4level|5level");
    }
    PagingMode mode = PagingMode.of(cr0, cr4, efer | ((cr0 & Cr0.PG) != 0 && (efer & Efer.LME) != 0 ? Efer.LMA : 0));

    long root;
    String rootSource;
    if (cr3.isPresent()) {
      root = cr3.getAsLong();
      rootSource = "--cr3";
      String wrong = explicitRootProblem(mode, root);
      if (wrong != null) {
        throw new AnalysisException(AnalysisException.Kind.USAGE, wrong);
      }
    } else if (qemu.isPresent() && qemu.get().registers().has(Register.CR3)) {
      long raw = qemu.get().registers().getOrZero(Register.CR3);
      long table = mode.isLongMode() ? raw & ~PCID_MASK : raw;
      OptionalLong kernel = info.isPresent() && hasRootSymbol(info.get())
          ? OptionalLong.of(vmcoreInfoRoot(info.get(), mode)[0]) : OptionalLong.empty();
      Optional<String> pti = ptiEvidence(memory, mode, table, kernel);
      if (pti.isPresent()) {
        root = table & ~PTI_USER_PGD;
        rootSource = String.format("%s: CR3 0x%x, PTI user PGD bit 12 masked (%s)", noteName, raw, pti.get());
      } else {
        root = table;
        rootSource = String.format("%s: CR3 0x%x used as is (%s)", noteName, raw,
            kernel.isEmpty() ? "no VMCOREINFO kernel root to show PTI"
                : (table & ~0xFFFL) == kernel.getAsLong() ? "it is the VMCOREINFO kernel root"
                : String.format("no PTI evidence against VMCOREINFO kernel root 0x%x", kernel.getAsLong()));
      }
    } else if (info.isPresent()) {
      VmcoreInfo v = info.get();
      if (mode.isLongMode()) {
        String sym = v.symbol("init_top_pgt").isPresent() ? "init_top_pgt" : "init_level4_pgt";
        long va = v.symbol(sym).orElseThrow(() -> new AnalysisException(missing, String.format(
            "no CR3: VMCOREINFO (%d keys) has no SYMBOL(init_top_pgt) and there is no QEMU CPU note; pass --cr3", v.entries().size())));
        long physBase = v.number("phys_base").orElse(0);
        root = va - START_KERNEL_MAP + physBase;
        rootSource = String.format("VMCOREINFO SYMBOL(%s) 0x%x - 0x%x + NUMBER(phys_base) 0x%x", sym, va, START_KERNEL_MAP, physBase);
      } else {
        long va = v.symbol("swapper_pg_dir").orElseThrow(() -> new AnalysisException(missing, String.format(
            "no CR3: VMCOREINFO (%d keys) has no SYMBOL(swapper_pg_dir) and there is no QEMU CPU note; pass --cr3", v.entries().size())));
        root = va - PAGE_OFFSET_I386;
        rootSource = String.format("VMCOREINFO SYMBOL(swapper_pg_dir) 0x%x - PAGE_OFFSET 0x%x", va, PAGE_OFFSET_I386);
      }
    } else {
      throw new AnalysisException(missing,
          "no CR3: the image has no QEMU CPU note or VMCOREINFO; pass --cr3");
    }

    return switch (PagingLoad.of(cr0, root, cr4, efer, memory, DUMP_FEATURES, ReservedBitPolicy.REPORT)) {
      case PagingLoad.Loaded(PagingState state) -> new PagingContext(state, rootSource, modeSource, pdpteFindings(state));
      case PagingLoad.Unreadable u -> throw new AnalysisException(AnalysisException.Kind.BAD_INPUT,
          String.format("CR3 0x%x puts the PDPT at 0x%x, outside the image's RAM %s", root, u.physical(),
              memory.ramMap().describeRanges()));
      case PagingLoad.Refused(ControlWrite.Refused r) -> throw new AnalysisException(AnalysisException.Kind.BAD_INPUT,
          String.format("CR3 0x%x (%s) cannot be loaded in %s mode: %s", root, rootSource, mode.cliName(), r.rule()));
    };
  }

  /**
   * Why {@code root}, given as --cr3, cannot be {@code mode}'s root table, or null. --cr3 names
   * the table, so the bits a CR3 holds for flags or a PCID must be clear (a value copied from an
   * oops line, PCID bits and all, would otherwise be masked without a word), and the table must
   * be one the CR3 of that mode can point at: 32-bit paging CR3[31:12] (SDM Vol. 3A §4.3), PAE
   * CR3[31:5] (§4.4.1), 4- and 5-level CR3[M-1:12] with M = MAXPHYADDR, at most 52 (§4.5).
   */
  static String explicitRootProblem(PagingMode mode, long root) {
    if (mode == PagingMode.DISABLED) {
      return null;
    }
    int addressBits = mode.isLongMode() ? DUMP_FEATURES.maxPhyAddr() : 32;
    long lowBits = mode == PagingMode.PAE ? 0x1F : 0xFFF;
    String table = mode.rootTableName();
    if (addressBits < 64 && (root >>> addressBits) != 0) {
      return String.format("--cr3 0x%x: a %s CR3 holds a %d-bit physical address (%s), so the %s is below 0x%x",
          root, mode.cliName(), addressBits, mode.isLongMode() ? "MAXPHYADDR, SDM Vol. 3A §4.5" : "SDM Vol. 3A §4.3, §4.4.1",
          table, 1L << addressBits);
    }
    if ((root & lowBits) != 0) {
      return String.format("--cr3 0x%x: a %s %s is %s-aligned (CR3 bits %d:0 are not address bits, SDM Vol. 3A %s); the table there would be 0x%x",
          root, mode.cliName(), table, lowBits == 0xFFF ? "4 KiB" : "32-byte", lowBits == 0xFFF ? 11 : 4,
          mode == PagingMode.PAE ? "§4.4.1" : mode == PagingMode.BITS32 ? "§4.3" : "§4.5",
          root & ~lowBits);
    }
    return null;
  }

  /** {root, symbol VA} of the kernel's own page table named by VMCOREINFO, for {@code mode}. */
  private static long[] vmcoreInfoRoot(VmcoreInfo v, PagingMode mode) {
    if (mode.isLongMode()) {
      String sym = v.symbol("init_top_pgt").isPresent() ? "init_top_pgt" : "init_level4_pgt";
      long va = v.symbol(sym).orElse(START_KERNEL_MAP);
      return new long[] {va - START_KERNEL_MAP + v.number("phys_base").orElse(0), va};
    }
    long va = v.symbol("swapper_pg_dir").orElse(PAGE_OFFSET_I386);
    return new long[] {va - PAGE_OFFSET_I386, va};
  }

  /**
   * Why CR3's table at {@code table} is the user half of a PTI pair, or empty when nothing shows
   * PTI. With PTI the kernel allocates each PGD as an 8 KiB pair, the user copy 4 KiB above the
   * kernel's, and CR3 bit 12 selects the user one (arch/x86/include/asm/pgtable.h
   * PTI_PGTABLE_SWITCH_BIT, arch/x86/mm/pgtable.c PGD_ALLOCATION_ORDER). Evidence, given the
   * kernel's root from VMCOREINFO, itself 8 KiB-aligned:
   *
   * <ul>
   *   <li>CR3's table is that root + 0x1000 (the CPU was in user mode of a kernel thread's mm), or
   *   <li>in long mode, the table 4 KiB below CR3's holds the kernel root's upper-half PML4
   *       entries, which every process PGD copies (arch/x86/mm/pgtable.c pgd_ctor,
   *       clone_pgd_range): so it is a process's kernel PGD and CR3 is its user twin.
   * </ul>
   *
   * In long mode CR3's own table must not hold that same upper half: a PTI user copy gets the
   * upper half of the kernel's user copy (arch/x86/include/asm/pgtable.h clone_pgd_range), which
   * maps only the entry trampoline and the CPU entry area, through its own tables
   * (arch/x86/mm/pti.c pti_user_pagetable_walk_p4d); without PTI two process PGDs can simply lie
   * next to each other, each with the full cloned half.
   *
   * <p>Without a VMCOREINFO root (QEMU's dumps carry none unless the guest had a vmcoreinfo
   * device), the pair itself is the evidence: see {@link #userHalfMirrored}.
   */
  static Optional<String> ptiEvidence(PhysicalMemory memory, PagingMode mode, long table, OptionalLong kernelRoot) {
    if ((table & PTI_USER_PGD) == 0 || (table & 0xFFF & ~flagBits(mode)) != 0) {
      return Optional.empty();
    }
    long base = table & ~0xFFFL;
    long below = base - PTI_USER_PGD;
    if (kernelRoot.isPresent() && (kernelRoot.getAsLong() & 0x1FFF) == 0) {
      long kernel = kernelRoot.getAsLong();
      if (mode.isLongMode() && sameKernelHalf(memory, base, kernel)) {
        return Optional.empty(); // CR3's table is itself a kernel-side PGD
      }
      if (base == kernel + PTI_USER_PGD) {
        return Optional.of(String.format("VMCOREINFO kernel root 0x%x is 8 KiB-aligned and CR3 is it + 0x1000", kernel));
      }
      if (mode.isLongMode() && sameKernelHalf(memory, below, kernel)) {
        return Optional.of(String.format(
            "the table at 0x%x, 4 KiB below, shares the upper-half PML4 entries of VMCOREINFO kernel root 0x%x",
            below, kernel));
      }
    }
    if (userHalfMirrored(memory, mode, below, base)) {
      return Optional.of(String.format(
          "the table at 0x%x, 4 KiB below, repeats CR3's user-half entries but not its kernel half, as a PTI pair does",
          below));
    }
    return Optional.empty();
  }

  /** CR3 bits below the page that are not address bits: 11:0 in long mode (PCID), 4:0 otherwise (SDM §4.4, §4.5); a PTI pgd starts its page. */
  private static long flagBits(PagingMode mode) {
    return mode.isLongMode() ? PCID_MASK : 0x1F;
  }

  /**
   * Whether {@code kernel} and {@code user} look like the two halves of a PTI pgd pair: with PTI
   * the kernel mirrors every user-half top-level entry into the user copy
   * (arch/x86/mm/pti.c __pti_set_user_pgtbl), while the user copy's kernel half maps only the
   * entry code (pti_clone_*). So: the same present user-half entries (A and D aside, which each
   * copy's own walks set), at least one of them, and a kernel half that differs. Two pgds of
   * different processes never share their user-half entries; threads share one pgd.
   */
  private static boolean userHalfMirrored(PhysicalMemory memory, PagingMode mode, long kernel, long user) {
    if (kernel < 0 || (kernel & 0x1FFF) != 0) {
      return false;
    }
    var ram = memory.ramMap();
    if (!ram.containsRange(kernel, PhysicalMemory.PAGE_SIZE) || !ram.containsRange(user, PhysicalMemory.PAGE_SIZE)) {
      return false;
    }
    int width = mode.entryBytes();
    int entries = mode.entriesPerTable(mode.levels());
    int userEntries = switch (mode) {
      case PAE -> 3; // PDPTEs 0-2: below PAGE_OFFSET 0xc0000000
      case BITS32 -> 768;
      default -> 256;
    };
    long ad = PageTableEntry.A | PageTableEntry.D;
    int present = 0;
    boolean kernelHalfDiffers = false;
    for (int i = 0; i < entries; i++) {
      long k = mode.readEntry(memory, kernel + (long) width * i);
      long u = mode.readEntry(memory, user + (long) width * i);
      if (i < userEntries) {
        if (((k ^ u) & ~ad) != 0) {
          return false;
        }
        present += (u & PageTableEntry.P) != 0 ? 1 : 0;
      } else {
        kernelHalfDiffers |= ((k ^ u) & ~ad) != 0;
      }
    }
    return present > 0 && kernelHalfDiffers;
  }

  private static boolean sameKernelHalf(PhysicalMemory memory, long candidate, long kernel) {
    var ram = memory.ramMap();
    if (!ram.containsRange(candidate, PhysicalMemory.PAGE_SIZE) || !ram.containsRange(kernel, PhysicalMemory.PAGE_SIZE)) {
      return false;
    }
    boolean any = false;
    for (int i = 256; i < 512; i++) {
      long k = memory.readU64(kernel + 8L * i);
      if (k != memory.readU64(candidate + 8L * i)) {
        return false;
      }
      any |= k != 0;
    }
    return any;
  }

  /** The PAE PDPTEs' reserved bits: what a CPU would #GP on when loading this CR3 (SDM §4.4.1). */
  private static List<ReservedBitFinding> pdpteFindings(PagingState state) {
    if (state.mode() != PagingMode.PAE) {
      return List.of();
    }
    List<ReservedBitFinding> out = new ArrayList<>();
    Pdptes p = state.control().pdptes();
    for (int i = 0; i < 4; i++) {
      long e = p.get(i);
      long bits = (e & 1) != 0 ? state.reservedBits(3, e) : 0;
      if (bits != 0) {
        out.add(new ReservedBitFinding(PagingMode.PAE,
            new WalkStep("PDPTE", 3, i, state.rootPhysical() + 8L * i, e, bits), bits));
      }
    }
    return List.copyOf(out);
  }

}
