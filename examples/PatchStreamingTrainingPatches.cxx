/*=========================================================================
 *
 *  Copyright the PatchStreaming contributors
 *
 *  Licensed under the Apache License, Version 2.0 (the "License");
 *  you may not use this file except in compliance with the License.
 *  You may obtain a copy of the License at
 *
 *         http://www.apache.org/licenses/LICENSE-2.0.txt
 *
 *  Unless required by applicable law or agreed to in writing, software
 *  distributed under the License is distributed on an "AS IS" BASIS,
 *  WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 *  See the License for the specific language governing permissions and
 *  limitations under the License.
 *
 *=========================================================================*/
// The training-patch example: draws N patches from an image + label map pair
// with LabelPatchSampler (balanced across labels, reproducible from a seed)
// and writes one stack per modality, each patch cut by PatchExtractor at the
// drawn locations (the images are read only where the patches are).
//
//   PatchStreamingTrainingPatches [options] image [more images of the same geometry]
//
// --labels FILE           the label map (default: three Otsu classes of the first image, as a stand-in)
// --probabilities L:P,... label probabilities (default: every label of the map equally)
// --count N  --patch P[,P,P]  --seed S  --output-folder DIR
//
// Writes DIR/<image name>_patches.nrrd per image and DIR/labels_patches.nrrd
// (stacks [P0, P1, P2, N], the patches' physical geometry in the stack and
// GetPatchOrigin), DIR/locations.csv (start index and center label per patch),
// and prints how often each label was drawn at the patch center.
#include "itkLabelPatchSampler.h"
#include "itkPatchExtractor.h"

#include "itkImageFileReader.h"
#include "itkImageFileWriter.h"
#include "itkMetaImageIOFactory.h"
#include "itkNiftiImageIOFactory.h"
#include "itkNrrdImageIOFactory.h"
#include "itkOtsuMultipleThresholdsImageFilter.h"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

namespace
{
using ImageType = itk::Image<float, 3>;
using LabelMapType = itk::Image<unsigned char, 3>;
using SamplerType = itk::LabelPatchSampler<LabelMapType>;

/** "0:0.2,1:0.4" -> {0: 0.2, 1: 0.4}. */
SamplerType::LabelProbabilitiesType
ParseProbabilities(const std::vector<std::string> & entries)
{
  SamplerType::LabelProbabilitiesType probabilities;
  for (const auto & entry : entries)
  {
    const auto colon = entry.find(':');
    if (colon == std::string::npos)
    {
      throw std::invalid_argument("--probabilities: \"" + entry + "\" is not LABEL:PROBABILITY");
    }
    probabilities[static_cast<unsigned char>(std::stoi(entry.substr(0, colon)))] = std::stod(entry.substr(colon + 1));
  }
  return probabilities;
}

/** The given label map, or three Otsu classes of the image as a stand-in. */
LabelMapType::Pointer
ReadOrMakeLabels(const std::string & labelFile, const std::string & imageFile)
{
  if (!labelFile.empty())
  {
    auto reader = itk::ImageFileReader<LabelMapType>::New();
    reader->SetFileName(labelFile);
    reader->Update();
    return reader->GetOutput();
  }
  auto reader = itk::ImageFileReader<ImageType>::New();
  reader->SetFileName(imageFile);
  auto otsu = itk::OtsuMultipleThresholdsImageFilter<ImageType, LabelMapType>::New();
  otsu->SetInput(reader->GetOutput());
  otsu->SetNumberOfThresholds(2);
  otsu->Update();
  return otsu->GetOutput();
}

/** Cuts the patches at `locations` from `image` and writes the stack. */
template <typename TImage>
void
WritePatches(const TImage * image, const SamplerType::LocationsType & locations, const SamplerType::SizeType & patch,
             const std::string & file)
{
  auto extractor = itk::PatchExtractor<TImage>::New();
  extractor->SetInput(image);
  extractor->SetPatchSize(patch);
  extractor->SetPatchLocations(locations);
  auto writer = itk::ImageFileWriter<typename itk::PatchExtractor<TImage>::OutputImageType>::New();
  writer->SetInput(extractor->GetOutput());
  writer->SetFileName(file);
  writer->Update();
}
} // namespace

