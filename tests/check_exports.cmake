# SPDX-License-Identifier: MIT
# Run by CTest: cmake -DLIB=<path to libnncl.so> -P check_exports.cmake
#
# The shared library must export the public API and nothing else: every
# dynamic symbol it defines starts with "nncl_" (and none with "nncl__", the
# prefix of the library's internals). Anything else (a helper missing
# `static`, a leaked dependency, a bundled copy of zlib) fails the test,
# listed by name.
if(NOT LIB)
  message(FATAL_ERROR "check_exports.cmake: pass -DLIB=<path to the shared library>")
endif()
if(NOT EXISTS "${LIB}")
  message(FATAL_ERROR "check_exports.cmake: ${LIB} does not exist")
endif()
find_program(NM_EXECUTABLE NAMES nm)
if(NOT NM_EXECUTABLE)
  message(FATAL_ERROR "check_exports.cmake: nm not found; install binutils (apt-get install binutils)")
endif()

execute_process(COMMAND "${NM_EXECUTABLE}" -D --defined-only "${LIB}"
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "check_exports.cmake: nm -D --defined-only ${LIB} failed (${rc}): ${err}")
endif()

string(REPLACE "\n" ";" lines "${out}")
set(count 0)
set(bad "")
foreach(line IN LISTS lines)
  # "<address> <type> <name>" (the name may carry @VERSION)
  if(NOT line MATCHES "^[0-9a-fA-F]* *[A-Za-z] +([^ ]+)$")
    continue()
  endif()
  set(name "${CMAKE_MATCH_1}")
  math(EXPR count "${count} + 1")
  if(NOT name MATCHES "^nncl_" OR name MATCHES "^nncl__")
    list(APPEND bad "${name}")
  endif()
endforeach()

if(count EQUAL 0)
  message(FATAL_ERROR "check_exports.cmake: nm found no defined dynamic symbols in ${LIB}:\n${out}${err}")
endif()
if(bad)
  list(LENGTH bad n_bad)
  list(JOIN bad "\n  " listing)
  message(FATAL_ERROR "check_exports.cmake: ${LIB} exports ${n_bad} symbol(s) outside the nncl_ API:\n  ${listing}")
endif()
message(STATUS "check_exports: ${count} exported symbols, all nncl_*")
