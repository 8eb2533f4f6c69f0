# SPDX-License-Identifier: MIT
# The layering rule of host/ (see CMakeLists.txt), checked on every #include:
# a file may include headers of its own layer and of the layers below it,
# and nothing else of host/. Run as a script:
#   cmake -DHOST=<source>/host -P check_layers.cmake
# It fails naming each file, line and include that breaks the rule.
if(NOT HOST)
  message(FATAL_ERROR "check_layers.cmake needs -DHOST=<the host folder>")
endif()

# layer -> the host/ folders (and single headers) it may include
# io/atomicfile.h, the one atomic file writer, is open to every layer: the
# tuning cache (core) and the CLI's --history and --plot files use it too.
set(allowed_core "core/;io/atomicfile.h")
set(allowed_io "io/")
set(allowed_ops "core/;ops/")
set(allowed_model "core/;ops/;io/;model/")
# The high-level layer sees the model only through what it exports.
set(allowed_train "core/;ops/;io/;train/;model/model.h")
# dist (the tool's MPI) sees only the public API; the tool sees its header.
set(allowed_dist "dist/")
set(allowed_cli "cli/;dist/dist.h;io/atomicfile.h")

set(layers core io ops model train dist cli)
set(bad "")
set(checked 0)
foreach(layer IN LISTS layers)
  file(GLOB files ${HOST}/${layer}/*.c ${HOST}/${layer}/*.h)
  foreach(file IN LISTS files)
    math(EXPR checked "${checked} + 1")
    file(STRINGS ${file} lines REGEX "^[ \t]*#[ \t]*include")
    file(RELATIVE_PATH rel ${HOST} ${file})
    foreach(line IN LISTS lines)
      if(line MATCHES "#[ \t]*include[ \t]*<CL/" AND layer STREQUAL "io")
        list(APPEND bad "host/${rel}: ${line} (host/io never sees OpenCL)")
        continue()
      endif()
      if(NOT line MATCHES "#[ \t]*include[ \t]*\"([^\"]+)\"")
        continue()
      endif()
      set(target ${CMAKE_MATCH_1})
      # Public headers and the shared kernel header are open to every layer
      # but io, which needs only nncl.h.
      if(target MATCHES "^nncl/nncl\\.h$")
        continue()
      endif()
      if(target MATCHES "^(nncl/nncl_cl\\.h|nncl_shared\\.h)$" AND NOT layer STREQUAL "io")
        continue()
      endif()
      # A bare name in the CLI is one of its own files.
      if(layer STREQUAL "cli" AND NOT target MATCHES "/")
        continue()
      endif()
      set(ok FALSE)
      foreach(prefix IN LISTS allowed_${layer})
        string(LENGTH "${prefix}" n)
        string(SUBSTRING "${target}" 0 ${n} head)
        if(prefix MATCHES "/$" AND head STREQUAL prefix)
          set(ok TRUE)
        elseif(target STREQUAL prefix)
          set(ok TRUE)
        endif()
      endforeach()
      if(NOT ok)
        list(APPEND bad "host/${rel}: includes \"${target}\", which the ${layer} layer may not (allowed: ${allowed_${layer}})")
      endif()
    endforeach()
  endforeach()
endforeach()

if(checked EQUAL 0)
  message(FATAL_ERROR "no files found under ${HOST}")
endif()
if(bad)
  list(JOIN bad "\n  " text)
  message(FATAL_ERROR "layering broken:\n  ${text}")
endif()
message(STATUS "layering: ${checked} files of host/ include only their own layer and those below it")
