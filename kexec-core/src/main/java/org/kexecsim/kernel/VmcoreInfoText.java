package org.kexecsim.kernel;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The VMCOREINFO text: one "KEY=value" line each, in the formats of include/linux/vmcore_info.h
 * (SYMBOL() hex without 0x, NUMBER() decimal, OFFSET/SIZE/LENGTH decimal), at most 4096 bytes
 * (VMCOREINFO_BYTES), carried in an ELF note named "VMCOREINFO" of type 0.
 */
/** Builds the text; {@link org.kexecsim.dump.VmcoreInfo} is the reader of dumps. */
public final class VmcoreInfoText {
  /** VMCOREINFO_BYTES: the data is truncated beyond a page (with a WARN). */
  public static final int MAX_BYTES = 4096;
  public static final String NOTE_NAME = "VMCOREINFO";

  private final List<String> lines = new ArrayList<>();

  public VmcoreInfoText osRelease(String release) {
    return line("OSRELEASE=" + release);
  }

  public VmcoreInfoText buildId(String hex40) {
    return line("BUILD-ID=" + hex40);
  }

  public VmcoreInfoText pageSize(long bytes) {
    return line("PAGESIZE=" + bytes);
  }

  /** VMCOREINFO_SYMBOL: "SYMBOL(name)=%lx". */
  public VmcoreInfoText symbol(String name, long virtual) {
    return line("SYMBOL(" + name + ")=" + Long.toHexString(virtual));
  }

  /** VMCOREINFO_NUMBER: "NUMBER(name)=%ld". */
  public VmcoreInfoText number(String name, long value) {
    return line("NUMBER(" + name + ")=" + value);
  }

  public VmcoreInfoText offset(String name, long value) {
    return line("OFFSET(" + name + ")=" + value);
  }

  public VmcoreInfoText line(String text) {
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
}
