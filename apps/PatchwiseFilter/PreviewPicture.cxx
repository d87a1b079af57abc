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
#include "PreviewPicture.h"

#include <vtkColorTransferFunction.h>
#include <vtkFreeTypeTools.h>
#include <vtkImageCanvasSource2D.h>
#include <vtkImageData.h>
#include <vtkImageInterpolator.h>
#include <vtkImageMapToColors.h>
#include <vtkImageResize.h>
#include <vtkNew.h>
#include <vtkPNGWriter.h>
#include <vtkSmartPointer.h>
#include <vtkStdString.h>
#include <vtkTextProperty.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>

namespace
{
using Layout = PreviewLayout;

struct ValueRange
{
  double lower{ std::numeric_limits<double>::max() };
  double upper{ std::numeric_limits<double>::lowest() };

  void
  Include(const std::vector<float> & values)
  {
    for (const float value : values)
    {
      if (std::isfinite(value))
      {
        lower = std::min(lower, static_cast<double>(value));
        upper = std::max(upper, static_cast<double>(value));
      }
    }
  }

  /** A usable range even for constant or empty slices. */
  ValueRange
  Displayed() const
  {
    ValueRange range = *this;
    if (!(range.upper >= range.lower))
    {
      range = ValueRange{ 0.0, 1.0 };
    }
    if (range.upper == range.lower)
    {
      // Drawn as the lowest value, as any constant slice is; 1e20 + 1 would be 1e20 again.
      range.upper = range.lower + std::max(1.0, std::abs(range.lower));
    }
    return range;
  }
};

/** The panel's width and height in pixels: the slice's physical shape inside PanelSize x
 * PanelSize, at least one pixel each way. The shorter extent is taken as a fraction of the
 * longer, which stays in [0, 1] when the voxels' aspect overflows to infinity or underflows
 * to 0 (spacings 1e-160 and 1e160 in one slice): such a panel is one pixel across, never 1 x 1. */
std::array<int, 2>
PanelPixels(const PreviewSlice & slice)
{
  const double extentU = slice.width;
  const double extentV = slice.height * slice.aspect;
  const bool   wide = extentU >= extentV;
  const double across = wide ? extentV / extentU : extentU / extentV;
  const int    shorter = std::max(1, static_cast<int>(std::lround(Layout::PanelSize * across)));
  return wide ? std::array<int, 2>{ { Layout::PanelSize, shorter } }
              : std::array<int, 2>{ { shorter, Layout::PanelSize } };
}

/** Grey for intensities; for weights, a dark-to-bright scale (inferno's anchor colours). */
vtkSmartPointer<vtkColorTransferFunction>
ColourScale(const ValueRange & range, bool grey)
{
  auto scale = vtkSmartPointer<vtkColorTransferFunction>::New();
  if (grey)
  {
    scale->AddRGBPoint(range.lower, 0.0, 0.0, 0.0);
    scale->AddRGBPoint(range.upper, 1.0, 1.0, 1.0);
    return scale;
  }
  const double anchors[5][3] = { { 0.0, 0.0, 0.016 },
                                 { 0.341, 0.063, 0.431 },
                                 { 0.737, 0.216, 0.329 },
                                 { 0.976, 0.557, 0.035 },
                                 { 0.988, 1.0, 0.643 } };
  for (int i = 0; i < 5; ++i)
  {
    scale->AddRGBPoint(
      range.lower + (range.upper - range.lower) * i / 4.0, anchors[i][0], anchors[i][1], anchors[i][2]);
  }
  return scale;
}

/** The labels' fixed colours (a colour-blind-aware set of ten, repeated for
 * higher labels); label 0 is transparent: the input shows through. */
const unsigned char *
LabelColour(long label)
{
  static const unsigned char colours[10][3] = { { 230, 25, 75 },  { 60, 180, 75 },  { 0, 130, 200 },  { 255, 225, 25 },
                                                { 245, 130, 48 }, { 145, 30, 180 }, { 70, 240, 240 }, { 240, 50, 230 },
                                                { 210, 245, 60 }, { 250, 190, 212 } };
  return colours[(label - 1) % 10];
}

/** `values` (width x height, first axis fastest) resized to `size` pixels and coloured. */
vtkSmartPointer<vtkImageData>
ColouredImage(const std::vector<float> & values,
              unsigned int               width,
              unsigned int               height,
              const int                  size[2],
              vtkColorTransferFunction * scale)
{
  vtkNew<vtkImageData> image;
  image->SetDimensions(static_cast<int>(width), static_cast<int>(height), 1);
  image->AllocateScalars(VTK_FLOAT, 1);
  std::copy(values.begin(), values.end(), static_cast<float *>(image->GetScalarPointer()));

  vtkNew<vtkImageInterpolator> linear;
  linear->SetInterpolationModeToLinear();
  vtkNew<vtkImageResize> resize;
  resize->SetInputData(image);
  resize->SetResizeMethodToOutputDimensions();
  resize->SetOutputDimensions(size[0], size[1], 1);
  resize->SetInterpolator(linear);

  vtkNew<vtkImageMapToColors> colours;
  colours->SetInputConnection(resize->GetOutputPort());
  colours->SetLookupTable(scale);
  colours->SetOutputFormatToRGB();
  colours->Update();
  vtkSmartPointer<vtkImageData> coloured = colours->GetOutput();
  return coloured;
}

/** The input slice in grey with its labels over it, each in its colour at
 * 60 % opacity; the labels are resized to the panel nearest-neighbour. */
vtkSmartPointer<vtkImageData>
LabelOverlay(const PreviewSlice & slice, const int size[2], vtkColorTransferFunction * grey)
{
  auto   picture = ColouredImage(slice.input, slice.width, slice.height, size, grey);
  auto * rgb = static_cast<unsigned char *>(picture->GetScalarPointer());
  for (int y = 0; y < size[1]; ++y)
  {
    const auto v = std::min(slice.height - 1, static_cast<unsigned int>((y + 0.5) * slice.height / size[1]));
    for (int x = 0; x < size[0]; ++x)
    {
      const auto u = std::min(slice.width - 1, static_cast<unsigned int>((x + 0.5) * slice.width / size[0]));
      const long label = std::lround(slice.output[u + static_cast<std::size_t>(v) * slice.width]);
      if (label <= 0)
      {
        continue;
      }
      const unsigned char * colour = LabelColour(label);
      unsigned char *       pixel = rgb + 3 * (x + static_cast<std::size_t>(y) * size[0]);
      for (int c = 0; c < 3; ++c)
      {
        pixel[c] = static_cast<unsigned char>(std::lround(0.4 * pixel[c] + 0.6 * colour[c]));
      }
    }
  }
  return picture;
}

/** The canvas, its text drawn last (FreeType's RGBA blended onto the RGB pixels). */
class Picture
{
public:
  Picture(unsigned int width, unsigned int height)
    : m_Width(static_cast<int>(width))
    , m_Height(static_cast<int>(height))
  {
    m_Canvas->SetScalarTypeToUnsignedChar();
    m_Canvas->SetNumberOfScalarComponents(3);
    m_Canvas->SetExtent(0, static_cast<int>(width) - 1, 0, m_Height - 1, 0, 0);
    m_Canvas->SetDrawColor(24, 24, 24);
    m_Canvas->FillBox(0, static_cast<int>(width) - 1, 0, m_Height - 1);
  }

