package org.kexecsim.cpu.machine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.kexecsim.cpu.Cpu;
import org.kexecsim.cpu.SegmentCache;
import org.kexecsim.isa.Assembler;
import org.kexecsim.isa.AssemblyException;
import org.kexecsim.isa.Gpr;
import org.kexecsim.isa.Segment;
import org.kexecsim.memory.ByteSize;
import org.kexecsim.memory.InvalidRamMapException;
import org.kexecsim.memory.PhysicalAccessException;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.SparseMemory;
import org.kexecsim.mmu.ControlRegisterRules;
import org.kexecsim.mmu.ControlState;
import org.kexecsim.mmu.ControlWrite;
import org.kexecsim.mmu.CpuFeatures;

/**
 * Loads a CPU and its memory from a JSON machine description, the input of {@code kexec-sim cpu
 * run}. Numbers are JSON numbers or strings in C syntax ("0x1000", "4096", "64M"). Example:
 *
 * <pre>{@code
 * {
 *   "ram": "0-64M",                          // RamMap syntax: START-LAST or START+SIZE, comma-separated
 *   "maxPhyAddr": 40,                        // optional, default 40
 *   "memory": [                              // applied in order
 *     { "address": "0x1000", "hex": "63 20 00 00 00 00 00 00" },
 *     { "address": "0x2000", "qwords": ["0x3063", "0"] },   // little-endian 64-bit words
 *     { "address": "0x100000", "file": "code.bin" },        // raw image, relative to this file
 *     { "address": "0x100000", "asm": "mov %cr3,%rax\nhlt", "bits": 64 }  // assembled with our assembler
 *   ],
 *   "control":   { "cr0": "0x80000011", "cr3": "0x1000", "cr4": "0x20", "efer": "0x500", "cr2": 0 },
 *   "registers": { "rip": "0x100000", "rsp": "0x90000", "rflags": "0x2", "rax": 0 },
 *   "gdtr": { "base": "0x5000", "limit": "0x1f" },
 *   "idtr": { "base": 0, "limit": 0 },
 *   "segments": {                            // each: a selector, and optionally the cached descriptor;
 *     "cs": { "selector": "0x08" },          // without one, the cache is loaded from the GDT in memory
 *     "ds": { "selector": "0x10", "descriptor": "0x00cf92000000ffff" },
 *     "ss": { "selector": 0 }                // null selector
 *   }
 * }
 * }</pre>
 *
 * The control registers are validated as {@link ControlRegisterRules#establish} does (PAE PDPTEs
 * are loaded and checked). Unknown fields are errors, so a typo does not silently change the machine.
 */
public final class MachineDescription {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  /** The most a memory item's "file" may hold: 1 GiB, read into the heap at once. */
  static final long MAX_FILE_BYTES = 1L << 30;
  private static final Set<String> TOP = Set.of("ram", "maxPhyAddr", "memory", "control", "registers", "gdtr", "idtr", "segments", "description");

  private final Path file;

  private MachineDescription(Path file) {
    this.file = file;
  }

  /** Reads {@code file} and builds the CPU it describes. */
  public static Cpu load(Path file) throws IOException {
    String text;
    try {
      text = org.kexecsim.files.TextFile.read(file);
    } catch (IOException e) {
      throw org.kexecsim.files.IoFailure.at(file, e);
    }
    return new MachineDescription(file).build(text);
  }

