package org.kexecsim.analyzer;

import java.util.Optional;
import java.util.OptionalLong;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.QemuCpuState;
import org.kexecsim.dump.Register;
import org.kexecsim.dump.VmcoreInfo;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.ControlRegisterRules;
import org.kexecsim.mmu.ControlState;
import org.kexecsim.mmu.ControlWrite;
import org.kexecsim.mmu.Cr0;
import org.kexecsim.mmu.Cr4;
import org.kexecsim.mmu.CpuFeatures;
import org.kexecsim.mmu.Efer;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.PagingState;

/**
 * Finds the root page table and the paging mode of an image, in this order:
 *
 * <ol>
 *   <li>an explicit CR3 / mode from the user;
 *   <li>CR3 (and CR0/CR4) of a QEMU CPU note; like crash's kaslr_helper.c, PCID bits 11:0 and,
 *       in long mode, the PTI user-PGD bit 12 are masked out, so the kernel's PGD is used;
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

  /**
   * @param dump the image, for its notes (may be a raw image, which has none)
   * @param cr3 an explicit CR3, used as given (the hardware ignores PCID bits itself)
   * @param mode an explicit paging mode
   * @param cpu which CPU's notes to use
   */
  public static PagingContext find(Dump dump, OptionalLong cr3, Optional<PagingMode> mode, int cpu) {
    return find(dump.physicalMemory(), dump.eMachine(), cpuState(dump, cpu), dump.vmcoreInfo(), cr3, mode, cpu);
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
    if (explicitMode.isPresent()) {
      long[] c = controlFor(explicitMode.get());
      cr0 = c[0];
      cr4 = c[1];
      efer = c[2];
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
      long[] c = controlFor(m);
      cr0 = c[0];
      cr4 = c[1];
      efer = c[2];
      modeSource = long64 ? "VMCOREINFO NUMBER(pgtable_l5_enabled)" : "VMCOREINFO CONFIG_X86_PAE";
    } else {
      throw new AnalysisException(AnalysisException.Kind.USAGE,
          "paging mode unknown: the image has no QEMU CPU note or VMCOREINFO; pass --mode 32|pae|4level|5level");
    }
    PagingMode mode = PagingMode.of(cr0, cr4, efer | ((cr0 & Cr0.PG) != 0 && (efer & Efer.LME) != 0 ? Efer.LMA : 0));

    long root;
    String rootSource;
    if (cr3.isPresent()) {
      root = cr3.getAsLong();
      rootSource = "--cr3";
    } else if (qemu.isPresent() && qemu.get().registers().has(Register.CR3)) {
      long raw = qemu.get().registers().getOrZero(Register.CR3);
      if (mode.isLongMode()) {
        root = raw & ~(PCID_MASK | PTI_USER_PGD);
        rootSource = String.format("%s: CR3 0x%x, PCID bits 11:0 and PTI bit 12 masked", noteName, raw);
      } else {
        root = raw;
        rootSource = String.format("%s: CR3 0x%x", noteName, raw);
      }
    } else if (info.isPresent()) {
      VmcoreInfo v = info.get();
      if (mode.isLongMode()) {
        String sym = v.symbol("init_top_pgt").isPresent() ? "init_top_pgt" : "init_level4_pgt";
        long va = v.symbol(sym).orElseThrow(() -> new AnalysisException(AnalysisException.Kind.USAGE,
            "no CR3: VMCOREINFO has no SYMBOL(init_top_pgt) and there is no QEMU CPU note; pass --cr3"));
        long physBase = v.number("phys_base").orElse(0);
        root = va - START_KERNEL_MAP + physBase;
        rootSource = String.format("VMCOREINFO SYMBOL(%s) 0x%x - 0x%x + NUMBER(phys_base) 0x%x", sym, va, START_KERNEL_MAP, physBase);
      } else {
        long va = v.symbol("swapper_pg_dir").orElseThrow(() -> new AnalysisException(AnalysisException.Kind.USAGE,
            "no CR3: VMCOREINFO has no SYMBOL(swapper_pg_dir) and there is no QEMU CPU note; pass --cr3"));
        root = va - PAGE_OFFSET_I386;
        rootSource = String.format("VMCOREINFO SYMBOL(swapper_pg_dir) 0x%x - PAGE_OFFSET 0x%x", va, PAGE_OFFSET_I386);
      }
    } else {
      throw new AnalysisException(AnalysisException.Kind.USAGE,
          "no CR3: the image has no QEMU CPU note or VMCOREINFO; pass --cr3");
    }

    ControlWrite w = ControlRegisterRules.establish(cr0, root, cr4, efer, memory, DUMP_FEATURES);
    return switch (w) {
      case ControlWrite.Accepted(ControlState s) -> new PagingContext(PagingState.of(s, DUMP_FEATURES), rootSource, modeSource);
      case ControlWrite.Refused r -> throw new AnalysisException(AnalysisException.Kind.BAD_INPUT,
          String.format("CR3 0x%x (%s) cannot be loaded in %s mode: %s", root, rootSource, mode.cliName(), r.rule()));
    };
  }

  /** CR0/CR4/EFER as Linux runs in {@code mode}: paging, WP, PSE in 32-bit, PAE, LME and NXE where they exist. */
  static long[] controlFor(PagingMode mode) {
    long cr0 = Cr0.PE | Cr0.PG | Cr0.WP;
    return switch (mode) {
      case DISABLED -> new long[] {Cr0.PE, 0, 0};
      case BITS32 -> new long[] {cr0, Cr4.PSE, 0};
      case PAE -> new long[] {cr0, Cr4.PAE | Cr4.PSE, Efer.NXE};
      case LEVEL4 -> new long[] {cr0, Cr4.PAE | Cr4.PSE, Efer.LME | Efer.NXE};
      case LEVEL5 -> new long[] {cr0, Cr4.PAE | Cr4.PSE | Cr4.LA57, Efer.LME | Efer.NXE};
    };
  }
}
