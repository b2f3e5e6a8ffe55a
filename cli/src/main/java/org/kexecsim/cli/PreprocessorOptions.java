package org.kexecsim.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.kexecsim.routine.CPreprocessor;
import picocli.CommandLine.Option;

/** {@code -D} and {@code -I}: what a user's .S file is preprocessed with, as cc -E takes them. */
final class PreprocessorOptions {
  @Option(names = "-D", paramLabel = "NAME[=VALUE]",
      description = "a macro for the C preprocessor (a .S file goes through cpp, with -D__ASSEMBLY__)")
  List<String> defines = new ArrayList<>();

  @Option(names = "-I", paramLabel = "DIR", description = "an include directory for the C preprocessor")
  List<Path> includes = new ArrayList<>();

  CPreprocessor.Options options() {
    return new CPreprocessor.Options(defines, includes);
  }
}
