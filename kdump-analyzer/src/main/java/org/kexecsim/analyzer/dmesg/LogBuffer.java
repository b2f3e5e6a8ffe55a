package org.kexecsim.analyzer.dmesg;

import java.util.function.Consumer;
import org.kexecsim.analyzer.Hex;
import org.kexecsim.analyzer.KernelVirtualMemory;

/**
 * The {@code log_buf} of kernels before 5.10, read the way makedumpfile 1.7.2 reads it
 * (makedumpfile.c dump_dmesg, log_from_ptr, log_next, dump_log_entry):
 *
 * <ul>
 *   <li>3.5-5.9 (no {@code log_end}): variable-length records from {@code log_first_idx} to
 *       {@code log_next_idx}; each starts with a {@code struct printk_log} ({@code struct log}
 *       in 3.5-3.10) whose {@code len} is the whole record and {@code text_len} the text after
 *       the header; a record with {@code len} 0 marks the end of the buffer, and the record at
 *       index 0 is read in its place.
 *   <li>before 3.5 ({@code log_end}): plain text; {@code log_end} counts every byte ever
 *       written (unsigned since 2.6.25, unsigned long before), so the oldest byte is at {@code
 *       log_end & (log_buf_len - 1)} once the buffer has filled.
 * </ul>
 *
 * <p>Indices and lengths come from the dump: an index outside the buffer, a record shorter than
 * its header or running past the buffer's end, and records that never reach {@code
 * log_next_idx} are bad input (makedumpfile stops at the same points).
 */
final class LogBuffer {
  /** kernel/printk/printk.c LOG_BUF_LEN_MAX: log_buf_len= is capped at 1 << 31. */
  static final long MAX_LEN = 1L << 31;
  /** Plain text is handed out in pieces this size, so a large buffer is never one array. */
  static final int CHUNK = 1 << 16;

  private final KernelVirtualMemory mem;
  private final LogLayout layout;
  private final long buf;
  private final long len;

  LogBuffer(KernelVirtualMemory mem, LogLayout layout) {
    this.mem = mem;
    this.layout = layout;
    this.buf = mem.readWord(layout.symbol("log_buf"), "the pointer log_buf");
    // kernel: static u32 log_buf_len (int before 3.x); makedumpfile reads an int
    long l = mem.readU32(layout.symbol("log_buf_len"), "log_buf_len");
    if (l == 0 || l > MAX_LEN) {
      throw layout.corrupt("log_buf_len is " + l + "; the kernel's is 1 to 2^31 bytes (LOG_BUF_LEN_MAX)");
    }
    this.len = l;
  }

  static boolean isPlainText(LogLayout layout) {
    return layout.hasSymbol("log_end");
  }

  /**
   * @param sinceClear start at {@code clear_idx}, where the last {@code dmesg -C} left it, as
   *     makedumpfile --partial-dmesg does, instead of {@code log_first_idx}
   */
  void forEachRecord(boolean sinceClear, Consumer<LogEntry> sink) {
    String struct = layout.optionalSize("printk_log").isPresent() ? "printk_log" : "log";
    long header = layout.size(struct);
    long offLen = layout.offset(struct + ".len");
    long offTextLen = layout.offset(struct + ".text_len");
    long offTs = layout.offset(struct + ".ts_nsec");
    String firstName = sinceClear ? "clear_idx" : "log_first_idx";
    long first = mem.readU32(layout.symbol(firstName), firstName);
    long next = mem.readU32(layout.symbol("log_next_idx"), "log_next_idx");
    if (header == 0 || header > len) {
      throw layout.corrupt("SIZE(" + struct + ")=" + header + " does not fit log_buf_len " + len);
    }
    requireIndex(firstName, first, header);
    requireIndex("log_next_idx", next, header);
    // Each record is at least a header long, so a walk of more steps than this has looped.
    long maxSteps = len / header + 2;
    long ptr = first;
    for (long steps = 0; ptr != next; steps++) {
      if (steps > maxSteps) {
        throw layout.corrupt("log_buf records from " + firstName + " " + first + " never reach log_next_idx " + next + " (a cycle)");
      }
      long recLen = u16(ptr + offLen, "record at index " + ptr + " len");
      long rec = ptr;
      long after;
      if (recLen == 0) { // end-of-buffer marker: the record at the start is this one
        rec = 0;
        recLen = u16(offLen, "record at index 0 len");
        after = recLen;
      } else {
        after = ptr + recLen;
      }
      if (recLen < header) {
        throw layout.corrupt(String.format("log_buf record at index %d: len %d is shorter than its %d-byte header", rec, recLen, header));
      }
      int textLen = (int) u16(rec + offTextLen, "record at index " + rec + " text_len");
      if (rec + header + textLen > len) {
        throw layout.corrupt(String.format("log_buf record at index %d: %d bytes of text run past log_buf's %d bytes", rec, textLen, len));
      }
      long ts = mem.readU64(mem.addressAdd(buf, rec + offTs), "log_buf record at index " + rec + " ts_nsec");
      byte[] text = new byte[textLen];
      mem.read(mem.addressAdd(buf, rec + header), text, 0, textLen, "log_buf record at index " + rec + " text");
      sink.accept(new LogEntry.Record(LogEntry.NO_SEQUENCE, ts, text));
      if (after > len - header && after != next) {
        throw layout.corrupt(String.format("log_buf record at index %d: the next index %d is outside log_buf (%d bytes)", rec, after, len));
      }
      ptr = after;
    }
  }

  /** @param logEndIsLong whether log_end is an unsigned long (kernels before 2.6.25) */
  void forEachText(boolean logEndIsLong, Consumer<LogEntry> sink) {
    long end = logEndIsLong ? mem.readWord(layout.symbol("log_end"), "log_end") : mem.readU32(layout.symbol("log_end"), "log_end");
    if (Long.compareUnsigned(end, len) < 0) {
      emit(0, end, sink);
    } else {
      long index = end & (len - 1);
      emit(index, len - index, sink);
      emit(0, index, sink);
    }
  }

  private void emit(long from, long count, Consumer<LogEntry> sink) {
    for (long done = 0; done < count; ) {
      int n = (int) Math.min(CHUNK, count - done);
      byte[] b = new byte[n];
      mem.read(mem.addressAdd(buf, from + done), b, 0, n, "log_buf at index " + (from + done));
      sink.accept(new LogEntry.PlainText(b));
      done += n;
    }
  }

  private void requireIndex(String name, long index, long header) {
    if (index > len - header) {
      throw layout.corrupt(name + " " + index + " is outside log_buf (" + len + " bytes)");
    }
  }

  private long u16(long index, String what) {
    return mem.readU16(mem.addressAdd(buf, index), "log_buf " + what + " (log_buf " + Hex.of(buf) + ")");
  }
}
