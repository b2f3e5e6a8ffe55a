package org.kexecsim.isa;

/**
 * The shift/rotate group (C0/C1/D0..D3 /digit, SDM Vol. 2 Table A-6 group 2). /6 is an
 * undocumented alias of SHL that GNU as never emits; the decoder maps it to SHL.
 */
public enum ShiftOp {
  ROL(0),
  ROR(1),
  RCL(2),
  RCR(3),
  SHL(4),
  SHR(5),
  SAR(7);

  final int digit;

  ShiftOp(int digit) {
    this.digit = digit;
  }

  public String mnemonic() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  static ShiftOp ofDigit(int digit) {
    for (ShiftOp op : values()) {
      if (op.digit == digit) {
        return op;
      }
    }
    return digit == 6 ? SHL : null;
  }

  /** The mnemonic's base name to this op; sal is GNU as's alias for shl (same /4 encoding). */
  static ShiftOp parse(String base) {
    return switch (base) {
      case "rol" -> ROL;
      case "ror" -> ROR;
      case "rcl" -> RCL;
      case "rcr" -> RCR;
      case "shl", "sal" -> SHL;
      case "shr" -> SHR;
      case "sar" -> SAR;
      default -> null;
    };
  }
}
