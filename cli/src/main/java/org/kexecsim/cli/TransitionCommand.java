package org.kexecsim.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.kexecsim.cpu.StepTrace;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.memory.RamMap;
import org.kexecsim.mmu.CpuModel;
import org.kexecsim.pagetable.RootCheck;
import org.kexecsim.relocate.CrashConditions;
import org.kexecsim.relocate.Damage;
import org.kexecsim.output.OutputSet;
import org.kexecsim.relocate.RelocateAbi;
import org.kexecsim.relocate.TransitionImages;
import org.kexecsim.routine.RoutineFile;
import org.kexecsim.relocate.TransitionOutcome;
import org.kexecsim.relocate.TransitionRequest;
import org.kexecsim.relocate.TransitionResult;
import org.kexecsim.relocate.TransitionRunner;
import org.kexecsim.relocate.XenTransition;
import org.kexecsim.transition.AllocatedPage;
import org.kexecsim.transition.HypervisorLoad;
import org.kexecsim.transition.TransitionDesign;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kexec-sim transition}: one crash transition, machine_kexec to the new kernel's entry. */
@Command(
    name = "transition",
    description = {
      "Boots a synthetic kernel, loads a kexec image with one design's transition tables, crashes,",
      "and runs the relocate routine (ours, or --routine: a vmlinux, .o, .S or binary) instruction by",
      "instruction to the new kernel's entry.",
      "Exit 0 when the new kernel was entered as its boot protocol expects (and, for kdump, the",
      "crashed kernel's page tables survived); 1 otherwise."
    })
final class TransitionCommand extends CliCommand implements Callable<Integer> {

  @CommandLine.Mixin DesignChoice choice = new DesignChoice();

  @Option(names = "--ram", defaultValue = "4G", converter = Numbers.class, description = "RAM size (default: ${DEFAULT-VALUE})")
  long ram;

  @Option(names = "--crashkernel", defaultValue = "256M", description = "crashkernel= value (default: ${DEFAULT-VALUE})")
  String crashkernel;

  @Option(names = "--kexec", defaultValue = "crash", description = "crash (kdump, the default) or normal")
  String kexec;

  @Option(names = "--seed", defaultValue = "1", description = "seed of the synthetic machine (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--out", description = "write pre.core, post.core, vmcore and System.map here, as a whole: the old set or the new, never a mix")
  Path outDir;

  @Option(names = "--force", description = "replace the set already in --out")
  boolean force;

  @Option(names = "--trace", description = "print every instruction executed, with what it changed")
  boolean trace;

  @Option(names = "--max-steps", defaultValue = "50000000", description = "instructions before the run counts as hung")
  long maxSteps;

  @CommandLine.Mixin JsonOutput output = new JsonOutput();

  @Option(names = "--routine", paramLabel = "FILE",
      description = {"run this relocate code instead of the design's own: a vmlinux or .o with symbols (ELF32/ELF64;",
          "relocate_kernel up to relocate_kernel_end or + kexec_control_code_size), a .S (through cpp),",
          "a .s, or a flat binary"})
  Path routine;

  @Option(names = "--abi", description = "how machine_kexec calls the routine: 6.1 (mainline's, the default there) or own (the project's, for the older designs)")
  String abi;

  @Option(names = "--preserve-context", description = "kexec jump (normal images, 6.1): enter, return to the old kernel, enter again; every page checked after the return")
  boolean preserveContext;

  @CommandLine.Mixin PreprocessorOptions cpp = new PreprocessorOptions();

  @Option(names = "--hypervisor", paramLabel = "xen", description = "xen: dom0 is a PV guest on machine memory (p2m), "
      + "Xen owns the crash region, rewrites page_table_a at load and runs the crash path (crash images; page-table-a or single-table)")
  String hypervisor;

  @Option(names = "--cpu-model", defaultValue = "hardware",
      description = "hardware (the SDM: PAE PDPTEs checked at the CR3 load, global TLB entries survive it) or qemu (QEMU TCG's leniencies) (default: ${DEFAULT-VALUE})")
  String cpuModel;

  @Option(names = "--damage", split = ",", paramLabel = "WHAT",
      description = "damage the crashed kernel before machine_kexec: gdt-zeroed, gdt-poison, idt-zeroed, routine-pte, crash-image (comma-separated)")
  List<String> damage = new ArrayList<>();

  @Option(names = "--nmi-before", paramLabel = "N", description = "deliver an NMI before instruction N (1 = the first of machine_kexec's tail)")
  Long nmiBefore;

