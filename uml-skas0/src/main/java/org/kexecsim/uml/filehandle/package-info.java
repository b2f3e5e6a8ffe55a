/**
 * UML's filehandle layer (seed 003): host descriptors for hostfs/humfs files, closed when the
 * host says EMFILE and reopened when the file is used again, over a host descriptor table.
 */
package org.kexecsim.uml.filehandle;
