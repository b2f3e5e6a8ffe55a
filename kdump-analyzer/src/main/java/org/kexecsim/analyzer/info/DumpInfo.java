package org.kexecsim.analyzer.info;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.kexecsim.analyzer.AnalysisException;
import org.kexecsim.analyzer.Hex;
import org.kexecsim.analyzer.ReportJson;
import org.kexecsim.analyzer.RootTableFinder;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.Note;
import org.kexecsim.dump.PrStatus;
import org.kexecsim.dump.QemuCpuState;
import org.kexecsim.dump.Register;
import org.kexecsim.dump.VmcoreInfo;
import org.kexecsim.memory.ByteSize;
import org.kexecsim.memory.PhysicalAccessException;
import org.kexecsim.memory.RamRange;

/**
 * What a dump file is and holds (crash's {@code help -D}/{@code sys}, {@code readelf -n}): its
 * format, RAM, notes, each CPU's registers, VMCOREINFO and what it says (release, crash time,
 * KASLR offset), and the root tables an analysis can walk, each with where it comes from.
 *
 * <p>Registers per CPU merge that CPU's NT_PRSTATUS (general registers, CS/SS, no control
 * registers) and QEMU's QEMUCPUState (the same plus CR0, CR2, CR3, CR4; target/i386/arch_dump.c),
 * the QEMU note winning where both have a value. No dump format records EFER: long mode shows in
 * the L bit of CS in QEMU's note (descriptor-cache flags bit 21, DESC_L_SHIFT), which the CPU has
 * set only with EFER.LMA (SDM §5.2.1), so the report says what that implies and no more.
 *
 * <p>CRASHTIME is the crash's wall-clock second, {@code ktime_get_real_seconds()} written as
 * {@code CRASHTIME=%lld} (kernel/vmcore_info.c crash_save_vmcoreinfo).
 */
public record DumpInfo(Dump dump, long fileBytes, List<Cpu> cpus, List<String> roots, List<String> rootProblems) {
  public static final String FORMAT = "kexec-sim/info/v1";

  /** One CPU: which notes describe it and their registers. */
  public record Cpu(int index, List<String> notes, Map<Register, Long> registers, Optional<Boolean> longMode, boolean pagingOff) {}

