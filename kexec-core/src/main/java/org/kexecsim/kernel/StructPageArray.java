package org.kexecsim.kernel;

import java.util.List;
import org.kexecsim.kimage.PhysicalRange;

/**
 * Where the synthetic kernel keeps its struct pages, by memory model: x86_64's
 * SPARSEMEM_VMEMMAP ({@link SparseVmemmap}) or i386's FLATMEM ({@link FlatMemMap}), each as
 * Debian's 6.1 kernel of that architecture is configured.
 */
public sealed interface StructPageArray permits SparseVmemmap, FlatMemMap {
  /** The struct page of {@code pfn}: its physical address; -1 when the model has none for it. */
  long structPagePhysical(long pfn);

  /** The physical ranges the model holds (struct pages and their indexes). */
  List<PhysicalRange> ranges();

  boolean contains(long physical);

  /** The struct page layout of this model's architecture. */
  StructPage layout();
}
