package org.kexecsim.isa;

/** An operand as written, before symbol values are known; the column locates errors. */
sealed interface SourceOperand {
  int column();

  record RegOp(Gpr reg, int column) implements SourceOperand {}

  record SegOp(Segment seg, int column) implements SourceOperand {}

  record CrOp(int number, int column) implements SourceOperand {}

  record ImmOp(Expr value, int column) implements SourceOperand {}

  /** disp(base,index,scale); base may be {@link Mem#RIP}. A bare expression is a MemOp with no registers. */
  record MemOp(Expr disp, int base, int baseSize, int index, int indexSize, int scale, boolean bare, int column)
      implements SourceOperand {}

  record IndirectOp(SourceOperand target, int column) implements SourceOperand {}
}
