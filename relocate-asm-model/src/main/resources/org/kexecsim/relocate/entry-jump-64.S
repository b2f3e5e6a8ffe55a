# The new kernel's entry for a kexec jump (preserve_context), x86_64. The old kernel's routine
# calls us (call *%rdx) with the stack on its swap page, so (%rsp) is its re-entry point. We
# record the state we were entered with, then jump back the way a peer kernel does: a call to
# that re-entry point, so the word the old kernel finds at 0(%rsp) afterwards is our own
# re-entry point (relocate_kernel_64.S: "get the re-entry point of the peer system"). When the
# old kernel jumps to us again we arrive there, record a second time and halt.
# Records, 64 bytes each, as entry-64.S: +0 "KXEC", +4 width, +8 CR0, +16 CR3, +24 CR4,
# +32 EFER, +40 CS, +48 RSP.
	.code64
	.text
new_kernel_entry:
	movabsq	$record, %rdi
	call	save_state
	popq	%rax			# the old kernel's re-entry point
	call	*%rax			# jump back; we come back at reentry
reentry:
	movabsq	$record2, %rdi
	call	save_state
halted:
	hlt
	jmp	halted

# save_state: fills the record at %rdi; uses rax, rcx, rdx.
save_state:
	.include	"entry-record-64.S"
	leaq	8(%rsp), %rax		# the caller's stack pointer
	movq	%rax, 48(%rdi)
	movl	$0x4345584b, (%rdi)	# "KXEC": written last, so a record with it is complete
	ret
	.align	64
record:
	.fill	64, 1, 0
record2:
	.fill	64, 1, 0
