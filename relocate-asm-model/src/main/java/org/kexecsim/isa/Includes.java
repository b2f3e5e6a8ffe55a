package org.kexecsim.isa;

import java.util.Optional;

/**
 * Where {@code .include "NAME"} finds its files: the text of NAME, or empty when there is no such
 * file. GNU as reads the file as if its lines stood in place of the directive ("Assembler
 * Directives", .include); the assembler here does the same over text it is given, so a caller
 * decides where names resolve (the relocate routines: their own resources).
 */
@FunctionalInterface
public interface Includes {
  Optional<String> text(String name);

  /** Source given as text alone: no file can be included. */
  Includes NONE = name -> Optional.empty();
}
