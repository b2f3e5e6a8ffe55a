package org.kexecsim.analyzer.verify;

import org.kexecsim.analyzer.symbols.AddressNames;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.kexecsim.analyzer.ReportJson;

/**
 * verify-pgd's answer: one verdict per root, and overall preserved only when every root is.
 *
 * @param notes what was not checked and why (e.g. a CPU with paging off)
 */
public record PgdVerification(boolean singleImage, boolean strict, List<PgdVerdict> roots, List<String> notes) {
  public static final String FORMAT = "kexec-sim/verify-pgd/v2";

  /** What one image can and cannot show; printed with every single-image verdict. */
  public static final String SINGLE_IMAGE_MEANING =
      "one image: INTACT means every table reachable from each root is in the image and the kernel's VMCOREINFO "
          + "symbols translate through it (the root's own symbol to the root); whether the tables equal the "
          + "pre-crash ones needs a BEFORE image";

  public PgdVerification {
    roots = List.copyOf(roots);
    notes = List.copyOf(notes);
  }

  public PgdVerification(boolean singleImage, boolean strict, List<PgdVerdict> roots) {
    this(singleImage, strict, roots, List.of());
  }

  public boolean preserved() {
    return roots.stream().allMatch(PgdVerdict::preserved);
  }

  public String overallWord() {
    if (singleImage) {
      return preserved() ? "INTACT" : "NOT INTACT";
    }
    return preserved() ? "PRESERVED" : "NOT PRESERVED";
  }

  public ObjectNode toJson() {
    return toJson(AddressNames.NONE);
  }

  /** With {@code names} naming table pages and linear addresses of the changes. */
  public ObjectNode toJson(AddressNames names) {
    ObjectNode n = ReportJson.object(FORMAT);
    n.put("images", singleImage ? 1 : 2);
    n.put("strict", strict);
    n.put("verdict", overallWord());
    n.put("preserved", preserved());
    if (singleImage) {
      n.put("meaning", SINGLE_IMAGE_MEANING);
    }
    ArrayNode nn = n.putArray("notes");
    notes.forEach(nn::add);
    ArrayNode a = n.putArray("roots");
    roots.forEach(r -> r.toJson(a.addObject(), names));
    return n;
  }

  public String toText() {
    return toText(AddressNames.NONE);
  }

  /** With {@code names} naming table pages and linear addresses of the changes. */
  public String toText(AddressNames names) {
    StringBuilder sb = new StringBuilder();
    roots.forEach(r -> sb.append(r.toText(names)));
    long good = roots.stream().filter(PgdVerdict::preserved).count();
    notes.forEach(x -> sb.append("note: ").append(x).append(System.lineSeparator()));
    sb.append(String.format("overall: %s (%d of %d roots)%n", overallWord(), good, roots.size()));
    if (singleImage) {
      sb.append("note: ").append(SINGLE_IMAGE_MEANING).append(System.lineSeparator());
    }
    return sb.toString();
  }
}
