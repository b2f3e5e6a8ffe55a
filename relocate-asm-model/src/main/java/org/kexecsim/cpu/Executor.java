package org.kexecsim.cpu;

import org.kexecsim.isa.Imm;
import org.kexecsim.isa.Instruction;
import org.kexecsim.mmu.ExceptionVector;

/**
 * Dispatches each decoded instruction to its family ({@link ArithmeticUnit}, {@link
 * ControlTransfer}, {@link SystemUnit}, {@link StringUnit}), which work through the narrow
 * {@link CpuState}. Every memory access happens before registers are updated, so a fault leaves
 * the state as it was before the instruction (REP string instructions excepted: they stop at an
 * element boundary with RSI, RDI and RCX describing the remaining work, as the SDM specifies).
 */
final class Executor {
  private final Cpu cpu;
  private final CpuState st;
  private final ArithmeticUnit arithmetic;
  private final ControlTransfer transfer;
  private final SystemUnit system;
  private final StringUnit strings;

  Executor(Cpu cpu) {
    this.cpu = cpu;
    this.st = new CpuState(cpu);
    this.arithmetic = new ArithmeticUnit(st);
    this.transfer = new ControlTransfer(st);
    this.system = new SystemUnit(st);
    this.strings = new StringUnit(st);
  }

  void execute(Instruction insn, long nextRip, int bits) {
    st.begin(bits, nextRip);
    long target = nextRip;
    switch (insn) {
      case Instruction.Mov m -> st.write(m.dst(), m.size(), st.read(m.src(), m.size()));
      case Instruction.MovAbs m -> st.setReg(m.dst().number(), 8, m.value());
      case Instruction.Alu a -> arithmetic.alu(a);
      case Instruction.IncDec i -> arithmetic.incDec(i);
      case Instruction.Shift s -> arithmetic.shift(s);
      case Instruction.Lea l -> st.setReg(l.dst().number(), l.size(), st.effectiveAddress(l.src()));
      case Instruction.Push p -> st.push(p.size(), p.src() instanceof Imm i ? i.value() : st.read(p.src(), p.size()));
      case Instruction.Pop p -> {
        long v = st.pop(p.size(), 0);
        st.setRsp(st.stackPointer() + p.size());
        st.setReg(p.dst().number(), p.size(), v); // pop %rsp loads the popped value last
      }
      case Instruction.Flags f -> system.flags(f);
      case Instruction.MovControl c -> system.movControl(c);
      case Instruction.MovSegment s -> system.movSegment(s);
      case Instruction.Branch b -> target = transfer.branch(b);
      case Instruction.IndirectBranch ib -> target = transfer.indirect(ib);
      case Instruction.Ret r -> target = transfer.ret();
      case Instruction.FarJump fj -> target = transfer.farJump(fj.selector(), fj.offset());
      case Instruction.FarJumpIndirect fj -> target = transfer.farJumpIndirect(fj);
      case Instruction.FarReturn fr -> target = transfer.farReturn(fr.size());
      case Instruction.Iret ir -> target = transfer.iret(ir.size());
      case Instruction.LoadTable lt -> system.loadTable(lt);
      case Instruction.Invlpg iv -> system.invlpg(iv);
      case Instruction.StringOp so -> {
        if (so.move()) {
          strings.movs(so.size(), so.rep());
        } else {
          strings.stos(so.size(), so.rep());
        }
      }
      case Instruction.Nop n -> {} // no memory access, so no fault (SDM Vol. 2 NOP)
      case Instruction.Simple s -> {
        switch (s.op()) {
          case NOP -> {}
          case HLT -> {
            st.requireCpl0("HLT");
            cpu.halt();
          }
          case INT3 -> {
            cpu.setRip(nextRip);
            throw new SoftwareInterrupt(new CpuFault(ExceptionVector.BP, 0, "int3"));
          }
          case CLD -> cpu.rflags &= ~Rflags.DF;
          case STD -> cpu.rflags |= Rflags.DF;
          case WBINVD -> st.requireCpl0("WBINVD"); // caches are not modelled: memory is always coherent
          case UD2 -> throw CpuFault.ud("ud2 (SDM Vol. 2 UD)");
          case RDMSR, WRMSR -> system.msr(s.op() == Instruction.SimpleOp.WRMSR);
          case CPUID -> system.cpuid();
          // the model has no SYSCALL MSRs (STAR/LSTAR): a host model that runs user code (uml)
          // takes system calls before the CPU sees them
          case SYSCALL -> throw new MachineStop("syscall: SYSCALL entry (IA32_LSTAR) is not modelled");
        }
      }
      case Instruction.Int i -> throw new MachineStop(String.format(
          "int $0x%x: software interrupts other than int3 are not modelled", i.vector()));
      case Instruction.Undefined u -> throw CpuFault.ud(u.reason());
    }
    if (target != nextRip) {
      transfer.checkBranchTarget(target);
    }
    cpu.setRip(target);
  }

  /** INT3 is a trap with EXT=0: the CPU delivers it with the next instruction as return address. */
  static final class SoftwareInterrupt extends RuntimeException {
    final CpuFault fault;

    SoftwareInterrupt(CpuFault fault) {
      super(null, null, false, false);
      this.fault = fault;
    }
  }
}
