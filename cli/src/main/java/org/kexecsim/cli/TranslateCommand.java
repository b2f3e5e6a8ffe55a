package org.kexecsim.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.RawImage;
import org.kexecsim.memory.OverlayMemory;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.mmu.Access;
import org.kexecsim.mmu.ControlState;
import org.kexecsim.mmu.ControlWrite;
import org.kexecsim.mmu.CpuFeatures;
import org.kexecsim.mmu.LinuxControl;
import org.kexecsim.mmu.PageFaultErrorCode;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.PageWalker;
import org.kexecsim.mmu.PagingLoad;
import org.kexecsim.mmu.PagingMode;
import org.kexecsim.mmu.PagingState;
import org.kexecsim.mmu.Translation;
import org.kexecsim.mmu.WalkStep;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/** {@code kexec-sim translate}: what the CPU does with these tables, without writing Java. */
@Command(
    name = "translate",
    description = {
      "Loads CR3 as the CPU would (a bad PAE PDPTE is #GP) and translates each VA through the",
      "page tables of a raw physical-memory image (byte N of the file is physical address N).",
      "Exit 0 when every VA translated, 1 when any faulted or the CR3 load faulted."
    })
final class TranslateCommand extends CliCommand implements Callable<Integer> {

  @Option(names = "--image", required = true, description = "raw physical-memory image")
  Path image;

  @Option(names = "--ram-map", description = "RAM ranges in the image, e.g. 0-0x9ffff,0x100000+1G (default: the whole file)")
  String ramMap;

  @Option(names = "--mode", required = true, description = "paging mode: 32, pae, 4level, 5level")
  String mode;

  @Option(names = "--cr3", required = true, converter = Numbers.class, description = "CR3 value")
  long cr3;

  @Option(names = "--cr0", converter = Numbers.class, description = "CR0 (default: Linux's CR0_STATE, PE|MP|ET|NE|WP|AM|PG)")
  Long cr0;

  @Option(names = "--cr4", converter = Numbers.class, description = "CR4 (default: Linux's: PSE|PGE|OSFXSR|OSXMMEXCPT, with PAE for pae/4level/5level and LA57 for 5level)")
  Long cr4;

  @Option(names = "--efer", converter = Numbers.class, description = "EFER (default: Linux's: SCE|LME|LMA|NXE for 4level/5level, NXE for pae, 0 for 32)")
  Long efer;

  @Option(names = "--maxphyaddr", defaultValue = "40", description = "MAXPHYADDR, 32..52 (default: ${DEFAULT-VALUE}, like QEMU)")
  int maxPhyAddr;

  @Option(names = "--access", defaultValue = "r", description = "r, w or x (fetch) (default: ${DEFAULT-VALUE})")
  String access;

  @Option(names = "--user", description = "a CPL-3 access (default: supervisor)")
  boolean user;

  @Option(names = "--set-ad", description = "set accessed/dirty bits as the CPU would (in memory only; the image is never written)")
  boolean setAccessedDirty;

  @CommandLine.Mixin JsonOutput output = new JsonOutput();

  @Parameters(arity = "1..*", paramLabel = "VA", converter = Numbers.class, description = "virtual (linear) addresses")
  List<Long> addresses;

  @Override
  public Integer call() throws Exception {
    PagingMode pagingMode = parseMode();
    requireFormable(pagingMode);
    int accessFlags = parseAccess();
    CpuFeatures features = parseFeatures();
    LinuxControl defaults = LinuxControl.of(pagingMode);
    long c0 = cr0 != null ? cr0 : defaults.cr0();
    long c4 = cr4 != null ? cr4 : defaults.cr4();
    long ef = efer != null ? efer : defaults.efer();
    PrintWriter out = spec.commandLine().getOut();
    try (Dump raw = ramMap == null ? RawImage.open(image) : RawImage.open(image, DumpImages.ramMapOption(spec.commandLine(), ramMap))) {
      PhysicalMemory memory = setAccessedDirty ? new OverlayMemory(raw.physicalMemory()) : raw.physicalMemory();
      PagingState state;
      switch (PagingLoad.of(c0, cr3, c4, ef, memory, features)) {
        case PagingLoad.Refused(ControlWrite.Refused refused) -> {
          return reportRefusedLoad(out, pagingMode, refused);
        }
        case PagingLoad.Unreadable u -> throw TablesOutsideRam.atRoot(image.toString(), PagingMode.PAE.rootTableName(), cr3, u.physical(), memory.ramMap());
        case PagingLoad.Loaded(PagingState loaded) -> state = loaded;
      }
      ControlState control = state.control();
      if (control.mode() != pagingMode) {
        throw new CommandLine.ParameterException(spec.commandLine(), String.format(
            "--mode %s disagrees with the control registers, which select %s (cr0=0x%x cr4=0x%x efer=0x%x)",
            mode, control.mode().cliName(), c0, c4, ef));
      }
      PageWalker walker = new PageWalker(memory);
      List<Translation> results = new ArrayList<>();
      for (long va : addresses) {
        Translation t = walker.translate(state, va, accessFlags, setAccessedDirty);
        if (t instanceof Translation.Unreadable u) {
          throw TablesOutsideRam.during(image, cr3, state, u, memory.ramMap());
        }
        results.add(t);
      }
      boolean anyFault = results.stream().anyMatch(t -> t instanceof Translation.Faulted);
      if (output.json) {
        Json.print(out, document(control, accessFlags, results));
      } else {
        printText(out, results);
      }
      return anyFault ? ExitCode.NEGATIVE : ExitCode.OK;
    }
  }

