package org.kexecsim.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.kexecsim.dump.Dump;
import org.kexecsim.dump.DumpFiles;
import org.kexecsim.dump.DumpFormat;
import org.kexecsim.memory.RamMap;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Opens what the analysis commands take, by the file's magic: ELF core, kdump-compressed,
 * flattened, or a split dump named as {@code PART1:PART2:...}; a raw image only with
 * {@code --format raw}.
 */
final class DumpImages {
  private DumpImages() {}

  /** What an IMAGE argument may be. */
  static final String IMAGE = "ELF core, kdump-compressed, flattened, split as PART1:PART2:..., or raw (--format raw)";

  /** What an IMAGE argument of a command that takes many dumps may be. */
  static final String IMAGES = IMAGE + "; a directory of them; or @FILE listing them";

  /** {@code --format} (forces one reader instead of sniffing) and {@code --ram-map} (a raw image's RAM). */
  static class FormatOption {
    @Option(names = "--format", paramLabel = "FORMAT",
        description = "elf, kdump-compressed, flattened, split or raw (default: from the file's magic; raw images need raw)")
    String format;

    @Option(names = "--ram-map", paramLabel = "SPEC", description = "RAM ranges of a raw image, e.g. 0-0x9ffff,0x100000+1G")
    String ramMap;

    Optional<DumpFormat> parsed(CommandLine cl) {
      if (format == null) {
        return Optional.empty();
      }
      try {
        return Optional.of(DumpFormat.ofCliName(format));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(cl, "--format: " + e.getMessage());
      }
    }
  }

  /** The one IMAGE of a command that reads one dump, with how to open it. */
  static final class OneImage extends FormatOption {
    @Parameters(index = "0", paramLabel = "IMAGE", description = IMAGE)
    Path image;

    Dump open(CommandLine cl) throws IOException {
      return DumpImages.open(cl, image, this);
    }
  }

  /** The IMAGE arguments of a command that reads dumps one after another (see {@link DumpBatch}). */
  static final class ManyImages extends FormatOption {
    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = IMAGES)
    List<Path> images;
  }

  /**
   * Opens {@code image}: one file, or the parts of a split dump joined with ':' (when no file
   * has that whole name). {@code ramMap} (RamMap.parse syntax) is the RAM of a raw image.
   */
  static Dump open(CommandLine cl, Path image, FormatOption format) throws IOException {
    Optional<DumpFormat> f = format.parsed(cl);
    String ramMap = format.ramMap;
    if (ramMap != null && f.orElse(null) != DumpFormat.RAW) {
      throw new CommandLine.ParameterException(cl, "--ram-map describes a raw image: add --format raw");
    }
    return DumpFiles.open(parts(image), f, ramMap == null ? null : ramMapOption(cl, ramMap));
  }

  /** A --ram-map value: one the user typed, so a malformed or impossible one is bad usage naming the option. */
  static RamMap ramMapOption(CommandLine cl, String spec) {
    try {
      return RamMap.parse(spec);
    } catch (org.kexecsim.memory.InvalidRamMapException e) {
      throw new CommandLine.ParameterException(cl, "--ram-map " + spec + ": " + e.getMessage());
    }
  }

  static List<Path> parts(Path image) {
    String s = image.toString();
    if (Files.exists(image) || !s.contains(":")) {
      return List.of(image);
    }
    return Arrays.stream(s.split(":")).filter(p -> !p.isEmpty()).map(Path::of).toList();
  }
}
