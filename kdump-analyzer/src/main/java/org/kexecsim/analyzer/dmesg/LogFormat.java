package org.kexecsim.analyzer.dmesg;

/** How the crashed kernel kept its log, as VMCOREINFO tells. */
public enum LogFormat {
  /** 5.10+: the lockless printk ring buffer, {@code SYMBOL(prb)} (kernel/printk/printk_ringbuffer.h). */
  PRINTK_RINGBUFFER("printk_ringbuffer"),
  /** 3.5-5.9: variable-length {@code struct printk_log} records in {@code log_buf} (3.5-3.10 named it {@code struct log}). */
  LOG_BUF_RECORDS("log_buf records"),
  /** Before 3.5: {@code log_buf} is plain text, {@code log_end} its write position. */
  LOG_BUF_TEXT("log_buf text");

  private final String label;

  LogFormat(String label) {
    this.label = label;
  }

  /** What --json and the API call it. */
  public String label() {
    return label;
  }
}
