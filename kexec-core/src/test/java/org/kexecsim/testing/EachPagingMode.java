package org.kexecsim.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.kexecsim.mmu.PagingMode;

/** A test run once for each paging mode that translates: 32-bit, PAE, 4-level and 5-level (not DISABLED). */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedTest
@EnumSource(value = PagingMode.class, names = {"BITS32", "PAE", "LEVEL4", "LEVEL5"})
public @interface EachPagingMode {}
