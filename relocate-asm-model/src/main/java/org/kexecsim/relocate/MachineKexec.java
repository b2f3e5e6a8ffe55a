package org.kexecsim.relocate;

import org.kexecsim.cpu.Cpu;
import org.kexecsim.cpu.Rflags;
import org.kexecsim.cpu.SegmentCache;
import org.kexecsim.isa.Gpr;
import org.kexecsim.isa.Segment;
import org.kexecsim.kernel.CrashedKernel;
import org.kexecsim.kernel.SegmentDescriptors;
import org.kexecsim.kimage.Arch;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.ControlRegisterRules;
import org.kexecsim.mmu.ControlWrite;
import org.kexecsim.mmu.CpuModel;
import org.kexecsim.isa.Assembler;
import org.kexecsim.transition.PrepareReport;
import org.kexecsim.transition.TransitionDesign;

/**
 * What machine_kexec() does on the crashing CPU before it calls the relocation code
 * (arch/x86/kernel/machine_kexec_{32,64}.c, and the 2.6.16–2.6.18 versions for the older
 * designs): interrupts off, __KERNEL_CS and __KERNEL_DS loaded while the crashed kernel's GDT
 * is still valid, the GDT and IDT zapped where the design's C side did it, and the arguments
 * in registers (x86_64, SysV) or on the stack (i386, cdecl). The CPU is left at the first
 * instruction of the routine, at the VA the design calls it through, with the crashed kernel's
 * CR3 live.
 */
final class MachineKexec {
  private MachineKexec() {}

  /** The routine's arguments, in the order of the routine's header comment. */
  record Arguments(long head, long codePage, long entry, long table, long copyTable, boolean hasPae) {}

  static Cpu setUp(CrashedKernel kernel, PrepareReport prep, TransitionDesign design, Arguments args, long stackPhysical,
      long stackVirtual, CpuModel model) {
    Cpu cpu = crashedCpu(kernel, model);
    Arch arch = kernel.arch();

    // A stack the caller maps (the crashed kernel's direct map, or a hypervisor's own); the call
    // pushes a return address the routine never uses.
    PhysicalMemory memory = kernel.memory();
    long stackTopVirtual = stackVirtual + PhysicalMemory.PAGE_SIZE - 64;
    long stackTopPhysical = stackPhysical + PhysicalMemory.PAGE_SIZE - 64;
    if (arch.is64Bit()) {
      cpu.setRegister(Gpr.RDI, args.head());
      cpu.setRegister(Gpr.RSI, args.codePage());
      cpu.setRegister(Gpr.RDX, args.entry());
      cpu.setRegister(Gpr.RCX, args.table());
      cpu.setRegister(8, args.copyTable());
      memory.writeU64(stackTopPhysical - 8, 0); // return address
      cpu.setRegister(Gpr.RSP, stackTopVirtual - 8);
    } else {
      long[] stack = design.passesTableOnStack()
          ? new long[] {0, args.head(), args.codePage(), args.entry(), args.table(), args.hasPae() ? 1 : 0}
          : new long[] {0, args.head(), args.codePage(), args.entry(), args.hasPae() ? 1 : 0};
      long sp = stackTopPhysical - 4L * stack.length;
      for (int i = 0; i < stack.length; i++) {
        memory.writeU32(sp + 4L * i, stack[i]);
      }
      cpu.setRegister(Gpr.RSP, stackTopVirtual - 4L * stack.length);
    }
    cpu.setRip(prep.switchVirtual());
    return cpu;
  }

  /** What the 6.1 machine_kexec passes (see {@link RelocateAbi#LINUX_6_1}). */
  record Linux61Call(long head, long paControl, long vaControl, long table, long swapPage, long start,
      boolean preserveContext) {}

  /** The crashing CPU as machine_kexec finds it: the crashed kernel's registers, GDT and IDT, IF=0. */
  static Cpu crashedCpu(CrashedKernel kernel, CpuModel model) {
    PhysicalMemory memory = kernel.memory();
    var r = kernel.registers();
    ControlWrite w = ControlRegisterRules.establish(r.cr0(), r.cr3(), r.cr4(), r.efer(), memory, kernel.cpu());
    if (!(w instanceof ControlWrite.Accepted accepted)) {
      throw new IllegalStateException("the crashed kernel's own CR3 does not load: " + w);
    }
    Cpu cpu = new Cpu(memory, accepted.state(), kernel.cpu(), model);
    loadKernelDescriptors(kernel, cpu);
    cpu.setRflags(Rflags.FIXED); // local_irq_disable(): IF=0
    return cpu;
  }

