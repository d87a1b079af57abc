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
#ifndef SeparableGaussianSmoothing_h
#define SeparableGaussianSmoothing_h

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <vector>

namespace PatchBenchmark
{
using Size3 = std::array<std::ptrdiff_t, 3>;

/** The sampled Gaussian exp(-t^2 / (2 sigma^2)), t = -r..r with r = ceil(3 sigma), normalised to sum 1. */
inline std::vector<float>
GaussianKernel(double sigma)
{
  const auto          radius = static_cast<std::ptrdiff_t>(std::ceil(3.0 * sigma));
  std::vector<double> weights(static_cast<std::size_t>(2 * radius + 1));
  double              sum = 0.0;
  for (std::ptrdiff_t t = -radius; t <= radius; ++t)
  {
    weights[static_cast<std::size_t>(t + radius)] = std::exp(-0.5 * t * t / (sigma * sigma));
    sum += weights[static_cast<std::size_t>(t + radius)];
  }
  std::vector<float> kernel(weights.size());
  std::transform(weights.begin(), weights.end(), kernel.begin(), [sum](double w) { return static_cast<float>(w / sum); });
  return kernel;
}

/** Index t clamped into [0, n): the zero-flux Neumann boundary of ITK's DiscreteGaussianImageFilter. */
inline std::ptrdiff_t
Clamped(std::ptrdiff_t t, std::ptrdiff_t n)
{
  return std::min(std::max(t, std::ptrdiff_t{ 0 }), n - 1);
}

/** sums[x] = sum_k kernel[k] * rows[k][x] over one row of n voxels: what every pass reduces to. */
template <typename TSum>
void
WeightedRowSum(TSum * sums, const std::vector<const float *> & rows, const std::vector<float> & kernel, std::ptrdiff_t n)
{
  std::fill_n(sums, n, TSum{ 0 });
  for (std::size_t k = 0; k < kernel.size(); ++k)
  {
    const TSum    w = kernel[k];
    const float * row = rows[k];
    for (std::ptrdiff_t x = 0; x < n; ++x)
    {
      sums[x] += w * static_cast<TSum>(row[x]);
    }
  }
}

/** One 1-D pass along axis 0 of an image of `size`, rows contiguous: the row
 * is padded by clamping once, then every output voxel is a weighted sum of
 * shifted copies of the padded row. */
inline void
PassAlongRows(const float * in, float * out, const Size3 & size, const std::vector<float> & kernel)
{
  const auto                 radius = static_cast<std::ptrdiff_t>(kernel.size() / 2);
  const std::ptrdiff_t       n = size[0];
  std::vector<float>         padded(static_cast<std::size_t>(n + 2 * radius));
  std::vector<const float *> rows(kernel.size());
  for (std::ptrdiff_t row = 0; row < size[1] * size[2]; ++row)
  {
    const float * source = in + row * n;
    for (std::ptrdiff_t t = -radius; t < n + radius; ++t)
    {
      padded[static_cast<std::size_t>(t + radius)] = source[Clamped(t, n)];
    }
    for (std::size_t k = 0; k < kernel.size(); ++k)
    {
      rows[k] = padded.data() + k;
    }
    WeightedRowSum(out + row * n, rows, kernel, n);
  }
}

/** One 1-D pass along axis 1 or 2: each output row is a weighted sum of whole input rows. */
inline void
PassAcrossRows(const float * in, float * out, const Size3 & size, unsigned int axis, const std::vector<float> & kernel)
{
  const auto                 radius = static_cast<std::ptrdiff_t>(kernel.size() / 2);
  std::vector<const float *> rows(kernel.size());
  for (std::ptrdiff_t z = 0; z < size[2]; ++z)
  {
    for (std::ptrdiff_t y = 0; y < size[1]; ++y)
    {
      for (std::size_t k = 0; k < kernel.size(); ++k)
      {
        const auto     shift = static_cast<std::ptrdiff_t>(k) - radius;
        std::ptrdiff_t yy = y, zz = z;
        (axis == 1 ? yy : zz) = Clamped((axis == 1 ? y : z) + shift, size[axis]);
        rows[k] = in + (zz * size[1] + yy) * size[0];
      }
      WeightedRowSum(out + (z * size[1] + y) * size[0], rows, kernel, size[0]);
    }
  }
}

/** The Gaussian as three 1-D passes (k multiply-adds per voxel and pass). */
inline void
SmoothSeparable(const float * in, float * out, const Size3 & size, const std::vector<float> & kernel)
{
  std::vector<float> first(static_cast<std::size_t>(size[0] * size[1] * size[2]));
  PassAlongRows(in, out, size, kernel);
  PassAcrossRows(out, first.data(), size, 1, kernel);
  PassAcrossRows(first.data(), out, size, 2, kernel);
}

/** The same Gaussian as one k^3 kernel, the outer product of the 1-D kernel
 * (k^3 multiply-adds per voxel), on the same clamped neighbourhood. Its
 * k^3 terms are summed in double: in float their rounding alone would reach
 * 2e-5 at sigma 2, more than the difference between the two methods. */
inline void
SmoothFullKernel(const float * in, float * out, const Size3 & size, const std::vector<float> & kernel)
{
  const auto                 radius = static_cast<std::ptrdiff_t>(kernel.size() / 2);
  const std::ptrdiff_t       n = size[0];
  const std::size_t          k = kernel.size();
  std::vector<float>         padded(k * k * static_cast<std::size_t>(n + 2 * radius));
  std::vector<const float *> rows(k * k * k);
  std::vector<float>         weights(k * k * k);
  std::vector<double>        sums(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < k * k * k; ++i)
  {
    weights[i] = kernel[i % k] * kernel[(i / k) % k] * kernel[i / (k * k)];
  }
  for (std::ptrdiff_t z = 0; z < size[2]; ++z)
  {
    for (std::ptrdiff_t y = 0; y < size[1]; ++y)
    {
      // The k x k input rows of the neighbourhood, each padded by clamping.
      for (std::size_t r = 0; r < k * k; ++r)
      {
        const std::ptrdiff_t yy = Clamped(y + static_cast<std::ptrdiff_t>(r % k) - radius, size[1]);
        const std::ptrdiff_t zz = Clamped(z + static_cast<std::ptrdiff_t>(r / k) - radius, size[2]);
        const float *        source = in + (zz * size[1] + yy) * n;
        float *              target = padded.data() + r * static_cast<std::size_t>(n + 2 * radius);
        for (std::ptrdiff_t t = -radius; t < n + radius; ++t)
        {
          target[t + radius] = source[Clamped(t, n)];
        }
        for (std::size_t dx = 0; dx < k; ++dx)
        {
          rows[r * k + dx] = target + dx;
        }
      }
      WeightedRowSum(sums.data(), rows, weights, n);
      std::transform(sums.begin(), sums.end(), out + (z * size[1] + y) * n, [](double sum) {
        return static_cast<float>(sum);
      });
    }
  }
}
} // namespace PatchBenchmark

#endif
