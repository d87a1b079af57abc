set(DOCUMENTATION "Patch-based processing of large N-D images: cut an image into a grid of \
overlapping patches, process each patch, and blend the patches back into one image with \
separable weighting, streaming through the ITK pipeline one patch line at a time.")

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
