package org.kexecsim.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The host x86-64 CPU as the oracle for the executor's arithmetic: random register-only ALU,
 * shift/rotate, INC/DEC and MOV instructions at every width (including AH..BH and the REX-only
 * byte registers) run natively (a static program built with GNU as and ld that loads the
 * registers and RFLAGS, executes the instruction and prints them) and on the model; every
 * register and every flag the SDM defines for that instruction must agree. Flags the SDM calls
 * undefined (AF after logic ops and shifts, OF after multi-bit shifts and rotates, CF after a
 * shift by at least the operand width) are not compared. Skipped off x86-64 or without binutils.
 */
class HostCpuOracleTest {
  static final int CASES = 1500;
  static final long CF = Rflags.CF, PF = Rflags.PF, AF = Rflags.AF, ZF = Rflags.ZF, SF = Rflags.SF, OF = Rflags.OF;
  static final long ARITH = CF | PF | AF | ZF | SF | OF;

  record Case(String insn, long[] regs, long flags, long definedFlags) {}

  static final String[] ALU = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "test"};
  static final String[] SHIFTS = {"shl", "shr", "sar", "rol", "ror", "rcl", "rcr"};

  /** A register of {@code size} bytes other than the stack pointer (the harness needs RSP). */
  static String reg(Random rnd, int size, boolean rexOk) {
    String[] r8 = {"al", "cl", "dl", "bl", "ah", "ch", "dh", "bh", "bpl", "sil", "dil", "r8b", "r9b", "r12b", "r15b"};
    String[] r16 = {"ax", "cx", "dx", "bx", "bp", "si", "di", "r8w", "r11w", "r15w"};
    String[] r32 = {"eax", "ecx", "edx", "ebx", "ebp", "esi", "edi", "r8d", "r10d", "r15d"};
    String[] r64 = {"rax", "rcx", "rdx", "rbx", "rbp", "rsi", "rdi", "r8", "r9", "r14", "r15"};
    String[] pick = switch (size) {
      case 1 -> rexOk ? r8 : java.util.Arrays.copyOf(r8, 8);
      case 2 -> r16;
      case 4 -> r32;
      default -> r64;
    };
    return "%" + pick[rnd.nextInt(pick.length)];
  }

  static Case randomCase(Random rnd) {
    int size = new int[] {1, 2, 4, 8}[rnd.nextInt(4)];
    long[] regs = new long[16];
    for (int i = 0; i < 16; i++) {
      regs[i] = switch (rnd.nextInt(4)) {
        case 0 -> rnd.nextLong();
        case 1 -> rnd.nextInt(256) - 128;
        case 2 -> 1L << rnd.nextInt(64);
        default -> rnd.nextBoolean() ? 0 : -1;
      };
    }
    regs[4] = 0;
    long flags = rnd.nextLong() & ARITH;
    int kind = rnd.nextInt(10);
    String a = reg(rnd, size, true);
    // a byte instruction naming AH..BH cannot also name a REX-only register
    boolean high = a.matches("%[a-d]h");
    String b = reg(rnd, size, !high);
    if (b.matches("%[a-d]h") && a.matches("%(bpl|sil|dil|r\\d+b)")) {
      b = "%al";
    }
    if (kind < 5) {
      String op = ALU[rnd.nextInt(ALU.length)];
      long defined = op.matches("and|or|xor|test") ? ARITH & ~AF : ARITH;
      String src = rnd.nextBoolean() ? b : "$" + imm(rnd, size);
      return new Case(op + " " + src + "," + a, regs, flags, defined);
    }
    if (kind < 8) {
      String op = SHIFTS[rnd.nextInt(SHIFTS.length)];
      int width = 8 * size;
      boolean byCl = rnd.nextBoolean();
      int count = rnd.nextInt(4) == 0 ? 1 : rnd.nextInt(70);
      if (byCl) {
        regs[1] = (regs[1] & ~0xFFL) | (count & 0xFF);
        a = a.matches("%(cl|ch|cx|ecx|rcx)") ? (size == 1 ? "%dl" : reg(rnd, size, true).replaceAll("c", "d")) : a;
        if (a.matches("%(cl|ch|cx|ecx|rcx)")) {
          a = size == 1 ? "%dl" : size == 2 ? "%dx" : size == 4 ? "%edx" : "%rdx";
        }
      }
      int masked = count & (size == 8 ? 63 : 31);
      long defined;
      if (masked == 0) {
        defined = ARITH; // nothing changes
      } else if (op.startsWith("r")) {
        defined = CF | (masked == 1 ? OF : 0);
      } else {
        defined = PF | ZF | SF | (masked == 1 ? OF : 0) | (masked <= width || op.equals("sar") ? CF : 0);
      }
      String insn = byCl ? op + " %cl," + a : count == 1 && rnd.nextBoolean() ? op + " " + a : op + " $" + count + "," + a;
      return new Case(insn, regs, flags, defined);
    }
    if (kind == 8) {
      return new Case((rnd.nextBoolean() ? "inc " : "dec ") + a, regs, flags, ARITH);
    }
    return new Case("mov " + (rnd.nextBoolean() ? b : "$" + imm(rnd, size)) + "," + a, regs, flags, ARITH);
  }

  static String imm(Random rnd, int size) {
    long v = switch (size) {
      case 1 -> rnd.nextInt(256);
      case 2 -> rnd.nextInt(65536);
      default -> rnd.nextBoolean() ? rnd.nextInt(256) - 128 : rnd.nextInt();
    };
    return Long.toString(v);
  }

  /** Builds and runs the native harness; returns 17 quads per case (16 registers, RFLAGS). */
  static long[][] runNatively(List<Case> cases) throws IOException, InterruptedException {
    StringBuilder s = new StringBuilder(".text\n.globl _start\n_start:\n");
    for (int i = 0; i < cases.size(); i++) {
      s.append("lea case").append(i).append("(%rip),%rdi\ncall run").append(i).append('\n');
    }
    s.append("mov $1,%eax\nmov $1,%edi\nlea case0(%rip),%rsi\nmov $").append(cases.size() * 17 * 8)
        .append(",%edx\nsyscall\nmov $60,%eax\nxor %edi,%edi\nsyscall\n");
    String[] names = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"};
    for (int i = 0; i < cases.size(); i++) {
      s.append("run").append(i).append(":\nmov %rdi,saved(%rip)\npushq 128(%rdi)\npopfq\n");
      for (int r = 0; r < 16; r++) {
        if (r != 4 && r != 7) {
          s.append("mov ").append(8 * r).append("(%rdi),%").append(names[r]).append('\n');
        }
      }
      s.append("mov 56(%rdi),%rdi\n").append(cases.get(i).insn()).append("\npushfq\npush %rdi\nmov saved(%rip),%rdi\npopq 56(%rdi)\npopq 128(%rdi)\n");
      for (int r = 0; r < 16; r++) {
        if (r != 4 && r != 7) {
          s.append("mov %").append(names[r]).append(',').append(8 * r).append("(%rdi)\n");
        }
      }
      s.append("ret\n");
    }
    s.append(".data\nsaved: .quad 0\n");
    for (int i = 0; i < cases.size(); i++) {
      s.append("case").append(i).append(":");
      Case c = cases.get(i);
      for (int r = 0; r < 16; r++) {
        s.append(r == 0 ? " .quad " : ",").append(c.regs()[r]);
      }
      s.append(',').append(c.flags() | 2).append('\n');
    }
    Path dir = Files.createTempDirectory("host-oracle");
    try {
      Files.writeString(dir.resolve("h.s"), s);
      exec(dir, "as", "--64", "-o", "h.o", "h.s");
      exec(dir, "ld", "-static", "-o", "h", "h.o");
      Process p = new ProcessBuilder(dir.resolve("h").toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0 || out.length != cases.size() * 17 * 8) {
        throw new IOException("native harness failed");
      }
      ByteBuffer bb = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
      long[][] res = new long[cases.size()][17];
      for (long[] row : res) {
        for (int k = 0; k < 17; k++) {
          row[k] = bb.getLong();
        }
      }
      return res;
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  static void exec(Path dir, String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed:\n" + log);
    }
  }

  static boolean hostIsX86_64() {
    String arch = System.getProperty("os.arch");
    if (!(arch.equals("amd64") || arch.equals("x86_64")) || !System.getProperty("os.name").startsWith("Linux")) {
      return false;
    }
    try {
      exec(Path.of("."), "ld", "--version");
      exec(Path.of("."), "as", "--version");
      return true;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  @Test
  void arithmeticAtEveryWidthMatchesTheHostCpu() throws Exception {
    assumeTrue(hostIsX86_64(), "needs an x86-64 Linux host with GNU as and ld");
    long seed = Long.getLong("hostoracle.seed", System.nanoTime());
    Random rnd = new Random(seed);
    List<Case> cases = new ArrayList<>();
    for (int i = 0; i < CASES; i++) {
      cases.add(randomCase(rnd));
    }
    long[][] expected = runNatively(cases);
    for (int i = 0; i < cases.size(); i++) {
      Case c = cases.get(i);
      TestMachine m = TestMachine.longMode();
      for (int r = 0; r < 16; r++) {
        if (r != 4) {
          m.cpu.setRegister(r, c.regs()[r]);
        }
      }
      m.cpu.setRflags(c.flags() | Rflags.FIXED);
      TestMachine.assertHalted(m.run(c.insn() + "\nhlt\n"));
      String ctx = String.format("seed %d: '%s' from flags 0x%x", seed, c.insn(), c.flags());
      for (int r = 0; r < 16; r++) {
        if (r != 4) {
          assertEquals(Long.toHexString(expected[i][r]), Long.toHexString(m.reg(r)), ctx + ": register " + r);
        }
      }
      long d = c.definedFlags();
      assertEquals(Long.toHexString(expected[i][16] & d), Long.toHexString(m.cpu.rflags() & d), ctx + ": flags (defined 0x" + Long.toHexString(d) + ")");
    }
  }
}
