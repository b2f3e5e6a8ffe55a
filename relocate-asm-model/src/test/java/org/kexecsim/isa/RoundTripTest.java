package org.kexecsim.isa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Property: for random operands of every supported form, decode(encode(x)) == x, and assembling
 * the disassembly of x gives the same bytes, i.e. decode(assemble(x)) round-trips. The seed is in
 * every failure message; set -Droundtrip.seed=N to replay.
 */
class RoundTripTest {
  static final int SAMPLES = 300;
  static final long ADDRESS = 0x40_0000;

  @ParameterizedTest
  @ValueSource(ints = {32, 64})
  void everyFormRoundTrips(int bits) {
    long seed = Long.getLong("roundtrip.seed", System.nanoTime());
    Random rnd = new Random(seed);
    Gen g = new Gen(rnd, bits);
    for (Function<Gen, Instruction> form : forms(bits)) {
      for (int i = 0; i < SAMPLES; i++) {
        Instruction x = form.apply(g);
        String ctx = "seed " + seed + ", " + bits + "-bit, " + x;
        byte[] bytes;
        try {
          bytes = Encoder.encode(x, bits, ADDRESS, false, false, needsLong(x));
        } catch (EncodingException e) {
          // a refusal of a generated form is a failure to reproduce: keep the seed with it
          throw new AssertionError(ctx + ": " + e.getMessage(), e);
        }
        Decoded d = Decoder.decode(bytes, 0, ADDRESS, bits);
        assertEquals(x, d.instruction(), ctx + ", bytes " + HexFormat.of().formatHex(bytes));
        assertEquals(bytes.length, d.length(), ctx);
        if (!(x instanceof Instruction.Branch)) {
          String text = AttSyntax.format(x, ADDRESS, bytes.length, bits);
          byte[] assembled;
          try {
            assembled = Assembler.assemble(text, bits, ADDRESS).bytes();
          } catch (AssemblyException e) {
            throw new AssertionError(ctx + ", text '" + text + "': " + e.getMessage(), e);
          }
          assertArrayEquals(bytes, assembled, ctx + ", text '" + text + "'");
        }
      }
    }
  }

  private static boolean needsLong(Instruction x) {
    return x instanceof Instruction.Branch b && !Encoder.fitsS8(b.target() - (ADDRESS + 2));
  }

  static List<Function<Gen, Instruction>> forms(int bits) {
    List<Function<Gen, Instruction>> f = new ArrayList<>();
    f.add(Gen::movRegReg);
    f.add(g -> { int s = g.size(); return new Instruction.Mov(s, g.gpr(s), g.mem()); });
    f.add(g -> { int s = g.size(); return new Instruction.Mov(s, g.mem(), g.gpr(s)); });
    f.add(g -> new Instruction.Mov(4, g.gpr(4), new Imm(g.u32())));
    f.add(g -> { int s = g.size(); return new Instruction.Mov(s, g.mem(), new Imm(s == 8 ? g.s32() : g.u32())); });
    if (bits == 64) {
      f.add(g -> new Instruction.Mov(8, g.gpr(8), new Imm(g.s32())));
      f.add(g -> new Instruction.MovAbs(g.gpr(8), g.rnd.nextLong()));
    }
    for (AluOp op : AluOp.values()) {
      f.add(g -> { int s = g.size(); return new Instruction.Alu(op, s, g.rm(s), g.gpr(s)); });
      if (op != AluOp.TEST) {
        f.add(g -> { int s = g.size(); return new Instruction.Alu(op, s, g.gpr(s), g.mem()); });
      }
      f.add(g -> { int s = g.size(); return new Instruction.Alu(op, s, g.rm(s), new Imm(g.immediate())); });
      // 8- and 16-bit forms; a register-register byte form may not mix AH..BH with a REX register
      f.add(g -> { int s = g.narrow(); Gpr r = g.gpr(s); return new Instruction.Alu(op, s, g.rm(s, r), r); });
      f.add(g -> { int s = g.narrow(); return new Instruction.Alu(op, s, g.rm(s), new Imm(g.narrowImm(s))); });
    }
    f.add(g -> { int s = g.narrow(); Gpr r = g.gpr(s); return new Instruction.Mov(s, g.rm(s, r), r); });
    f.add(g -> { int s = g.narrow(); return new Instruction.Mov(s, g.gpr(s), g.mem()); });
    f.add(g -> { int s = g.narrow(); return new Instruction.Mov(s, g.rm(s), new Imm(g.narrowImm(s))); });
    f.add(g -> { int s = g.size(); return new Instruction.IncDec(g.rnd.nextBoolean(), s, g.rm(s)); });
    f.add(g -> { int s = g.narrow(); return new Instruction.IncDec(g.rnd.nextBoolean(), s, g.rm(s)); });
    f.add(g -> { int s = g.anySize(); return new Instruction.Shift(ShiftOp.values()[g.rnd.nextInt(ShiftOp.values().length)], s, g.rm(s), g.rnd.nextInt(256)); });
    f.add(g -> { int s = g.anySize(); return new Instruction.Shift(ShiftOp.values()[g.rnd.nextInt(ShiftOp.values().length)], s, g.rm(s), 0, true); });
    f.add(g -> { int s = g.size(); return new Instruction.Lea(s, g.gpr(s), g.mem()); });
    f.add(g -> new Instruction.Lea(2, g.gpr(2), g.mem()));
    f.add(g -> { int s = g.rnd.nextBoolean() ? 2 : g.size(); return new Instruction.Nop(s, g.rm(s)); });
    f.add(g -> new Instruction.Push(bits / 8, g.gpr(bits / 8)));
    f.add(g -> new Instruction.Push(bits / 8, new Imm(g.immediate())));
    f.add(g -> new Instruction.Pop(bits / 8, g.gpr(bits / 8)));
    f.add(g -> new Instruction.Flags(g.rnd.nextBoolean(), bits / 8));
    f.add(g -> new Instruction.MovControl(g.rnd.nextBoolean(), new int[] {0, 2, 3, 4}[g.rnd.nextInt(4)], g.gpr(bits / 8)));
    f.add(g -> {
      boolean to = g.rnd.nextBoolean();
      Segment s = Segment.values()[to ? new int[] {0, 2, 3, 4, 5}[g.rnd.nextInt(5)] : g.rnd.nextInt(6)];
      return new Instruction.MovSegment(to, s, g.rnd.nextBoolean() ? g.gpr(4) : g.mem());
    });
    for (Instruction.BranchKind k : Instruction.BranchKind.values()) {
      f.add(g -> new Instruction.Branch(k, k == Instruction.BranchKind.JCC ? Condition.values()[g.rnd.nextInt(16)] : null,
          ADDRESS + (g.rnd.nextBoolean() ? g.rnd.nextInt(200) - 100 : g.rnd.nextInt(1 << 20) - (1 << 19))));
    }
    f.add(g -> new Instruction.IndirectBranch(g.rnd.nextBoolean(), g.rnd.nextBoolean() ? g.gpr(bits / 8) : g.mem()));
    f.add(g -> new Instruction.Ret());
    if (bits == 32) {
      f.add(g -> new Instruction.FarJump(g.rnd.nextInt(0x10000), g.u32()));
    }
    f.add(g -> new Instruction.FarJumpIndirect(4, g.mem()));
    f.add(g -> new Instruction.FarReturn(bits == 64 && g.rnd.nextBoolean() ? 8 : 4));
    f.add(g -> new Instruction.Iret(bits == 64 && g.rnd.nextBoolean() ? 8 : 4));
    f.add(g -> new Instruction.LoadTable(g.rnd.nextBoolean(), g.mem()));
    f.add(g -> new Instruction.Invlpg(g.mem()));
    f.add(g -> new Instruction.StringOp(g.rnd.nextBoolean(), new int[] {1, 2, 4, 8}[g.rnd.nextInt(bits == 64 ? 4 : 3)], g.rnd.nextBoolean()));
    for (Instruction.SimpleOp op : Instruction.SimpleOp.values()) {
      f.add(g -> new Instruction.Simple(op));
    }
    return f;
  }

