package org.kexecsim.analyzer.verify;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.kexecsim.analyzer.Findings;
import org.kexecsim.analyzer.Hex;
import org.kexecsim.analyzer.symbols.AddressNames;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.memory.ByteSize;
import org.kexecsim.mmu.ReservedBitFinding;
import org.kexecsim.pagetable.RootCheck;

/**
 * The verdict on one root: whether the page tables reachable from it survived into AFTER, or,
 * with a single image, whether they are there and consistent.
 *
 * @param label which root: "VMCOREINFO kernel root", "CPU 1 CR3", "--cr3"
 * @param singleImage no BEFORE/AFTER pair: the tables were checked in one image only
 * @param strict byte identity required (A/D set by hardware walks count too)
 * @param check the core comparison ({@link org.kexecsim.pagetable.RootPreservation}): tables
 *     reachable in BEFORE, leaves, changed tables, tables outside BEFORE's RAM
 * @param softwareChangedTables of those, how many software rewrote (or are missing); the rest
 *     differ only in A/D bits a hardware walk set
 * @param changes the first {@link PgdVerifier#MAX_REPORTED} changed tables, in walk order
 * @param reservedBits present entries with reserved bits the walk went through (first {@link Findings#MAX_LISTED})
 * @param symbols single image: VMCOREINFO symbols translated through the root
 */
