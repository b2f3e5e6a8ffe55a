package org.kexecsim.isa;

/**
 * A memory operand: segment:disp(base,index,scale). {@code base} and {@code index} are register
 * numbers or {@link #NONE}; {@code base == RIP} is RIP-relative addressing, where {@code disp} is
 * relative to the end of the instruction. {@code segment} is an explicit override or null.
 */
public record Mem(Segment segment, int base, int index, int scale, long disp) implements Operand {
  public static final int NONE = -1;
  public static final int RIP = 16;

  public Mem {
    if (scale != 1 && scale != 2 && scale != 4 && scale != 8) {
      throw new IllegalArgumentException("scale " + scale);
    }
    if (index == Gpr.RSP) {
      throw new IllegalArgumentException("%rsp/%esp cannot be an index");
    }
  }

  public static Mem base(int base, long disp) {
    return new Mem(null, base, NONE, 1, disp);
  }

  public boolean ripRelative() {
    return base == RIP;
  }

  /** The segment the access uses: the override, else SS for rsp/rbp bases, else DS (SDM §3.7.4). */
  public Segment effectiveSegment() {
    if (segment != null) {
      return segment;
    }
    return (base == Gpr.RSP || base == Gpr.RBP) ? Segment.SS : Segment.DS;
  }
}
