package org.kexecsim.cli;

import org.kexecsim.analyzer.symbols.AddressExpression;
import picocli.CommandLine;

/** picocli converter for addresses: hex with or without 0x, a symbol, or symbol+0xOFFSET (resolved once the dump is open). */
public final class AddressArgument implements CommandLine.ITypeConverter<AddressExpression> {
  @Override
  public AddressExpression convert(String value) {
    try {
      return AddressExpression.parse(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }
}