  /** Pastes `image` with its top-left pixel at (x, top), top counted down from the picture's top. */
  void
  Paste(vtkImageData * image, int x, int top)
  {
    m_Canvas->DrawImage(x, m_Height - top - image->GetDimensions()[1], image);
  }

  /** A line between two pixels given from the picture's top. */
  void
  Line(int x0, int top0, int x1, int top1, const unsigned char colour[3])
  {
    m_Canvas->SetDrawColor(colour[0], colour[1], colour[2]);
    m_Canvas->DrawSegment(x0, m_Height - 1 - top0, x1, m_Height - 1 - top1);
  }

  /** A filled box of `size` pixels with its top-left pixel at (x, top). */
  void
  Box(int x, int top, int size, const unsigned char colour[3])
  {
    m_Canvas->SetDrawColor(colour[0], colour[1], colour[2]);
    m_Canvas->FillBox(x, x + size - 1, m_Height - top - size, m_Height - 1 - top);
  }

  /** Text with its top-left corner at (x, top); `centerd` centers it on x instead. */
  void
  Text(const std::string & text, int x, int top, int fontSize, bool centerd = false)
  {
    m_Texts.push_back(Label{ text, x, top, fontSize, centerd, 0 });
  }

  /** Text with its top-left corner at (x, top), in a smaller font or cut short if it would
   * not end `margin` pixels before the picture's right edge. */
  void
  FittedText(const std::string & text, int x, int top, int fontSize, int margin)
  {
    m_Texts.push_back(Label{ text, x, top, fontSize, false, m_Width - x - margin });
  }

