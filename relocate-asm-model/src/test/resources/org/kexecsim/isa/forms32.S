# Every instruction form the assembler supports in 32-bit code (see forms64.S).
.code32
start:
	mov %eax,%ebx
	mov (%eax),%ecx
	mov 8(%esp),%edx
	mov -8(%ebp),%esi
	mov 0x1000(%esi),%edi
	mov 0x10(%eax,%ebx,4),%ecx
	mov 0x12345,%eax
	mov %eax,(%edi)
	mov $0x12345678,%eax
	mov $0xffffffff,%edx
	movl $7,(%eax)
	mov %eax,%cr0
	mov %eax,%cr3
	mov %ebx,%cr4
	mov %cr0,%eax
	mov %cr2,%eax
	mov %cr3,%edx
	mov %cr4,%eax
	push %eax
	pop %edx
	pushl $0
	push $0x12345
	push $0xfffffff0
	pushf
	pushfl
	popf
	popfl
	lea 4096(%edi),%esp
	lea 0x10(%esi),%esp
	add %eax,%ebx
	add $0x12345,%eax
	add $8,%ebx
	addl $1,(%eax)
	sub $0x1000,%esp
	and $~0x1000,%eax
	or $0x80000001,%eax
	or $1,%eax
	xor %eax,%eax
	cmp $0,%eax
	test %eax,%eax
	test $1,%eax
	inc %eax
	dec %ecx
	incl (%eax)
	shl $12,%eax
	shr %ecx
	jmp *%eax
	call *%edx
	jmp *(%eax)
	ret
	lret
	iret
	iretl
	ljmp $0x10,$0x1000
	ljmp *(%eax)
	lgdt (%eax)
	lgdtl (%eax)
	lidt (%esp)
	mov %eax,%ds
	mov %eax,%ss
	mov %ds,%eax
	cld
	rep movsl
	rep movsb
	rep stosl
	rep stosb
	rdmsr
	wrmsr
	wbinvd
	hlt
	int3
	nop
	ud2
	jz 1f
	jmp 1f
	call 1f
1:	jmp 2f
	.fill 200,1,0x90
2:	jne 1b
	jmp start
	.align 32
	mov $(2b - 1b),%ecx
	.align 16
	.long 0
# label differences: constant when both labels are already defined in the current frag
fa:	nop
fb:	nop
	add $(fb-fa),%eax
	mov (fb-fa)(%eax),%ecx
	jmp fc
fc:	nop
	add $(fc-fa),%eax
	add $(fc-fb),%eax
	.set FK, fb-fa
	add $FK,%eax
	call fd
fd:	add $(fd-fc),%eax
	.align 4
fe:	add $(fe-fd),%eax
	add $(. - fe),%eax
	push $(fe - fd)
	push $(. - fe)
# spellings GNU as accepts for the same forms
	sal $3,%eax
	jmpl *%eax
	calll *(%ebx)
	retl
	lretl
	ljmpl *(%eax)
	lidtl (%eax)
	pushl %ebx
	popl %ebx
	pushl $0x1000
	movsl
	stosl
	repz movsb
3:	.short 1
	.balign 8
