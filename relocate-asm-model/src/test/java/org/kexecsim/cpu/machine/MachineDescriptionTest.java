package org.kexecsim.cpu.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.kexecsim.cpu.Cpu;
import org.kexecsim.cpu.ExceptionEvent;
import org.kexecsim.cpu.RunResult;
import org.kexecsim.cpu.RunState;
import org.kexecsim.isa.Segment;
import org.kexecsim.mmu.ExceptionVector;

class MachineDescriptionTest {
  static final Path FILE = Path.of("cr3-switch.json");

  static String example() throws IOException {
    try (InputStream in = MachineDescriptionTest.class.getResourceAsStream("cr3-switch.json")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void exampleLoadsAndRunsIntoTheTripleFault() throws IOException {
    Cpu cpu = MachineDescription.parse(example(), FILE);
    assertEquals("64-bit", cpu.modeName());
    assertEquals(0x08, cpu.segment(Segment.CS).selector());
    assertEquals(0x90000, cpu.register(4));
    RunResult r = cpu.run(100);
    assertEquals(RunState.TRIPLE_FAULT, r.state());
    assertEquals(List.of(ExceptionVector.PF, ExceptionVector.GP, ExceptionVector.DF, ExceptionVector.GP),
        r.exceptions().stream().map(ExceptionEvent::vector).toList());
    assertEquals(0x400000 + 5 + 3, r.exceptions().get(0).cr2());
  }

  @Test
  void segmentWithoutDescriptorIsReadFromTheGdtInMemory() throws IOException {
    Cpu cpu = MachineDescription.parse(example(), FILE);
    assertTrue(cpu.segment(Segment.DS).usable());
    assertEquals(0xFFFFFFFFL, cpu.segment(Segment.DS).limit(), "from 0x00cf92000000ffff with G=1");
    assertTrue(cpu.segment(Segment.FS).usable(), "segments not described stay at the flat default");
  }

  @Test
  void errorsNameTheFieldAndTheProblem() throws IOException {
    String typo = example().replace("\"maxPhyAddr\"", "\"maxPhysAddr\"");
    var e = assertThrows(MachineDescriptionException.class, () -> MachineDescription.parse(typo, FILE));
    assertTrue(e.getMessage().contains("maxPhysAddr: unknown field"), e.getMessage());

    // without LME this is PAE paging, and 0x2063 at CR3 is read as a PDPTE with RW/A/D set: refused
    String badPdpte = example().replace("\"efer\": \"0xd00\"", "\"efer\": \"0x800\"");
    var refused = assertThrows(MachineDescriptionException.class, () -> MachineDescription.parse(badPdpte, FILE));
    assertTrue(refused.getMessage().contains("control: the CPU refuses"), refused.getMessage());

    var json = assertThrows(MachineDescriptionException.class, () -> MachineDescription.parse("{\n \"ram\": ,", FILE));
    assertTrue(json.getMessage().startsWith("cr3-switch.json:2:"), json.getMessage());
  }
}
