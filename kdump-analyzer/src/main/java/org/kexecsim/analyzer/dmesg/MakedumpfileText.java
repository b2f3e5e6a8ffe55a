package org.kexecsim.analyzer.dmesg;

/**
 * The text {@code makedumpfile --dump-dmesg} (1.7.2) writes for each entry (printk.c dump_record,
 * makedumpfile.c dump_log_entry), byte for byte:
 *
 * <ul>
 *   <li>a record is {@code "[%5lld.%06ld] "} (seconds, then microseconds of ts_nsec), its text,
 *       and a newline;
 *   <li>a newline inside the text becomes a newline and as many spaces as the prefix is long;
 *   <li>a byte that is neither isprint nor isspace in the C locale (0x20-0x7e; 0x09-0x0d) is
 *       written {@code \xNN} by {@code sprintf("\\x%02x", *p)} with {@code p} a (signed) {@code
 *       char *}, so bytes 0x80-0xff come out sign-extended: {@code \xffffffc3};
 *   <li>plain text (before 3.5) is written as it is; here decoded as UTF-8, what printk wrote
 *       (a malformed sequence becomes U+FFFD).
 * </ul>
 */
public final class MakedumpfileText {
  private MakedumpfileText() {}

  /** The text of one entry: ASCII for records, the buffer's text for plain text. */
  public static String render(LogEntry entry) {
    return switch (entry) {
      case LogEntry.Record r -> record(r);
      case LogEntry.PlainText p -> new String(p.bytes(), java.nio.charset.StandardCharsets.UTF_8);
    };
  }

  static String record(LogEntry.Record r) {
    String prefix = timestamp(r.timestampNanos());
    StringBuilder sb = new StringBuilder(prefix.length() + r.text().length + 1).append(prefix);
    for (byte b : r.text()) {
      int c = b & 0xff;
      if (c == '\n') {
        sb.append('\n').repeat(' ', prefix.length());
      } else if (c >= 0x20 && c <= 0x7e || c >= 0x09 && c <= 0x0d) {
        sb.append((char) c);
      } else {
        sb.append("\\x").append(b < 0 ? "ffffff" : "").append(String.format("%02x", c));
      }
    }
    return sb.append('\n').toString();
  }

  /** {@code "[%5lld.%06ld] "} of nanoseconds since boot. */
  public static String timestamp(long nanos) {
    long seconds = Long.divideUnsigned(nanos, 1_000_000_000L);
    long micros = Long.remainderUnsigned(nanos, 1_000_000_000L) / 1000;
    return String.format("[%5d.%06d] ", seconds, micros);
  }
}
