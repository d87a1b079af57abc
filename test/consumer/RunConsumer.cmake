# Builds and runs a separate project that finds PatchStreaming with
# find_package(PatchStreaming) the ways ITK users do: the installed tree
# (a fresh prefix) with ITK found first and with PatchStreaming found first,
# and the build tree itself (PatchStreaming_DIR set to the build folder); then
# runs the installed PatchwiseFilter with NETWORK_MODEL on NETWORK_INPUT, when given.
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

# The installed command-line tool runs a network, through its plugin in the
# installed library directory (when libtorch was found).
if(NETWORK_MODEL)
  run_step(${WORK_DIR}/prefix/bin/PatchwiseFilter ${NETWORK_INPUT} ${WORK_DIR}/labels.nrrd --model ${NETWORK_MODEL}
    --output-type labels --patch-size 32)
  if(NOT EXISTS ${WORK_DIR}/labels.nrrd)
    message(FATAL_ERROR "the installed PatchwiseFilter --model wrote no ${WORK_DIR}/labels.nrrd")
  endif()
endif()
