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
#ifndef PreviewPicture_h
#define PreviewPicture_h

#include <array>
#include <string>
#include <vector>

/** One slice of the preview: the same slice of the input, the weight map and
 * the output, with the patches that cross it. Voxel (u, v) is at
 * u + v * width; u and v are the two image axes in the slice, in order. */
struct PreviewSlice
{
  std::string                          label{};
  unsigned int                         width{};
  unsigned int                         height{};
  double                               aspect{ 1.0 }; // physical height / width of a voxel
  std::vector<float>                   input{};
  std::vector<float>                   weight{};
  std::vector<float>                   output{};
  bool                                 labels{ false }; // output holds labels, shown in colour over the input
  std::vector<std::array<unsigned, 4>> patches{};       // [u0, u1) x [v0, v1), the part inside the image
};

/** The layout of the picture, in pixels: a title and column labels on top,
 * then one row per slice: its label, four panels (input, input with the
 * patch grid, weight map, output) of PanelSize x PanelSize each followed by
 * a gap, and two colour bars (intensity, weight) on the right. */
struct PreviewLayout
{
  static constexpr unsigned int PanelSize = 256;
  static constexpr unsigned int Gap = 8;
  static constexpr unsigned int HeaderHeight = 48;
  static constexpr unsigned int LabelWidth = 120;
  static constexpr unsigned int ColourBarWidth = 100;
  static constexpr unsigned int NumberOfPanels = 4;

  static constexpr unsigned int
  Width()
  {
    return LabelWidth + NumberOfPanels * (PanelSize + Gap) + 2 * ColourBarWidth;
  }
  static constexpr unsigned int
  Height(unsigned int rows)
  {
    return HeaderHeight + rows * (PanelSize + Gap) + Gap;
  }
};

/** Writes the picture with VTK's imaging classes and FreeType text (no
 * OpenGL, no display needed). Input and output share one grey window (the
 * input slices' range), the weight map has its own colour scale; both bars
 * are labelled with their range. Throws std::runtime_error when the file
 * cannot be written. */
void
WritePreviewPicture(const std::string & title, const std::vector<PreviewSlice> & slices, const std::string & file);

#endif
