# SPDX-License-Identifier: MIT
# The fuzz pass of the test suite (CTest test `fuzz`): builds the libFuzzer
# targets in their own clang build folder (they need clang and the whole
# library instrumented, which the gcc build of the suite is not) and runs each
# for NNCL_FUZZ_SECONDS under ASan + UBSan.
#   cmake -DSOURCE=<source> -DWORK=<folder> -DCLANG=<clang> -DSECONDS=20 -P run.cmake
foreach(v SOURCE WORK CLANG SECONDS)
  if(NOT ${v})
    message(FATAL_ERROR "run.cmake needs -D${v}=")
  endif()
endforeach()
include(ProcessorCount)
ProcessorCount(jobs)
if(jobs EQUAL 0)
  set(jobs 2)
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E env CC=${CLANG}
                        ${CMAKE_COMMAND} -S ${SOURCE} -B ${WORK} -DNNCL_FUZZ=ON -DNNCL_BUILD_TESTS=OFF
                        -DNNCL_BUILD_SAMPLES=OFF -DNNCL_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
                        -DNNCL_FUZZ_SECONDS=${SECONDS}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring the fuzz build failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK} -j${jobs} --target nncl_fuzz_targets RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building the fuzz targets failed")
endif()
execute_process(COMMAND ${CMAKE_CTEST_COMMAND} --test-dir ${WORK} -L fuzz --output-on-failure -j${jobs}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "a fuzz target failed (its crash input is in ${WORK})")
endif()
