package org.kexecsim.cpu;

/**
 * Something the model does not simulate happened (real mode, a task switch, an access outside
 * RAM): the machine stops with this reason rather than guessing.
 */
final class MachineStop extends RuntimeException {
  MachineStop(String reason) {
    super(reason, null, false, false);
  }
}
