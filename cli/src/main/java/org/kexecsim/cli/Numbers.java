package org.kexecsim.cli;

import org.kexecsim.memory.ByteSize;
import picocli.CommandLine;

/** picocli converter for addresses and sizes: 0x1000, 4096, 4K, 64G; unsigned 64-bit. */
public final class Numbers implements CommandLine.ITypeConverter<Long> {
  @Override
  public Long convert(String value) {
    try {
      return ByteSize.parse(value);
    } catch (NumberFormatException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }
}
