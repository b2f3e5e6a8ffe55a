package org.kexecsim.kimage;

import org.kexecsim.memory.ByteSize;

/**
 * The value of a {@code crashkernel=} boot parameter, parsed as kernel/crash_reserve.c parses
 * it: {@code size[@offset]}, {@code size,high}, or {@code start-[end]:size[,start-[end]:size...][@offset]}.
 *
 * @param size bytes to reserve; 0 when no range of the list matched ("crashkernel size resulted
 *     in zero bytes")
 * @param base the fixed base after {@code @}, or 0 for "find one"
 * @param high whether {@code ,high} asked for memory above CRASH_ADDR_LOW_MAX first
 */
public record CrashKernelSpec(long size, long base, boolean high) {

  /** What parse_crashkernel_mem rounds System RAM up to before matching ranges (SZ_128M). */
  static final long SYSTEM_RAM_ROUNDING = 128L << 20;

  /**
   * Parses {@code value} for a machine with {@code systemRam} bytes (memblock_phys_mem_size()).
   * Malformed values are -EINVAL with the kernel's warning text.
   */
  public static CrashKernelSpec parse(String value, long systemRam) {
    String v = value.trim();
    if (v.endsWith(",high")) {
      // parse_crashkernel_suffix: only a plain size may carry ,high
      Cursor c = new Cursor(v.substring(0, v.length() - ",high".length()));
      long size = c.memparse("crashkernel: memory value expected");
      if (!c.atEnd()) {
        throw invalid(value, "crashkernel: unrecognized char: " + c.peek());
      }
      return new CrashKernelSpec(size, 0, true);
    }
    if (v.indexOf(':') >= 0) {
      return parseRanges(value, v, systemRam);
    }
    // parse_crashkernel_simple
    Cursor c = new Cursor(v);
    long size = c.memparse("crashkernel: memory value expected");
    long base = 0;
    if (c.peek() == '@') {
      c.next();
      base = c.memparse("crashkernel: memory value expected after '@'");
    }
    if (!c.atEnd()) {
      throw invalid(value, "crashkernel: unrecognized char: " + c.peek());
    }
    return new CrashKernelSpec(size, base, false);
  }

  /** parse_crashkernel_mem: the first {@code start-end:size} whose [start, end) holds the RAM size wins. */
  private static CrashKernelSpec parseRanges(String value, String v, long systemRam) {
    long totalMem = roundUp(systemRam, SYSTEM_RAM_ROUNDING);
    Cursor c = new Cursor(v);
    long chosen = 0;
    while (true) {
      long start = c.memparse("crashkernel: Memory value expected");
      if (c.peek() != '-') {
        throw invalid(value, "crashkernel: '-' expected");
      }
      c.next();
      long end = -1; // ULLONG_MAX when the end is left out
      if (c.peek() != ':') {
        end = c.memparse("crashkernel: Memory value expected");
        if (Long.compareUnsigned(end, start) <= 0) {
          throw invalid(value, "crashkernel: end <= start");
        }
      }
      if (c.peek() != ':') {
        throw invalid(value, "crashkernel: ':' expected");
      }
      c.next();
      long size = c.memparse("crashkernel: Memory value expected");
      if (Long.compareUnsigned(size, totalMem) >= 0) {
        throw invalid(value, "crashkernel: invalid size");
      }
      if (Long.compareUnsigned(totalMem, start) >= 0 && Long.compareUnsigned(totalMem, end) < 0) {
        chosen = size;
        break;
      }
      if (c.peek() != ',') {
        break;
      }
      c.next();
    }
    long base = 0;
    if (chosen > 0) {
      while (!c.atEnd() && c.peek() != '@') {
        c.next();
      }
      if (c.peek() == '@') {
        c.next();
        base = c.memparse("crashkernel: Memory value expected after '@'");
      }
    }
    return new CrashKernelSpec(chosen, base, false);
  }

  private static KexecException invalid(String value, String warning) {
    return new KexecException(Errno.EINVAL, "crashkernel=" + value + ": " + warning);
  }

  static long roundUp(long value, long alignment) {
    return (value + alignment - 1) & -alignment;
  }

  /** A position in the text and lib/cmdline.c memparse(): a C number (0x hex, 0 octal) and a K..E suffix. */
  private static final class Cursor {
    private final String text;
    private int at;

    Cursor(String text) {
      this.text = text;
    }

    boolean atEnd() {
      return at >= text.length();
    }

    char peek() {
      return atEnd() ? '\0' : text.charAt(at);
    }

    void next() {
      at++;
    }

    long memparse(String warning) {
      int start = at;
      int radix = 10;
      if (text.startsWith("0x", at) || text.startsWith("0X", at)) {
        radix = 16;
        at += 2;
      } else if (peek() == '0') {
        radix = 8;
      }
      int digits = at;
      while (!atEnd() && Character.digit(peek(), radix) >= 0) {
        at++;
      }
      if (at == digits) {
        if (radix == 8) {
          return 0; // a lone "0"
        }
        at = start;
        throw new KexecException(Errno.EINVAL, "crashkernel=" + text + ": " + warning);
      }
      long value;
      try {
        value = Long.parseUnsignedLong(text.substring(digits, at), radix);
      } catch (NumberFormatException e) {
        throw new KexecException(Errno.EINVAL, "crashkernel=" + text + ": number too large");
      }
      int shift = ByteSize.suffixShift(peek()); // memparse
      if (shift != 0) {
        at++;
      }
      return value << shift;
    }
  }
}
