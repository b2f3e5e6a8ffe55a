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
import org.kexecsim.transition.PrepareReport;

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

  static Cpu setUp(CrashedKernel kernel, PrepareReport prep, String design, Arguments args, long stackPhysical) {
    PhysicalMemory memory = kernel.memory();
    var r = kernel.registers();
    ControlWrite w = ControlRegisterRules.establish(r.cr0(), r.cr3(), r.cr4(), r.efer(), memory, kernel.cpu());
    if (!(w instanceof ControlWrite.Accepted accepted)) {
      throw new IllegalStateException("the crashed kernel's own CR3 does not load: " + w);
    }
    Cpu cpu = new Cpu(memory, accepted.state(), kernel.cpu());
    Arch arch = kernel.arch();
    cpu.setGdtr(kernel.gdt().virtual(), kernel.gdt().limit());
    cpu.setIdtr(kernel.idt().virtual(), kernel.idt().limit());

    // load_segments(): reload CS and the data segments from the GDT while it is still valid, so
    // the descriptor caches stay usable after it is zapped (machine_kexec_64.c comment).
    int cs = arch.is64Bit() ? SegmentDescriptors.X86_64_KERNEL_CS : SegmentDescriptors.I386_KERNEL_CS;
    int ds = arch.is64Bit() ? SegmentDescriptors.X86_64_KERNEL_DS : SegmentDescriptors.I386_KERNEL_DS;
    cpu.setSegment(Segment.CS, SegmentCache.fromDescriptor(cs, memory.readU64(kernel.gdt().physical() + cs)));
    SegmentCache data = SegmentCache.fromDescriptor(ds, memory.readU64(kernel.gdt().physical() + ds));
    for (Segment s : new Segment[] {Segment.DS, Segment.ES, Segment.SS, Segment.FS, Segment.GS}) {
      cpu.setSegment(s, data);
    }
    cpu.setRflags(Rflags.FIXED); // local_irq_disable(): IF=0

    if (zapsDescriptorTablesInC(design, arch)) {
      // set_gdt(phys_to_virt(0), 0); set_idt(phys_to_virt(0), 0)
      cpu.setGdtr(kernel.directMapVirtual(0), 0);
      cpu.setIdtr(kernel.directMapVirtual(0), 0);
    }

    // A stack in the crashed kernel's direct map; the call pushes a return address the
    // routine never uses.
    long stackTopVirtual = kernel.directMapVirtual(stackPhysical) + PhysicalMemory.PAGE_SIZE - 64;
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
      long[] stack = design.equals("legacy")
          ? new long[] {0, args.head(), args.codePage(), args.entry(), args.hasPae() ? 1 : 0}
          : new long[] {0, args.head(), args.codePage(), args.entry(), args.table(), args.hasPae() ? 1 : 0};
      long sp = stackTopPhysical - 4L * stack.length;
      for (int i = 0; i < stack.length; i++) {
        memory.writeU32(sp + 4L * i, stack[i]);
      }
      cpu.setRegister(Gpr.RSP, stackTopVirtual - 4L * stack.length);
    }
    cpu.setRip(prep.switchVirtual());
    return cpu;
  }

  /**
   * The C side zapped GDT and IDT itself in 2.6.16 (both arches) and in mainline i386; the
   * 2006 patch moved that into the assembly, and mainline x86_64 does it in the assembly too.
   */
  static boolean zapsDescriptorTablesInC(String design, Arch arch) {
    return design.equals("legacy") || (design.equals("mainline") && !arch.is64Bit());
  }
}
