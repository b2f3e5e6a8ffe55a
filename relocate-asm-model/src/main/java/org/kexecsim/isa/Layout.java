package org.kexecsim.isa;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.kexecsim.isa.Instruction.BranchKind;
import org.kexecsim.isa.Statement.AlignStmt;
import org.kexecsim.isa.Statement.DataStmt;
import org.kexecsim.isa.Statement.FillStmt;
import org.kexecsim.isa.Statement.InsnStmt;
import org.kexecsim.isa.Statement.LabelStmt;
import org.kexecsim.isa.Statement.SetStmt;

/**
 * Layout works like GNU as relaxation: jumps to labels start in their rel8 form and grow to
 * rel32 when the distance does not fit, repeating until no label moves. Values that depend on a
 * label take their 32-bit forms (imm32, disp32), as GNU as does for values its first pass cannot
 * resolve. Labels are absolute addresses from the origin; .data follows .text.
 */
final class Layout {
  private static final int MAX_PASSES = 64;
  /**
   * The largest image assembled: .fill and .align are bounded per statement, so without a total
   * a few lines of source could ask for gigabytes. The relocate routines fit in a page.
   */
  static final long MAX_IMAGE_BYTES = 16L << 20;

  private final List<Statement> stmts;
  /** Per statement, where in an included file it stands (null: the source's own), for its errors. */
  private final List<SourceParser.Origin> origins;
  private final SymbolTable symbols;

  Layout(List<Statement> stmts, List<SourceParser.Origin> origins, SymbolTable symbols) {
    this.stmts = stmts;
    this.origins = origins;
    this.symbols = symbols;
  }

  private boolean[] longBranch;

  Assembly layOut(long origin) {
    longBranch = new boolean[stmts.size()];
    int[] sizes = new int[stmts.size()];
    for (int pass = 0; pass < MAX_PASSES; pass++) {
      boolean changed = pass(origin, false, sizes, null, null);
      if (!changed && pass > 0) {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        ByteArrayOutputStream dataOut = new ByteArrayOutputStream();
        List<Assembly.ListingLine> listing = new ArrayList<>();
        pass(origin, true, sizes, new ByteArrayOutputStream[] {text, dataOut}, listing);
        byte[] t = text.toByteArray();
        byte[] d = dataOut.toByteArray();
        byte[] all = new byte[t.length + d.length];
        System.arraycopy(t, 0, all, 0, t.length);
        System.arraycopy(d, 0, all, t.length, d.length);
        Map<String, Long> exported = new LinkedHashMap<>();
        symbols.labels.forEach((k, v) -> {
          if (!SymbolTable.isLocal(k)) {
            exported.put(k, v);
          }
        });
        listing.sort((a, b) -> Long.compareUnsigned(a.address(), b.address()));
        return new Assembly(all, exported, listing);
      }
    }
    throw new AssemblyException(1, 1, "layout did not converge after " + MAX_PASSES + " passes");
  }

  /** The statement {@link #runPass} is at, whose origin its errors take. */
  private int current;

  /** {@link #runPass}, with an error in an included file's statement located as the parser locates its own. */
  private boolean pass(
      long origin, boolean strict, int[] sizes, ByteArrayOutputStream[] out, List<Assembly.ListingLine> listing) {
    current = -1;
    try {
      return runPass(origin, strict, sizes, out, listing);
    } catch (AssemblyException e) {
      SourceParser.Origin o = current < 0 ? null : origins.get(current);
      throw o == null ? e : o.locate(e);
    }
  }