  void
  Write(const std::string & file)
  {
    m_Canvas->Update();
    vtkNew<vtkImageData> picture;
    picture->DeepCopy(m_Canvas->GetOutput());
    for (const auto & label : m_Texts)
    {
      Blend(picture, label);
    }
    vtkNew<vtkPNGWriter> writer;
    writer->SetInputData(picture);
    writer->SetFileName(file.c_str());
    writer->Write();
    if (writer->GetErrorCode() != 0)
    {
      throw std::runtime_error("cannot write preview \"" + file + "\"");
    }
  }

private:
  struct Label
  {
    std::string text;
    int         x;
    int         top;
    int         fontSize;
    bool        centerd;
    int         fitWidth; // > 0: the width the text is fitted into
  };

  static vtkSmartPointer<vtkTextProperty>
  TextProperty(int fontSize)
  {
    auto property = vtkSmartPointer<vtkTextProperty>::New();
    property->SetFontFamilyToArial();
    property->SetFontSize(fontSize);
    property->SetColor(0.9, 0.9, 0.9);
    return property;
  }

  /** The width of `text` in pixels at `fontSize` (FreeType's bounding box: the
   * rendered image may be padded to a power of two). */
  static int
  TextWidth(const std::string & text, int fontSize)
  {
    int box[4] = {};
    if (!vtkFreeTypeTools::GetInstance()->GetBoundingBox(TextProperty(fontSize), vtkStdString(text), 72, box))
    {
      throw std::runtime_error("cannot measure the preview's text \"" + text + "\"");
    }
    return box[1] - box[0] + 1;
  }

  /** A label with `fitWidth` > 0 in a smaller font (down to MinimumFontSize) until it fits
   * within that many pixels and then, if it still does not, cut short with "...". */
  static Label
  Fitted(Label label)
  {
    constexpr int MinimumFontSize = 9;
    while (label.fitWidth > 0 && TextWidth(label.text, label.fontSize) > label.fitWidth &&
           label.fontSize > MinimumFontSize)
    {
      --label.fontSize;
    }
    const std::string full = label.text;
    for (std::size_t length = full.size();
         label.fitWidth > 0 && TextWidth(label.text, label.fontSize) > label.fitWidth && length > 0;)
    {
      label.text = full.substr(0, --length) + "...";
    }
    return label;
  }

