package org.kexecsim.cpu;

import java.util.HexFormat;
import java.util.List;

/** What one step did: where, which bytes, the instruction in AT&T syntax, and what changed. */
public record StepTrace(long rip, byte[] bytes, String disassembly, List<Change> changes) {
  public StepTrace {
    bytes = bytes.clone();
    changes = List.copyOf(changes);
  }

  @Override
  public byte[] bytes() {
    return bytes.clone();
  }

  /** A state change caused by the step. */
  public sealed interface Change {}

  /** A register (general, control, RFLAGS, EFER, GDTR/IDTR part, segment selector or cache) changed. */
  public record RegisterChange(String register, String before, String after) implements Change {
    @Override
    public String toString() {
      return register + ": " + before + " -> " + after;
    }
  }

  /** Bytes written at a linear address (translated to {@code physical}); small writes carry the value. */
  public record MemoryWrite(long linear, long physical, long length, long value) implements Change {
    @Override
    public String toString() {
      return length <= 8
          ? String.format("mem[0x%x -> pa 0x%x] (%d) = 0x%x", linear, physical, length, value)
          : String.format("mem[0x%x -> pa 0x%x] %d bytes", linear, physical, length);
    }
  }

  /** An exception raised during the step (the chain ends in delivery or a triple fault). */
  public record Exception(ExceptionEvent event) implements Change {
    @Override
    public String toString() {
      return event.toString();
    }
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(String.format("%016x  %-24s %s", rip, HexFormat.ofDelimiter(" ").formatHex(bytes), disassembly));
    for (Change c : changes) {
      sb.append("\n    ").append(c);
    }
    return sb.toString();
  }
}
