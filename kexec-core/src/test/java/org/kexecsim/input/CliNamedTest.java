package org.kexecsim.input;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.kexecsim.dump.DumpFormat;
import org.kexecsim.kimage.Arch;
import org.kexecsim.kimage.ImageType;
import org.kexecsim.kimage.ImpossibleLayoutException;
import org.kexecsim.mmu.CpuModel;
import org.kexecsim.mmu.PagingMode;

class CliNamedTest {
  @Test
  void parseFindsAConstantByItsSpelling() {
    assertEquals(Arch.X86_64, CliNamed.parse(Arch.class, "arch", "x86_64", IllegalStateException::new));
    assertEquals(ImageType.CRASH, CliNamed.parse(ImageType.class, "kexec type", "crash", IllegalStateException::new));
  }

  @Test
  void theRefusalListsEverySpellingInTheTypesOrderWithTheTypesException() {
    var e = assertThrows(ImpossibleLayoutException.class, () -> Arch.fromCliName("x86"));
    assertEquals("unknown arch 'x86': expected i386, pae or x86_64", e.getMessage());
    var m = assertThrows(IllegalArgumentException.class, () -> CpuModel.fromCliName("bochs"));
    assertEquals("unknown CPU model 'bochs': expected hardware or qemu", m.getMessage());
    var f = assertThrows(IllegalArgumentException.class, () -> DumpFormat.ofCliName("lkcd"));
    assertEquals("unknown format 'lkcd': expected elf, kdump-compressed, flattened, split or raw", f.getMessage());
    var p = assertThrows(IllegalArgumentException.class, () -> PagingMode.fromCliName("6level"));
    assertEquals("unknown paging mode '6level': expected 32, pae, 4level or 5level", p.getMessage());
    // paging off is a state a CPU reports, not a paging mode one can choose to translate with
    assertThrows(IllegalArgumentException.class, () -> PagingMode.fromCliName("none"));
    // the Java name is not a spelling
    assertThrows(ImpossibleLayoutException.class, () -> ImageType.fromCliName("CRASH"));
  }
}
