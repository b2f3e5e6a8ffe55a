package org.kexecsim.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.ElfCoreReader;
import org.kexecsim.dump.RawImage;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;

/** Opens what the analysis commands take: an ELF core, or a raw image with an optional RAM map. */
final class DumpImages {
  private DumpImages() {}

  /**
   * An ELF core when the file starts with the ELF magic; otherwise a raw image whose RAM is
   * {@code ramMap} (RamMap.parse syntax), or the whole file when none is given.
   */
  static Dump open(Path file, String ramMap) throws IOException {
    if (ElfCoreReader.looksLikeElf(file)) {
      return ElfCoreReader.open(file);
    }
    RamMap map = ramMap != null ? RamMap.parse(ramMap) : RamMap.of(RamRange.usable(0, Math.max(1, Files.size(file))));
    return RawImage.open(file, map);
  }
}
