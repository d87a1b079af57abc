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
#ifndef PatchwiseReading_h
#define PatchwiseReading_h

#include "itkImageFileReader.h"

#include <string>

/** Reads the file of `reader` whole, once, where its ImageIO cannot read part of a file:
 * ITK 5.2's NIfTI reader (NIfTI and Analyze) never closes the file nifti_read_subregion_image
 * opens (one descriptor per request, until the process has none left), seeks in a .gz by
 * decompressing it again, and writes past its buffer for a multi-component image (a heap
 * corruption). Later requests for parts are then served from memory. Every reader of the
 * tool that is asked for parts (the input's patch lines, the preview's slices of the input
 * and the output) goes through here. */
template <typename TImage>
void
ReadWholeWhereNoPartCanBeRead(itk::ImageFileReader<TImage> & reader)
{
  reader.UpdateOutputInformation();
  if (std::string(reader.GetImageIO()->GetNameOfClass()) == "NiftiImageIO")
  {
    reader.UpdateLargestPossibleRegion();
  }
}

#endif
