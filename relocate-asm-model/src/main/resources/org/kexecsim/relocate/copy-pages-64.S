# copy_and_enter (x86_64): copies the pages, clears the registers the new kernel must not
# trust, and jumps to its entry. In: %rbx list head, %rdx entry; running identity mapped.
copy_and_enter:
	call	copy_pages
	xorl	%eax, %eax
	xorl	%ebx, %ebx
	xorl	%ecx, %ecx
	xorl	%esi, %esi
	xorl	%edi, %edi
	jmp	*%rdx

# copy_pages (x86_64): walks the kexec indirection list and copies each source page to its
# destination. In: %rbx = the list head. Entries are PA | flag (kernel/kexec_core.c):
# 1 DESTINATION sets where the next sources go, 2 INDIRECTION continues the list in another
# page, 4 DONE ends it, 8 SOURCE is a page to copy. Uses rax, rcx, rsi, rdi, r10, r11.
copy_pages:
	xorq	%r10, %r10		# cursor in the current indirection page
	xorq	%r11, %r11		# next destination
copy_next:
	testq	$4, %rbx
	jnz	copy_done
	testq	$1, %rbx
	jz	copy_not_dest
	movq	%rbx, %r11
	andq	$-4096, %r11
copy_not_dest:
	testq	$2, %rbx
	jz	copy_not_ind
	movq	%rbx, %r10
	andq	$-4096, %r10
copy_not_ind:
	testq	$8, %rbx
	jz	copy_advance
	movq	%rbx, %rsi
	andq	$-4096, %rsi
	movq	%r11, %rdi
	movl	$512, %ecx
	cld
	rep movsq
	movq	%rdi, %r11		# the following source goes to the next page
copy_advance:
	movq	(%r10), %rbx
	addq	$8, %r10
	jmp	copy_next
copy_done:
	ret
