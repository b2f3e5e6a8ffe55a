package org.kexecsim.kernel;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The VMCOREINFO text: one "KEY=value" line each, in the formats of include/linux/vmcore_info.h
 * (SYMBOL() hex without 0x, NUMBER() decimal, OFFSET/SIZE/LENGTH decimal), at most 4096 bytes
 * (VMCOREINFO_BYTES), carried in an ELF note named "VMCOREINFO" of type 0.
 */
public final class VmcoreInfo {
  /** VMCOREINFO_BYTES: the data is truncated beyond a page (with a WARN). */
  public static final int MAX_BYTES = 4096;
  public static final String NOTE_NAME = "VMCOREINFO";

  private final List<String> lines = new ArrayList<>();

  public VmcoreInfo osRelease(String release) {
    return line("OSRELEASE=" + release);
  }

  public VmcoreInfo buildId(String hex40) {
    return line("BUILD-ID=" + hex40);
  }

  public VmcoreInfo pageSize(long bytes) {
    return line("PAGESIZE=" + bytes);
  }

  /** VMCOREINFO_SYMBOL: "SYMBOL(name)=%lx". */
  public VmcoreInfo symbol(String name, long virtual) {
    return line("SYMBOL(" + name + ")=" + Long.toHexString(virtual));
  }

  /** VMCOREINFO_NUMBER: "NUMBER(name)=%ld". */
  public VmcoreInfo number(String name, long value) {
    return line("NUMBER(" + name + ")=" + value);
  }

  public VmcoreInfo offset(String name, long value) {
    return line("OFFSET(" + name + ")=" + value);
  }

  public VmcoreInfo line(String text) {
    lines.add(text);
    return this;
  }

  /** The data: every line ended by a newline, truncated at {@link #MAX_BYTES}. */
  public byte[] data() {
    StringBuilder sb = new StringBuilder();
    for (String l : lines) {
      sb.append(l).append('\n');
    }
    byte[] b = sb.toString().getBytes(StandardCharsets.US_ASCII);
    return b.length <= MAX_BYTES ? b : java.util.Arrays.copyOf(b, MAX_BYTES);
  }

  public ElfNote note() {
    return new ElfNote(NOTE_NAME, 0, data());
  }

  /** Parses VMCOREINFO data back into KEY → value, the way makedumpfile and crash read it. */
  public static Map<String, String> parse(byte[] data) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String l : new String(data, StandardCharsets.US_ASCII).split("\n")) {
      int eq = l.indexOf('=');
      if (eq > 0) {
        out.put(l.substring(0, eq), l.substring(eq + 1));
      }
    }
    return out;
  }
}
