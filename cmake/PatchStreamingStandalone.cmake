# Builds PatchStreaming as a plain CMake project against an ITK install tree
# that lacks ITK's module macros (Debian's libinsighttoolkit5-dev). The ITK
# modules it needs are read from itk-module.cmake, so both builds share one list.

macro(itk_module _name)
  cmake_parse_arguments(_PatchStreamingModule
    "ENABLE_SHARED;EXCLUDE_FROM_DEFAULT" "DESCRIPTION" "DEPENDS;PRIVATE_DEPENDS;COMPILE_DEPENDS;TEST_DEPENDS" ${ARGN})
endmacro()
include(${PROJECT_SOURCE_DIR}/itk-module.cmake)
set(PatchStreaming_DEPENDS ${_PatchStreamingModule_DEPENDS})
set(PatchStreaming_TEST_DEPENDS ${_PatchStreamingModule_TEST_DEPENDS})
# GoogleTest comes from the system here, and ITK's test kernel is not needed.
list(REMOVE_ITEM PatchStreaming_TEST_DEPENDS ITKTestKernel ITKGoogleTest)

set(PatchStreaming_STANDALONE TRUE)
include(CTest)
include(GNUInstallDirs)

# The command-line tool and the examples read and write images.
set(PatchStreaming_EXAMPLE_DEPENDS ITKIOImageBase ITKIONIFTI ITKIONRRD ITKIOMeta ITKIOVTK ITKIOPNG ITKIOTIFF ITKIOJPEG ITKIOBMP
  ITKSmoothing ITKImageIntensity ITKImageCompose ITKImageFilterBase ITKThresholding)
if(BUILD_TESTING)
  find_package(ITK REQUIRED COMPONENTS ${PatchStreaming_DEPENDS} ${PatchStreaming_EXAMPLE_DEPENDS} ${PatchStreaming_TEST_DEPENDS})
else()
  find_package(ITK REQUIRED COMPONENTS ${PatchStreaming_DEPENDS} ${PatchStreaming_EXAMPLE_DEPENDS})
endif()

# The libraries of a list of ITK modules.
function(patchstreaming_itk_libraries _result)
  set(_libraries)
  foreach(_module ${ARGN})
    list(APPEND _libraries ${${_module}_LIBRARIES})
  endforeach()
  set(${_result} ${_libraries} PARENT_SCOPE)
endfunction()

# Warnings for our own code; ITK's headers are system headers.
function(patchstreaming_warnings _target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${_target} PRIVATE -Wall -Wextra)
  endif()
endfunction()

# GCC 12 warns (-Warray-bounds) inside ITK 5.2's NeighborhoodOperator::FillCenteredDirectional
# when a 2-D DiscreteGaussianImageFilter is instantiated: a false positive in ITK's
# header (it indexes Size<2> only below the dimension), silenced for the targets
# that instantiate it, not for our code in general.
function(patchstreaming_no_itk_2d_operator_warning _target)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${_target} PRIVATE -Wno-array-bounds)
  endif()
endfunction()

# AddressSanitizer + UndefinedBehaviorSanitizer for our code, its tests and
# examples (ITK itself stays uninstrumented); the test command runs the suite
# under it as well.
option(PatchStreaming_USE_SANITIZERS "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
# The libFuzzer target (Clang only); our code is instrumented for its
# coverage feedback, and the sanitizers come with it.
option(PatchStreaming_BUILD_FUZZER "Build the libFuzzer target fuzz/PatchStreamingFuzzer (needs Clang)" OFF)
if(PatchStreaming_BUILD_FUZZER)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "PatchStreaming_BUILD_FUZZER needs Clang; CMAKE_CXX_COMPILER is ${CMAKE_CXX_COMPILER_ID}")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
  find_file(_itk_clang_detection compilers/ITK_COMPILER_INFO_Clang_CXX.h PATHS ${ITK_INCLUDE_DIRS} NO_DEFAULT_PATH)
  if(NOT _itk_clang_detection)
    # This ITK's headers know GCC only (Debian's): a stand-in for their
    # compiler detection, included first so that its include guard keeps ITK's out.
    add_compile_options(-include ${PROJECT_SOURCE_DIR}/fuzz/itk-clang/itk_compiler_detection.h)
  endif()
endif()
if(PatchStreaming_USE_SANITIZERS OR PatchStreaming_BUILD_FUZZER)
  # float-cast-overflow is not part of -fsanitize=undefined: a floating-point
  # value converted to an integer type it does not fit is undefined behaviour too.
  add_compile_options(-fsanitize=address,undefined,float-cast-overflow
                      -fno-sanitize-recover=undefined,float-cast-overflow -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined,float-cast-overflow)
endif()

add_subdirectory(src)
add_subdirectory(apps)
add_subdirectory(examples)
# What scripts/demo.sh runs: the command-line tool, its network plugin (when libtorch is
# found) and the phantom it falls back to; `cmake --build build --target PatchStreamingDemo`.
add_custom_target(PatchStreamingDemo)
add_dependencies(PatchStreamingDemo PatchwiseFilter PatchStreamingPhantom)
if(TARGET PatchwiseFilterNetwork)
  add_dependencies(PatchStreamingDemo PatchwiseFilterNetwork)
endif()
# Always: test/ defines the test-support target the fuzzer and the benchmarks
# link; its tests are built only with BUILD_TESTING.
add_subdirectory(test)
# The benchmark programs are built by default; the sanitized test build skips them.
option(PatchStreaming_BUILD_BENCHMARKS "Build the benchmark programs (benchmark/)" ON)
if(PatchStreaming_BUILD_BENCHMARKS)
  add_subdirectory(benchmark)
endif()
if(PatchStreaming_BUILD_FUZZER)
  add_subdirectory(fuzz)
endif()

include(CMakePackageConfigHelpers)
set(PatchStreaming_INSTALL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/PatchStreaming)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/PatchStreaming)
install(FILES ${PROJECT_BINARY_DIR}/include/PatchStreamingExport.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/PatchStreaming)
# The user documentation (PatchwiseFilter --help points to command-line.md), in share/doc/PatchStreaming.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md")
install(EXPORT PatchStreamingTargets NAMESPACE PatchStreaming:: DESTINATION ${PatchStreaming_INSTALL_CMAKE_DIR})
# The build tree is a package too (PatchStreaming_DIR=<build folder>): its targets, next to its config.
export(EXPORT PatchStreamingTargets NAMESPACE PatchStreaming:: FILE ${PROJECT_BINARY_DIR}/PatchStreamingTargets.cmake)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/PatchStreamingConfig.cmake.in
  ${PROJECT_BINARY_DIR}/PatchStreamingConfig.cmake
  INSTALL_DESTINATION ${PatchStreaming_INSTALL_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/PatchStreamingConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/PatchStreamingConfig.cmake ${PROJECT_BINARY_DIR}/PatchStreamingConfigVersion.cmake
  DESTINATION ${PatchStreaming_INSTALL_CMAKE_DIR})
