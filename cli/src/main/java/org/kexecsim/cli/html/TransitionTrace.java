package org.kexecsim.cli.html;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.kexecsim.cpu.StepTrace;

/**
 * The instructions a transition ran, for its timeline: all of them when there are few (the
 * routines run tens to hundreds), else the first and the last ones, so a run that copies pages
 * for millions of steps still makes a page of bounded size.
 */
public final class TransitionTrace implements Consumer<StepTrace> {
  static final int FIRST = 3000;
  static final int LAST = 1000;

  private final List<StepTrace> first = new ArrayList<>();
  private final ArrayDeque<StepTrace> last = new ArrayDeque<>();
  private long total;

  @Override
  public void accept(StepTrace t) {
    total++;
    if (first.size() < FIRST) {
      first.add(t);
      return;
    }
    if (last.size() == LAST) {
      last.removeFirst();
    }
    last.addLast(t);
  }

  long total() {
    return total;
  }

  List<StepTrace> first() {
    return first;
  }

  List<StepTrace> last() {
    return List.copyOf(last);
  }

  /** Instructions between the two lists that are not kept. */
  long elided() {
    return total - first.size() - last.size();
  }
}
