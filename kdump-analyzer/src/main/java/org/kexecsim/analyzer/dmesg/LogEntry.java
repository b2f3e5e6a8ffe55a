package org.kexecsim.analyzer.dmesg;

/** One piece of a kernel log, as the dump holds it. */
public sealed interface LogEntry {
  /** Marks a record whose format keeps no sequence number (log_buf records before 5.10). */
  long NO_SEQUENCE = -1;

  /**
   * A printk record: its text without the newline printk strips, and its timestamp.
   *
   * @param sequence the record's sequence number ({@code printk_info.seq}), or {@link #NO_SEQUENCE}
   * @param timestampNanos {@code ts_nsec}: nanoseconds since boot (local_clock), unsigned
   * @param text the message bytes, as the kernel stored them (usually UTF-8, not always)
   */
  record Record(long sequence, long timestampNanos, byte[] text) implements LogEntry {}

  /** The plain character buffer of kernels before 3.5, oldest byte first: no records, no timestamps of its own. */
  record PlainText(byte[] bytes) implements LogEntry {}
}
