package org.kexecsim.analyzer;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Where long analyses report how many bytes they have done. Implementations are thread-safe:
 * parallel workers advance the same progress.
 */
public interface Progress extends AutoCloseable {
  Progress NONE = bytes -> {};

  void advance(long bytes);

  @Override
  default void close() {}

  /**
   * A progress bar on stderr when stderr's process has a terminal, else {@link #NONE}, so piped
   * and redirected runs stay quiet (DESIGN.md: progress on a terminal only).
   */
  static Progress onTerminal(String task, long totalBytes) {
    java.io.Console console = System.console();
    if (console == null || !console.isTerminal()) {
      return NONE;
    }
    ProgressBar bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(totalBytes)
        .setUnit(" MiB", 1 << 20).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250)
        .setConsumer(new ConsoleProgressBarConsumer(System.err)).showSpeed().build();
    return new Progress() {
      @Override
      public void advance(long bytes) {
        bar.stepBy(bytes);
      }

      @Override
      public void close() {
        bar.close();
      }
    };
  }
}
