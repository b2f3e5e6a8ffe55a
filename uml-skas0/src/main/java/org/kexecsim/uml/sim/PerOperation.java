package org.kexecsim.uml.sim;

/**
 * What one unit of a workload cost the UML kernel process, on average: its ptrace(2) and
 * wait4(2) calls and its round trips with the stub processes. The figures strace shows for the
 * UML kernel process (uml-anchors.md §5), so the model and the live oracle compare directly.
 */
public record PerOperation(double ptraceCalls, double wait4Calls, double roundTrips) {}
