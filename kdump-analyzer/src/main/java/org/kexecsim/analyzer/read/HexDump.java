package org.kexecsim.analyzer.read;

import java.io.PrintWriter;
import java.util.function.Consumer;
import org.kexecsim.memory.ByteSize;

/**
 * Prints the pieces of a {@link MemoryRead} as text, 16 bytes a line from the first address:
 * bytes in hex with their ASCII (as {@code hexdump -C} and crash's {@code rd -8 -a} show them),
 * or little-endian words of 2, 4 or 8 bytes (crash's {@code rd -16|-32|-64}). A hole is one line
 * giving its range and why; the lines around it stay aligned to the start.
 */
public final class HexDump implements Consumer<MemoryRead.Piece> {
  /** How bytes are shown. */
  public enum Style {
    BYTES(1), WORDS16(2), WORDS32(4), WORDS64(8);

    final int width;

    Style(int width) {
      this.width = width;
    }

    public int width() {
      return width;
    }

    public static Style ofBits(int bits) {
      return switch (bits) {
        case 8 -> BYTES;
        case 16 -> WORDS16;
        case 32 -> WORDS32;
        case 64 -> WORDS64;
        default -> throw new IllegalArgumentException("word size " + bits + ": one of 8, 16, 32, 64");
      };
    }
  }

  private static final int LINE = 16;
  private final PrintWriter out;
  private final Style style;
  private final int addressDigits;
  private final byte[] line = new byte[LINE];
  private long lineAddress;
  private int filled;
  private long holes;

  /** @param addressDigits 16 for 64-bit addresses, 8 for 32-bit */
  public HexDump(PrintWriter out, Style style, int addressDigits) {
    this.out = out;
    this.style = style;
    this.addressDigits = addressDigits;
  }

  @Override
  public void accept(MemoryRead.Piece piece) {
    switch (piece) {
      case MemoryRead.Bytes b -> {
        byte[] d = b.data();
        for (int i = 0; i < d.length; i++) {
          if (filled == 0) {
            lineAddress = b.address() + i;
          }
          line[filled++] = d[i];
          if (filled == LINE) {
            emit();
          }
        }
      }
      case MemoryRead.Hole h -> {
        emit();
        holes++;
        out.printf("%0" + addressDigits + "x-%0" + addressDigits + "x  %s: %s%n", h.address(), h.address() + h.length(),
            ByteSize.format(h.length()), h.why());
      }
    }
  }

  /** Prints a partly filled last line. */
  public void finish() {
    emit();
  }

  /** Hole lines printed. */
  public long holes() {
    return holes;
  }

  private void emit() {
    if (filled == 0) {
      return;
    }
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%0" + addressDigits + "x:  ", lineAddress));
    if (style == Style.BYTES) {
      for (int i = 0; i < LINE; i++) {
        sb.append(i < filled ? String.format("%02x ", line[i] & 0xff) : "   ");
        if (i == 7) {
          sb.append(' ');
        }
      }
      sb.append(" ");
      for (int i = 0; i < filled; i++) {
        int c = line[i] & 0xff;
        sb.append(c >= 0x20 && c < 0x7f ? (char) c : '.');
      }
    } else {
      int w = style.width;
      for (int i = 0; i + w <= filled; i += w) {
        long v = 0;
        for (int k = w - 1; k >= 0; k--) {
          v = (v << 8) | (line[i + k] & 0xff);
        }
        sb.append(String.format("%0" + (2 * w) + "x ", v));
      }
    }
    out.println(sb.toString().stripTrailing());
    filled = 0;
  }
}
