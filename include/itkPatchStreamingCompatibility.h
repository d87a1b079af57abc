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
#ifndef itkPatchStreamingCompatibility_h
#define itkPatchStreamingCompatibility_h

#include "itkMacro.h"

// ITK 5.4 introduced itkOverrideGetNameOfClassMacro and deprecates itkTypeMacro;
// ITK 5.2 has only itkTypeMacro, whose superclass argument is unused.
#ifndef itkOverrideGetNameOfClassMacro
#  define itkOverrideGetNameOfClassMacro(thisClass) itkTypeMacro(thisClass, Superclass)
#endif

// ITK 5 marks VerifyInputInformation with ITKv5_CONST; later versions make it const.
#ifndef ITKv5_CONST
#  define ITKv5_CONST const
#endif

namespace itk
{
namespace PatchStreamingDetail
{
/** The weight a filter's TotalProgressReporter gives the voxels of its request;
 * the filter reports the rest, UpdateProgress(1), once done. ITK 5.2's
 * ProcessObject::IncrementProgress adds fixed-point increments without catching
 * an overflow, and the float increments can add up past 1: the progress would
 * wrap to about 0 just before the end. */
constexpr float ThreadedProgressWeight = 0.99f;
} // namespace PatchStreamingDetail
} // namespace itk

#endif
