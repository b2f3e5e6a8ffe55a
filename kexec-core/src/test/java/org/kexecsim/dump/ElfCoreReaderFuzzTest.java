package org.kexecsim.dump;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.kexecsim.memory.PhysicalMemory;
import org.kexecsim.memory.RamRange;

/**
 * The ELF core reader over any file: headers, program headers, notes, VMCOREINFO lines. Rule:
 * a {@link Dump} whose every RAM byte can be read, or one {@link MalformedDumpException} naming
 * the file and the offset; never another Throwable, and nothing allocated beyond what the file
 * holds. The file is the fuzzer's bytes as they are (a seed is a whole core file).
 */
class ElfCoreReaderFuzzTest {
  private static Path file;

  @BeforeAll
  static void scratchFile() throws IOException {
    // tmpfs when there is one: the reader maps a file, and each input is written anew
    Path shm = Path.of("/dev/shm");
    file = Files.isDirectory(shm) && Files.isWritable(shm)
        ? Files.createTempFile(shm, "fuzz-core", ".elf")
        : Files.createTempFile("fuzz-core", ".elf");
  }

  @AfterAll
  static void removeScratchFile() throws IOException {
    Files.deleteIfExists(file);
  }

  @FuzzTest(maxDuration = "60s")
  void anyFileOpensAsADumpOrNamesTheOffsetThatIsWrong(FuzzedDataProvider data) throws IOException {
    Files.write(file, data.consumeRemainingAsBytes());
    Dump dump;
    try {
      dump = ElfCoreReader.open(file);
    } catch (MalformedDumpException e) {
      assertEquals(file.toString(), e.file());
      assertTrue(e.getMessage().startsWith(file + ": offset 0x"), e.getMessage());
      assertTrue(Long.compareUnsigned(e.offset(), Files.size(file)) <= 0, e::getMessage);
      return;
    }
    try (dump) {
      PhysicalMemory memory = dump.physicalMemory();
      for (RamRange r : memory.ramMap().ranges()) {
        memory.readU8(r.start());
        memory.readU8(r.last());
      }
      dump.vmcoreInfo().ifPresent(info -> {
        info.pageSize();
        info.kernelOffset();
        info.osRelease();
      });
    }
  }

  /** VMCOREINFO text on its own: entries, or the malformed line named. */
  @FuzzTest(maxDuration = "60s")
  void anyVmcoreinfoTextParsesOrNamesTheLine(FuzzedDataProvider data) {
    String text = data.consumeRemainingAsString();
    try {
      VmcoreInfo info = VmcoreInfo.parse(text, "note", 0x100);
      info.pageSize();
      info.kernelOffset();
      info.entries().keySet().forEach(k -> info.symbol(k));
    } catch (MalformedDumpException e) {
      assertTrue(e.getMessage().startsWith("note: offset 0x100: VMCOREINFO line '"), e.getMessage());
    }
  }
}
