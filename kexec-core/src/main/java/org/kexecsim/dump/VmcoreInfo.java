package org.kexecsim.dump;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The VMCOREINFO note: {@code KEY=VALUE} lines the crashed kernel leaves for dump tools
 * (kernel/vmcore_info.c, include/linux/vmcore_info.h). Formats, as the kernel prints them:
 *
 * <ul>
 *   <li>{@code SYMBOL(x)=%lx} hex without 0x; {@code KERNELOFFSET=%lx} likewise;
 *   <li>{@code NUMBER(x)=%ld} decimal, except {@code NUMBER(VMALLOC_START)=0x%lx} and other
 *       values with a 0x prefix, which are read as hex;
 *   <li>{@code SIZE(x)}, {@code OFFSET(x)}, {@code LENGTH(x)}: {@code %lu} decimal;
 *   <li>{@code OSRELEASE=%s}, {@code PAGESIZE=%ld}, {@code BUILD-ID=}, {@code CRASHTIME=};
 *   <li>{@code CONFIG_X86_PAE=y} style lines some kernels add.
 * </ul>
 * Lines without '=' are ignored, as makedumpfile does.
 */
public final class VmcoreInfo {
  /** The note's n_name. */
  public static final String NOTE_NAME = "VMCOREINFO";
  /** include/linux/vmcore_info.h VMCOREINFO_BYTES: the kernel truncates the note there. */
  public static final int MAX_BYTES = 4096;

  private final String text;
  private final Map<String, String> entries;
  private final Map<String, Long> symbols = new LinkedHashMap<>();
  private final Map<String, Long> numbers = new LinkedHashMap<>();

  private VmcoreInfo(String text, Map<String, String> entries) {
    this.text = text;
    this.entries = Collections.unmodifiableMap(entries);
  }

