# SPDX-License-Identifier: MIT
# Runs the test programs with no OpenCL platform at all: the ICD loader reads
# its vendor list from EMPTY, an empty folder. Each program in HOST (comma-
# separated) must pass its host suite, having run at least one check; each in
# DEVICE must exit 77 (skipped) from its device suite, saying what to install.
# Host suites keep LeakSanitizer on, as their own CTest tests do.
# cmake -DHOST=a,b -DDEVICE=c,d -DEMPTY=dir -P no_platform.cmake
cmake_minimum_required(VERSION 3.16)
file(REMOVE_RECURSE "${EMPTY}")
file(MAKE_DIRECTORY "${EMPTY}")
set(ENV{OCL_ICD_VENDORS} "${EMPTY}")
# Nothing may add a platform or turn the skip into a failure.
unset(ENV{OCL_ICD_FILENAMES})
unset(ENV{NNCL_TEST_REQUIRE_DEVICE})
set(ENV{UBSAN_OPTIONS} "print_stacktrace=1")

string(REPLACE "," ";" host_programs "${HOST}")
string(REPLACE "," ";" device_programs "${DEVICE}")
set(failures "")
foreach(kind host device)
  if(kind STREQUAL "host")
    set(ENV{ASAN_OPTIONS} "detect_leaks=1:abort_on_error=0")
    set(want 0)
  else()
    set(ENV{ASAN_OPTIONS} "detect_leaks=0:abort_on_error=0")
    set(want 77)
  endif()
  foreach(program IN LISTS ${kind}_programs)
    get_filename_component(name "${program}" NAME)
    execute_process(COMMAND "${program}" ${kind} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                    ERROR_VARIABLE out)
    string(REGEX MATCH "Checks: [0-9]+" checks "${out}")
    if(NOT rc STREQUAL "${want}")
      string(APPEND failures "${name} ${kind} exited ${rc}, want ${want}:\n${out}\n")
    elseif(kind STREQUAL "host" AND (NOT checks OR checks STREQUAL "Checks: 0"))
      string(APPEND failures "${name} host ran no checks:\n${out}\n")
    elseif(kind STREQUAL "device" AND NOT out MATCHES "pocl-opencl-icd")
      # The README's promise: with no platform, nncl says so and names the fix.
      string(APPEND failures "${name} device skipped without naming the fix:\n${out}\n")
    else()
      message(STATUS "no OpenCL platform: ${name} ${kind} exited ${rc} ${checks}")
    endif()
  endforeach()
endforeach()
file(REMOVE_RECURSE "${EMPTY}")
if(failures)
  message(FATAL_ERROR "${failures}")
endif()
