package org.kexecsim.pagetable;

/** Hands out 4 KiB physical frames for page tables. */
public interface FrameAllocator {

  /** The physical address of a fresh, page-aligned frame; throws {@link OutOfFramesException} when none is left. */
  long allocateFrame();

  /** Thrown when an allocator has no frame left; names the range it allocates from. */
  final class OutOfFramesException extends RuntimeException {
    public OutOfFramesException(String message) {
      super(message);
    }
  }
}