  /**
   * Parses the note text. Values of the numeric keys that are not numbers raise
   * MalformedDumpException at {@code offset} in {@code file}.
   */
  public static VmcoreInfo parse(String text, String file, long offset) {
    Map<String, String> entries = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        entries.put(line.substring(0, eq), line.substring(eq + 1).trim());
      }
    }
    VmcoreInfo info = new VmcoreInfo(text, entries);
    for (Map.Entry<String, String> e : entries.entrySet()) {
      String key = e.getKey();
      String value = e.getValue();
      try {
        if (key.startsWith("SYMBOL(") && key.endsWith(")")) {
          info.symbols.put(inner(key), Long.parseUnsignedLong(value, 16));
        } else if (key.startsWith("NUMBER(") && key.endsWith(")")) {
          info.numbers.put(inner(key), parseNumber(value));
        } else if (key.equals("PAGESIZE") || key.matches("(SIZE|OFFSET|LENGTH)\\(.*\\)")) {
          parseNumber(value);
        } else if (key.equals("KERNELOFFSET")) {
          Long.parseUnsignedLong(value, 16);
        }
      } catch (NumberFormatException ex) {
        throw new MalformedDumpException(file, offset, "VMCOREINFO line '" + key + "=" + value + "' has a malformed value");
      }
    }
    info.validate(file, offset);
    return info;
  }

  /** The top-level page tables whose address a dump tool takes as the kernel's root. */
  static final java.util.List<String> ROOT_SYMBOLS = java.util.List.of("init_top_pgt", "init_level4_pgt", "swapper_pg_dir");

  /**
   * The values this project acts on, checked against what they mean on x86, so that a corrupt
   * note is refused here, naming the key and value, instead of steering a walk:
   * <ul>
   *   <li>PAGESIZE: x86's base page is 4096 bytes (arch/x86/include/asm/page_types.h PAGE_SHIFT 12);
   *   <li>NUMBER(pgtable_l5_enabled): printed with %d from the boolean pgtable_l5_enabled()
   *       (arch/x86/kernel/vmcore_info_64.c), so 0 or 1: 4- or 5-level paging;
   *   <li>SYMBOL(init_top_pgt / init_level4_pgt / swapper_pg_dir): the kernel's top-level table,
   *       page-aligned in its image (arch/x86/kernel/head_64.S init_top_pgt under .balign
   *       PAGE_SIZE; head_32.S swapper_pg_dir in __PAGE_ALIGNED_BSS); an unaligned one is not it.
   *   <li>NUMBER(phys_base): where the kernel was loaded minus where it was linked, both aligned to
   *       CONFIG_PHYSICAL_ALIGN (arch/x86/Kconfig: at least 0x200000 on x86_64); only page
   *       alignment is required here, which every kernel meets, so that a root it shifts stays aligned.
   * </ul>
   */
  private void validate(String file, long offset) {
    String page = entries.get("PAGESIZE");
    if (page != null && parseNumber(page) != 4096) {
      throw new MalformedDumpException(file, offset, "VMCOREINFO line 'PAGESIZE=" + page
          + "': x86 pages are 4096 bytes (arch/x86/include/asm/page_types.h PAGE_SHIFT 12)");
    }
    Long l5 = numbers.get("pgtable_l5_enabled");
    if (l5 != null && l5 != 0 && l5 != 1) {
      throw new MalformedDumpException(file, offset, "VMCOREINFO line 'NUMBER(pgtable_l5_enabled)=" + entries.get("NUMBER(pgtable_l5_enabled)")
          + "': must be 0 (4-level paging) or 1 (5-level)");
    }
    Long physBase = numbers.get("phys_base");
    if (physBase != null && (physBase & 0xFFF) != 0) {
      throw new MalformedDumpException(file, offset, "VMCOREINFO line 'NUMBER(phys_base)=" + entries.get("NUMBER(phys_base)")
          + "': the kernel's physical offset is a multiple of CONFIG_PHYSICAL_ALIGN (2 MiB or more on x86_64, arch/x86/Kconfig), this is not even page-aligned");
    }
    for (String root : ROOT_SYMBOLS) {
      Long va = symbols.get(root);
      if (va != null && (va & 0xFFF) != 0) {
        throw new MalformedDumpException(file, offset, "VMCOREINFO line 'SYMBOL(" + root + ")=" + entries.get("SYMBOL(" + root + ")")
            + "': the kernel's top-level page table is page-aligned, this address is not");
      }
    }
  }

  public static VmcoreInfo parse(String text) {
    return parse(text, "VMCOREINFO", 0);
  }

  private static String inner(String key) {
    return key.substring(key.indexOf('(') + 1, key.length() - 1);
  }

  private static long parseNumber(String v) {
    if (v.startsWith("0x") || v.startsWith("0X")) {
      return Long.parseUnsignedLong(v.substring(2), 16);
    }
    return v.startsWith("-") ? Long.parseLong(v) : Long.parseUnsignedLong(v);
  }

  public String text() {
    return text;
  }

  /** Every KEY=VALUE line, in note order. */
  public Map<String, String> entries() {
    return entries;
  }

  public OptionalLong symbol(String name) {
    Long v = symbols.get(name);
    return v == null ? OptionalLong.empty() : OptionalLong.of(v);
  }

  public OptionalLong number(String name) {
    Long v = numbers.get(name);
    return v == null ? OptionalLong.empty() : OptionalLong.of(v);
  }

  public OptionalLong size(String name) {
    return decimal("SIZE(" + name + ")");
  }

  public OptionalLong offset(String name) {
    return decimal("OFFSET(" + name + ")");
  }

  public OptionalLong length(String name) {
    return decimal("LENGTH(" + name + ")");
  }

  public OptionalLong pageSize() {
    return decimal("PAGESIZE");
  }

  public Optional<String> osRelease() {
    return Optional.ofNullable(entries.get("OSRELEASE"));
  }

  public OptionalLong kernelOffset() {
    String v = entries.get("KERNELOFFSET");
    return v == null ? OptionalLong.empty() : OptionalLong.of(Long.parseUnsignedLong(v, 16));
  }

  /** Whether a {@code CONFIG_name=y} line is present. */
  public boolean config(String name) {
    return "y".equals(entries.get("CONFIG_" + name));
  }

  private OptionalLong decimal(String key) {
    String v = entries.get(key);
    return v == null ? OptionalLong.empty() : OptionalLong.of(parseNumber(v));
  }

  byte[] bytes() {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String toString() {
    return "VMCOREINFO" + entries;
  }

  /**
   * Writes lines in the kernel's formats (include/linux/vmcore_info.h: SYMBOL() hex without 0x,
   * NUMBER() decimal, OFFSET/SIZE/LENGTH decimal): the one writer, for the synthetic kernel's
   * note and for tests.
   */
  public static final class Builder {
    private final StringBuilder sb = new StringBuilder();

    public Builder osRelease(String release) {
      return line("OSRELEASE=" + release);
    }

    public Builder buildId(String hex40) {
      return line("BUILD-ID=" + hex40);
    }

    public Builder pageSize(long bytes) {
      return line("PAGESIZE=" + bytes);
    }

    /** {@code SYMBOL(name)=%lx}: hex, no 0x. */
    public Builder symbol(String name, long address) {
      return line("SYMBOL(" + name + ")=" + Long.toHexString(address));
    }

    /** {@code NUMBER(name)=%ld}. */
    public Builder number(String name, long value) {
      return line("NUMBER(" + name + ")=" + value);
    }

    public Builder size(String name, long value) {
      return line("SIZE(" + name + ")=" + Long.toUnsignedString(value));
    }

    public Builder offset(String name, long value) {
      return line("OFFSET(" + name + ")=" + Long.toUnsignedString(value));
    }

    public Builder kernelOffset(long offset) {
      return line("KERNELOFFSET=" + Long.toHexString(offset));
    }

    public Builder config(String name) {
      return line("CONFIG_" + name + "=y");
    }

    public Builder line(String line) {
      sb.append(line).append('\n');
      return this;
    }

    /** The note's data as the kernel leaves it: every line, cut at {@link #MAX_BYTES} (the kernel WARNs and truncates). */
    public byte[] kernelData() {
      byte[] b = sb.toString().getBytes(StandardCharsets.US_ASCII);
      return b.length <= MAX_BYTES ? b : java.util.Arrays.copyOf(b, MAX_BYTES);
    }

    public VmcoreInfo build() {
      if (sb.length() > MAX_BYTES) {
        throw new IllegalStateException("VMCOREINFO is " + sb.length() + " bytes; the kernel keeps at most " + MAX_BYTES);
      }
      return parse(sb.toString());
    }
  }
}
