package org.kexecsim.analyzer.dmesg;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.kexecsim.analyzer.AnalysisException;
import org.kexecsim.analyzer.KernelVirtualMemory;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.RootTableFinder;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.VmcoreInfo;

/**
 * The crashed kernel's log in a dump, found through the structures its VMCOREINFO describes
 * (the same entries makedumpfile {@code --dump-dmesg} uses) and read through the kernel's own page
 * tables ({@code init_top_pgt} / {@code swapper_pg_dir} from VMCOREINFO). The format follows from
 * which symbols VMCOREINFO has: {@code prb} (5.10+), {@code log_first_idx} (3.5-5.9) or {@code
 * log_end} (before 3.5); see {@link LogFormat}.
 *
 * <p>Entries are decoded as they are visited ({@link #forEach}), so a large or hostile buffer
 * costs no more memory than one record; {@link #entries} collects them for small logs. Every
 * length and index is read from the dump and checked: a corrupt one is an {@link
 * AnalysisException} of kind BAD_INPUT naming the field, raised while visiting.
 *
 * <pre>{@code
 * try (Dump dump = DumpFiles.open(List.of(Path.of("vmcore")), Optional.empty(), null)) {
 *   KernelLog log = KernelLog.of(dump);
 *   log.forEach(e -> System.out.print(MakedumpfileText.render(e)));
 * }
 * }</pre>
 */
public final class KernelLog {
  /** What {@link #entries} collects at most before asking the caller to visit instead. */
  public static final int MAX_COLLECTED = 1 << 20;

  private final KernelVirtualMemory memory;
  private final LogLayout layout;
  private final LogFormat format;
  private final boolean sinceClear;

  private KernelLog(KernelVirtualMemory memory, LogLayout layout, LogFormat format, boolean sinceClear) {
    this.memory = memory;
    this.layout = layout;
    this.format = format;
    this.sinceClear = sinceClear;
  }

  /**
   * The same log without what {@code dmesg -C} (syslog action 5) cleared: records from {@code
   * clear_seq} (5.10+) or {@code clear_idx} (3.5-5.9, as makedumpfile --partial-dmesg). Visiting
   * a plain pre-3.5 buffer this way is BAD_INPUT: it keeps no clear position in VMCOREINFO.
   */
  public KernelLog sinceClear() {
    return new KernelLog(memory, layout, format, true);
  }

  /**
   * The log of {@code dump}, through its VMCOREINFO and the kernel's page tables. Throws
   * AnalysisException (BAD_INPUT) when the dump has no VMCOREINFO, VMCOREINFO names no log, or the
   * kernel's root table is not in the dump.
   */
  public static KernelLog of(Dump dump) {
    VmcoreInfo info = dump.vmcoreInfo().orElseThrow(() -> new AnalysisException(AnalysisException.Kind.BAD_INPUT,
        dump.name() + ": the dump has no VMCOREINFO note, which says where the kernel's log is"));
    Optional<PagingContext> root = RootTableFinder.kernelRoot(dump, dump.vmcoreInfo(), Optional.empty());
    if (root.isEmpty()) {
      throw new AnalysisException(AnalysisException.Kind.BAD_INPUT,
          dump.name() + ": VMCOREINFO names no kernel root table (SYMBOL(init_top_pgt) or SYMBOL(swapper_pg_dir)) to read the log through");
    }
    return of(new KernelVirtualMemory(dump.physicalMemory(), root.get(), dump.name()), info, dump.name());
  }

  /** The log described by {@code info} in {@code memory}; {@code image} names the file in messages. */
  public static KernelLog of(KernelVirtualMemory memory, VmcoreInfo info, String image) {
    LogLayout layout = new LogLayout(info, image);
    LogFormat format;
    if (layout.hasSymbol("prb")) {
      format = LogFormat.PRINTK_RINGBUFFER;
    } else if (!layout.hasSymbol("log_buf")) {
      throw layout.corrupt("VMCOREINFO has neither SYMBOL(prb) nor SYMBOL(log_buf): no kernel log to read");
    } else {
      format = LogBuffer.isPlainText(layout) ? LogFormat.LOG_BUF_TEXT : LogFormat.LOG_BUF_RECORDS;
    }
    return new KernelLog(memory, layout, format, false);
  }

  public LogFormat format() {
    return format;
  }

  /** The root table the log was read through, and where it came from. */
  public PagingContext paging() {
    return memory.paging();
  }

  /** Visits every entry, oldest first. */
  public void forEach(Consumer<LogEntry> sink) {
    switch (format) {
      case PRINTK_RINGBUFFER -> {
        LocklessRing ring = new LocklessRing(memory, layout);
        if (sinceClear) {
          ring.forEachSinceClear(sink);
        } else {
          ring.forEach(sink);
        }
      }
      case LOG_BUF_RECORDS -> new LogBuffer(memory, layout).forEachRecord(sinceClear, sink);
      case LOG_BUF_TEXT -> {
        if (sinceClear) {
          throw layout.corrupt("a log_buf of plain text (before 3.5) keeps no clear position for --since-clear");
        }
        new LogBuffer(memory, layout).forEachText(logEndIsLong(layout.info()), sink);
      }
    }
  }

  /** Every entry, oldest first; BAD_INPUT when there are more than {@link #MAX_COLLECTED} (visit those). */
  public List<LogEntry> entries() {
    List<LogEntry> out = new ArrayList<>();
    forEach(e -> {
      if (out.size() == MAX_COLLECTED) {
        throw layout.corrupt("the log has more than " + MAX_COLLECTED + " entries; visit them with KernelLog.forEach");
      }
      out.add(e);
    });
    return out;
  }

  /**
   * {@code log_end} became {@code unsigned} in 2.6.25 and was {@code unsigned long} before
   * (makedumpfile.c dump_dmesg); the release comes from OSRELEASE, and without one the newer
   * type is assumed.
   */
  static boolean logEndIsLong(VmcoreInfo info) {
    String release = info.osRelease().orElse("");
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)(?:\\.(\\d+))?").matcher(release);
    if (!m.find()) {
      return false;
    }
    int major = Integer.parseInt(m.group(1));
    int minor = Integer.parseInt(m.group(2));
    int patch = m.group(3) == null ? 0 : Integer.parseInt(m.group(3));
    return major < 2 || major == 2 && (minor < 6 || minor == 6 && patch < 25);
  }
}