  void
  Blend(vtkImageData * picture, const Label & given) const
  {
    const Label          label = Fitted(given);
    vtkNew<vtkImageData> text;
    if (!vtkFreeTypeTools::GetInstance()->RenderString(
          TextProperty(label.fontSize), vtkStdString(label.text), 72, text))
    {
      throw std::runtime_error("cannot render the preview's text \"" + label.text + "\"");
    }
    const int * pictureSize = picture->GetDimensions();
    const int * size = text->GetDimensions();
    const int   x0 = label.centerd ? label.x - TextWidth(label.text, label.fontSize) / 2 : label.x;
    auto *      rgba = static_cast<const unsigned char *>(text->GetScalarPointer());
    auto *      rgb = static_cast<unsigned char *>(picture->GetScalarPointer());
    for (int y = 0; y < size[1]; ++y)
    {
      const int row = m_Height - 1 - label.top - (size[1] - 1 - y);
      for (int x = 0; x < size[0]; ++x)
      {
        const int column = x0 + x;
        if (row < 0 || row >= pictureSize[1] || column < 0 || column >= pictureSize[0])
        {
          continue;
        }
        const unsigned char * source = rgba + 4 * (x + y * size[0]);
        unsigned char *       target = rgb + 3 * (column + row * pictureSize[0]);
        const double          alpha = source[3] / 255.0;
        for (int c = 0; c < 3; ++c)
        {
          target[c] = static_cast<unsigned char>(std::lround(target[c] * (1.0 - alpha) + source[c] * alpha));
        }
      }
    }
  }

  int                            m_Width;
  int                            m_Height;
  vtkNew<vtkImageCanvasSource2D> m_Canvas;
  std::vector<Label>             m_Texts{};
};

std::string
Number(double value)
{
  char text[32];
  std::snprintf(text, sizeof(text), "%.4g", value);
  return text;
}

/** A vertical bar of the colour scale from `range.lower` (bottom) to `range.upper` (top), labelled. */
void
ColourBar(Picture &                  picture,
          const std::string &        title,
          const ValueRange &         range,
          vtkColorTransferFunction * scale,
          int                        x,
          int                        rows)
{
  const int barHeight = rows * static_cast<int>(Layout::PanelSize + Layout::Gap) - static_cast<int>(Layout::Gap);
  constexpr unsigned barWidth = 20;
  std::vector<float> ramp(barWidth * barHeight);
  for (int y = 0; y < barHeight; ++y)
  {
    std::fill_n(ramp.begin() + y * barWidth, barWidth, range.lower + (range.upper - range.lower) * y / (barHeight - 1));
  }
  const int size[2] = { static_cast<int>(barWidth), barHeight };
  picture.Paste(ColouredImage(ramp, barWidth, barHeight, size, scale), x, Layout::HeaderHeight);
  picture.Text(title, x, 26, 13);
  const int labelX = x + barWidth + 4;
  picture.Text(Number(range.upper), labelX, Layout::HeaderHeight, 12);
  picture.Text(Number(0.5 * (range.lower + range.upper)), labelX, Layout::HeaderHeight + barHeight / 2 - 6, 12);
  picture.Text(Number(range.lower), labelX, Layout::HeaderHeight + barHeight - 14, 12);
}

void
PatchOutlines(Picture & picture, const PreviewSlice & slice, const int size[2], int x, int top)
{
  static const unsigned char palette[4][3] = { { 255, 220, 0 }, { 0, 220, 255 }, { 255, 80, 200 }, { 120, 255, 80 } };
  const double               scaleU = static_cast<double>(size[0]) / slice.width;
  const double               scaleV = static_cast<double>(size[1]) / slice.height;
  for (std::size_t k = 0; k < slice.patches.size(); ++k)
  {
    const auto & box = slice.patches[k];
    const int    left = x + static_cast<int>(box[0] * scaleU);
    const int    right = x + std::max(static_cast<int>(box[1] * scaleU) - 1, 0);
    // v grows upwards, as in the other panels.
    const int    bottom = top + size[1] - 1 - static_cast<int>(box[2] * scaleV);
    const int    upper = top + size[1] - std::max(static_cast<int>(box[3] * scaleV), 1);
    const auto * colour = palette[k % 4];
    picture.Line(left, upper, right, upper, colour);
    picture.Line(left, bottom, right, bottom, colour);
    picture.Line(left, upper, left, bottom, colour);
    picture.Line(right, upper, right, bottom, colour);
  }
}

/** The colours of the labels present in the slices shown (label 0, the background, left
 * out; at most eight, "..." after the eighth when there are more), in the label column
 * above the first row's slice label. */
void
LabelLegend(Picture & picture, const std::vector<PreviewSlice> & slices)
{
  std::set<long> present;
  for (const auto & slice : slices)
  {
    for (const float value : slice.output)
    {
      present.insert(std::lround(value));
    }
  }
  present.erase(0);
  picture.Text("labels", 8, Layout::HeaderHeight, 13);
  int row = 0;
  for (const long label : present)
  {
    const int top = Layout::HeaderHeight + 4 + 12 * ++row;
    picture.Box(8, top + 2, 9, LabelColour(label));
    picture.Text(std::to_string(label) + (row == 8 && present.size() > 8 ? " ..." : ""), 22, top, 11);
    if (row == 8)
    {
      break;
    }
  }
}

/** A line of text per '\n'-separated part. */
void
MultilineText(Picture & picture, const std::string & text, int x, int top)
{
  std::istringstream lines(text);
  std::string        line;
  for (int row = 0; std::getline(lines, line); ++row)
  {
    picture.Text(line, x, top + 18 * row, 13);
  }
}
} // namespace

