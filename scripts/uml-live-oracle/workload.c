/* The guest workloads of the UML live oracle (scripts/uml-live-oracle.sh): w OP N runs N units of OP. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
int main(int argc, char **argv) {
  if (argc < 3) _exit(0);
  const char *op = argv[1]; long n = atol(argv[2]);
  long pg = 4096;
  if (!strcmp(op, "getpid")) { for (long i = 0; i < n; i++) syscall(SYS_getpid); }
  else if (!strcmp(op, "touch") || !strcmp(op, "read-then-write")) {
    volatile char *m = mmap(0, (n ? n : 1) * pg, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
    int rw = op[0] == 'r';
    for (long i = 0; i < n; i++) { if (rw) (void) m[i * pg]; m[i * pg] = 1; }
  } else if (!strcmp(op, "mmap-munmap") || !strcmp(op, "mmap-touch-munmap")) {
    int t = op[5] == 't';
    for (long i = 0; i < n; i++) { volatile char *m = mmap(0, pg, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0); if (t) m[0] = 1; munmap((void *) m, pg); }
  } else if (!strcmp(op, "mprotect")) {
    volatile char *m = mmap(0, pg, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0); m[0] = 1;
    for (long i = 0; i < n; i++) { mprotect((void *) m, pg, PROT_READ); mprotect((void *) m, pg, PROT_READ|PROT_WRITE); m[0] = 2; }
  } else if (!strcmp(op, "fork-exit-wait")) {
    for (long i = 0; i < n; i++) { pid_t p = fork(); if (p == 0) _exit(0); waitpid(p, 0, 0); }
  } else if (!strcmp(op, "fork-exec-exit-wait")) {
    for (long i = 0; i < n; i++) { pid_t p = fork(); if (p == 0) { execl(argv[0], argv[0], (char *) 0); _exit(1); } waitpid(p, 0, 0); }
  } else if (!strcmp(op, "pipe-pingpong")) {
    int a[2], b[2]; char c = 0; pipe(a); pipe(b);
    pid_t p = fork();
    if (p == 0) { for (long i = 0; i < n; i++) { read(a[0], &c, 1); write(b[1], &c, 1); } _exit(0); }
    for (long i = 0; i < n; i++) { write(a[1], &c, 1); read(b[0], &c, 1); }
    waitpid(p, 0, 0);
  } else return 2;
  return 0;
}
