# SPDX-License-Identifier: MIT
# Every source and build file carries the license's SPDX tag near its top.
#   cmake -DROOT=<source dir> -P check_spdx.cmake
if(NOT ROOT)
  message(FATAL_ERROR "check_spdx.cmake needs -DROOT=<the source folder>")
endif()
file(GLOB_RECURSE files RELATIVE ${ROOT}
  ${ROOT}/host/*.c ${ROOT}/host/*.h ${ROOT}/include/*.h ${ROOT}/kernels/*
  ${ROOT}/tests/*.c ${ROOT}/tests/*.h ${ROOT}/tests/*.cpp ${ROOT}/tests/*.cmake ${ROOT}/tests/*.py ${ROOT}/tests/*.sh
  ${ROOT}/samples/*.c ${ROOT}/cmake/* ${ROOT}/CMakeLists.txt ${ROOT}/python/*.py ${ROOT}/python/*.sh
  ${ROOT}/python/*.toml)
# Build folders (and a venv or a package build inside one) are not sources.
list(FILTER files EXCLUDE REGEX "(^|/)(build[^/]*|_skbuild|\\.venv|venv|__pycache__)/")
set(missing "")
foreach(f IN LISTS files)
  file(STRINGS ${ROOT}/${f} head LIMIT_COUNT 3)
  if(NOT head MATCHES "SPDX-License-Identifier: MIT")
    list(APPEND missing ${f})
  endif()
endforeach()
list(LENGTH files count)
if(missing)
  list(JOIN missing "\n  " text)
  message(FATAL_ERROR "no SPDX-License-Identifier in the first lines of:\n  ${text}")
endif()
message(STATUS "SPDX: ${count} files tagged")
