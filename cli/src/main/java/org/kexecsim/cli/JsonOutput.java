package org.kexecsim.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.function.Supplier;
import org.kexecsim.analyzer.ReportJson;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code --json}: a command prints its report as the report's JSON document instead of its text.
 * The one declaration of the option and the one place a report is rendered either way, so a
 * command builds the document only when it is printed.
 */
class JsonOutput {
  @Option(names = "--json", description = "machine-readable output")
  boolean json;

  /** The report as printed: its document, pretty and ending the line, or its text. */
  String render(Supplier<ObjectNode> document, Supplier<String> text) {
    return json ? ReportJson.write(document.get()) + System.lineSeparator() : text.get();
  }

  /** Prints the report to the command's standard output. */
  void print(CommandLine cl, Supplier<ObjectNode> document, Supplier<String> text) {
    cl.getOut().print(render(document, text));
  }

  /** {@code --json} and {@code --jsonl} of a command that takes many dumps (see {@link DumpBatch}). */
  static final class Batch extends JsonOutput {
    @Option(names = "--jsonl", description = "one JSON object per dump per line, streamed, then a summary line")
    boolean jsonl;

    /**
     * One dump's outcome, rendered while the dump is still open and only as it will be printed:
     * the document alone for {@code --jsonl}, else the text (the document's for {@code --json}).
     */
    DumpBatch.Outcome outcome(int exitCode, Supplier<ObjectNode> document, Supplier<String> text) {
      return jsonl ? new DumpBatch.Outcome(exitCode, document.get(), "") : new DumpBatch.Outcome(exitCode, null, render(document, text));
    }
  }
}