  private PagingMode parseMode() {
    try {
      PagingMode m = PagingMode.fromCliName(mode);
      if (m == PagingMode.DISABLED) {
        throw new IllegalArgumentException("--mode none has nothing to translate");
      }
      return m;
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /**
   * Outside long mode CR3 and linear addresses are 32-bit registers and values (SDM Vol. 3A §4.3,
   * §4.4): a wider --cr3 or VA is one the CPU cannot even hold, so bad usage rather than a fault.
   * In long mode every 64-bit value can be loaded or formed, and the CPU's answer (#GP for bits
   * above MAXPHYADDR or a non-canonical address) is the result.
   */
  private void requireFormable(PagingMode m) {
    if (m.isLongMode()) {
      return;
    }
    if (Long.compareUnsigned(cr3, 0xFFFF_FFFFL) > 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), String.format(
          "--cr3 0x%x: CR3 is a 32-bit register in %s paging (SDM Vol. 3A %s)", cr3, m == PagingMode.PAE ? "PAE" : "32-bit", m == PagingMode.PAE ? "§4.4.1" : "§4.3"));
    }
    for (long va : addresses) {
      PagingOptions.requireLinear(spec.commandLine(), m, "VA", String.format("0x%x", va), va, 1);
    }
  }

  private int parseAccess() {
    int kind =
        switch (access) {
          case "r" -> Access.READ;
          case "w" -> Access.WRITE;
          case "x" -> Access.FETCH;
          default -> throw new CommandLine.ParameterException(
              spec.commandLine(), "--access must be r, w or x, not '" + access + "'");
        };
    return kind | (user ? Access.USER : 0);
  }

  private CpuFeatures parseFeatures() {
    try {
      return CpuFeatures.withMaxPhyAddr(maxPhyAddr);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--maxphyaddr: " + e.getMessage());
    }
  }

  private int reportRefusedLoad(PrintWriter out, PagingMode pagingMode, ControlWrite.Refused refused) {
    if (output.json) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("format", "kexec-sim/translate/v1");
      doc.put("mode", pagingMode.cliName());
      doc.put("cr3", Json.hex(cr3));
      Map<String, Object> fault = new LinkedHashMap<>();
      fault.put("vector", refused.vector().number());
      fault.put("name", refused.vector().mnemonic());
      fault.put("errorCode", Json.hex(refused.errorCode()));
      fault.put("rule", refused.rule());
      doc.put("cr3Load", fault);
      Json.print(out, doc);
    } else {
      out.printf("CR3 load: %s(%d): %s%n", refused.vector().mnemonic(), refused.errorCode(), refused.rule());
    }
    return ExitCode.NEGATIVE;
  }

  private static void printText(PrintWriter out, List<Translation> results) {
    for (Translation t : results) {
      switch (t) {
        case Translation.Mapped m -> out.printf(
            "0x%x -> 0x%x (%s page)%n", m.linear(), m.physical(), m.pageSize().label());
        case Translation.Faulted f -> out.printf("0x%x: %s%n", f.linear(), f.describe());
        case Translation.Unreadable u -> throw new IllegalStateException("refused before printing: " + u);
      }
      for (WalkStep s : t.steps()) {
        out.println("  " + s);
      }
    }
  }

  private Map<String, Object> document(ControlState control, int accessFlags, List<Translation> results) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("format", "kexec-sim/translate/v1");
    doc.put("mode", control.mode().cliName());
    doc.put("cr0", Json.hex(control.cr0()));
    doc.put("cr3", Json.hex(control.cr3()));
    doc.put("cr4", Json.hex(control.cr4()));
    doc.put("efer", Json.hex(control.efer()));
    doc.put("maxphyaddr", maxPhyAddr);
    doc.put("access", Access.describe(accessFlags));
    if (control.mode() == PagingMode.PAE) {
      doc.put("pdptes", List.of(
          Json.hex(control.pdptes().e0()), Json.hex(control.pdptes().e1()),
          Json.hex(control.pdptes().e2()), Json.hex(control.pdptes().e3())));
    }
    List<Object> out = new ArrayList<>();
    for (Translation t : results) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("va", Json.hex(t.linear()));
      switch (t) {
        case Translation.Mapped m -> {
          r.put("ok", true);
          r.put("pa", Json.hex(m.physical()));
          r.put("pageSize", m.pageSize().label());
        }
        case Translation.Faulted f -> {
          r.put("ok", false);
          Map<String, Object> fault = new LinkedHashMap<>();
          fault.put("vector", f.vector().number());
          fault.put("name", f.vector().mnemonic());
          fault.put("errorCode", Json.hex(f.errorCode()));
          if (f.writesCr2()) {
            fault.put("cr2", Json.hex(f.cr2()));
            fault.put("errorBits", PageFaultErrorCode.describe(f.errorCode()));
          }
          fault.put("cause", f.cause().text());
          r.put("fault", fault);
        }
        case Translation.Unreadable u -> throw new IllegalStateException("refused before printing: " + u);
      }
      List<Object> entries = new ArrayList<>();
      for (WalkStep s : t.steps()) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("table", s.table());
        e.put("index", s.index());
        e.put("address", Json.hex(s.entryPhysical()));
        e.put("value", Json.hex(s.value()));
        String flags = PageTableEntry.flags(s.value());
        e.put("flags", flags.isEmpty() ? List.of() : List.of(flags.split(" ")));
        entries.add(e);
      }
      r.put("entries", entries);
      out.add(r);
    }
    doc.put("results", out);
    return doc;
  }
}
