# cmake -DSOURCE=... -DBINARY=... [-DPREFIX=...] [-DRAMPART_SOURCE_DIR=...] -P consume.cmake
# Configures, builds and runs one consumer project (its two programs: core_only links
# rampart::rampart alone, optional_parts links rampart::redis and rampart::sqlite); fails on the
# first step that fails. Built without optimisation: at -O0 the compiler emits every inline
# function a header instantiates, so a header that should not have been included shows up as
# an undefined symbol, as it does in a user's Debug build.
file(REMOVE_RECURSE ${BINARY})
set(args -S ${SOURCE} -B ${BINARY} -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O0)
if(PREFIX)
    list(APPEND args -DCMAKE_PREFIX_PATH=${PREFIX})
endif()
if(RAMPART_SOURCE_DIR)
    list(APPEND args -DRAMPART_SOURCE_DIR=${RAMPART_SOURCE_DIR})
endif()
execute_process(COMMAND ${CMAKE_COMMAND} ${args} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer configure failed (${rc})")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BINARY} --parallel 2 RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer build failed (${rc})")
endif()
foreach(program core_only optional_parts)
    execute_process(COMMAND ${BINARY}/${program} RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "consumer ${program} failed (${rc})")
    endif()
endforeach()
