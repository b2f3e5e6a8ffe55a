package org.kexecsim.dump;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.kexecsim.memory.RamMap;
import org.kexecsim.memory.RamRange;

/**
 * A raw memory image: byte N of the file is physical address N (QEMU {@code pmemsave}, {@code dd}
 * of /dev/mem, kdump-raw). The file says nothing about which addresses are RAM, so the caller
 * gives the RAM map; every range must lie inside the file.
 */
public final class RawImage {
  private RawImage() {}

  /** The whole file is RAM: {@code [0, file size)}. */
  public static Dump open(Path path) throws IOException {
    long size = java.nio.file.Files.size(path);
    if (size == 0) {
      throw new MalformedDumpException(path.toString(), 0, "the image is empty: no RAM to read");
    }
    return open(path, RamMap.ofSize(size));
  }

  public static Dump open(Path path, RamMap ramMap) throws IOException {
    return MappedFiles.open(path, (channel, arena) -> {
      long size = channel.size();
      List<MappedFileMemory.Extent> extents = new ArrayList<>();
      for (RamRange r : ramMap.ranges()) {
        if (Long.compareUnsigned(r.start(), size) > 0 || Long.compareUnsigned(r.size(), size - r.start()) > 0) {
          throw new MalformedDumpException(path.toString(), r.start(), String.format(
              "RAM map range [0x%x-0x%x] extends past the end of the image (size 0x%x)", r.start(), r.last(), size));
        }
        extents.add(new MappedFileMemory.Extent(r.start(), r.size(), r.start(), r.size()));
      }
      MemorySegment file = MappedFiles.map(channel, path, size, arena);
      return new Dump(path, DumpFormat.RAW, Optional.empty(), 0, new MappedFileMemory(file, extents, FileDataExtents.of(path, size).orElse(null)), List.of(), List.of(),
          List.of(), List.of(), List.of(), Optional.empty(), arena);
    });
  }
}