int
main(int argc, char * argv[])
{
  CLI::App                 app("Draws labelled training patches and writes one stack per modality", "PatchStreamingTrainingPatches");
  std::vector<std::string> images;
  std::string              labelFile;
  std::vector<std::string> probabilityEntries;
  unsigned int             count = 64;
  std::vector<unsigned int> patch{ 32 };
  std::uint64_t            seed = 0;
  std::string              folder = "training-patches";
  app.add_option("images", images, "Images of the same geometry (modalities)")->required()->check(CLI::ExistingFile);
  app.add_option("--labels", labelFile, "Label map (default: three Otsu classes of the first image)")->check(CLI::ExistingFile);
  app.add_option("--probabilities", probabilityEntries, "LABEL:PROBABILITY,... (default: every label equally)")->delimiter(',');
  app.add_option("--count", count, "Number of patches")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--patch", patch, "Patch size, one value or three")->delimiter(',')->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--seed", seed, "Seed of the sampler")->capture_default_str();
  app.add_option("--output-folder", folder, "Where the stacks go")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  itk::NiftiImageIOFactory::RegisterOneFactory();
  itk::NrrdImageIOFactory::RegisterOneFactory();
  itk::MetaImageIOFactory::RegisterOneFactory();
  try
  {
    if (patch.size() != 1 && patch.size() != 3)
    {
      throw std::invalid_argument("--patch needs 1 or 3 values, not " + std::to_string(patch.size()));
    }
    SamplerType::SizeType patchSize;
    for (unsigned int d = 0; d < 3; ++d)
    {
      patchSize[d] = patch[patch.size() == 1 ? 0 : d];
    }
    const auto labels = ReadOrMakeLabels(labelFile, images.front());
    SamplerType::LabelProbabilitiesType probabilities = ParseProbabilities(probabilityEntries);
    if (probabilities.empty())
    {
      for (itk::ImageRegionConstIterator<LabelMapType> it(labels, labels->GetBufferedRegion()); !it.IsAtEnd(); ++it)
      {
        probabilities[it.Get()] = 1.0;
      }
    }

    // The first image's reader gives the geometry (its header only) and is read, like the others, by the extractor.
    auto reference = itk::ImageFileReader<ImageType>::New();
    reference->SetFileName(images.front());
    auto sampler = SamplerType::New();
    sampler->SetReferenceImage(reference->GetOutput());
    sampler->SetLabelMap(labels);
    sampler->SetLabelProbabilities(probabilities);
    sampler->SetPatchSize(patchSize);
    sampler->SetSeed(seed);
    const auto locations = sampler->Sample(count);

    std::filesystem::create_directories(folder);
    for (const auto & image : images)
    {
      auto reader = itk::ImageFileReader<ImageType>::New();
      reader->SetFileName(image);
      std::string name = std::filesystem::path(image).filename().string();
      name = name.substr(0, name.find('.'));
      WritePatches<ImageType>(reader->GetOutput(), locations, patchSize, folder + "/" + name + "_patches.nrrd");
      std::cout << "wrote " << folder << "/" << name << "_patches.nrrd\n";
    }
    WritePatches<LabelMapType>(labels, locations, patchSize, folder + "/labels_patches.nrrd");
    std::cout << "wrote " << folder << "/labels_patches.nrrd\n";

    std::ofstream                 csv(folder + "/locations.csv");
    std::map<int, unsigned int>   drawn;
    csv << "patch,start_0,start_1,start_2,center_label\n";
    for (std::size_t k = 0; k < locations.size(); ++k)
    {
      auto center = locations[k];
      for (unsigned int d = 0; d < 3; ++d)
      {
        center[d] += static_cast<itk::IndexValueType>(patchSize[d] / 2);
      }
      const int label = labels->GetPixel(center);
      ++drawn[label];
      csv << k << ',' << locations[k][0] << ',' << locations[k][1] << ',' << locations[k][2] << ',' << label << '\n';
    }
    std::cout << "wrote " << folder << "/locations.csv\n"
              << count << " patches of " << patchSize << ", seed " << seed << "; center labels drawn (effective probability):\n";
    for (const auto & [label, probability] : sampler->GetEffectiveLabelProbabilities())
    {
      std::cout << "  label " << static_cast<int>(label) << ": " << drawn[label] << " ("
                << probability << ")\n";
    }
  }
  catch (const std::exception & error)
  {
    std::cerr << "PatchStreamingTrainingPatches: " << error.what() << std::endl;
    return 1;
  }
  return 0;
}