  public static DumpInfo of(Dump dump, long fileBytes) {
    int n = Math.max(dump.prStatus().size(), dump.qemuCpuStates().size());
    List<Cpu> cpus = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      List<String> notes = new ArrayList<>();
      Map<Register, Long> regs = new EnumMap<>(Register.class);
      Optional<Boolean> longMode = Optional.empty();
      if (i < dump.prStatus().size()) {
        PrStatus p = dump.prStatus().get(i);
        notes.add(String.format("CORE NT_PRSTATUS (%s elf_prstatus, pid %d)", p.arch() == PrStatus.Arch.X86_64 ? "x86_64" : "i386", p.pid()));
        regs.putAll(p.registers().asMap());
      }
      boolean pagingOff = false;
      if (i < dump.qemuCpuStates().size()) {
        QemuCpuState q = dump.qemuCpuStates().get(i);
        notes.add(String.format("QEMU QEMUCPUState (version %d, %d bytes)", q.version(), q.size()));
        regs.putAll(q.registers().asMap());
        longMode = Optional.of((q.csFlags() & QemuCpuState.CS_FLAG_L) != 0);
        pagingOff = q.registers().has(Register.CR0) && (q.registers().getOrZero(Register.CR0) & org.kexecsim.mmu.Cr0.PG) == 0;
      }
      cpus.add(new Cpu(i, List.copyOf(notes), regs, longMode, pagingOff));
    }
    List<String> roots = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    try {
      for (RootTableFinder.LabeledRoot r : RootTableFinder.allRoots(dump, dump.vmcoreInfo(), Optional.empty())) {
        roots.add(r.label() + ": " + r.paging().describe());
      }
      if (roots.isEmpty()) {
        problems.add("the dump names no root table (no VMCOREINFO root symbol, no CPU note with CR3); pass --cr3 and --mode to the analyses");
      }
    } catch (AnalysisException | PhysicalAccessException e) {
      problems.add(e.getMessage());
    }
    for (int cpu : RootTableFinder.cpusWithoutPaging(dump)) {
      problems.add("CPU " + cpu + " had paging off (CR0.PG=0): no root");
    }
    return new DumpInfo(dump, fileBytes, List.copyOf(cpus), List.copyOf(roots), List.copyOf(problems));
  }

  static String machine(int eMachine) {
    return switch (eMachine) {
      case Dump.EM_X86_64 -> "x86_64 (EM_X86_64)";
      case Dump.EM_386 -> "i386 (EM_386)";
      case 0 -> "unknown (no ELF header)";
      default -> "e_machine " + eMachine;
    };
  }

  static String noteType(Note n) {
    return switch (n.name()) {
      case "CORE" -> n.nType() == 1 ? "NT_PRSTATUS" : n.nType() == 2 ? "NT_PRFPREG" : n.nType() == 3 ? "NT_PRPSINFO"
          : n.nType() == 0x202 ? "NT_X86_XSTATE" : "type " + n.nType();
      case "QEMU" -> "QEMUCPUState";
      case VmcoreInfo.NOTE_NAME -> "VMCOREINFO";
      default -> "type " + n.nType();
    };
  }

  /** The crash time as ISO-8601 UTC, or empty without (a valid) CRASHTIME. */
  public Optional<String> crashTime() {
    return dump.vmcoreInfo().map(v -> v.entries().get("CRASHTIME")).map(t -> {
      try {
        return Instant.ofEpochSecond(Long.parseLong(t.trim())).toString();
      } catch (RuntimeException e) {
        return "unreadable CRASHTIME '" + t + "'";
      }
    });
  }

  /** phys_base is a signed long (NUMBER(phys_base)=%ld): a kernel loaded below where it was linked has a negative one. */
  static String signedHex(long v) {
    return v < 0 ? "-0x" + Long.toHexString(-v) : Hex.of(v);
  }

  private static String reg(Register r) {
    return r.name().toLowerCase(Locale.ROOT);
  }

  public ObjectNode toJson() {
    ObjectNode n = ReportJson.object(FORMAT);
    n.put("file", dump.name());
    n.put("fileBytes", fileBytes);
    n.put("dumpFormat", dump.format().cliName());
    dump.elfClass().ifPresent(c -> n.put("elfClass", c.name()));
    n.put("machine", machine(dump.eMachine()));
    ObjectNode ram = n.putObject("ram");
    ram.put("bytes", dump.physicalMemory().ramMap().usableBytes());
    ram.put("excludedBytes", dump.physicalMemory().excludedBytes());
    ArrayNode rr = ram.putArray("ranges");
    for (RamRange r : dump.physicalMemory().ramMap().ranges()) {
      ObjectNode o = rr.addObject();
      o.put("start", Hex.of(r.start()));
      o.put("end", Hex.of(r.start() + r.size()));
      o.put("type", r.type().name().toLowerCase(Locale.ROOT));
    }
    ArrayNode notes = n.putArray("notes");
    for (Note note : dump.notes()) {
      ObjectNode o = notes.addObject();
      o.put("name", note.name());
      o.put("type", noteType(note));
      o.put("nType", note.nType());
      o.put("descSize", note.nDescsz());
      o.put("offset", Hex.of(note.descOffset()));
    }
    ArrayNode cs = n.putArray("cpus");
    for (Cpu c : cpus) {
      ObjectNode o = cs.addObject();
      o.put("cpu", c.index());
      ArrayNode from = o.putArray("notes");
      c.notes().forEach(from::add);
      ObjectNode regs = o.putObject("registers");
      c.registers().forEach((r, v) -> regs.put(reg(r), Hex.of(v)));
      o.put("eferRecorded", c.registers().containsKey(Register.EFER));
      c.longMode().ifPresent(l -> o.put("csLongMode", l));
      o.put("pagingOff", c.pagingOff());
    }
    dump.vmcoreInfo().ifPresent(v -> {
      ObjectNode vo = n.putObject("vmcoreinfo");
      v.osRelease().ifPresent(r -> vo.put("osRelease", r));
      v.pageSize().ifPresent(p -> vo.put("pageSize", p));
      crashTime().ifPresent(t -> vo.put("crashTime", t));
      v.kernelOffset().ifPresent(k -> vo.put("kernelOffset", Hex.of(k)));
      v.number("phys_base").ifPresent(p -> vo.put("physBase", signedHex(p)));
      ObjectNode e = vo.putObject("entries");
      v.entries().forEach(e::put);
    });
    ArrayNode ro = n.putArray("roots");
    roots.forEach(ro::add);
    ArrayNode rp = n.putArray("rootProblems");
    rootProblems.forEach(rp::add);
    return n;
  }

  /** The order registers print in: general, instruction pointer and flags, segments, bases, control. */
  private static final List<List<Register>> ROWS = List.of(
      List.of(Register.RAX, Register.RBX, Register.RCX, Register.RDX),
      List.of(Register.RSI, Register.RDI, Register.RBP, Register.RSP),
      List.of(Register.R8, Register.R9, Register.R10, Register.R11),
      List.of(Register.R12, Register.R13, Register.R14, Register.R15),
      List.of(Register.RIP, Register.RFLAGS, Register.ORIG_RAX),
      List.of(Register.CS, Register.SS, Register.DS, Register.ES, Register.FS, Register.GS),
      List.of(Register.FS_BASE, Register.GS_BASE),
      List.of(Register.CR0, Register.CR2, Register.CR3, Register.CR4),
      List.of(Register.EFER));

  public String toText() {
    StringBuilder sb = new StringBuilder();
    String nl = System.lineSeparator();
    sb.append(String.format("file:    %s (%d bytes)%n", dump.name(), fileBytes));
    sb.append(String.format("format:  %s%s, %s%n", dump.format().cliName(), dump.elfClass().map(c -> " " + c.name()).orElse(""), machine(dump.eMachine())));
    long excluded = dump.physicalMemory().excludedBytes();
    sb.append(String.format("RAM:     %s in %d ranges%s%n", ByteSize.format(dump.physicalMemory().ramMap().usableBytes()),
        dump.physicalMemory().ramMap().ranges().size(), excluded == 0 ? "" : ", " + ByteSize.format(excluded) + " of it excluded from the dump"));
    for (RamRange r : dump.physicalMemory().ramMap().ranges()) {
      sb.append(String.format("  0x%012x-0x%012x %8s %s%n", r.start(), r.start() + r.size(), ByteSize.format(r.size()),
          r.type().name().toLowerCase(Locale.ROOT)));
    }
    sb.append("notes:   ").append(dump.notes().size()).append(nl);
    for (Note note : dump.notes()) {
      sb.append(String.format("  %-10s %-13s %5d bytes at file offset 0x%x%n", note.name(), noteType(note), note.nDescsz(), note.descOffset()));
    }
    for (Cpu c : cpus) {
      sb.append(String.format("CPU %d:   %s%n", c.index(), String.join(" + ", c.notes())));
      for (List<Register> row : ROWS) {
        StringBuilder line = new StringBuilder();
        for (Register r : row) {
          Long v = c.registers().get(r);
          if (v != null) {
            boolean narrow = r.ordinal() >= Register.CS.ordinal() && r.ordinal() <= Register.SS.ordinal();
            line.append(String.format(narrow ? "%-3s=%04x " : "%-6s=%016x ", reg(r), v));
          }
        }
        if (!line.isEmpty()) {
          sb.append("  ").append(line.toString().stripTrailing()).append(nl);
        }
      }
      if (!c.registers().containsKey(Register.EFER)) {
        sb.append("  efer   not recorded (no dump format holds it)").append(c.longMode()
            .map(l -> l ? "; CS.L=1 in QEMU's note: 64-bit code, so EFER.LMA was 1" : "; CS.L=0 in QEMU's note: not 64-bit code")
            .orElse("")).append(nl);
      }
      if (c.pagingOff()) {
        sb.append("  paging off (CR0.PG=0)").append(nl);
      }
    }
    if (dump.vmcoreInfo().isEmpty()) {
      sb.append("VMCOREINFO: none").append(nl);
    } else {
      VmcoreInfo v = dump.vmcoreInfo().get();
      sb.append(String.format("VMCOREINFO: %d lines; release %s, crash time %s, KERNELOFFSET %s, phys_base %s%n", v.entries().size(),
          v.osRelease().orElse("?"), crashTime().orElse("not recorded"),
          v.kernelOffset().isPresent() ? Hex.of(v.kernelOffset().getAsLong()) : "not recorded",
          v.number("phys_base").isPresent() ? signedHex(v.number("phys_base").getAsLong()) : "not recorded"));
      v.entries().forEach((k, val) -> sb.append("  ").append(k).append('=').append(val).append(nl));
    }
    sb.append("roots:").append(nl);
    roots.forEach(r -> sb.append("  ").append(r).append(nl));
    rootProblems.forEach(r -> sb.append("  ").append(r).append(nl));
    return sb.toString();
  }
}
