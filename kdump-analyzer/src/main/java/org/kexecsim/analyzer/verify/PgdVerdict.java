package org.kexecsim.analyzer.verify;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.kexecsim.analyzer.Hex;
import org.kexecsim.analyzer.PagingContext;
import org.kexecsim.analyzer.ReportJson;
import org.kexecsim.memory.ByteSize;

/**
 * Whether the page tables reachable from BEFORE's root survived into AFTER.
 *
 * @param tablesChecked table pages reachable from the root in BEFORE
 * @param leaves leaf mappings those tables define
 * @param changedTables how many table pages differ (or are missing) in AFTER
 * @param changes the first {@link PgdVerifier#MAX_REPORTED} of them, in walk order
 * @param unreadableInBefore tables BEFORE links to but does not contain
 */
public record PgdVerdict(
    PagingContext paging, long tablesChecked, long leaves, long changedTables, List<TableChange> changes,
    List<Long> unreadableInBefore) {
  public static final String FORMAT = "kexec-sim/verify-pgd/v1";

  /** Every table page identical, hence every translation they define unchanged. */
  public boolean preserved() {
    return changedTables == 0;
  }

  public ObjectNode toJson() {
    ObjectNode n = ReportJson.object(FORMAT);
    ReportJson.paging(n, paging);
    n.put("preserved", preserved());
    n.put("tablesChecked", tablesChecked);
    n.put("leaves", leaves);
    n.put("changedTables", changedTables);
    ArrayNode u = n.putArray("unreadableInBefore");
    unreadableInBefore.forEach(pa -> u.add(Hex.of(pa)));
    ArrayNode arr = n.putArray("changes");
    for (TableChange t : changes) {
      ObjectNode o = arr.addObject();
      o.put("physical", Hex.of(t.physical()));
      o.put("level", t.level());
      o.put("table", t.table());
      o.put("linearBase", Hex.of(t.linearBase()));
      o.put("missing", t.missing());
      ArrayNode es = o.putArray("entries");
      for (EntryChange e : t.entries()) {
        ObjectNode eo = es.addObject();
        eo.put("index", e.index());
        eo.put("old", Hex.of(e.oldValue()));
        eo.put("new", Hex.of(e.newValue()));
        eo.put("linear", Hex.of(e.linear()));
        eo.put("size", Hex.of(e.size()));
        eo.put("before", e.before());
        eo.put("after", e.after());
      }
    }
    return n;
  }

  public String toText() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("paging: %s, root 0x%x (%s; mode from %s)%n", paging.mode().cliName(), paging.root(),
        paging.rootSource(), paging.modeSource()));
    sb.append(String.format("%s: %d table pages, %d leaf mappings checked; %d table pages changed%n",
        preserved() ? "PRESERVED" : "NOT PRESERVED", tablesChecked, leaves, changedTables));
    for (TableChange t : changes) {
      if (t.missing()) {
        sb.append(String.format("  %s table at 0x%x (linear 0x%x..): not in AFTER's RAM%n", t.table(), t.physical(), t.linearBase()));
        continue;
      }
      sb.append(String.format("  %s table at 0x%x (linear 0x%x..): %d entries differ%n", t.table(), t.physical(),
          t.linearBase(), t.entries().size()));
      for (EntryChange e : t.entries()) {
        sb.append(String.format("    [%d] 0x%016x -> 0x%016x  linear 0x%x +%s: %s -> %s%n", e.index(), e.oldValue(),
            e.newValue(), e.linear(), ByteSize.format(e.size()), e.before(), e.after()));
      }
    }
    for (long pa : unreadableInBefore) {
      sb.append(String.format("  warning: BEFORE links a table at 0x%x outside its RAM%n", pa));
    }
    return sb.toString();
  }
}