  /** One layout pass over .text then .data; returns whether any label moved or jump grew. */
  private boolean runPass(
      long origin, boolean strict, int[] sizes, ByteArrayOutputStream[] out, List<Assembly.ListingLine> listing) {
    boolean changed = false;
    long addr = origin;
    for (int sect = 0; sect < 2; sect++) {
      boolean dataSection = sect == 1;
      for (int i = 0; i < stmts.size(); i++) {
        Statement st = stmts.get(i);
        current = i;
        if (st.data() != dataSection) {
          continue;
        }
        final long here = addr;
        Expr.Scope scope = sym -> symbols.lookup(sym, st.line(), here, strict);
        byte[] bytes;
        try {
          bytes = statementBytes(st, i, scope, addr, origin, strict, dataSection);
        } catch (ArithmeticException e) {
          throw new AssemblyException(st.line(), st.column(), e.getMessage());
        }
        if (bytes == null) {
          changed |= labelMoved;
          labelMoved = false;
          continue;
        }
        if (Long.compareUnsigned(addr - origin + bytes.length, MAX_IMAGE_BYTES) > 0) {
          throw new AssemblyException(st.line(), st.column(), String.format(
              "the image grows past %d MiB here: this assembler builds small routines", MAX_IMAGE_BYTES >> 20));
        }
        if (sizes[i] != bytes.length) {
          changed = true;
          sizes[i] = bytes.length;
        }
        if (out != null) {
          out[sect].writeBytes(bytes);
          String text = switch (st) {
            case InsnStmt in -> in.text();
            case DataStmt d -> d.text();
            case FillStmt f -> f.text();
            case AlignStmt a -> a.text();
            default -> "";
          };
          listing.add(new Assembly.ListingLine(st.line(), addr, bytes.length, text));
        }
        addr += bytes.length;
      }
    }
    return changed;
  }

  private boolean labelMoved;

  /** The bytes of one statement at {@code addr}, or null for a label or .set (which emit none). */
  private byte[] statementBytes(Statement st, int i, Expr.Scope scope, long addr, long origin, boolean strict, boolean dataSection) {
    return switch (st) {
      case LabelStmt l -> {
        Long old = symbols.labels.put(l.name(), addr);
        labelMoved |= old == null || old != addr;
        yield null;
      }
      case SetStmt s -> {
        yield null;
      }
      case InsnStmt in -> encode(in, i, scope, addr, strict);
      case DataStmt d -> {
        byte[] bytes = new byte[d.width() * d.values().size()];
        for (int k = 0; k < d.values().size(); k++) {
          long v = d.values().get(k).eval(scope);
          if (strict) {
            checkRange(v, d.width(), d.line(), d.column());
          }
          for (int b = 0; b < d.width(); b++) {
            bytes[k * d.width() + b] = (byte) (v >>> (8 * b));
          }
        }
        yield bytes;
      }
      case FillStmt f -> {
        long count = f.count().eval(scope);
        long size = f.size().eval(scope);
        if (count < 0 || count > (1 << 24)) {
          throw new AssemblyException(f.line(), f.column(), ".fill count " + count + " out of range");
        }
        if (size < 0 || size > 8) {
          throw new AssemblyException(f.line(), f.column(), ".fill size " + size + " must be 0..8");
        }
        // GNU as: each repeat comes from an 8-byte number whose high 4 bytes are zero
        long v = f.value().eval(scope) & 0xFFFF_FFFFL;
        byte[] bytes = new byte[(int) (count * size)];
        for (int k = 0; k < count; k++) {
          for (int b = 0; b < size; b++) {
            bytes[(int) (k * size + b)] = (byte) (b < 8 ? v >>> (8 * b) : 0);
          }
        }
        yield bytes;
      }
      case AlignStmt a -> {
        long n = a.alignment().eval(scope);
        if (a.power()) {
          if (n < 0 || n > 16) {
            throw new AssemblyException(a.line(), a.column(), ".p2align " + n + " out of range");
          }
          n = 1L << n;
        }
        if (n <= 0 || Long.bitCount(n) != 1 || n > 65536) {
          throw new AssemblyException(a.line(), a.column(), "alignment " + n + " is not a power of 2 up to 65536");
        }
        int pad = (int) ((n - (addr - origin) % n) % n);
        yield a.fill() != null ? filled(pad, a.fill().eval(scope)) : dataSection ? new byte[pad] : Nops.padding(pad, a.bits());
      }
    };
  }

