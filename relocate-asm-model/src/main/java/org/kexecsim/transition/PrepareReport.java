package org.kexecsim.transition;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.kexecsim.kimage.PhysicalRange;
import org.kexecsim.memory.ByteSize;
import org.kexecsim.pagetable.RootCheck;

/**
 * The outcome of a prepare run, for the CLI and for JSON ({@link #toMap()} gives addresses as
 * "0x…" strings).
 *
 * @param controlPage where the relocation code was copied
 * @param switchVirtual the VA the switching code runs at under the new root
 * @param oldCr3 the verdict on the root CR3 held at the crash
 * @param otherRoots the kernel's own pgd and the other processes'
 * @param framesChangedOutsideCrashRegion frames of the machine whose bytes the load changed
 *     outside the crash region (for a crash image: memory a dump will show altered)
 */
public record PrepareReport(
    String arch,
    String design,
    String kexecType,
    long seed,
    long ramBytes,
    Optional<PhysicalRange> crashRegion,
    long controlPage,
    OptionalLong swapPage,
    long switchVirtual,
    long entry,
    int segments,
    List<AllocatedPage> pages,
    long switchRoot,
    OptionalLong copyRoot,
    List<MappingCheck> mappings,
    RootCheck oldCr3,
    List<RootCheck> otherRoots,
    List<Conflict> conflicts,
    int splits,
    long indirectionHead,
    int pagesToCopy,
    int indirectionPages,
    boolean sourcesRespectDestinations,
    long framesChangedOutsideCrashRegion) {

  public PrepareReport {
    pages = List.copyOf(pages);
    mappings = List.copyOf(mappings);
    otherRoots = List.copyOf(otherRoots);
    conflicts = List.copyOf(conflicts);
  }

  /**
   * This report after someone else moved the switching code: a hypervisor that mapped the control
   * page at its own VA and rewrote the switch tables (the seed's Xen port).
   */
  public PrepareReport withSwitch(long virtual, List<MappingCheck> checks) {
    return new PrepareReport(arch, design, kexecType, seed, ramBytes, crashRegion, controlPage, swapPage, virtual, entry,
        segments, pages, switchRoot, copyRoot, checks, oldCr3, otherRoots, conflicts, splits, indirectionHead,
        pagesToCopy, indirectionPages, sourcesRespectDestinations, framesChangedOutsideCrashRegion);
  }

  /** Whether any page reachable from the old CR3 was written. */
  public boolean wroteOldCr3() {
    return !oldCr3.preserved();
  }

  public boolean controlPageExecutableAtBothAddresses() {
    return mappings.stream().allMatch(MappingCheck::executable);
  }

  private static String hex(long v) {
    return "0x" + Long.toHexString(v);
  }

  /** Plain maps and lists of strings, numbers and booleans, ready for any JSON writer. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("arch", arch);
    m.put("design", design);
    m.put("kexec", kexecType);
    m.put("seed", seed);
    m.put("ram", hex(ramBytes));
    m.put("crashRegion", crashRegion.map(r -> Map.of("start", hex(r.start()), "end", hex(r.last()))).orElse(null));
    m.put("controlPage", hex(controlPage));
    m.put("swapPage", swapPage.isPresent() ? hex(swapPage.getAsLong()) : null);
    m.put("switchVirtual", hex(switchVirtual));
    m.put("entry", hex(entry));
    m.put("segments", segments);
    List<Object> p = new ArrayList<>();
    for (AllocatedPage a : pages) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("physical", hex(a.physical()));
      e.put("role", a.role());
      e.put("origin", a.origin().text());
      e.put("used", a.used());
      p.add(e);
    }
    m.put("tablePages", p);
    m.put("switchRoot", hex(switchRoot));
    m.put("copyRoot", copyRoot.isPresent() ? hex(copyRoot.getAsLong()) : null);
    List<Object> maps = new ArrayList<>();
    for (MappingCheck c : mappings) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("name", c.name());
      e.put("root", hex(c.root()));
      e.put("virtual", hex(c.virtual()));
      e.put("physical", hex(c.expectedPhysical()));
      e.put("executable", c.executable());
      e.put("outcome", c.outcome());
      maps.add(e);
    }
    m.put("controlPageMappings", maps);
    m.put("oldCr3", rootMap(oldCr3));
    m.put("oldCr3Written", wroteOldCr3());
    m.put("otherRoots", otherRoots.stream().map(PrepareReport::rootMap).toList());
    m.put("conflicts", conflicts.stream()
        .map(c -> Map.of("kind", c.kind().name(), "sentence", c.sentence())).toList());
    m.put("splits", splits);
    Map<String, Object> ind = new LinkedHashMap<>();
    ind.put("head", hex(indirectionHead));
    ind.put("pagesToCopy", pagesToCopy);
    ind.put("indirectionPages", indirectionPages);
    ind.put("sourcesRespectDestinations", sourcesRespectDestinations);
    m.put("indirectionList", ind);
    m.put("framesChangedOutsideCrashRegion", framesChangedOutsideCrashRegion);
    return m;
  }

  private static Map<String, Object> rootMap(RootCheck r) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("label", r.label());
    e.put("root", hex(r.root()));
    e.put("tablePages", r.tablePages());
    e.put("changedPages", r.changedPages().stream().map(PrepareReport::hex).toList());
    e.put("translations", r.translations());
    e.put("translationsChanged", r.translationsChanged());
    e.put("preserved", r.preserved());
    return e;
  }

  /** A human-readable report. */
  public String toText() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%s / %s, %s image, RAM %s, seed %d%n", arch, design, kexecType, ByteSize.format(ramBytes), seed));
    crashRegion.ifPresent(r -> sb.append(String.format("crash region      %s (%s)%n", r, ByteSize.format(r.size()))));
    sb.append(String.format("control page      0x%x%s%n", controlPage,
        swapPage.isPresent() ? String.format("   swap page 0x%x", swapPage.getAsLong()) : ""));
    sb.append(String.format("switch code VA    0x%x%n", switchVirtual));
    sb.append(String.format("table pages       %d%n", pages.size()));
    for (AllocatedPage a : pages) {
      sb.append(String.format("  0x%-14x %-50s %s%s%n", a.physical(), a.role(), a.origin().text(), a.used() ? "" : " (unused)"));
    }
    sb.append(String.format("switch root 0x%x%s%n", switchRoot,
        copyRoot.isPresent() ? String.format(", copy root 0x%x", copyRoot.getAsLong()) : ", copy with paging off"));
    sb.append("control page mappings (supervisor fetch):\n");
    for (MappingCheck c : mappings) {
      sb.append(String.format("  %-4s 0x%-18x %s: %s%n", c.executable() ? "ok" : "FAIL", c.virtual(), c.name(), c.outcome()));
    }
    sb.append(String.format("old CR3 0x%x: %s (%d table pages, %d translations; %d pages written, %d translations changed)%n",
        oldCr3.root(), oldCr3.preserved() ? "preserved" : "WRITTEN", oldCr3.tablePages(), oldCr3.translations(),
        oldCr3.changedPages().size(), oldCr3.translationsChanged()));
    for (RootCheck r : otherRoots) {
      sb.append(String.format("  %-28s 0x%x: %s%n", r.label(), r.root(), r.preserved() ? "preserved" : "WRITTEN"));
    }
    sb.append(String.format("indirection list  head 0x%x, %d pages to copy, %d indirection pages, sources %s%n",
        indirectionHead, pagesToCopy, indirectionPages, sourcesRespectDestinations ? "respect destinations" : "COLLIDE"));
    sb.append(String.format("frames changed outside the crash region: %d%n", framesChangedOutsideCrashRegion));
    if (splits > 0) {
      sb.append(String.format("large pages split: %d%n", splits));
    }
    sb.append(conflicts.isEmpty() ? "conflicts: none\n" : "conflicts:\n");
    for (Conflict c : conflicts) {
      sb.append("  ").append(c.kind()).append(": ").append(c.sentence()).append('\n');
    }
    return sb.toString();
  }
}
