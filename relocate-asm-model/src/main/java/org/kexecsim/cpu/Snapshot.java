package org.kexecsim.cpu;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.kexecsim.isa.Gpr;
import org.kexecsim.isa.Segment;

/** The registers at one moment, as text, for the step trace's "what changed" (tracing only). */
final class Snapshot {
  private final Map<String, String> values = new LinkedHashMap<>();

  static Snapshot of(Cpu cpu) {
    Snapshot s = new Snapshot();
    for (int i = 0; i < 16; i++) {
      s.put(Gpr.name64(i), cpu.gpr[i]);
    }
    s.put("rip", cpu.rip);
    s.put("rflags", cpu.rflags);
    s.put("cr0", cpu.control.cr0());
    s.put("cr2", cpu.cr2);
    s.put("cr3", cpu.control.cr3());
    s.put("cr4", cpu.control.cr4());
    s.put("efer", cpu.control.efer());
    s.values.put("pdptes", cpu.control.pdptes().toString());
    s.values.put("gdtr", String.format("base=0x%x limit=0x%x", cpu.gdtrBase, cpu.gdtrLimit));
    s.values.put("idtr", String.format("base=0x%x limit=0x%x", cpu.idtrBase, cpu.idtrLimit));
    for (Segment seg : Segment.values()) {
      s.values.put(seg.name().toLowerCase(java.util.Locale.ROOT), cpu.segments[seg.ordinal()].toString());
    }
    s.values.put("mode", cpu.modeName());
    return s;
  }

  private void put(String name, long v) {
    values.put(name, String.format("0x%x", v));
  }

  List<StepTrace.Change> diff(Snapshot after) {
    List<StepTrace.Change> out = new ArrayList<>();
    values.forEach((k, v) -> {
      String w = after.values.get(k);
      if (!v.equals(w)) {
        out.add(new StepTrace.RegisterChange(k, v, w));
      }
    });
    return out;
  }
}
