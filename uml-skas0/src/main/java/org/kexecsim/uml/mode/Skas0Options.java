package org.kexecsim.uml.mode;

/**
 * Switches for what the skas0 patch did, so the model can run without each part and show why it
 * is there.
 *
 * @param lowerTaskSize set TASK_SIZE to the PGDIR_SIZE boundary below the stub pages
 * @param decrementNrPtes "mm->nr_ptes--" after init_stub_pte
 * @param batchCapacity register sets per stub run; 0 means as many as fit in the data page
 */
public record Skas0Options(boolean lowerTaskSize, boolean decrementNrPtes, int batchCapacity) {
  /** The patch as merged. */
  public static final Skas0Options PATCHED = new Skas0Options(true, true, 0);

  public Skas0Options {
    if (batchCapacity < 0) {
      throw new IllegalArgumentException("batch capacity must be >= 0, got " + batchCapacity);
    }
  }

  public Skas0Options withBatchCapacity(int n) {
    return new Skas0Options(lowerTaskSize, decrementNrPtes, n);
  }
}
