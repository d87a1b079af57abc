# Builds and runs a separate project that finds PatchStreaming with
# find_package(PatchStreaming) the ways ITK users do: the installed tree
# (a fresh prefix) with ITK found first and with PatchStreaming found first,
# and the build tree itself (PatchStreaming_DIR set to the build folder).
file(REMOVE_RECURSE ${WORK_DIR})

function(run_step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _result)
  if(NOT _result EQUAL 0)
    message(FATAL_ERROR "failed (${_result}): ${ARGN}")
  endif()
endfunction()

# Configures, builds and runs the consumer in WORK_DIR/<name> with the given cache settings.
function(run_consumer _name)
  run_step(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/${_name} -G ${GENERATOR}
    -D CMAKE_BUILD_TYPE=Release ${ARGN})
  run_step(${CMAKE_COMMAND} --build ${WORK_DIR}/${_name})
  run_step(${WORK_DIR}/${_name}/PatchStreamingConsumer ${WORK_DIR}/${_name}/merged.mha)
endfunction()

run_step(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
run_consumer(installed-itk-first -D CMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
run_consumer(installed-patchstreaming-first -D CMAKE_PREFIX_PATH=${WORK_DIR}/prefix -D CONSUMER_PATCHSTREAMING_FIRST=ON)
run_consumer(build-tree -D PatchStreaming_DIR=${BUILD_DIR})
