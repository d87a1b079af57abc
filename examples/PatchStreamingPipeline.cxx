// PatchStreaming example (Apache-2.0): reader -> PatchExtractor -> per-patch model -> PatchMerger -> writer.
#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkMedianImageFilter.h"
#include "itkMetaImageIOFactory.h"
#include "itkPatchByPatchImageFilter.h"
#include "itkPatchExtractor.h"
#include "itkPatchMerger.h"

int
main(int argc, char * argv[])
try
{
  using ImageType = itk::Image<float, 3>;
  itk::MetaImageIOFactory::RegisterOneFactory();
  auto reader = itk::ImageFileReader<ImageType>::New();
  reader->SetFileName(argc > 1 ? argv[1] : "");
  auto extractor = itk::PatchExtractor<ImageType>::New(); // 32^3 patches, overlapping by 16
  extractor->SetInput(reader->GetOutput());
  extractor->SetPatchSize(ImageType::SizeType::Filled(32));
  extractor->SetPatchOverlap(ImageType::SizeType::Filled(16));
  auto perPatch = itk::PatchByPatchImageFilter<itk::Image<float, 4>>::New(); // the patches, stacked on axis 3
  perPatch->SetInput(extractor->GetOutput());
  perPatch->SetFilter(itk::MedianImageFilter<ImageType, ImageType>::New()); // the model, run on each patch
  auto merger = itk::PatchMerger<itk::Image<float, 4>>::New();
  merger->SetInput(perPatch->GetOutput());
  merger->SetWeighting(itk::PatchStreamingEnums::Weighting::Gaussian);
  auto writer = itk::ImageFileWriter<ImageType>::New();
  writer->SetInput(merger->GetOutput());
  writer->SetFileName(argc > 2 ? argv[2] : "");
  writer->SetNumberOfStreamDivisions(4); // .mha streams: each piece pulls only the patch lines it needs
  writer->Update();
  return EXIT_SUCCESS;
}
catch (const std::exception & error) // itk::ExceptionObject is one
{
  std::cerr << error.what() << "\nUsage: PatchStreamingPipeline input.mha output.mha" << std::endl;
  return EXIT_FAILURE;
}
