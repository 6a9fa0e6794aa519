# Compiles SOURCE with NVCC for sm_ARCH (ptxas -v) and fails when a kernel
# in it takes more than LIMIT registers a thread (register_budget.cu says why).
# Run by ctest: cmake -DNVCC=... -DSOURCE=... -DINCLUDE=... -DARCH=... -DLIMIT=... -DOUT=... -P
execute_process(
  COMMAND "${NVCC}" -std=c++20 -O3 -DNDEBUG "--generate-code=arch=compute_${ARCH},code=sm_${ARCH}" "-I${INCLUDE}"
          -Xptxas -v -c "${SOURCE}" -o "${OUT}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nvcc failed (${rc}):\n${out}${err}")
endif()
string(REPLACE "\n" ";" lines "${out}${err}")
set(entry "")
set(kernels 0)
set(over "")
foreach(line IN LISTS lines)
  if(line MATCHES "Compiling entry function '([^']+)'")
    set(entry "${CMAKE_MATCH_1}")
  elseif(line MATCHES "Used ([0-9]+) registers" AND NOT entry STREQUAL "")
    math(EXPR kernels "${kernels} + 1")
    message(STATUS "${entry}: ${CMAKE_MATCH_1} registers")
    if(CMAKE_MATCH_1 GREATER LIMIT)
      string(APPEND over "\n  ${entry}: ${CMAKE_MATCH_1}")
    endif()
    set(entry "")
  endif()
endforeach()
if(kernels EQUAL 0)
  message(FATAL_ERROR "no kernel's register count found in ptxas's output:\n${out}${err}")
endif()
if(NOT over STREQUAL "")
  message(FATAL_ERROR "kernels over ${LIMIT} registers a thread (1,024-thread blocks would not launch):${over}")
endif()
message(STATUS "${kernels} kernels within ${LIMIT} registers a thread")