  @Option(names = "--routine-offset", paramLabel = "BYTES", converter = Numbers.class, defaultValue = "0",
      description = "place relocate_kernel this far into its text page, as without the 2006 patch's .align PAGE_SIZE (default: ${DEFAULT-VALUE})")
  long routineOffset;

  @Option(names = "--html", paramLabel = "FILE", description = "also draw the run as one self-contained HTML page: the table sets and a timeline of the routine")
  Path html;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    TransitionRequest req = request();
    // --out is checked before the run: a refusal costs nothing and the old set is never touched
    if (hypervisor != null && !hypervisor.equals("xen")) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--hypervisor must be xen, not '" + hypervisor + "'");
    }
    try (OutputSet set = outDir == null ? null : TransitionImages.open(outDir, force)) {
      return hypervisor != null ? runXen(out, req, set) : run(out, req, set);
    }
  }

  /**
   * Under Xen: the run, or the hypercall's refusal as the negative verdict it is (a design whose
   * tables the hypervisor cannot be handed), with the xen facts alongside the usual report.
   */
  private int runXen(PrintWriter out, TransitionRequest req, OutputSet set) throws java.io.IOException {
    if (!HypervisorLoad.ported(req.design())) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--hypervisor xen runs page-table-a (the seed's Xen port) and single-table (tried against it), not "
              + req.design().cliName());
    }
    List<String> traceLines = new ArrayList<>();
    var pictured = new org.kexecsim.cli.html.TransitionTrace();
    XenTransition.Result x;
    try {
      x = XenTransition.run(req, tracer(out, traceLines, pictured));
    } catch (org.kexecsim.kimage.KexecException refused) {
      if (output.json) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("format", "kexec-sim/transition/v1");
        doc.put("hypervisor", "xen");
        doc.put("design", req.design().cliName());
        doc.put("outcome", "load_refused");
        doc.put("detail", refused.getMessage());
        doc.put("verdict", "failed");
        Json.print(out, doc);
      } else {
        out.printf("%s / %s under xen, crash image, RAM %s, seed %d%n", req.arch().cliName(), req.design().cliName(),
            org.kexecsim.memory.ByteSize.format(req.ram().usableBytes()), req.seed());
        out.println("KEXEC_CMD_kexec_load refused: " + refused.getMessage());
        out.println("verdict: FAILED (the hypervisor was not handed a table it could rewrite)");
      }
      return ExitCode.NEGATIVE;
    }
    TransitionResult r = x.transition();
    Optional<TransitionImages.Written> written = Optional.empty();
    if (set != null) {
      written = Optional.of(TransitionImages.write(r, set, x.crashNotes()));
    }
    if (html != null) {
      org.kexecsim.cli.html.TransitionPicture.write(html, r, pictured);
    }
    if (output.json) {
      Map<String, Object> doc = document(r, written);
      doc.put("xen", xenDocument(x));
      if (trace) {
        doc.put("trace", traceLines);
      }
      Json.print(out, doc);
    } else {
      var xen = x.xen();
      out.printf("xen: dom0 CR3 0x%x (pseudo-physical 0x%x), p2m frame list list at mfn 0x%x, page_list[1] = 0x%x%n",
          r.kernel().registers().cr3(), xen.dom0().registers().cr3(), xen.p2mFrameListListMfn(), x.load().controlVirtual());
      printText(out, r, written);
    }
    return verdict(r) ? ExitCode.OK : ExitCode.NEGATIVE;
  }

  private static Map<String, Object> xenDocument(XenTransition.Result x) {
    Map<String, Object> m = new LinkedHashMap<>();
    var xen = x.xen();
    m.put("dom0Cr3Machine", Json.hex(x.transition().kernel().registers().cr3()));
    m.put("dom0Cr3PseudoPhysical", Json.hex(xen.dom0().registers().cr3()));
    m.put("p2mFrameListListMfn", Json.hex(xen.p2mFrameListListMfn()));
    m.put("extentBytes", xen.extentBytes());
    m.put("hypervisorWindow", Json.hex(xen.windowVirtual()));
    m.put("pageList", java.util.Arrays.stream(x.load().pageList()).mapToObj(Json::hex).toList());
    m.put("tablesRewritten", x.load().tablesRewritten());
    return m;
  }

  private int run(PrintWriter out, TransitionRequest req, OutputSet set) throws java.io.IOException {
    List<String> traceLines = new ArrayList<>();
    var pictured = new org.kexecsim.cli.html.TransitionTrace();
    TransitionResult r = TransitionRunner.run(req, tracer(out, traceLines, pictured));
    Optional<TransitionImages.Written> written = Optional.empty();
    if (set != null) {
      written = Optional.of(TransitionImages.write(r, set));
    }
    if (html != null) {
      org.kexecsim.cli.html.TransitionPicture.write(html, r, pictured);
    }
    if (output.json) {
      Map<String, Object> doc = document(r, written);
      if (trace) {
        doc.put("trace", traceLines);
      }
      Json.print(out, doc);
    } else {
      printText(out, r, written);
    }
    return verdict(r) ? ExitCode.OK : ExitCode.NEGATIVE;
  }

  /** What --trace and --html need of each instruction, or null when neither is asked for. */
  private java.util.function.Consumer<StepTrace> tracer(PrintWriter out, List<String> traceLines,
      org.kexecsim.cli.html.TransitionTrace pictured) {
    return trace || html != null ? t -> {
      if (html != null) {
        pictured.accept(t);
      }
      if (!trace) {
        return;
      }
      if (output.json) {
        traceLines.add(t.toString());
      } else {
        out.println(t);
      }
    } : null;
  }

  TransitionRequest request() {
    Arch a = choice.arch(spec.commandLine());
    TransitionDesign d = choice.design(spec.commandLine());
    ImageType type;
    try {
      type = ImageType.fromCliName(kexec);
    } catch (RuntimeException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--kexec: " + e.getMessage());
    }
    if (maxSteps <= 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--max-steps must be positive");
    }
    Numbers.ram(spec.commandLine(), "--ram", ram, a);
    TransitionRequest req = new TransitionRequest(a, d, RamMap.ofSize(ram), Optional.of(crashkernel), type, seed, false, false, false, maxSteps);
    if (abi != null) {
      try {
        req = req.withAbi(RelocateAbi.fromCliName(abi));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--abi: " + e.getMessage());
      }
      if ((req.effectiveAbi() == RelocateAbi.LINUX_6_1) != d.linux61Convention()) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--abi 6.1 goes with --design mainline (its control page layout), --abi own with the others");
      }
    }
    if (preserveContext) {
      if (req.effectiveAbi() != RelocateAbi.LINUX_6_1) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--preserve-context needs the 6.1 convention (--design mainline)");
      }
      if (type != ImageType.NORMAL) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--preserve-context needs --kexec normal (a crash image has no swap page)");
      }
      req = req.withPreserveContext();
    }
    req = req.withConditions(conditions());
    if (routine != null) {
      req = req.withRoutine(RoutineFile.load(routine, a.is64Bit() ? 64 : 32, cpp.options()));
    }
    return req;
  }

  private CrashConditions conditions() {
    CrashConditions c = CrashConditions.NONE;
    try {
      c = c.withCpuModel(CpuModel.fromCliName(cpuModel));
      Set<Damage> d = EnumSet.noneOf(Damage.class);
      for (String name : damage) {
        d.add(Damage.fromCliName(name.strip()));
      }
      c = c.withDamage(d);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    try {
      c = c.withRoutineOffset(routineOffset);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--routine-offset: " + e.getMessage());
    }
    try {
      return nmiBefore == null ? c : c.withNmiBefore(nmiBefore);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--nmi-before: " + e.getMessage());
    }
  }

  /** Entered as the boot protocol expects; for kdump also the crashed kernel's tables intact. */
  static boolean verdict(TransitionResult r) {
    return r.outcome() == TransitionOutcome.ENTERED
        && (r.request().type() != ImageType.CRASH || r.oldPgd().preserved());
  }

  private static void printText(PrintWriter out, TransitionResult r, Optional<TransitionImages.Written> written) {
    var p = r.prepare();
    out.printf("%s / %s, %s image, RAM %s, seed %d%n", p.arch(), p.design(), p.kexecType(),
        org.kexecsim.memory.ByteSize.format(p.ramBytes()), p.seed());
    for (String s : r.steps()) {
      out.println("  " + s);
    }
    out.printf("routine: %s, %d of the control page's %d bytes%n", r.routine().origin(), r.routine().size(), 4096);
    out.printf("table pages: %d%n", p.pages().size());
    for (AllocatedPage a : p.pages()) {
      out.printf("  0x%-12x %s (%s)%n", a.physical(), a.role(), a.origin().text());
    }
    for (var c : p.conflicts()) {
      out.println("conflict: " + c.sentence());
    }
    RootCheck pgd = r.oldPgd();
    out.printf("old pgd 0x%x: %s%n", pgd.root(), pgd.preserved()
        ? String.format("preserved (%d table pages byte-identical)", pgd.tablePages())
        : String.format("WRITTEN: %d of %d table pages changed, first 0x%x", pgd.changedPages().size(), pgd.tablePages(), pgd.changedPages().getFirst()));
    if (r.pagesToCopy() > 0) {
      out.printf("pages copied intact: %d of %d%n", r.pagesCopiedIntact(), r.pagesToCopy());
    }
    r.roundTrip().ifPresent(t -> out.printf("kexec jump: %s%n", !t.returned() ? "did NOT return to the old kernel"
        : String.format("returned with re-entry point 0x%x; %d pages compared after the return (%d destination, %d source): %s",
            t.reentry(), t.pagesCompared(), t.destinations(), t.sources(),
            t.problems().isEmpty() ? "every one where it started" : t.problems().size() + " NOT")));
    for (String problem : r.problems()) {
      out.println("problem: " + problem);
    }
    if (!r.exceptions().isEmpty()) {
      out.println("exceptions:");
      r.exceptions().forEach(e -> out.println("  " + e));
    }
    if (!r.outcome().success()) {
      out.println("last instructions:");
      for (StepTrace t : r.lastTrace()) {
        out.println("  " + t);
      }
    }
    written.ifPresent(w -> out.printf("images: %s %s %s%nsymbols: %s%n", w.pre(), w.post(), w.vmcore(), w.systemMap()));
    out.printf("verdict: %s (%s, %d instructions)%n", verdict(r) ? "OK" : "FAILED", r.outcome().text(), r.instructions());
  }

  static Map<String, Object> document(TransitionResult r, Optional<TransitionImages.Written> written) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("format", "kexec-sim/transition/v1");
    doc.put("prepare", r.prepare().toMap());
    doc.put("routine", r.routine().origin());
    doc.put("routineBytes", r.routine().size());
    doc.put("abi", r.request().effectiveAbi().cliName());
    doc.put("cpuModel", r.request().conditions().cpuModel().cliName());
    doc.put("damage", r.request().conditions().damage().stream().map(Damage::cliName).sorted().toList());
    r.idtWindow().ifPresent(w -> doc.put("zeroLimitIdtWindow", w.toString()));
    doc.put("staleTranslations", r.staleTranslations().stream().map(Object::toString).toList());
    r.roundTrip().ifPresent(t -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("returned", t.returned());
      m.put("reentry", Json.hex(t.reentry()));
      m.put("pagesCompared", t.pagesCompared());
      m.put("destinations", t.destinations());
      m.put("sources", t.sources());
      m.put("problems", t.problems());
      doc.put("kexecJump", m);
    });
    doc.put("steps", r.steps());
    doc.put("outcome", r.outcome().name().toLowerCase(java.util.Locale.ROOT));
    doc.put("detail", r.detail());
    doc.put("instructions", r.instructions());
    doc.put("exceptions", r.exceptions().stream().map(Object::toString).toList());
    r.entryRecord().ifPresent(e -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("width", e.width());
      m.put("pagingOn", e.pagingOn());
      m.put("cr0", Json.hex(e.cr0()));
      m.put("cr3", Json.hex(e.cr3()));
      m.put("cr4", Json.hex(e.cr4()));
      m.put("efer", Json.hex(e.efer()));
      m.put("cs", Json.hex(e.cs()));
      doc.put("entry", m);
    });
    doc.put("problems", r.problems());
    doc.put("pagesToCopy", r.pagesToCopy());
    doc.put("pagesCopiedIntact", r.pagesCopiedIntact());
    Map<String, Object> pgd = new LinkedHashMap<>();
    pgd.put("root", Json.hex(r.oldPgd().root()));
    pgd.put("tablePages", r.oldPgd().tablePages());
    pgd.put("preserved", r.oldPgd().preserved());
    pgd.put("changedPages", r.oldPgd().changedPages().stream().map(Json::hex).toList());
    doc.put("oldPgd", pgd);
    written.ifPresent(w -> doc.put("images", Map.of("pre", w.pre().toString(), "post", w.post().toString(), "vmcore", w.vmcore().toString(), "systemMap", w.systemMap().toString())));
    doc.put("verdict", verdict(r) ? "ok" : "failed");
    return doc;
  }
}