  /**
   * The kernel's GDT and IDT, and load_segments(): CS and the data segments reloaded from the GDT
   * while it is still valid, so the descriptor caches stay usable after it is zapped
   * (machine_kexec_64.c comment). After a kexec jump returns, restore_processor_state() does the
   * same before the next machine_kexec.
   */
  static void loadKernelDescriptors(CrashedKernel kernel, Cpu cpu) {
    PhysicalMemory memory = kernel.memory();
    Arch arch = kernel.arch();
    cpu.setGdtr(kernel.gdt().virtual(), kernel.gdt().limit());
    cpu.setIdtr(kernel.idt().virtual(), kernel.idt().limit());
    int cs = arch.is64Bit() ? SegmentDescriptors.X86_64_KERNEL_CS : SegmentDescriptors.I386_KERNEL_CS;
    int ds = arch.is64Bit() ? SegmentDescriptors.X86_64_KERNEL_DS : SegmentDescriptors.I386_KERNEL_DS;
    cpu.setSegment(Segment.CS, SegmentCache.fromDescriptor(cs, memory.readU64(kernel.gdt().physical() + cs)));
    SegmentCache data = SegmentCache.fromDescriptor(ds, memory.readU64(kernel.gdt().physical() + ds));
    for (Segment s : new Segment[] {Segment.DS, Segment.ES, Segment.SS, Segment.FS, Segment.GS}) {
      cpu.setSegment(s, data);
    }
  }

  /** native_idt_invalidate(); native_gdt_invalidate(): base 0, limit 0. */
  static void zapDescriptorTables(CrashedKernel kernel, Cpu cpu) {
    cpu.setGdtr(kernel.directMapVirtual(0), 0);
    cpu.setIdtr(kernel.directMapVirtual(0), 0);
  }

  /**
   * The call at the end of 6.1's machine_kexec(): page_list[] as a local array on the kernel
   * stack below the return address, the arguments in registers (x86_64, SysV) or pushed
   * (i386, cdecl), and the call itself to {@code routineVirtual} with {@code returnVirtual} as
   * the return address.
   */
  static void callLinux61(CrashedKernel kernel, Cpu cpu, Linux61Call c, long stackPhysical, long routineVirtual,
      long returnVirtual) {
    PhysicalMemory memory = kernel.memory();
    boolean is64 = kernel.arch().is64Bit();
    int word = is64 ? 8 : 4;
    long topPhysical = stackPhysical + PhysicalMemory.PAGE_SIZE - 64;
    long toVirtual = kernel.directMapVirtual(stackPhysical) - stackPhysical;
    long pageList = topPhysical - (long) word * RelocateAbi.PAGES_NR;
    long[] list = new long[RelocateAbi.PAGES_NR];
    list[RelocateAbi.PA_CONTROL_PAGE] = c.paControl();
    list[RelocateAbi.VA_CONTROL_PAGE] = c.vaControl();
    list[RelocateAbi.PA_TABLE_PAGE] = c.table();
    list[RelocateAbi.PA_SWAP_PAGE] = c.swapPage();
    for (int i = 0; i < list.length; i++) {
      write(memory, pageList + (long) word * i, list[i], word);
    }
    long sp;
    if (is64) {
      cpu.setRegister(Gpr.RDI, c.head());
      cpu.setRegister(Gpr.RSI, pageList + toVirtual);
      cpu.setRegister(Gpr.RDX, c.start());
      cpu.setRegister(Gpr.RCX, c.preserveContext() ? 1 : 0);
      cpu.setRegister(8, 0); // host_mem_enc_active: no SME here
      sp = pageList - 8;
      memory.writeU64(sp, returnVirtual);
    } else {
      // has_pae is boot_cpu_has(X86_FEATURE_PAE): a CPU feature, set on every CPU modelled here
      long[] frame = {returnVirtual, c.head(), pageList + toVirtual, c.start(), 1, c.preserveContext() ? 1 : 0};
      sp = pageList - 4L * frame.length;
      for (int i = 0; i < frame.length; i++) {
        memory.writeU32(sp + 4L * i, frame[i]);
      }
    }
    cpu.setRegister(Gpr.RSP, sp + toVirtual);
    cpu.setRip(routineVirtual);
  }

  private static void write(PhysicalMemory m, long pa, long v, int word) {
    if (word == 8) {
      m.writeU64(pa, v);
    } else {
      m.writeU32(pa, v);
    }
  }

  /** Where machine_kexec()'s tail goes: the kernel-text page before relocate_kernel, after the return point. */
  static final int TAIL_OFFSET = 0x100;
  /** The crashed kernel's NMI handler (exc_nmi for an unknown NMI: it logs and returns): an IRET. */
  static final int NMI_HANDLER_OFFSET = 0x80;

