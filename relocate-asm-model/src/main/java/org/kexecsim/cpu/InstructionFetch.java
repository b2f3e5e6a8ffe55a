package org.kexecsim.cpu;

import org.kexecsim.isa.ByteSource;
import org.kexecsim.isa.Segment;
import org.kexecsim.mmu.Access;

/**
 * Fetches instruction bytes through CS and the MMU (fetch access: XD applies; SDM §4.6). The
 * translation of the current page is reused within one instruction only, since tables can change
 * only between instructions.
 */
final class InstructionFetch implements ByteSource {
  private final Cpu cpu;
  private long page = -1;
  private long pagePhysical;
  private final byte[] bytes = new byte[16];
  private int count;
  private boolean started;
  private long first;

  InstructionFetch(Cpu cpu) {
    this.cpu = cpu;
  }

  void reset() {
    page = -1;
    count = 0;
    started = false;
  }

  byte[] fetched() {
    return java.util.Arrays.copyOf(bytes, count);
  }

  @Override
  public int byteAt(long address) {
    long la;
    if (cpu.in64BitMode()) {
      la = address;
    } else {
      SegmentCache cs = cpu.segments[Segment.CS.ordinal()];
      long off = address & 0xFFFF_FFFFL;
      if (off > cs.limit()) {
        throw CpuFault.gp(0, String.format("EIP 0x%x beyond the CS limit 0x%x", off, cs.limit()));
      }
      la = (cs.base() + off) & 0xFFFF_FFFFL;
    }
    long p = la & ~0xFFFL;
    if (p != page) {
      pagePhysical = cpu.linear.translate(p | (la & 0xFFF), Access.FETCH) & ~0xFFFL;
      page = p;
    }
    int b = cpu.memory.readU8(pagePhysical | (la & 0xFFF));
    // kept by offset, not by call: the decoder may look at a byte twice (FF's ModRM reg field)
    if (!started) { // a kernel address is a negative long: no sentinel value will do
      started = true;
      first = address;
    }
    long at = address - first;
    if (at >= 0 && at < bytes.length) {
      bytes[(int) at] = (byte) b;
      count = Math.max(count, (int) at + 1);
    }
    return b;
  }
}
