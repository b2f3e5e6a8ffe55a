package org.kexecsim.cli;

import org.kexecsim.kimage.Arch;
import org.kexecsim.memory.ByteSize;
import picocli.CommandLine;

/**
 * picocli converter for addresses and sizes: 0x1000, 4096, 4K, 64G; unsigned 64-bit. Also the
 * one home of the range checks on them, so that a size or address no machine has is bad usage
 * (exit 2) naming the option, not a failure deep in the run.
 */
public final class Numbers implements CommandLine.ITypeConverter<Long> {

  /** {@code bytes} of RAM for a machine of {@code arch}: positive, whole pages, within {@link Arch#maxRam} ({@link RamLimit}). */
  static long ram(CommandLine cl, String option, long bytes, Arch arch) {
    if (bytes == 0) {
      throw new CommandLine.ParameterException(cl, option + " must be positive");
    }
    if ((bytes & 0xFFF) != 0) {
      throw new CommandLine.ParameterException(cl, option + " " + ByteSize.format(bytes) + " is not a whole number of 4 KiB pages");
    }
    RamLimit.check(arch, org.kexecsim.memory.RamMap.ofSize(bytes)); // beyond the arch: bad input, exit 3
    return bytes;
  }

  /** A start address of {@code bits}-bit code: inside the 32-bit address space for 32-bit code. */
  static long codeAddress(CommandLine cl, String option, long address, int bits) {
    if (bits == 32 && Long.compareUnsigned(address, 0xFFFF_FFFFL) > 0) {
      throw new CommandLine.ParameterException(cl, String.format("%s 0x%x is outside the 4 GiB address space of 32-bit code", option, address));
    }
    return address;
  }

  @Override
  public Long convert(String value) {
    try {
      return ByteSize.parse(value);
    } catch (NumberFormatException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }
}
