package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Issue 15 item 2: an Error thrown by any subcommand is exit 70 with one line, no stack trace. */
class LastResortHandlerTest {

  @Command(name = "overflow")
  static final class Overflowing implements Callable<Integer> {
    @Override
    public Integer call() {
      return recurse(0);
    }

    private static int recurse(int n) {
      return recurse(n + 1) + 1;
    }
  }

  @Command(name = "internal")
  static final class Faulting implements Callable<Integer> {
    @Override
    public Integer call() {
      throw new InternalError("a fault occurred in an unsafe memory access operation");
    }
  }

  private static String[] run(String sub) {
    CommandLine cl = new CommandLine(new Main());
    cl.addSubcommand(new Overflowing());
    cl.addSubcommand(new Faulting());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.execute(cl, new String[] {sub}, new PrintWriter(out), new PrintWriter(err));
    return new String[] {Integer.toString(code), err.toString()};
  }

  /** Runs {@code sub}, which must end in exit 70 with one line on stderr; returns that line. */
  private static String exit70WithOneLine(String sub) {
    String[] r = run(sub);
    assertEquals("70", r[0]);
    assertEquals(1, r[1].lines().count(), r[1]);
    return r[1];
  }

  @Test
  void aStackOverflowIsExit70WithOneLine() {
    String err = exit70WithOneLine("overflow");
    assertTrue(err.startsWith("kexec-sim: internal error: java.lang.StackOverflowError"), err);
  }

  @Test
  void anInternalErrorIsExit70WithOneLineNamingIt() {
    String err = exit70WithOneLine("internal");
    assertTrue(err.contains("InternalError: a fault occurred"), err);
  }
}