void
WritePreviewPicture(const std::string & title, const std::vector<PreviewSlice> & slices, const std::string & file)
{
  ValueRange intensities;
  ValueRange weights;
  for (const auto & slice : slices)
  {
    intensities.Include(slice.input);
    weights.Include(slice.weight);
  }
  intensities = intensities.Displayed();
  weights = weights.Displayed();
  const auto grey = ColourScale(intensities, true);
  const auto heat = ColourScale(weights, false);

  const int rows = static_cast<int>(slices.size());
  Picture   picture(Layout::Width(), Layout::Height(rows));
  picture.FittedText(title, 8, 4, 15, 8); // the same 8 pixels from either edge
  const bool   labels = !slices.empty() && slices.front().labels;
  const char * columns[Layout::NumberOfPanels] = { "input", "patch grid", "weight sum", labels ? "labels" : "output" };
  for (unsigned int c = 0; c < Layout::NumberOfPanels; ++c)
  {
    picture.Text(
      columns[c], Layout::LabelWidth + c * (Layout::PanelSize + Layout::Gap) + Layout::PanelSize / 2, 26, 14, true);
  }
  for (int r = 0; r < rows; ++r)
  {
    const PreviewSlice & slice = slices[r];
    const auto           pixels = PanelPixels(slice);
    const int            size[2] = { pixels[0], pixels[1] };
    const int    rowTop = Layout::HeaderHeight + r * (Layout::PanelSize + Layout::Gap);
    const int    top = rowTop + (Layout::PanelSize - size[1]) / 2;
    MultilineText(picture, slice.label, 8, rowTop + Layout::PanelSize / 2 - 18);
    const vtkSmartPointer<vtkImageData> panels[Layout::NumberOfPanels] = {
      ColouredImage(slice.input, slice.width, slice.height, size, grey),
      ColouredImage(slice.input, slice.width, slice.height, size, grey),
      ColouredImage(slice.weight, slice.width, slice.height, size, heat),
      labels ? LabelOverlay(slice, size, grey) : ColouredImage(slice.output, slice.width, slice.height, size, grey)
    };
    for (unsigned int c = 0; c < Layout::NumberOfPanels; ++c)
    {
      const int x = Layout::LabelWidth + c * (Layout::PanelSize + Layout::Gap) + (Layout::PanelSize - size[0]) / 2;
      picture.Paste(panels[c], x, top);
      if (c == 1)
      {
        PatchOutlines(picture, slice, size, x, top);
      }
    }
  }
  if (labels)
  {
    LabelLegend(picture, slices);
  }
  const int bars = Layout::LabelWidth + Layout::NumberOfPanels * (Layout::PanelSize + Layout::Gap);
  ColourBar(picture, "intensity", intensities, grey, bars + 10, rows);
  ColourBar(picture, "weight sum", weights, heat, bars + Layout::ColourBarWidth + 10, rows);
  picture.Write(file);
}
