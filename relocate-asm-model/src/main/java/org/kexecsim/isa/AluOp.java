package org.kexecsim.isa;

/**
 * The two-operand arithmetic/logic group. {@code digit} is the ModRM reg field of the 80/81/83
 * forms and also selects the 00..3D opcode row (op = digit*8 + 1/3/5); TEST has its own opcodes.
 */
public enum AluOp {
  ADD(0),
  OR(1),
  ADC(2),
  SBB(3),
  AND(4),
  SUB(5),
  XOR(6),
  CMP(7),
  TEST(-1);

  final int digit;

  AluOp(int digit) {
    this.digit = digit;
  }

  public String mnemonic() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Whether the result is written back (CMP and TEST only set flags). */
  public boolean writesResult() {
    return this != CMP && this != TEST;
  }

  static AluOp ofDigit(int digit) {
    for (AluOp op : values()) {
      if (op.digit == digit) {
        return op;
      }
    }
    return null;
  }
}
