# The module's description is its README.
get_filename_component(MY_CURRENT_DIR "${CMAKE_CURRENT_LIST_FILE}" PATH)
file(READ "${MY_CURRENT_DIR}/README.md" DOCUMENTATION)

itk_module(PatchStreaming
  ENABLE_SHARED
  DEPENDS
    ITKCommon
  TEST_DEPENDS
    ITKTestKernel
    ITKGoogleTest
    ITKImageGrid
    ITKImageFilterBase
    ITKImageIntensity
    ITKSmoothing
    ITKImageSources
    ITKIOImageBase
    ITKIONIFTI
    ITKIONRRD
    ITKIOMeta
  DESCRIPTION
    "${DOCUMENTATION}"
  EXCLUDE_FROM_DEFAULT
)
