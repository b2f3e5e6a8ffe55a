package org.kexecsim.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** Issue 15 item 6: output that could not be written (`> /dev/full`) is exit 4 with one line, not exit 0. */
class StdoutWriteFailureTest {

  /** What /dev/full does: every write fails with ENOSPC. */
  private static final class FullDevice extends OutputStream {
    @Override
    public void write(int b) throws IOException {
      throw new IOException("No space left on device");
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      throw new IOException("No space left on device");
    }
  }

  private static String[] run(PrintWriter out, String... args) {
    StringWriter err = new StringWriter();
    int code = Main.execute(args, out, new PrintWriter(err));
    return new String[] {Integer.toString(code), err.toString()};
  }

  @Test
  void outputToAFullDeviceIsExit4WithOneLine() {
    String[] r = run(new PrintWriter(new FullDevice(), true), "demo", "--json");
    assertEquals("4", r[0], r[1]);
    assertEquals(1, r[1].lines().count(), r[1]);
    assertEquals("kexec-sim: standard output: write failed (disk full or the reader closed it); the output is incomplete",
        r[1].strip());
  }

  @Test
  void theSameCommandWithAWorkingStdoutIsExit0() {
    StringWriter out = new StringWriter();
    String[] r = run(new PrintWriter(out), "demo", "--json");
    assertEquals("0", r[0], r[1]);
    assertEquals("", r[1]);
  }
}
