package org.kexecsim.isa;

/**
 * A general register: its number in the ModRM/REX encoding (0 = rax .. 15 = r15) and the width
 * in bytes the instruction uses (4 or 8; the subset has no 8- or 16-bit register operands).
 */
public record Gpr(int number, int size) implements Operand {
  public static final int RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;

  private static final String[] NAMES64 = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"
  };
  private static final String[] NAMES32 = {
    "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
    "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"
  };

  public Gpr {
    if (number < 0 || number > 15 || (size != 4 && size != 8)) {
      throw new IllegalArgumentException("no register " + number + "/" + size);
    }
  }

  public String name() {
    return size == 8 ? NAMES64[number] : NAMES32[number];
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
    }
    return null;
  }

  /** Whether using it needs a REX prefix (r8..r15). */
  public boolean extended() {
    return number >= 8;
  }

  @Override
  public String toString() {
    return "%" + name();
  }
}