  /** Random operands valid for one mode. */
  static final class Gen {
    final Random rnd;
    final int bits;

    Gen(Random rnd, int bits) {
      this.rnd = rnd;
      this.bits = bits;
    }

    int size() {
      return bits == 64 && rnd.nextBoolean() ? 8 : 4;
    }

    Gpr gpr(int size) {
      if (size == 1) {
        // AH..BH in 32-bit code; in 64-bit code the REX-only byte registers instead, so any
        // memory operand (which may need REX.B/X) can go with them
        return bits == 32 ? Gpr.byteRegister(rnd.nextInt(8), false) : new Gpr(rnd.nextInt(16), 1);
      }
      return new Gpr(rnd.nextInt(bits == 64 ? 16 : 8), size);
    }

    int narrow() {
      return rnd.nextBoolean() ? 1 : 2;
    }

    int anySize() {
      return rnd.nextBoolean() ? narrow() : size();
    }

    /** An 8- or 16-bit immediate as the decoder reports it: zero-extended. */
    long narrowImm(int size) {
      return rnd.nextLong() & ((1L << (8 * size)) - 1);
    }

    Operand rm(int size, Gpr other) {
      return rnd.nextBoolean() ? gpr(size) : mem();
    }

    Instruction movRegReg() {
      int s = size();
      return new Instruction.Mov(s, gpr(s), gpr(s));
    }

    Operand rm(int size) {
      return rnd.nextBoolean() ? gpr(size) : mem();
    }

    long s32() {
      return switch (rnd.nextInt(3)) {
        case 0 -> rnd.nextInt(256) - 128;
        case 1 -> rnd.nextInt();
        default -> 0;
      };
    }

    long u32() {
      return rnd.nextInt() & 0xFFFF_FFFFL;
    }

    /** An immediate as the decoder reports it: sign-extended from imm8 or imm32. */
    long immediate() {
      return s32();
    }

    Mem mem() {
      int regs = bits == 64 ? 16 : 8;
      int kind = rnd.nextInt(10);
      long disp = s32();
      if (bits == 64 && kind == 0) {
        return new Mem(null, Mem.RIP, Mem.NONE, 1, disp);
      }
      int base = kind == 1 ? Mem.NONE : rnd.nextInt(regs);
      int index = rnd.nextBoolean() ? Mem.NONE : rnd.nextInt(regs);
      if (index == Gpr.RSP) {
        index = Mem.NONE;
      }
      int scale = index == Mem.NONE ? 1 : 1 << rnd.nextInt(4);
      return new Mem(null, base, index, scale, disp);
    }
  }
}
