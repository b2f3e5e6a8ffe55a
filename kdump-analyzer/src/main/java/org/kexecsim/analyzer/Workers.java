package org.kexecsim.analyzer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Runs the independent pieces of one analysis (chunks to compare, chunks to hash) on a pool of
 * daemon threads and returns their results in task order. A worker's RuntimeException (a
 * corrupt dump, say) surfaces as itself, so it still maps to its exit code.
 */
public final class Workers {
  private Workers() {}

  /** {@code threads} <= 0 means one per core; one thread or one task runs inline. */
  public static <T, R> List<R> map(List<T> tasks, int threads, String name, Function<T, R> job) {
    int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
    if (n == 1 || tasks.size() < 2) {
      List<R> out = new ArrayList<>(tasks.size());
      for (T t : tasks) {
        out.add(job.apply(t));
      }
      return out;
    }
    ExecutorService pool = Executors.newFixedThreadPool(n, r -> {
      Thread th = new Thread(r, name + "-worker");
      th.setDaemon(true);
      return th;
    });
    try {
      List<Future<R>> futures = new ArrayList<>(tasks.size());
      for (T t : tasks) {
        futures.add(pool.submit(() -> job.apply(t)));
      }
      List<R> out = new ArrayList<>(tasks.size());
      for (Future<R> f : futures) {
        out.add(f.get());
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(name + " interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }
}
