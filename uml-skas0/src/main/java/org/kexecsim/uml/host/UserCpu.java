package org.kexecsim.uml.host;

import org.kexecsim.cpu.Cpu;
import org.kexecsim.cpu.ExceptionEvent;
import org.kexecsim.cpu.RunState;
import org.kexecsim.cpu.SegmentCache;
import org.kexecsim.isa.Decoded;
import org.kexecsim.isa.Decoder;
import org.kexecsim.isa.Instruction;
import org.kexecsim.isa.Segment;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.CpuFeatures;
import org.kexecsim.mmu.ExceptionVector;

/**
 * A host process's machine code (the skas0 stubs) on the CPU model: one instruction per step, at
 * CPL 3 with Linux's flat user segments, through the process's own page tables. What user code
 * cannot do by itself is the host kernel's: {@code syscall} (x86_64) and {@code int $0x80}
 * (i386) are system calls of the host model, {@code int3} raises SIGTRAP, and an exception the
 * CPU takes becomes the signal Linux sends for it ({@link #signalFor}): a fault is the host's
 * SIGSEGV with its cr2, error code and trap number. The registers live in
 * the process: the ptrace view ({@link Registers}) and the rest ({@code gpr}, {@code rflags}).
 */
final class UserCpu {
  private UserCpu() {}

  /** Linux's __USER_CS (64-bit: L=1) and __USER32_CS/__USER_DS descriptors, DPL 3. */
  private static final long USER_CS64 = 0x00af_fb00_0000_ffffL;
  private static final long USER_CS32 = 0x00cf_fb00_0000_ffffL;
  private static final long USER_DS = 0x00cf_f300_0000_ffffL;
  private static final int RAX = 0;
  private static final int RCX = 1;
  private static final int RDX = 2;
  private static final int RBX = 3;
  private static final int RSP = 4;
  private static final int RBP = 5;
  private static final int RSI = 6;
  private static final int RDI = 7;

  /** The fetch faulted: SIGSEGV is raised already. */
  private static final class FetchFault extends RuntimeException {
    FetchFault() {
      super(null, null, false, false);
    }
  }

  /** The general registers holding the arguments a0..a5 (x86_64 syscall ABI, i386 int $0x80 ABI). */
  static int[] argRegisters(HostArch a) {
    return a == HostArch.X86_64 ? new int[] {RDI, RSI, RDX, 10, 8, 9} : new int[] {RBX, RCX, RDX, RSI, RDI, RBP};
  }

  static boolean step(HostMachine host, HostProcess p) {
    HostArch arch = host.arch();
    int bits = arch.wordSize() * 8;
    long ip = p.regs.ip();
    Decoded d;
    try {
      d = new Decoder().decode(va -> {
        long pa = host.translateOrFault(p, va, Access.USER | Access.FETCH);
        if (pa < 0) {
          throw new FetchFault();
        }
        return host.memory().readU8(pa);
      }, ip, bits);
    } catch (FetchFault f) {
      return true;
    }
    long next = ip + d.length();
    if (bits == 32) {
      next &= 0xFFFF_FFFFL;
    }
    Instruction insn = d.instruction();
    boolean syscall = arch == HostArch.X86_64
        ? insn instanceof Instruction.Simple s && s.op() == Instruction.SimpleOp.SYSCALL
        : insn instanceof Instruction.Int i && i.vector() == 0x80;
    if (syscall) {
      long[] g = gprs(p, arch);
      if (arch == HostArch.X86_64) {
        p.gpr[RCX] = next; // SYSCALL keeps the return address in rcx and rflags in r11 (SDM Vol. 2 SYSCALL)
        p.gpr[11] = p.rflags;
      }
      int[] r = argRegisters(arch);
      p.regs = p.regs.withIp(next);
      host.syscallInstruction(p, g[RAX], g[r[0]], g[r[1]], g[r[2]], g[r[3]], g[r[4]], g[r[5]]);
      return true;
    }
    if (insn instanceof Instruction.Simple s && s.op() == Instruction.SimpleOp.INT3) {
      p.regs = p.regs.withIp(next);
      host.raise(p, Signal.SIGTRAP); // do_int3: SIGTRAP to the process
      return true;
    }
    Cpu cpu = new Cpu(host.memory(), p.space.paging().control(), CpuFeatures.DEFAULT);
    cpu.setSegment(Segment.CS, SegmentCache.fromDescriptor(bits == 64 ? 0x33 : 0x23, bits == 64 ? USER_CS64 : USER_CS32));
    for (Segment s : Segment.values()) {
      if (s != Segment.CS) {
        cpu.setSegment(s, SegmentCache.fromDescriptor(0x2b, USER_DS));
      }
    }
    long[] g = gprs(p, arch);
    for (int i = 0; i < 16; i++) {
      cpu.setRegister(i, g[i]);
    }
    cpu.setRflags(p.rflags);
    cpu.setRip(ip);
    cpu.step();
    if (!cpu.exceptions().isEmpty()) {
      // no IDT in a user process's CPU: the first event is the fault, the host's to deliver
      ExceptionEvent e = cpu.exceptions().getFirst();
      if (e.vector() == ExceptionVector.PF) {
        host.userFault(p, new SigContext(e.cr2(), e.errorCode(), SigContext.TRAP_PAGE_FAULT));
      } else {
        Signal s = signalFor(e.vector());
        if (s instanceof Signal.Sigsegv) {
          host.userFault(p, new SigContext(0, e.errorCode(), e.vector().number()));
        } else {
          host.raise(p, s);
        }
      }
      return true;
    }
    if (cpu.state() != RunState.RUNNING) {
      throw new IllegalStateException(String.format("%s at 0x%x: the CPU stopped: %s", p, ip, cpu.stopReason()));
    }
    for (int i = 0; i < 16; i++) {
      p.gpr[i] = cpu.register(i);
    }
    p.rflags = cpu.rflags();
    int[] r = argRegisters(arch);
    p.regs = new Registers(cpu.rip(), cpu.register(RSP), p.regs.nr(), cpu.register(r[0]), cpu.register(r[1]),
        cpu.register(r[2]), cpu.register(r[3]), cpu.register(r[4]), cpu.register(r[5]), cpu.register(RAX));
    return true;
  }

  /**
   * The signal Linux sends a user process for a CPU exception (arch/x86/kernel/traps.c): #DE
   * SIGFPE (exc_divide_error), #UD SIGILL (handle_invalid_op), #BP SIGTRAP (do_int3_user), #NP
   * and #SS SIGBUS, #TS, #GP, #PF and the rest SIGSEGV. (#DB would be SIGTRAP too; the CPU model
   * raises no debug exception.)
   */
  static Signal signalFor(ExceptionVector v) {
    return switch (v) {
      case DE -> Signal.SIGFPE;
      case UD -> Signal.SIGILL;
      case BP -> Signal.SIGTRAP;
      case NP, SS -> Signal.SIGBUS;
      default -> new Signal.Sigsegv(null);
    };
  }

  /** The process's general registers: the ptrace view over the rest. */
  private static long[] gprs(HostProcess p, HostArch arch) {
    long[] g = p.gpr.clone();
    int[] r = argRegisters(arch);
    Registers x = p.regs;
    g[RAX] = x.ret();
    g[RSP] = x.sp();
    long[] a = {x.a0(), x.a1(), x.a2(), x.a3(), x.a4(), x.a5()};
    for (int i = 0; i < 6; i++) {
      g[r[i]] = a[i];
    }
    if (arch == HostArch.I386) {
      for (int i = 0; i < 8; i++) {
        g[i] &= 0xFFFF_FFFFL;
      }
    }
    return g;
  }
}
