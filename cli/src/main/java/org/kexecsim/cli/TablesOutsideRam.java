package org.kexecsim.cli;

import java.nio.file.Path;
import java.util.List;
import org.kexecsim.input.RejectedInput;
import org.kexecsim.memory.RamMap;
import org.kexecsim.mmu.PagingState;
import org.kexecsim.mmu.Translation;
import org.kexecsim.mmu.WalkStep;

/**
 * A page walk over an image left its RAM: CR3 or an entry points at a table the file does not
 * hold. One line naming the image, the physical address (the file offset in a raw image), the
 * register or entry that pointed there, and the RAM the image has.
 */
final class TablesOutsideRam extends RuntimeException implements RejectedInput {

  private TablesOutsideRam(String message) {
    super(message);
  }

  static TablesOutsideRam atRoot(String image, String table, long cr3, long physical, RamMap ram) {
    return new TablesOutsideRam(String.format("%s: CR3 0x%x puts the %s at 0x%x, outside the image's RAM %s",
        image, cr3, table, physical, ram.describeRanges()));
  }

  /** The walk's own outcome ({@link Translation.Unreadable}) as the one line: which entry pointed where. */
  static TablesOutsideRam during(Path image, long cr3, PagingState state, Translation.Unreadable u, RamMap ram) {
    List<WalkStep> read = u.steps();
    if (read.isEmpty()) {
      return atRoot(image.toString(), state.mode().rootTableName(), cr3, u.physical(), ram);
    }
    WalkStep last = read.getLast();
    return new TablesOutsideRam(String.format(
        "%s: %s[%d] at 0x%x = 0x%x points to a table at 0x%x, outside the image's RAM %s (walking VA 0x%x)",
        image, last.table(), last.index(), last.entryPhysical(), last.value(), u.physical(), ram.describeRanges(),
        u.linear()));
  }
}
