package org.kexecsim.isa;

/**
 * The instruction forms the model decodes, executes and assembles: one record per shape. The
 * records hold what the instruction means (operation, operand size in bytes, operands), not how
 * it was encoded; {@link Encoder} picks the encoding GNU as would.
 */
public sealed interface Instruction {

  /** MOV between registers, memory and immediates (an imm32, sign-extended for 64-bit operands). */
  record Mov(int size, Operand dst, Operand src) implements Instruction {}

  /** movabs $imm64,%reg (REX.W B8+r io). */
  record MovAbs(Gpr dst, long value) implements Instruction {}

  /** ADD/OR/AND/SUB/XOR/CMP/TEST; dst is a register or memory, src a register, memory or immediate. */
  record Alu(AluOp op, int size, Operand dst, Operand src) implements Instruction {}

  record IncDec(boolean increment, int size, Operand target) implements Instruction {}

  /**
   * Shift or rotate by an immediate count ({@code byCl} false; a count of 1 uses the D0/D1 form)
   * or by CL ({@code byCl} true, {@code count} unused).
   */
  record Shift(ShiftOp op, int size, Operand target, int count, boolean byCl) implements Instruction {
    public Shift(ShiftOp op, int size, Operand target, int count) {
      this(op, size, target, count, false);
    }
  }

  record Lea(int size, Gpr dst, Mem src) implements Instruction {}

  /** PUSH of a register or immediate; size is the stack slot (4 or 8). */
  record Push(int size, Operand src) implements Instruction {}

  record Pop(int size, Gpr dst) implements Instruction {}

  /** PUSHF/POPF with a 4- or 8-byte slot. */
  record Flags(boolean push, int size) implements Instruction {}

  /** MOV to (toControl) or from CRn; the register is 32- or 64-bit by mode. */
  record MovControl(boolean toControl, int control, Gpr gpr) implements Instruction {}

  /** MOV to (toSegment) or from a segment register. */
  record MovSegment(boolean toSegment, Segment segment, Operand other) implements Instruction {}

  /** JMP, CALL or Jcc to an absolute target (the encoding holds target - next RIP). */
  record Branch(BranchKind kind, Condition condition, long target) implements Instruction {}

  /** JMP or CALL through a register or memory. */
  record IndirectBranch(boolean call, Operand target) implements Instruction {}

  record Ret() implements Instruction {}

  /** ljmp $selector,$offset (direct far jump, not in 64-bit mode). */
  record FarJump(int selector, long offset) implements Instruction {}

  /** ljmp *mem: a m16:32 (size 4) or m16:64 (size 8) far pointer. */
  record FarJumpIndirect(int size, Mem pointer) implements Instruction {}

  /** lret/lretq: pops the offset and CS, each in a slot of {@code size} bytes. */
  record FarReturn(int size) implements Instruction {}

  /** iret/iretq with slots of {@code size} bytes. */
  record Iret(int size) implements Instruction {}

  /** INVLPG m: drops the TLB entries for the page holding the operand's linear address. */
  record Invlpg(Mem target) implements Instruction {}

  /** LGDT (idt=false) or LIDT from a pseudo-descriptor in memory. */
  record LoadTable(boolean idt, Mem source) implements Instruction {}

  /** MOVS or STOS with element size 1, 2, 4 or 8, optionally REP-prefixed. */
  record StringOp(boolean move, int size, boolean rep) implements Instruction {}

  /** NOP r/m (0F 1F /0): the multi-byte no-op; it does not access its operand (SDM Vol. 2 NOP). */
  record Nop(int size, Operand target) implements Instruction {}

  /** INT imm8 (CD ib), a software interrupt through IDT vector {@code vector}; int3 is {@link SimpleOp#INT3}. */
  record Int(int vector) implements Instruction {}

  /** Instructions without operands. */
  record Simple(SimpleOp op) implements Instruction {}

  /** Bytes outside the subset: executing them raises #UD. */
  record Undefined(String reason) implements Instruction {}

  enum BranchKind {
    JMP,
    CALL,
    JCC
  }

  enum SimpleOp {
    NOP("nop"),
    HLT("hlt"),
    INT3("int3"),
    /** SYSCALL (0F 05): the fast system call of 64-bit mode. */
    SYSCALL("syscall"),
    CLD("cld"),
    STD("std"),
    WBINVD("wbinvd"),
    UD2("ud2"),
    RDMSR("rdmsr"),
    WRMSR("wrmsr"),
    CPUID("cpuid");

    final String mnemonic;

    SimpleOp(String mnemonic) {
      this.mnemonic = mnemonic;
    }

    public String mnemonic() {
      return mnemonic;
    }
  }
}
