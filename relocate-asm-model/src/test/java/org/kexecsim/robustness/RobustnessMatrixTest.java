package org.kexecsim.robustness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.kexecsim.kimage.Arch;
import org.kexecsim.mmu.CpuModel;
import org.kexecsim.relocate.IdtWindow;
import org.kexecsim.relocate.TransitionOutcome;

/**
 * The whole matrix on hardware, every cell against {@link Expectations} (each carries its source),
 * plus the claims of the issue spelled out: a damaged GDT breaks the designs that load segments
 * from it and not those that bring their own; an NMI in the zero-limit-IDT window triple-faults
 * and the window is named; V1's PDPTEs boot under QEMU only.
 */
class RobustnessMatrixTest {
  private static RobustnessMatrix hardware;

  @BeforeAll
  static void run() {
    hardware = RobustnessMatrix.run(CpuModel.HARDWARE, 1);
  }

  @Test
  void everyCellBehavesAsTheSourcesImply() {
    String surprises = hardware.surprises().stream()
        .map(c -> c.row().name() + " " + c.robustnessCase().cliName() + ": " + c.text() + " (expected "
            + (c.expected().survives() ? "survival" : "failure") + ": " + c.expected().source() + ")")
        .collect(Collectors.joining("\n"));
    assertEquals("", surprises);
    assertEquals(RobustnessRow.all().size() * RobustnessCase.values().length, hardware.cells().size());
    assertTrue(hardware.regressions().isEmpty());
  }

  @Test
  void aDamagedGdtBreaksTheDesignsThatLoadSegmentsFromItOnly() {
    for (RobustnessMatrix.Cell c : cells(RobustnessCase.GDT_ZEROED)) {
      String d = c.row().design().cliName();
      boolean loadsFromCrashedGdt = c.row().v1() || d.equals("legacy") || d.equals("mainline");
      assertEquals(!loadsFromCrashedGdt, c.survived(), c.row().name() + ": " + c.text());
      if (loadsFromCrashedGdt && !c.row().v1()) {
        assertTrue(c.text().startsWith("triple fault") && c.text().contains("#GP"), c.row().name() + ": " + c.text());
      }
    }
  }

  @Test
  void anNmiInTheZeroLimitIdtWindowTripleFaultsAndTheWindowIsNamed() {
    for (RobustnessMatrix.Cell c : cells(RobustnessCase.NMI_IN_WINDOW)) {
      assertEquals(TransitionOutcome.TRIPLE_FAULT, c.outcome(), c.row().name() + ": " + c.text());
      IdtWindow w = hardware.rowWindows().get(c.row()).orElseThrow();
      assertTrue(w.first() >= 1 && w.last() >= w.first(), w.toString());
      assertFalse(w.firstText().isBlank() || w.lastText().isBlank(), w.toString());
    }
    // mainline zaps in C (6.1 machine_kexec: native_idt_invalidate()): the window opens at the
    // instruction after machine_kexec's lidt, before the routine; V2 opens it in the routine
    RobustnessRow mainline = new RobustnessRow(org.kexecsim.transition.TransitionDesign.fromCliName("mainline"), Arch.X86_64, false);
    IdtWindow w = hardware.rowWindows().get(mainline).orElseThrow();
    assertTrue(w.firstText().startsWith("lgdt"), w.toString());
    RobustnessRow v2 = new RobustnessRow(org.kexecsim.transition.TransitionDesign.fromCliName("page-table-a"), Arch.X86_64, false);
    IdtWindow w2 = hardware.rowWindows().get(v2).orElseThrow();
    assertTrue(w2.first() > 3, "V2's window opens inside its routine, after its own lidt: " + w2);
  }

  @Test
  void v1PdptesTripleFaultOnHardwareAndBootUnderQemu() {
    RobustnessRow v1 = RobustnessRow.all().stream().filter(RobustnessRow::v1).findFirst().orElseThrow();
    RobustnessMatrix.Cell onHardware = hardware.cells().stream()
        .filter(c -> c.row().equals(v1) && c.robustnessCase() == RobustnessCase.CLEAN).findFirst().orElseThrow();
    assertEquals(TransitionOutcome.TRIPLE_FAULT, onHardware.outcome(), onHardware.text());
    RobustnessMatrix qemu = RobustnessMatrix.run(CpuModel.QEMU, 1, List.of(v1), List.of(RobustnessCase.values()));
    for (RobustnessMatrix.Cell c : qemu.cells()) {
      assertTrue(c.asExpected(), c.robustnessCase().cliName() + ": " + c.text() + " vs " + c.expected());
    }
    assertEquals(TransitionOutcome.ENTERED, qemu.cells().getFirst().outcome());
  }

  private static List<RobustnessMatrix.Cell> cells(RobustnessCase c) {
    return hardware.cells().stream().filter(x -> x.robustnessCase() == c).toList();
  }
}