public record PgdVerdict(
    String label, PagingContext paging, boolean singleImage, boolean strict, RootCheck check,
    long softwareChangedTables, List<TableChange> changes,
    List<ReservedBitFinding> reservedBits, long reservedBitEntries, List<SymbolCheck> symbols) {

  /** Table pages reachable from the root in BEFORE. */
  public long tablesChecked() {
    return check.tablePages();
  }

  /** Leaf mappings those tables define. */
  public long leaves() {
    return check.translations();
  }

  /** How many table pages differ (or are missing) in AFTER. */
  public long changedTables() {
    return check.changedTables().size();
  }

  /** Tables BEFORE links to but does not contain. */
  public List<Long> unreadableInBefore() {
    return check.unreadable().stream().map(RootCheck.Table::physical).toList();
  }

  /**
   * Two images: no table page rewritten by software (with {@code strict}: every table page
   * byte-identical). One image: every table reachable is in the image and every symbol check
   * passes — the most one image can show; it cannot tell the tables from the pre-crash ones.
   */
  public boolean preserved() {
    if (singleImage) {
      return unreadableInBefore().isEmpty() && symbols.stream().allMatch(SymbolCheck::ok);
    }
    return strict ? changedTables() == 0 : softwareChangedTables == 0;
  }

  /** Table pages whose only changes are A/D bits set by hardware walks. */
  public long accessedDirtyOnlyTables() {
    return changedTables() - softwareChangedTables;
  }

  public String verdictWord() {
    if (singleImage) {
      return preserved() ? "INTACT" : "NOT INTACT";
    }
    return preserved() ? "PRESERVED" : "NOT PRESERVED";
  }

  public ObjectNode toJson(ObjectNode o) {
    return toJson(o, AddressNames.NONE);
  }

  /** The JSON form, with {@code names} naming table pages (by the kernel image mapping) and linear addresses. */
  public ObjectNode toJson(ObjectNode o, AddressNames names) {
    o.put("label", label);
    ObjectNode p = o.putObject("paging");
    p.put("mode", paging.mode().cliName());
    p.put("root", Hex.of(paging.root()));
    p.put("rootSource", paging.rootSource());
    p.put("modeSource", paging.modeSource());
    o.put("verdict", verdictWord());
    o.put("preserved", preserved());
    o.put("tablesChecked", tablesChecked());
    o.put("leaves", leaves());
    if (!singleImage) {
      o.put("changedTables", changedTables());
      o.put("softwareChangedTables", softwareChangedTables);
      o.put("accessedDirtyOnlyTables", accessedDirtyOnlyTables());
    }
    ArrayNode u = o.putArray("unreadableTables");
    unreadableInBefore().forEach(pa -> u.add(Hex.of(pa)));
    Findings.toJson(o, reservedBits, reservedBitEntries);
    if (singleImage) {
      ArrayNode s = o.putArray("symbols");
      for (SymbolCheck c : symbols) {
        ObjectNode so = s.addObject();
        so.put("symbol", c.symbol());
        so.put("virtual", Hex.of(c.virtual()));
        c.expected().ifPresent(e -> so.put("expected", Hex.of(e)));
        c.physical().ifPresent(pa -> so.put("physical", Hex.of(pa)));
        so.put("ok", c.ok());
        if (!c.ok()) {
          so.put("problem", c.problem());
        }
      }
      return o;
    }
    ArrayNode arr = o.putArray("changes");
    for (TableChange t : changes) {
      ObjectNode to = arr.addObject();
      to.put("physical", Hex.of(t.physical()));
      names.atPhysical(t.physical()).ifPresent(sym -> to.put("symbol", sym));
      to.put("level", t.level());
      to.put("table", t.table());
      to.put("linearBase", Hex.of(t.linearBase()));
      to.put("missing", t.missing());
      to.put("kind", t.software() ? "software" : "accessed-dirty");
      ArrayNode es = to.putArray("entries");
      for (EntryChange e : t.entries()) {
        ObjectNode eo = es.addObject();
        eo.put("index", e.index());
        eo.put("old", Hex.of(e.oldValue()));
        eo.put("new", Hex.of(e.newValue()));
        eo.put("linear", Hex.of(e.linear()));
        names.at(e.linear()).ifPresent(sym -> eo.put("symbol", sym));
        eo.put("size", Hex.of(e.size()));
        eo.put("before", e.before());
        eo.put("after", e.after());
        eo.put("kind", e.kind() == ChangeKind.SOFTWARE ? "software" : "accessed-dirty");
      }
    }
    return o;
  }

  public String toText() {
    return toText(AddressNames.NONE);
  }

  /** The text form, with {@code names} naming table pages and linear addresses where a symbol is known. */
  public String toText(AddressNames names) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%s: %s%n", label, paging.describe()));
    if (singleImage) {
      long bad = symbols.stream().filter(c -> !c.ok()).count();
      sb.append(String.format("  %s: %d table pages, %d leaf mappings, all in the image: %s; %s%n",
          verdictWord(), tablesChecked(), leaves(), unreadableInBefore().isEmpty() ? "yes" : "no", symbols.isEmpty()
              ? "no VMCOREINFO symbols to translate (only the tables' presence was checked)"
              : String.format("%d of %d VMCOREINFO symbols translate", symbols.size() - bad, symbols.size())));
      for (SymbolCheck c : symbols) {
        if (!c.ok()) {
          sb.append(String.format("    %s 0x%x: %s%n", c.symbol(), c.virtual(), c.problem()));
        }
      }
    } else {
      sb.append(String.format("  %s: %d table pages, %d leaf mappings checked; %d table pages changed: %d by software, %d only A/D set by hardware walks%s%n",
          verdictWord(), tablesChecked(), leaves(), changedTables(), softwareChangedTables, accessedDirtyOnlyTables(),
          strict ? " (--strict: any change counts)" : ""));
    }
    for (TableChange t : changes) {
      if (t.missing()) {
        sb.append(String.format("    %s table at 0x%x%s (linear 0x%x..): not in AFTER's RAM%n", t.table(), t.physical(),
            AddressNames.suffix(names.atPhysical(t.physical())), t.linearBase()));
        continue;
      }
      sb.append(String.format("    %s table at 0x%x%s (linear 0x%x..): %d entries differ (%s)%n", t.table(), t.physical(),
          AddressNames.suffix(names.atPhysical(t.physical())), t.linearBase(), t.entries().size(), t.software() ? "software" : "A/D only"));
      for (EntryChange e : t.entries()) {
        sb.append(String.format("      [%d] 0x%016x -> 0x%016x  linear 0x%x%s +%s: %s -> %s (%s)%n", e.index(), e.oldValue(),
            e.newValue(), e.linear(), AddressNames.suffix(names.at(e.linear())), ByteSize.format(e.size()), e.before(), e.after(), e.kind().text()));
      }
    }
    for (long pa : unreadableInBefore()) {
      sb.append(String.format("    %s links a table at 0x%x outside its RAM%n", singleImage ? "the image" : "BEFORE", pa));
    }
    Findings.toText(sb, "  ", reservedBits, reservedBitEntries);
    return sb.toString();
  }
}
