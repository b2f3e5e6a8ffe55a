package org.kexecsim.transition;

import static org.kexecsim.mmu.PageTableEntry.KERNPG_TABLE;
import static org.kexecsim.mmu.PageTableEntry.P;
import static org.kexecsim.mmu.PageTableEntry.PAGE_KERNEL_EXEC;
import static org.kexecsim.mmu.PageTableEntry.PAGE_TABLE;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.KImage;
import org.kexecsim.kimage.Segment;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamRange;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.Translation;
import org.kexecsim.pagetable.PageTableBuilder;

/**
 * Today's kernel, as 6.1 (the Debian 12 kernel whose vmlinux the tests run) lays it out.
 * i386 (arch/x86/kernel/machine_kexec_32.c): page_table_a lives on as kimage_arch {pgd, pmd0,
 * pmd1, pte0, pte1}, ordinary kernel pages, filled by machine_kexec_page_table_set_one() for
 * __va(control) and for its PA. x86_64 (machine_kexec_64.c): the control block is
 * KEXEC_CONTROL_PAGE_SIZE = 8 KiB; its first page is the PGD (init_pgtable's level4p) and the
 * code goes into the second (control_page = page_address(control_code_page) + PAGE_SIZE).
 * kernel_ident_mapping_init() fills one identity table over every mapped RAM range, every
 * segment and the ACPI tables, then init_transition_pgtable() maps relocate_kernel's own
 * kernel-text VA onto the code page with ordinary kernel pages: machine_kexec calls
 * relocate_kernel in kernel text, and after its CR3 load the same VA fetches the copy. (6.14
 * moved that alias to __va(control), 4b5bc2ec9a23; the routines this models are 6.1's.)
 */
public final class MainlineDesign implements TransitionDesign {
  static final MainlineDesign INSTANCE = new MainlineDesign();

  private MainlineDesign() {}

  @Override
  public String cliName() {
    return "mainline";
  }

  @Override
  public boolean linux61Convention() {
    return true;
  }

  @Override
  public boolean makesControlPageExecutable(Arch arch) {
    return arch.hasNx() && !arch.is64Bit();
  }

  @Override
  public boolean zapsDescriptorTablesInC(Arch arch) {
    return !arch.is64Bit();
  }

  @Override
  public boolean routineHasOwnCopyLoop() {
    return true;
  }

  /** KEXEC_CONTROL_PAGE_SIZE: 8192 on x86_64 before 6.14 (PGD + code), 4096 on i386. */
  @Override
  public int controlCodePages(Arch arch) {
    return arch == Arch.X86_64 ? 2 : 1;
  }

  @Override
  public TransitionTables prepare(TransitionContext c) {
    return c.image().arch() == Arch.X86_64 ? x86_64(c) : i386(c);
  }

  private TransitionTables i386(TransitionContext c) {
    KImage image = c.image();
    Arch arch = image.arch();
    PhysicalMemory m = image.host().memory();
    PagingMode mode = arch.pagingMode();
    long control = image.controlCodePage();
    long va = c.switchVirtualOverride().orElse(image.host().arch().directMapVirtual(control));
    boolean pae = arch == Arch.PAE;

    // machine_kexec_alloc_page_tables(): pgd, pmd0, pmd1 (PAE), pte0, pte1
    TablePageLedger alloc = new TablePageLedger(image);
    long pgd = alloc.kernelPage();
    long pmd0 = pae ? alloc.kernelPage() : -1;
    long pmd1 = pae ? alloc.kernelPage() : -1;
    long pte0 = alloc.kernelPage();
    long pte1 = alloc.kernelPage();
    boolean[] used = new boolean[5];
    MappingWriter.TablePages first = level -> {
      used[level == 2 ? 1 : 3] = true;
      return level == 2 ? pmd0 : pte0;
    };
    MappingWriter.TablePages second = level -> {
      used[level == 2 ? 2 : 4] = true;
      return level == 2 ? pmd1 : pte1;
    };
    // set_pgd(__pa(pmd) | _PAGE_PRESENT) with PAE; set_pmd(__pa(pte) | _PAGE_TABLE); PAGE_KERNEL_EXEC
    long top = pae ? P : PAGE_TABLE;
    MappingWriter.map(m, mode, pgd, va, control, PAGE_KERNEL_EXEC, PAGE_TABLE, top, first);
    MappingWriter.map(m, mode, pgd, control, control, PAGE_KERNEL_EXEC, PAGE_TABLE, top, second);

    TablePageLedger ledger = new TablePageLedger(image);
    ledger.record(pgd, pae ? "kimage_arch pgd (PDPT)" : "kimage_arch pgd", PageOrigin.KERNEL_PAGE, true);
    if (pae) {
      ledger.record(pmd0, "kimage_arch pmd0 (for __va(control))", PageOrigin.KERNEL_PAGE, used[1]);
      ledger.record(pmd1, "kimage_arch pmd1 (for the identity address)", PageOrigin.KERNEL_PAGE, used[2]);
    }
    ledger.record(pte0, "kimage_arch pte0 (for __va(control))", PageOrigin.KERNEL_PAGE, used[3]);
    ledger.record(pte1, "kimage_arch pte1 (for the identity address)", PageOrigin.KERNEL_PAGE, used[4]);
    List<RequiredMapping> required = List.of(
        new RequiredMapping("control page at __va(control)", pgd, va, control),
        new RequiredMapping("control page at its physical address", pgd, control, control));
    return new TransitionTables(ledger.pages(), pgd, OptionalLong.empty(), required,
        SwitchConflicts.switchVaIsControlPa(arch, va, control), 0);
  }

