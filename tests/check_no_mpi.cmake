# SPDX-License-Identifier: MIT
# libnncl must not need MPI at link or load time (the tool links it; the
# library takes an allreduce callback). Run as:
#   cmake -DLIB=<libnncl.so> -P check_no_mpi.cmake
execute_process(COMMAND readelf -d ${LIB} OUTPUT_VARIABLE dyn RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "readelf -d ${LIB} failed")
endif()
string(REGEX MATCHALL "NEEDED[^\n]*" needed "${dyn}")
if(needed MATCHES "mpi")
  message(FATAL_ERROR "${LIB} needs MPI:\n${needed}")
endif()
message(STATUS "${LIB}: ${needed}")
