package org.kexecsim.analyzer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.kexecsim.mmu.PageTableEntry;
import org.kexecsim.mmu.WalkStep;

/**
 * The JSON form every analysis shares: an object whose first field is {@code "format"}, e.g.
 * {@code "kexec-sim/vtop/v1"} (bumped when a field changes meaning), addresses as "0x…" strings
 * (JSON numbers lose precision above 2^53), counts as numbers.
 */
public final class ReportJson {
  public static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ReportJson() {}

  public static ObjectNode object(String format) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("format", format);
    return n;
  }

  /** Adds root, mode and where they came from. */
  public static void paging(ObjectNode n, PagingContext ctx) {
    ObjectNode p = n.putObject("paging");
    p.put("mode", ctx.mode().cliName());
    p.put("root", Hex.of(ctx.root()));
    p.put("rootSource", ctx.rootSource());
    p.put("modeSource", ctx.modeSource());
  }

  /** The entries a walk read, as {@code steps}: table, level, index, where, value, flags (and reserved bits set). */
  public static void steps(ObjectNode n, List<WalkStep> walk) {
    ArrayNode steps = n.putArray("steps");
    for (WalkStep s : walk) {
      ObjectNode st = steps.addObject();
      st.put("table", s.table());
      st.put("level", s.level());
      st.put("index", s.index());
      st.put("entryPhysical", Hex.of(s.entryPhysical()));
      st.put("value", Hex.of(s.value()));
      st.put("flags", PageTableEntry.flags(s.value()));
      if (s.reservedBits() != 0) {
        st.put("reservedBits", Hex.of(s.reservedBits()));
      }
    }
  }

  public static String write(ObjectNode n) {
    try {
      return MAPPER.writeValueAsString(n);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a tree of plain nodes always serialises", e);
    }
  }
}