  private TransitionTables x86_64(TransitionContext c) {
    KImage image = c.image();
    PhysicalMemory m = image.host().memory();
    long block = image.controlCodePage();
    long control = block + codeOffset(Arch.X86_64);
    long va = c.kernelTextSwitchVirtual();

    TablePageLedger ledger = new TablePageLedger(image);
    // level4p = the control block's first page, cleared; the lower levels are control pages
    PageTableBuilder b = PageTableBuilder.create(m, PagingMode.LEVEL4, ledger.controlFramesAfter(block));
    // init_pgtable(): pfn_mapped[] (the direct-mapped RAM), the segments, then the ACPI tables
    // (map_acpi_tables(); reserved ranges of the RAM map stand in for them).
    for (RamRange r : m.ramMap().ranges()) {
      if (r.type() == RamRange.Type.USABLE) {
        IdentityRanges.kernelIdentMapping(b, r.start() & ~0xFFFL, (r.end() + 0xFFF) & ~0xFFFL, PAGE_KERNEL_EXEC);
      }
    }
    for (Segment s : image.segments()) {
      IdentityRanges.kernelIdentMapping(b, s.mem(), s.mem() + s.memsz(), PAGE_KERNEL_EXEC);
    }
    for (RamRange r : m.ramMap().ranges()) {
      if (r.type() == RamRange.Type.RESERVED) {
        IdentityRanges.kernelIdentMapping(b, r.start() & ~0xFFFL, (r.end() + 0xFFF) & ~0xFFFL, PAGE_KERNEL_EXEC);
      }
    }
    ledger.recordBuilderPages(b, 0, "identity", PageOrigin.CONTROL_PAGE);

    List<Conflict> conflicts = new ArrayList<>(SwitchConflicts.switchVaIsControlPa(image.arch(), va, control));
    Translation before = PageWalker.translate(m, Paging.supervisor(m, image.arch(), c.kernel().cpu(), b.root()), va, Access.READ);
    if (before instanceof Translation.Mapped hit) {
      conflicts.add(new Conflict(Conflict.Kind.CONTROL_VA_IN_IDENTITY_RANGE, String.format(
          "relocate_kernel's VA 0x%x is already mapped by the identity table (a %s page at 0x%x)",
          va, hit.pageSize().label(), hit.physical() & ~(hit.pageSize().bytes() - 1))));
    }
    // init_transition_pgtable(): vaddr = relocate_kernel, paddr = the code page; get_zeroed_page() for each missing level, _KERNPG_TABLE links,
    // PAGE_KERNEL_EXEC_NOENC for the PTE, no check for large leaves on the way down.
    MappingWriter.Outcome o = MappingWriter.map(m, PagingMode.LEVEL4, b.root(), va, control,
        PAGE_KERNEL_EXEC, KERNPG_TABLE, KERNPG_TABLE, level -> {
          long pa = ledger.kernelPage();
          ledger.record(pa, "transition " + TablePageLedger.tableName(PagingMode.LEVEL4, level), PageOrigin.KERNEL_PAGE, true);
          return pa;
        });
    if (o.followedLeafAt() >= 0) {
      conflicts.add(new Conflict(Conflict.Kind.WROTE_THROUGH_LARGE_LEAF, String.format(
          "init_transition_pgtable followed the large leaf at entry 0x%x as a table and wrote the PTE for "
              + "0x%x into RAM at 0x%x", o.followedLeafAt(), va, o.pteAddress())));
    }
    List<RequiredMapping> required = List.of(
        new RequiredMapping("code page at relocate_kernel's VA", b.root(), va, control),
        new RequiredMapping("code page at its physical address", b.root(), control, control));
    return new TransitionTables(ledger.pages(), b.root(), OptionalLong.of(b.root()), required, conflicts, b.splits());
  }
}
