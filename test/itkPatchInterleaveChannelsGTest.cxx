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

// PatchStreamingDetail::InterleaveChannels, channels first to channels last,
// against a nested loop: channel counts on both sides of the 4 x 4 blocks of
// its SSE path, slices whose voxel count is not a multiple of 4, float and
// double, one and several work units.
#include "itkPatchInterleaveChannels.h"

#include "gtest/gtest.h"

#include <numeric>
#include <vector>

namespace
{
template <typename TValue>
void
ExpectNestedLoopLayout(itk::SizeValueType channels, itk::SizeValueType voxels, itk::SizeValueType slices)
{
  constexpr itk::SizeValueType patches = 3;
  std::vector<TValue>          source(patches * channels * voxels);
  std::iota(source.begin(), source.end(), TValue{ 1 });
  for (const itk::ThreadIdType workUnits : { 1u, 3u })
  {
    SCOPED_TRACE("channels " + std::to_string(channels) + " voxels " + std::to_string(voxels) + " slices " +
                 std::to_string(slices) + " work units " + std::to_string(workUnits));
    std::vector<TValue> target(source.size(), TValue{ -1 });
    auto                threader = itk::MultiThreaderBase::New();
    threader->SetNumberOfWorkUnits(workUnits);
    itk::PatchStreamingDetail::InterleaveChannels(
      source.data(), target.data(), patches, channels, voxels, slices, threader.GetPointer());
    for (itk::SizeValueType p = 0; p < patches; ++p)
    {
      for (itk::SizeValueType v = 0; v < voxels; ++v)
      {
        for (itk::SizeValueType c = 0; c < channels; ++c)
        {
          const itk::SizeValueType patch = p * channels * voxels;
          ASSERT_EQ(target[patch + v * channels + c], source[patch + c * voxels + v])
            << "patch " << p << " voxel " << v << " channel " << c;
        }
      }
    }
  }
}

TEST(PatchInterleaveChannels, ChannelsLastEqualsTheNestedLoop)
{
  for (const itk::SizeValueType channels : { 1, 2, 3, 4, 5, 8, 16, 17 })
  {
    // (voxels, slices): 7 slices of 15 voxels, 4 of 16, 3 of 1, 1 of 38.
    for (const auto & shape : { std::pair<itk::SizeValueType, itk::SizeValueType>{ 105, 7 },
                                { 64, 4 },
                                { 3, 3 },
                                { 38, 1 } })
    {
      ExpectNestedLoopLayout<float>(channels, shape.first, shape.second);
      ExpectNestedLoopLayout<double>(channels, shape.first, shape.second);
    }
  }
}
} // namespace
