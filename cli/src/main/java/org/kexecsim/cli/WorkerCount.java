package org.kexecsim.cli;

import picocli.CommandLine;

/** {@code --threads N}: 0 means one worker per core; a negative count is refused when parsed. */
final class WorkerCount implements CommandLine.ITypeConverter<Integer> {
  @Override
  public Integer convert(String value) {
    int n;
    try {
      n = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new CommandLine.TypeConversionException("'" + value + "' is not a whole number of workers");
    }
    if (n < 0) {
      throw new CommandLine.TypeConversionException("'" + value + "': a worker count is 0 (one per core) or more");
    }
    return n;
  }
}
