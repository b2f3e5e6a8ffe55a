package org.kexecsim.relocate;

import java.util.Optional;
import org.kexecsim.cpu.Cpu;

/**
 * The instructions executed with IDTR.limit = 0 on the way to the new kernel: any exception or
 * NMI among them cannot find a gate (#GP, #DF, shutdown: SDM §6.10, §6.15).
 *
 * @param first the first such instruction, counted from 1 at machine_kexec()'s tail
 * @param last the last one before the new kernel's entry (or the end of the run)
 */
public record IdtWindow(long first, long firstRip, String firstText, long last, long lastRip, String lastText) {

  @Override
  public String toString() {
    return String.format("instructions %d-%d: from 0x%x %s to 0x%x %s", first, last, firstRip, firstText, lastRip, lastText);
  }

  /** Watches a run, one call before each instruction. */
  static final class Watch {
    private long first = -1;
    private long firstRip;
    private String firstText;
    private long last;
    private long lastRip;
    private String lastText;

    void observe(Cpu cpu) {
      if (cpu.idtrLimit() != 0) {
        return;
      }
      long n = cpu.steps() + 1;
      String text = cpu.peekInstruction();
      if (first < 0) {
        first = n;
        firstRip = cpu.rip();
        firstText = text;
      }
      last = n;
      lastRip = cpu.rip();
      lastText = text;
    }

    Optional<IdtWindow> result() {
      return first < 0 ? Optional.empty() : Optional.of(new IdtWindow(first, firstRip, firstText, last, lastRip, lastText));
    }
  }
}