  private static byte[] filled(int n, long value) {
    byte[] b = new byte[n];
    java.util.Arrays.fill(b, (byte) value);
    return b;
  }

  private static void checkRange(long v, int width, int line, int col) {
    if (width == 8) {
      return;
    }
    long min = -(1L << (8 * width - 1));
    long max = (1L << (8 * width)) - 1;
    if (v < min || v > max) {
      throw new AssemblyException(line, col, String.format("value 0x%x does not fit %d byte%s", v, width, width == 1 ? "" : "s"));
    }
  }

  private byte[] encode(InsnStmt in, int index, Expr.Scope scope, long addr, boolean strict) {
    MnemonicTable.Built b = new MnemonicTable(symbols, in, index, scope, strict).build();
    try {
      Instruction insn = b.insn();
      if (b.ripTarget() != null) {
        byte[] probe = Encoder.encode(insn, in.bits(), addr, b.wideImm(), true, false);
        long disp = b.ripTarget() - (addr + probe.length);
        insn = withRipDisp(insn, disp);
      }
      if (insn instanceof Instruction.Branch br && br.kind() != BranchKind.CALL && !longBranch[index]) {
        long rel = br.target() - (addr + 2);
        if (in.bits() == 32) {
          rel = (int) rel;
        }
        if (!Encoder.fitsS8(rel) && (strict || b.resolved())) {
          longBranch[index] = true; // relax: grows only, so layout converges
        }
        if (!longBranch[index] && !Encoder.fitsS8(rel)) {
          return new byte[2];
        }
      }
      return Encoder.encode(insn, in.bits(), addr, b.wideImm(), b.wideDisp(), longBranch[index]);
    } catch (EncodingException e) {
      if (!strict && !b.resolved()) {
        return new byte[8]; // value not known yet; the strict pass reports real range errors
      }
      throw new AssemblyException(in.line(), in.column(), e.getMessage());
    }
  }

  private static Instruction withRipDisp(Instruction insn, long disp) {
    java.util.function.UnaryOperator<Operand> fix =
        o -> o instanceof Mem m && m.ripRelative() ? new Mem(m.segment(), m.base(), m.index(), m.scale(), disp) : o;
    return switch (insn) {
      case Instruction.Mov m -> new Instruction.Mov(m.size(), fix.apply(m.dst()), fix.apply(m.src()));
      case Instruction.Alu a -> new Instruction.Alu(a.op(), a.size(), fix.apply(a.dst()), fix.apply(a.src()));
      case Instruction.Lea l -> new Instruction.Lea(l.size(), l.dst(), (Mem) fix.apply(l.src()));
      case Instruction.IncDec i -> new Instruction.IncDec(i.increment(), i.size(), fix.apply(i.target()));
      case Instruction.Shift s -> new Instruction.Shift(s.op(), s.size(), fix.apply(s.target()), s.count(), s.byCl());
      case Instruction.Nop n -> new Instruction.Nop(n.size(), fix.apply(n.target()));
      case Instruction.LoadTable t -> new Instruction.LoadTable(t.idt(), (Mem) fix.apply(t.source()));
      case Instruction.Invlpg t -> new Instruction.Invlpg((Mem) fix.apply(t.target()));
      case Instruction.IndirectBranch ib -> new Instruction.IndirectBranch(ib.call(), fix.apply(ib.target()));
      case Instruction.FarJumpIndirect f -> new Instruction.FarJumpIndirect(f.size(), (Mem) fix.apply(f.pointer()));
      case Instruction.MovSegment s -> new Instruction.MovSegment(s.toSegment(), s.segment(), fix.apply(s.other()));
      default -> insn;
    };
  }
}
