/*
 * A developer's copy of relocate_kernel for x86_64 (the project's mainline routine with the
 * kernel's macro names), as it would be fed to `kexec-sim transition --routine`: it needs cpp
 * for its #include and #defines. -DSAVE_VA_AT=0x38 is passed on the command line.
 */
#include "kexec_layout.h"

#define RSP			DATA(0x0)
#define CR0			DATA(0x8)
#define CR3			DATA(0x10)
#define CR4			DATA(0x18)
#define CP_PA_TABLE_PAGE	DATA(0x20)
#define CP_PA_SWAP_PAGE		DATA(0x28)
#define CP_PA_BACKUP_PAGES_MAP	DATA(0x30)
#define CP_VA_RELOCATE		DATA(SAVE_VA_AT)
	.code64
	.text
relocate_kernel:
	pushq	%rbx			/* the C callee-saved registers and flags, for the way back */
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	pushfq
	movq	PTR(VA_CONTROL_PAGE)(%rsi), %r11		/* this page through the old kernel's direct map */
	movq	%rsp, RSP(%r11)
	movq	%cr0, %rax
	movq	%rax, CR0(%r11)
	movq	%cr3, %rax
	movq	%rax, CR3(%r11)
	movq	%cr4, %rax
	movq	%rax, CR4(%r11)
	movq	%rax, %r13		/* the old CR4 decides LA57 below */
	pushq	$0			/* RFLAGS: IF=0, DF=0, nothing else */
	popfq
	movq	%r8, %r12		/* SME: flush caches before copying */
	movq	PTR(PA_CONTROL_PAGE)(%rsi), %r8		/* PA of this page, while page_list is still reachable */
	movq	PTR(PA_TABLE_PAGE)(%rsi), %r9		/* PA of the identity table */
	movq	PTR(PA_SWAP_PAGE)(%rsi), %r10		/* PA of the swap page */
	movq	%r9, CP_PA_TABLE_PAGE(%r11)
	movq	%r10, CP_PA_SWAP_PAGE(%r11)
	movq	%rdi, CP_PA_BACKUP_PAGES_MAP(%r11)
	leaq	relocate_kernel(%rip), %rax
	movq	%rax, CP_VA_RELOCATE(%r11)
	movq	%r9, %cr3		/* our VA now fetches the control page copy */
	leaq	PAGE_SIZE(%r8), %rsp		/* stack at the top of the control page (identity mapped) */
	leaq	(identity_mapped - relocate_kernel)(%r8), %rax
	jmp	*%rax

identity_mapped:
	pushq	$0			/* the new kernel's return address when nothing comes back */
	pushq	%rdx			/* its entry, for the ret at the end */
	movq	%cr4, %rax
	andq	$-8388609, %rax		/* CR4.CET off (bit 23), or CR0.WP could not be cleared */
	movq	%rax, %cr4
	movq	%cr0, %rax
	andq	$-327693, %rax		/* CR0 known state: AM, WP, TS, EM off (~0x5000c) ... */
	orl	$0x80000001, %eax	/* ... PG and PE on */
	movq	%rax, %cr0
	movl	$X86_CR4_PAE, %eax		/* CR4 known state: PAE ... */
	testq	$X86_CR4_LA57, %r13
	jz	cr4_ready
	orl	$X86_CR4_LA57, %eax		/* ... and LA57 if the old kernel ran 5-level paging */
cr4_ready:
	movq	%rax, %cr4
	movq	%r9, %cr3		/* flush the TLB */
	testq	%r12, %r12
	jz	caches_clean
	wbinvd				/* SME: no stale encrypted lines over the copies */
caches_clean:
	movq	%rcx, %r11		/* preserve_context survives swap_pages in r11 */
	call	swap_pages
	movq	%cr3, %rax		/* serialise after writing what we will execute */
	movq	%rax, %cr3
	testq	%r11, %r11
	jnz	jump_and_come_back
	xorl	%eax, %eax		/* the new kernel trusts no register but RSP */
	xorl	%ebx, %ebx
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%esi, %esi
	xorl	%edi, %edi
	xorl	%ebp, %ebp
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	xorl	%r10d, %r10d
	xorl	%r11d, %r11d
	xorl	%r12d, %r12d
	xorl	%r13d, %r13d
	xorl	%r14d, %r14d
	xorl	%r15d, %r15d
	ret				/* to the entry pushed above */

/* kexec jump: call the new kernel with the stack on the swap page. It comes back by calling */
/* the address our call pushed; its own re-entry point is then at 0(%rsp). */
jump_and_come_back:
	popq	%rdx
	leaq	PAGE_SIZE(%r10), %rsp
	call	*%rdx
	movq	(%rsp), %rbp		/* the peer's re-entry point: what machine_kexec returns */
	leaq	relocate_kernel(%rip), %r8	/* PA of this page (we run identity mapped) */
	movq	CP_PA_SWAP_PAGE(%r8), %r10
	movq	CP_PA_BACKUP_PAGES_MAP(%r8), %rdi
	movq	CP_PA_TABLE_PAGE(%r8), %rax
	movq	%rax, %cr3
	leaq	PAGE_SIZE(%r8), %rsp
	call	swap_pages		/* every page back where it was */
	movq	CP_VA_RELOCATE(%r8), %rax
	addq	$(virtual_mapped - relocate_kernel), %rax
	jmp	*%rax			/* to our kernel-text VA, still under the identity table */

virtual_mapped:
	movq	RSP(%r8), %rsp
	movq	CR4(%r8), %rax
	movq	%rax, %cr4
	movq	CR3(%r8), %rax
	movq	CR0(%r8), %r8
	movq	%rax, %cr3		/* the old kernel's tables: this VA is its kernel text again */
	movq	%r8, %cr0
	movq	%rbp, %rax
	popfq
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	ret

/* swap_pages: walks the indirection list at %rdi (entries PA | 1 destination, 2 indirection, */
/* 4 done, 8 source; kernel/kexec_core.c) and exchanges each source page with its destination */
/* through the swap page at %r10: source -> swap, destination -> source, swap -> destination. */
/* A crash image's list is just DONE. Clobbers rax, rbx, rcx, rdx, rsi, rdi. */
swap_pages:
	movq	%rdi, %rcx
	xorl	%edi, %edi
	xorl	%esi, %esi
	jmp	swap_entry
swap_next:
	movq	(%rbx), %rcx
	addq	$8, %rbx
swap_entry:
	testq	$1, %rcx
	jz	swap_not_dest
	movq	%rcx, %rdi
	andq	$-4096, %rdi
	jmp	swap_next
swap_not_dest:
	testq	$2, %rcx
	jz	swap_not_ind
	movq	%rcx, %rbx
	andq	$-4096, %rbx
	jmp	swap_next
swap_not_ind:
	testq	$4, %rcx
	jnz	swap_done
	testq	$8, %rcx
	jz	swap_next		/* no flag: skip the entry */
	movq	%rcx, %rsi
	andq	$-4096, %rsi
	movq	%rdi, %rdx		/* destination */
	movq	%rsi, %rax		/* source */
	movq	%r10, %rdi
	movl	$512, %ecx
	rep movsq			/* source -> swap */
	movq	%rax, %rdi
	movq	%rdx, %rsi
	movl	$512, %ecx
	rep movsq			/* destination -> source */
	movq	%rdx, %rdi
	movq	%r10, %rsi
	movl	$512, %ecx
	rep movsq			/* swap -> destination; %rdi is now the next destination */
	jmp	swap_next
swap_done:
	ret
