package org.kexecsim.isa;

/**
 * A general register: its number in the ModRM/REX encoding (0 = rax .. 15 = r15), the width in
 * bytes the instruction uses (1, 2, 4 or 8) and, for byte registers, whether it is one of the
 * legacy high bytes AH, CH, DH, BH (bits 15:8 of registers 0..3).
 *
 * <p>Byte registers (SDM Vol. 1 §3.4.1.1, Vol. 2 §2.2.1.2): without a REX prefix the ModRM
 * values 4..7 name AH, CH, DH, BH; with any REX prefix they name SPL, BPL, SIL, DIL. So SPL..DIL
 * and R8B..R15B need a REX prefix and AH..BH cannot appear in an instruction that has one.
 */
public record Gpr(int number, int size, boolean high) implements Operand {
  public static final int RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;

  private static final String[] NAMES64 = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"
  };
  private static final String[] NAMES32 = {
    "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
    "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"
  };
  private static final String[] NAMES16 = {
    "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
    "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w"
  };
  private static final String[] NAMES8 = {
    "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
    "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b"
  };
  private static final String[] NAMES8_HIGH = {"ah", "ch", "dh", "bh"};

  public Gpr {
    if (number < 0 || number > 15 || (size != 1 && size != 2 && size != 4 && size != 8)) {
      throw new IllegalArgumentException("no register " + number + "/" + size);
    }
    if (high && (size != 1 || number > 3)) {
      throw new IllegalArgumentException("only registers 0..3 have a high byte");
    }
  }

  public Gpr(int number, int size) {
    this(number, size, false);
  }

  /** The byte register that ModRM value {@code field} (0..15) names, with or without a REX prefix. */
  public static Gpr byteRegister(int field, boolean rex) {
    return !rex && field >= 4 && field <= 7 ? new Gpr(field - 4, 1, true) : new Gpr(field, 1, false);
  }

  public String name() {
    return switch (size) {
      case 8 -> NAMES64[number];
      case 4 -> NAMES32[number];
      case 2 -> NAMES16[number];
      default -> high ? NAMES8_HIGH[number] : NAMES8[number];
    };
  }

  /** Name as used by a 64-bit register file: rax..r15. */
  public static String name64(int number) {
    return NAMES64[number];
  }

  /** The register named {@code name} (without %), or null. */
  public static Gpr parse(String name) {
    for (int i = 0; i < 16; i++) {
      if (NAMES64[i].equals(name)) {
        return new Gpr(i, 8);
      }
      if (NAMES32[i].equals(name)) {
        return new Gpr(i, 4);
      }
      if (NAMES16[i].equals(name)) {
        return new Gpr(i, 2);
      }
      if (NAMES8[i].equals(name)) {
        return new Gpr(i, 1);
      }
    }
    for (int i = 0; i < 4; i++) {
      if (NAMES8_HIGH[i].equals(name)) {
        return new Gpr(i, 1, true);
      }
    }
    return null;
  }

  /** The 3-bit (plus REX bit) value that names it in ModRM or the low opcode bits. */
  public int field() {
    return high ? number + 4 : number;
  }

  /** Whether using it needs a REX extension bit (r8..r15). */
  public boolean extended() {
    return number >= 8;
  }

  /** Whether it can only be named with a REX prefix present: r8..r15 and SPL, BPL, SIL, DIL. */
  public boolean needsRex() {
    return number >= 8 || (size == 1 && !high && number >= 4);
  }

  @Override
  public String toString() {
    return "%" + name();
  }
}