  /**
   * machine_kexec()'s last instructions, run on the CPU so that damage and NMIs meet them where
   * they would: in the eras whose C side did it, load_segments() reloads CS (i386: ljmp) and the
   * data segments from the crashed kernel's GDT, then the GDT and IDT are zapped (2.6.16
   * arch/{i386,x86_64}/kernel/machine_kexec.c: set_gdt then set_idt; 6.1
   * arch/x86/kernel/machine_kexec_{32,64}.c: load_segments(), then idt then gdt invalidated); the
   * 2006 patch (V2) moved all of it into the routine ("Moved segment handling code into the
   * assembly routines"), so its C side only calls. Ends in a jump to the routine, whose call
   * frame is already on the stack. Returns the tail's VA.
   */
  static long writeTail(CrashedKernel kernel, boolean segmentsInC, boolean linux61, long routineVirtual) {
    boolean is64 = kernel.arch().is64Bit();
    long page = kernel.relocateKernelVirtual() - PhysicalMemory.PAGE_SIZE;
    long at = page + TAIL_OFFSET;
    StringBuilder a = new StringBuilder(is64 ? ".code64\n" : ".code32\n");
    if (segmentsInC) {
      int cs = is64 ? SegmentDescriptors.X86_64_KERNEL_CS : SegmentDescriptors.I386_KERNEL_CS;
      int ds = is64 ? SegmentDescriptors.X86_64_KERNEL_DS : SegmentDescriptors.I386_KERNEL_DS;
      if (!is64) {
        a.append(String.format("ljmp $0x%x, $reloaded\nreloaded:\n", cs));
      }
      a.append(String.format("movl $0x%x, %%eax\n", ds));
      // 6.1 i386 reloads ds, es, ss; 6.1 x86_64 and 2.6.16 both arches also fs and gs
      String[] segs = linux61 && !is64 ? new String[] {"ds", "es", "ss"}
          : is64 ? new String[] {"ds", "es", "ss", "fs", "gs"} : new String[] {"ds", "es", "fs", "gs", "ss"};
      for (String seg : segs) {
        a.append("movl %eax, %").append(seg).append('\n');
      }
      String operand = is64 ? "zero(%rip)" : "zero";
      if (linux61) {
        a.append("lidt ").append(operand).append("\nlgdt ").append(operand).append('\n');
      } else {
        a.append("lgdt ").append(operand).append("\nlidt ").append(operand).append('\n');
      }
    }
    a.append(is64 ? String.format("movabs $0x%x, %%rax\njmp *%%rax\n", routineVirtual)
        : String.format("movl $0x%x, %%eax\njmp *%%eax\n", routineVirtual));
    // set_gdt(phys_to_virt(0), 0): limit 0, base __va(0)
    a.append(String.format("zero:\n.word 0\n%s 0x%x\n", is64 ? ".quad" : ".long", kernel.directMapVirtual(0)));
    byte[] code = Assembler.assemble(a.toString(), is64 ? 64 : 32, at).bytes();
    kernel.memory().write(kernel.text().physical(at), code, 0, code.length);
    return at;
  }

  /** Points the crashed kernel's NMI gate (vector 2) at an IRET in kernel text: exc_nmi returning. */
  static void installNmiHandler(CrashedKernel kernel) {
    boolean is64 = kernel.arch().is64Bit();
    long handler = kernel.relocateKernelVirtual() - PhysicalMemory.PAGE_SIZE + NMI_HANDLER_OFFSET;
    byte[] iret = is64 ? new byte[] {0x48, (byte) 0xCF} : new byte[] {(byte) 0xCF};
    kernel.memory().write(kernel.text().physical(handler), iret, 0, iret.length);
    int selector = is64 ? SegmentDescriptors.X86_64_KERNEL_CS : SegmentDescriptors.I386_KERNEL_CS;
    long gate = kernel.idt().physical() + (is64 ? 16 : 8) * 2L;
    kernel.memory().writeU64(gate, SegmentDescriptors.interruptGateLow(handler, selector));
    if (is64) {
      kernel.memory().writeU64(gate + 8, handler >>> 32);
    }
  }

  /**
   * The C side zapped GDT and IDT itself in 2.6.16 (both arches) and in 6.1 (both arches); the
   * 2006 patch moved that into the assembly, and x86_64 since 6.14 does it in the assembly too.
   */
  static boolean zapsDescriptorTablesInC(TransitionDesign design, Arch arch, RelocateAbi abi) {
    return abi == RelocateAbi.LINUX_6_1 || design.zapsDescriptorTablesInC(arch);
  }
}
