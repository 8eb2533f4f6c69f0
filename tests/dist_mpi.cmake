# SPDX-License-Identifier: MIT
# `mpirun -np 2 nncl train` against one process, on a small CSV. Run as
#   cmake -DCASE=<case> -DNNCL=<nncl> -DTOOL=<dist_tool> -DMPIEXEC=<mpirun> -DWORK=<dir> -P dist_mpi.cmake
# with POCL_DEVICES="pthread pthread" and POCL_CPU_MAX_CU_NUM=1 in the
# environment (each rank its own PoCL device of one core). Cases:
#   match       2 ranks vs 1, 20 Adam steps: parameters within 1e-5 (the
#               float32 summation-order bound of tests/test_dist.c); 2 ranks
#               twice: the same bits
#   short_batch global batches that 2 ranks split unevenly (63 rows: 31/32)
#               and a short last one (650 rows of 64: 10 last) vs 1 rank
#   resume      a checkpoint of 1 rank resumed by 2, and one of 2 by 1,
#               against the run without a stop
#   rank_fails  one rank with a device that does not exist: the job ends in
#               seconds with that rank's message, no hang
foreach(v CASE NNCL TOOL MPIEXEC WORK)
  if(NOT ${v})
    message(FATAL_ERROR "dist_mpi.cmake needs -D${v}=")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(mpirun ${MPIEXEC} --allow-run-as-root --oversubscribe -x POCL_DEVICES -x POCL_CPU_MAX_CU_NUM)
set(common --data ${WORK}/train.csv --layers 16 --early-stop 0 --schedule constant --quiet)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " line "${ARGN}")
    message(FATAL_ERROR "${line}\nexit ${rc}\n${out}\n${err}")
  endif()
endfunction()

# nncl train on `ranks` processes (1: no mpirun), extra options after.
function(train ranks)
  if(ranks EQUAL 1)
    run(${NNCL} train ${common} ${ARGN})
  else()
    run(${mpirun} -np ${ranks} ${NNCL} train ${common} ${ARGN})
  endif()
endfunction()

function(expect_close a b tolerance)
  execute_process(COMMAND ${TOOL} diff ${a} ${b} ${tolerance} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message(STATUS "${CASE}: ${a} vs ${b}: ${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${a} and ${b} differ beyond ${tolerance}")
  endif()
endfunction()

if(CASE STREQUAL "match")
  run(${TOOL} csv ${WORK}/train.csv 640)
  train(1 --batch 64 --epochs 2 --save ${WORK}/one.safetensors)
  train(2 --batch 64 --epochs 2 --save ${WORK}/two.safetensors)
  train(2 --batch 64 --epochs 2 --save ${WORK}/two-again.safetensors)
  expect_close(${WORK}/one.safetensors ${WORK}/two.safetensors 1e-5)
  expect_close(${WORK}/two.safetensors ${WORK}/two-again.safetensors 0)
elseif(CASE STREQUAL "short_batch")
  run(${TOOL} csv ${WORK}/train.csv 650)
  foreach(batch 63 64)
    train(1 --batch ${batch} --epochs 2 --optimizer sgd --lr 0.1 --save ${WORK}/one-${batch}.safetensors)
    train(2 --batch ${batch} --epochs 2 --optimizer sgd --lr 0.1 --save ${WORK}/two-${batch}.safetensors)
    expect_close(${WORK}/one-${batch}.safetensors ${WORK}/two-${batch}.safetensors 1e-6)
  endforeach()
elseif(CASE STREQUAL "resume")
  run(${TOOL} csv ${WORK}/train.csv 640)
  train(1 --batch 64 --epochs 3 --save ${WORK}/whole.safetensors)
  # 1 rank writes the checkpoint after epoch 1, 2 ranks finish
  train(1 --batch 64 --epochs 1 --checkpoint ${WORK}/ck1.safetensors)
  run(${mpirun} -np 2 ${NNCL} train --data ${WORK}/train.csv --early-stop 0 --quiet --batch 64 --epochs 3
      --resume ${WORK}/ck1.safetensors --save ${WORK}/resumed-by-2.safetensors)
  expect_close(${WORK}/whole.safetensors ${WORK}/resumed-by-2.safetensors 1e-5)
  # and the reverse
  train(2 --batch 64 --epochs 1 --checkpoint ${WORK}/ck2.safetensors)
  run(${NNCL} train --data ${WORK}/train.csv --early-stop 0 --quiet --batch 64 --epochs 3
      --resume ${WORK}/ck2.safetensors --save ${WORK}/resumed-by-1.safetensors)
  expect_close(${WORK}/whole.safetensors ${WORK}/resumed-by-1.safetensors 1e-5)
elseif(CASE STREQUAL "rank_fails")
  run(${TOOL} csv ${WORK}/train.csv 640)
  string(TIMESTAMP t0 "%s")
  execute_process(COMMAND ${mpirun} -np 1 ${NNCL} train ${common} --batch 64 --epochs 50
                          : -np 1 ${NNCL} train ${common} --batch 64 --epochs 50 --device no-such-device
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
  string(TIMESTAMP t1 "%s")
  math(EXPR seconds "${t1} - ${t0}")
  message(STATUS "rank_fails: exit ${rc} after ${seconds} s:\n${err}")
  if(rc EQUAL 0 OR NOT rc MATCHES "^[0-9]+$")
    message(FATAL_ERROR "the job with a failing rank exited with ${rc}")
  endif()
  if(NOT err MATCHES "no-such-device" OR NOT err MATCHES "rank 1 of 2")
    message(FATAL_ERROR "the message does not name the device and the rank:\n${err}")
  endif()
  if(seconds GREATER 20)
    message(FATAL_ERROR "the job took ${seconds} s to end")
  endif()
else()
  message(FATAL_ERROR "unknown CASE ${CASE}")
endif()
