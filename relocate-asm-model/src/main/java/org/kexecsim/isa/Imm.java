package org.kexecsim.isa;

/** An immediate, already sign- or zero-extended to 64 bits as the instruction uses it. */
public record Imm(long value) implements Operand {
  @Override
  public String toString() {
    return "$0x" + Long.toHexString(value);
  }
}