  /** Builds the CPU from JSON text; {@code file} names it in errors and anchors relative image paths. */
  public static Cpu parse(String json, Path file) {
    try {
      return new MachineDescription(file).build(json);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private MachineDescriptionException bad(String field, String problem) {
    return new MachineDescriptionException(file + ": " + field + ": " + problem);
  }

  private Cpu build(String json) throws IOException {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      var loc = e.getLocation();
      // Jackson's message without its parser internals: the source marker it cannot show and
      // the name of the limit's setting
      String why = e.getOriginalMessage().replaceAll(" \\(start marker at \\[Source:.*", "")
          .replaceAll(", from `[^`]*`\\)", ")");
      throw new MachineDescriptionException(loc == null || loc.getLineNr() <= 0
          ? String.format("%s: invalid JSON: %s", file, why)
          : String.format("%s:%d:%d: invalid JSON: %s", file, loc.getLineNr(), loc.getColumnNr(), why), e);
    }
    if (root == null || !root.isObject()) {
      throw bad("(top)", "expected a JSON object");
    }
    checkFields(root, "(top)", TOP);
    RamMap ram;
    try {
      ram = RamMap.parse(text(root, "ram"));
    } catch (InvalidRamMapException e) {
      throw bad("ram", e.getMessage());
    }
    int m = root.has("maxPhyAddr") ? (int) number(root.get("maxPhyAddr"), "maxPhyAddr") : 40;
    CpuFeatures features;
    try {
      features = CpuFeatures.withMaxPhyAddr(m);
    } catch (IllegalArgumentException e) {
      throw bad("maxPhyAddr", e.getMessage());
    }
    long top = ram.end();
    if (top == 0 || Long.compareUnsigned(top, 1L << m) > 0) {
      // no physical address reaches past MAXPHYADDR bits (SDM Vol. 3A §4.1.4), so neither does RAM
      throw bad("ram", String.format("RAM up to 0x%x reaches past the %d-bit physical address space of MAXPHYADDR %d (0x%x)",
          top - 1, m, m, 1L << m));
    }
    SparseMemory memory = new SparseMemory(ram);
    JsonNode mem = root.path("memory");
    for (int i = 0; i < mem.size(); i++) {
      loadMemory(memory, mem.get(i), "memory[" + i + "]");
    }

    JsonNode control = root.path("control");
    checkFields(control, "control", Set.of("cr0", "cr2", "cr3", "cr4", "efer"));
    long cr0 = numberOr(control, "cr0", "control.cr0", 0x11);
    long cr3 = numberOr(control, "cr3", "control.cr3", 0);
    long cr4 = numberOr(control, "cr4", "control.cr4", 0);
    long efer = numberOr(control, "efer", "control.efer", 0);
    ControlState state;
    try {
      ControlWrite w = ControlRegisterRules.establish(cr0, cr3, cr4, efer, memory, features);
      state = switch (w) {
        case ControlWrite.Accepted a -> a.state();
        case ControlWrite.Refused r -> throw bad("control", "the CPU refuses these values: " + r.rule());
      };
    } catch (PhysicalAccessException e) {
      throw bad("control.cr3", e.getMessage());
    }
    Cpu cpu = new Cpu(memory, state, features);
    cpu.setCr2(numberOr(control, "cr2", "control.cr2", 0));

    JsonNode regs = root.path("registers");
    for (Iterator<Map.Entry<String, JsonNode>> it = regs.fields(); it.hasNext(); ) {
      var e = it.next();
      String name = e.getKey().toLowerCase(Locale.ROOT);
      long v = number(e.getValue(), "registers." + e.getKey());
      Gpr g = Gpr.parse(name);
      if (name.equals("rip")) {
        cpu.setRip(v);
      } else if (name.equals("rflags")) {
        cpu.setRflags(v);
      } else if (g != null && g.size() == 8) {
        cpu.setRegister(g.number(), v);
      } else {
        throw bad("registers." + e.getKey(), "unknown register (use rax..r15, rip, rflags)");
      }
    }
    JsonNode gdtr = root.path("gdtr");
    checkFields(gdtr, "gdtr", Set.of("base", "limit"));
    cpu.setGdtr(numberOr(gdtr, "base", "gdtr.base", 0), (int) limit(gdtr, "gdtr"));
    JsonNode idtr = root.path("idtr");
    checkFields(idtr, "idtr", Set.of("base", "limit"));
    cpu.setIdtr(numberOr(idtr, "base", "idtr.base", 0), (int) limit(idtr, "idtr"));

    JsonNode segs = root.path("segments");
    checkFields(segs, "segments", Set.of("cs", "ds", "es", "ss", "fs", "gs"));
    for (Segment s : Segment.values()) {
      String name = s.name().toLowerCase(Locale.ROOT);
      if (segs.has(name)) {
        cpu.setSegment(s, segment(cpu, segs.get(name), "segments." + name, s));
      }
    }
    return cpu;
  }

  private SegmentCache segment(Cpu cpu, JsonNode n, String field, Segment s) {
    checkFields(n, field, Set.of("selector", "descriptor"));
    long sel = numberOr(n, "selector", field + ".selector", -1);
    if (sel < 0 || sel > 0xFFFF) {
      throw bad(field + ".selector", "a 16-bit selector is required");
    }
    if (n.has("descriptor")) {
      return SegmentCache.fromDescriptor((int) sel, number(n.get("descriptor"), field + ".descriptor"));
    }
    if ((sel & 0xFFFC) == 0) {
      if (s == Segment.CS) {
        throw bad(field, "CS cannot hold a null selector");
      }
      return SegmentCache.nullSelector((int) sel);
    }
    OptionalLong d = cpu.gdtDescriptor((int) sel);
    if (d.isEmpty()) {
      throw bad(field, String.format("selector 0x%x is not readable from the GDT (beyond gdtr.limit or unmapped); give \"descriptor\"", sel));
    }
    return SegmentCache.fromDescriptor((int) sel, d.getAsLong());
  }

  private void loadMemory(SparseMemory memory, JsonNode n, String field) throws IOException {
    checkFields(n, field, Set.of("address", "hex", "qwords", "file", "asm", "bits"));
    long address = numberOr(n, "address", field + ".address", -1);
    if (!n.has("address")) {
      throw bad(field + ".address", "required");
    }
    byte[] bytes;
    if (n.has("hex")) {
      try {
        bytes = HexFormat.of().parseHex(n.get("hex").asText().replaceAll("\\s+", ""));
      } catch (IllegalArgumentException e) {
        throw bad(field + ".hex", e.getMessage());
      }
    } else if (n.has("qwords")) {
      JsonNode q = n.get("qwords");
      bytes = new byte[8 * q.size()];
      for (int i = 0; i < q.size(); i++) {
        long v = number(q.get(i), field + ".qwords[" + i + "]");
        for (int b = 0; b < 8; b++) {
          bytes[8 * i + b] = (byte) (v >>> (8 * b));
        }
      }
    } else if (n.has("file")) {
      Path dir = file.toAbsolutePath().getParent();
      Path image = dir == null ? Path.of(n.get("file").asText()) : dir.resolve(n.get("file").asText());
      try {
        // read whole into memory, so only a regular file of a bounded size: /dev/zero or a
        // FIFO would never end, a huge file would not fit
        if (Files.exists(image) && !Files.isRegularFile(image)) {
          throw bad(field + ".file", image + " is not a regular file");
        }
        if (Files.exists(image) && Files.size(image) > MAX_FILE_BYTES) {
          throw bad(field + ".file", String.format("%s is %d bytes; a description loads at most %d bytes from a file", image, Files.size(image), MAX_FILE_BYTES));
        }
        bytes = Files.readAllBytes(image);
      } catch (IOException e) {
        throw org.kexecsim.files.IoFailure.at(image, e);
      }
    } else if (n.has("asm")) {
      int bits = n.has("bits") ? (int) number(n.get("bits"), field + ".bits") : 64;
      try {
        bytes = Assembler.assemble(n.get("asm").asText(), bits, address).bytes();
      } catch (AssemblyException e) {
        throw bad(field + ".asm", "line " + e.line() + ", column " + e.column() + ": " + e.reason());
      } catch (IllegalArgumentException e) {
        throw bad(field + ".bits", e.getMessage());
      }
    } else {
      throw bad(field, "needs one of hex, qwords, file, asm");
    }
    try {
      memory.write(address, bytes, 0, bytes.length);
    } catch (PhysicalAccessException e) {
      throw bad(field, e.getMessage());
    }
  }

  private long limit(JsonNode n, String field) {
    long l = numberOr(n, "limit", field + ".limit", 0);
    if (l < 0 || l > 0xFFFF) {
      throw bad(field + ".limit", "must fit 16 bits");
    }
    return l;
  }

  private void checkFields(JsonNode n, String field, Set<String> allowed) {
    if (n.isMissingNode()) {
      return;
    }
    if (!n.isObject()) {
      throw bad(field, "expected an object");
    }
    n.fieldNames().forEachRemaining(name -> {
      if (!allowed.contains(name)) {
        throw bad(field + "." + name, "unknown field (expected one of " + new java.util.TreeSet<>(allowed) + ")");
      }
    });
  }

  private String text(JsonNode root, String field) {
    JsonNode n = root.get(field);
    if (n == null || !n.isTextual()) {
      throw bad(field, "required string");
    }
    return n.asText();
  }

  private long numberOr(JsonNode n, String key, String field, long fallback) {
    return n.has(key) ? number(n.get(key), field) : fallback;
  }

  private long number(JsonNode n, String field) {
    if (n.isIntegralNumber() && n.canConvertToLong()) {
      return n.asLong();
    }
    if (n.isTextual()) {
      try {
        return ByteSize.parse(n.asText().trim());
      } catch (NumberFormatException e) {
        throw bad(field, "not a number: " + n.asText());
      }
    }
    throw bad(field, "expected a number or a \"0x…\" string");
  }
}
